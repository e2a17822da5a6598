// Creating and opening a store, and recovery: finishing or undoing what a
// crash interrupted (docs/timemachine.md, "Crash recovery").
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "block/endian.h"
#include "store/format.h"
#include "store/store_impl.h"

namespace coop::tm::detail {

namespace {

constexpr std::string_view format_file = "FORMAT";

// Writes `file` and flushes it to the disk (fsync), so that a rename over
// FORMAT after it never leaves an empty file behind a power loss.
model::result<void> write_format_file(const std::filesystem::path& root,
                                      const std::filesystem::path& file) {
  const std::string text =
      std::string(format_magic) + "\nformat " + std::to_string(format_version) + "\n";
  auto failed = [&](const char* what) {
    return model::error{model::errc::io, (root / format_file).string() + ": cannot " + what +
                                             " " + file.string() + ": " + std::strerror(errno)};
  };
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return failed("create");
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = written && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (!written) return failed("write");
  if (!synced) return failed("flush");
  return {};
}

// Flushes the directory `dir` itself, so that a rename in it is durable.
model::result<void> sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int saved = errno;
    if (fd >= 0) ::close(fd);
    return model::error{model::errc::io,
                        dir.string() + ": cannot flush the directory: " + std::strerror(saved)};
  }
  ::close(fd);
  return {};
}

model::result<void> check_format_file(const std::filesystem::path& root, bool read_only) {
  auto path = root / format_file;
  std::ifstream in(path);
  if (!in) {
    return model::error{model::errc::not_found,
                        root.string() + ": no time machine store here (no FORMAT file)"};
  }
  std::string magic, word;
  std::uint32_t version = 0;
  std::getline(in, magic);
  bool parsed = static_cast<bool>(in >> word >> version);
  if (magic != format_magic || word != "format" || !parsed) {
    return model::error{model::errc::corruption,
                        path.string() + ": damaged or not a time machine FORMAT file (expected '" +
                            std::string(format_magic) + "' then 'format N', found '" + magic +
                            "')"};
  }
  if (version < oldest_format_version || version > format_version) {
    return model::error{model::errc::incompatible,
                        root.string() + ": store format " + std::to_string(version) +
                            ", this build reads " + readable_formats()};
  }
  if (version < format_version && !read_only) {
    // New partitions will be of the current format: say so, so that an
    // older build refuses the whole store rather than those partitions.
    // Written aside and renamed: a crash leaves the old file or the new.
    auto tmp = root / ".FORMAT.tmp";
    if (auto r = write_format_file(root, tmp); !r) return r;
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) return model::error{model::errc::io, path.string() + ": cannot upgrade: " + ec.message()};
    if (auto r = sync_directory(root); !r) return r;
  }
  return {};
}

