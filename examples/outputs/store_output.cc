// `--store DIR`: events into a time machine store, in batches, committed at
// the end.
#include <filesystem>

#include "coop/tm/store.h"
#include "parts.h"

namespace coop::outputs::detail {

namespace {

namespace fs = std::filesystem;

// Missing, or an empty directory: a new store goes there.
model::result<bool> needs_creating(const std::string& dir) {
  std::error_code ec;
  const auto st = fs::status(dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return model::error{model::errc::io, "--store " + dir + ": " + ec.message()};
  }
  if (!fs::exists(st)) return true;
  if (!fs::is_directory(st)) {
    return model::error{model::errc::invalid_argument,
                        "--store " + dir + ": not a directory (give the store's directory)"};
  }
  const bool empty = fs::is_empty(dir, ec);
  if (ec) return model::error{model::errc::io, "--store " + dir + ": " + ec.message()};
  return empty;
}

}  // namespace

store_part::~store_part() = default;

model::result<std::unique_ptr<store_part>> store_part::open(const output_options& o,
                                                            const model::registry& types,
                                                            const std::string& tool) {
  auto create = needs_creating(o.store_dir);
  if (!create) return create.err();
  tm::store_options so;
  so.root = o.store_dir;
  auto s = *create ? tm::store::create(so, types) : tm::store::open(so, types);
  if (!s) {
    std::string msg = "--store " + o.store_dir + ": ";
    std::string_view why = s.err().message;
    // The library names the directory itself; say it once.
    if (why.starts_with(o.store_dir + ": ")) why.remove_prefix(o.store_dir.size() + 2);
    msg += why;
    if (s.err().code == model::errc::not_found) {
      msg += "; the directory holds other files: give a new or empty directory, or a store";
    }
    return model::error{s.err().code, msg};
  }
  auto part = std::make_unique<store_part>();
  part->st = std::make_unique<tm::store>(std::move(s.value()));
  part->dir = o.store_dir;
  part->tool = tool;
  part->created = *create;
  part->batch_limit = o.store_batch == 0 ? 1 : o.store_batch;
  part->batch.reserve(part->batch_limit);
  return part;
}

model::result<void> store_part::write(const model::event& e) {
  batch.push_back(e);
  ++written;
  if (batch.size() >= batch_limit) return append_batch();
  return {};
}

model::result<void> store_part::append_batch() {
  if (batch.empty()) return {};
  ++batches;
  auto r = st->append(batch);
  if (r) {
    stored += r->accepted;
    dropped += r->dropped;
  } else if (r.err().code == model::errc::invalid_argument) {
    // One event spoils the whole batch: store the others one by one.
    for (const auto& e : batch) {
      auto one = st->append(std::span(&e, 1));
      if (one) {
        stored += one->accepted;
        dropped += one->dropped;
      } else if (one.err().code == model::errc::invalid_argument) {
        if (++refused <= 5) {
          std::fprintf(stderr, "%s: --store %s: event refused: %s\n", tool.c_str(), dir.c_str(),
                       one.err().message.c_str());
        }
      } else {
        return model::error{one.err().code, "--store " + dir + ": append: " + one.err().message};
      }
    }
  } else {
    return model::error{r.err().code, "--store " + dir + ": append: " + r.err().message};
  }
  batch.clear();
  return {};
}

model::result<void> store_part::finish() {
  if (finished) return {};
  finished = true;
  if (auto r = append_batch(); !r) return r;
  auto c = st->commit();
  if (!c) {
    return model::error{c.err().code, "--store " + dir + ": commit: " + c.err().message +
                                          " (events since the last commit are not durable)"};
  }
  committed = *c;
  return {};
}

void store_part::print_summary(std::FILE* out) const {
  std::fprintf(out,
               "store %s (%s): %llu events in %llu batches: %llu stored, %llu dropped by rules, "
               "%llu refused; committed through batch %llu\n",
               dir.c_str(), created ? "created" : "opened",
               static_cast<unsigned long long>(written), static_cast<unsigned long long>(batches),
               static_cast<unsigned long long>(stored), static_cast<unsigned long long>(dropped),
               static_cast<unsigned long long>(refused),
               static_cast<unsigned long long>(committed != 0 ? committed : st->committed()));
}

}  // namespace coop::outputs::detail