void raise_file_limit() {
  // Each partition keeps two files open; take what the hard limit allows.
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

model::result<void> store_impl::learn(const model::schema& s) {
  std::lock_guard lock(types_mu);
  if (auto known = types->find(s.name(), s.version())) {
    if (*known == s) return {};
    return model::error{model::errc::incompatible,
                        "type " + s.name() + " version " + std::to_string(s.version()) +
                            " differs from the one the store already has"};
  }
  auto copy = std::make_shared<model::registry>(*types);
  auto added = copy->add(s);
  if (!added) return added.err();
  types = std::move(copy);
  return {};
}

std::uint64_t store_impl::allocate_partition_id() {
  // Commits and expiry passes create partitions concurrently.
  std::lock_guard lock(id_mu);
  std::uint64_t id = next_partition_id++;
  (void)save_setting("next_partition_id", std::to_string(next_partition_id));
  return id;
}

model::result<void> store_impl::save_setting(std::string_view key, std::string_view value) {
  auto t = lmdb::txn::begin(meta_env, true);
  if (!t) return t.err();
  if (auto r = t->put(meta_db, key, value); !r) return r.err();
  return t->commit();
}

model::result<void> store_impl::load(bool create) {
  std::error_code ec;
  if (create) {
    if (std::filesystem::exists(opts.root / format_file, ec)) {
      return model::error{model::errc::invalid_argument,
                          opts.root.string() + ": a store already exists here"};
    }
    std::filesystem::create_directories(parts_dir(), ec);
    if (ec) return model::error{model::errc::io, opts.root.string() + ": " + ec.message()};
    if (auto r = write_format_file(opts.root, opts.root / format_file); !r) return r;
  } else if (auto r = check_format_file(opts.root, opts.read_only); !r) {
    return r;
  }
  raise_file_limit();
  auto env = lmdb::env::open(opts.root / "meta", {.map_size = std::size_t{64} << 20, .max_dbs = 4,
                                                  .read_only = opts.read_only,
                                                  .create = create});
  if (!env) return env.err();
  meta_env = std::move(env.value());
  {
    auto t = lmdb::txn::begin(meta_env, !opts.read_only);
    if (!t) return t.err();
    auto db = t->open_db("settings", opts.read_only ? 0 : MDB_CREATE);
    if (!db) return db.err();
    meta_db = *db;
    // Committed even when read-only: an aborted transaction would close
    // the database handle.
    if (auto r = t->commit(); !r) return r;
  }
  if (create) {
    const std::set<std::string> sorted(index.strings.begin(), index.strings.end());
    std::string text;
    for (const auto& f : sorted) text += f + "\n";
    if (auto r = save_setting("indexed_strings", text); !r) return r;
  }
  // Settings: rules, ids, pins.
  std::string rules_text;
  {
    auto t = lmdb::txn::begin(meta_env, false);
    if (!t) return t.err();
    if (auto v = t->get(meta_db, "rules")) rules_text.assign(*v);
    if (auto v = t->get(meta_db, "next_partition_id")) {
      next_partition_id = std::max<std::uint64_t>(1, std::stoull(std::string(*v)));
    }
    if (auto v = t->get(meta_db, "last_batch")) committed = std::stoull(std::string(*v));
    // The indexed string fields are the store's own, fixed at creation:
    // indexing others later would make lookups miss the older events.
    if (auto v = t->get(meta_db, "indexed_strings")) {
      index.strings.clear();
      std::istringstream in{std::string(*v)};
      for (std::string field; std::getline(in, field);) {
        if (!field.empty()) index.strings.insert(field);
      }
    }
    auto c = lmdb::cursor::open(*t, meta_db);
    if (!c) return c.err();
    std::string_view k, v;
    auto more = c->move(MDB_SET_RANGE, &k, &v, "pin/");
    while (more && *more && k.starts_with("pin/")) {
      pin p;
      std::istringstream in{std::string(v)};
      std::string hosts;
      in >> p.id >> hosts >> p.range.from.ns >> p.range.to.ns;
      std::getline(in, p.reason);
      if (!p.reason.empty() && p.reason[0] == ' ') p.reason.erase(0, 1);
      if (hosts != "-") {
        if (auto s = model::subnet::parse(hosts)) p.hosts = *s;
      }
      next_pin_id = std::max(next_pin_id, p.id + 1);
      pin_list.push_back(std::move(p));
      more = c->move(MDB_NEXT, &k, &v);
    }
  }
  // Trash: directories whose deletion a crash interrupted.
  std::filesystem::remove_all(opts.root / "trash", ec);

  // Partitions.
  std::vector<std::shared_ptr<partition>> found;
  for (const auto& entry : std::filesystem::directory_iterator(parts_dir(), ec)) {
    if (!entry.is_directory()) continue;
    if (entry.path().filename().string().starts_with(".tmp-")) {
      // A partition whose creation a crash interrupted: it holds nothing.
      if (!opts.read_only) std::filesystem::remove_all(entry.path(), ec);
      continue;
    }
    auto p = partition::open(entry.path(), opts.partition_map_bytes, opts.read_only);
    if (!p) {
      problems.push_back(p.err().message);
      continue;
    }
    found.push_back(std::move(p.value()));
  }
  if (ec) return model::error{model::errc::io, parts_dir().string() + ": " + ec.message()};

  // Recovery: an aggregate partition whose single write did not commit is
  // discarded; partitions a complete one absorbed or replaced are removed
  // (their deletion was interrupted).
  std::set<std::uint64_t> superseded;
  std::set<std::uint64_t> companions;
  for (const auto& p : found) {
    auto m = p->meta();
    if (!m.complete) continue;
    for (auto id : m.sources) superseded.insert(id);
    if (m.replaces != 0) superseded.insert(m.replaces);
    if (m.companion != 0) companions.insert(m.companion);
  }
  // A companion of a complete aggregate is kept even if the crash came
  // before it was marked complete itself.
  for (const auto& p : found) {
    auto m = p->meta();
    if (!m.complete && companions.count(m.id) != 0 && !opts.read_only) {
      m.complete = true;
      std::vector<block_in> none;
      if (auto r = p->write(none, m.last_batch, {}, &m); !r) problems.push_back(r.err().message);
    }
  }
  std::sort(found.begin(), found.end(),
            [](const auto& x, const auto& y) { return x->meta().id < y->meta().id; });
  for (auto& p : found) {
    auto m = p->meta();
    next_partition_id = std::max(next_partition_id, m.id + 1);
    if (!m.complete || superseded.count(m.id) != 0) {
      if (!opts.read_only) drop_partition(p);
      continue;
    }
    if (auto schemas = p->schemas()) {
      for (const auto& s : *schemas) (void)learn(s);
    } else {
      problems.push_back(schemas.err().message);
    }
    if (m.tier == "raw" && m.last_batch > committed && !opts.read_only) {
      // Blocks of a commit that never reached its commit point (the
      // settings' last_batch): a crash or a failed commit left them.
      if (auto r = p->truncate_after(committed, *types_snapshot(), index); !r) {
        problems.push_back(r.err().message);
      }
    }
    if (m.tier == "raw" && !m.sealed) {
      // The newest open raw partition of a class takes ingest; an older
      // one left open (by a crash mid-roll-over) is sealed now.
      auto& cur = current[m.class_name];
      if (cur && !opts.read_only) (void)cur->seal();
      cur = p;
    }
    parts.push_back(p);
  }
  next_batch = committed;

  if (!rules_text.empty()) {
    auto r = rule_set::parse(rules_text, *types_snapshot());
    if (!r) {
      problems.push_back("stored rules no longer valid, using defaults: " + r.err().message);
    } else {
      rules = std::move(r.value());
    }
  }
  return {};
}

void store_impl::drop_partition(const std::shared_ptr<partition>& p) {
  // Rename into trash first (atomic), then delete: a crash in between
  // leaves only trash, which the next open clears.
  std::error_code ec;
  auto trash = opts.root / "trash";
  std::filesystem::create_directories(trash, ec);
  auto target = trash / p->dir().filename();
  std::filesystem::rename(p->dir(), target, ec);
  if (ec) {
    std::filesystem::remove_all(p->dir(), ec);
  } else {
    std::filesystem::remove_all(target, ec);
  }
}

}  // namespace coop::tm::detail
