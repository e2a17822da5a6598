// Zeek TSV logs for the size comparison: the header lines Zeek writes, then
// one row per log entry with Zeek's value notation (T/F, epoch seconds with
// microseconds, bare port numbers, "," between set and vector elements,
// "-" unset, "(empty)" for empty strings and containers).
#include "timemachine_zeek.h"

#include <charconv>
#include <ctime>

#include "coop/model/catalogue.h"
#include "coop/model/value.h"
#include "timemachine_bench.h"

namespace coop::bench::tm {

namespace {

void put_count(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, p);
}

// Seconds with six decimals, as Zeek prints time and interval.
void put_seconds(std::string& out, std::int64_t ns) {
  if (ns < 0) {
    out += '-';
    ns = -ns;
  }
  const auto us = static_cast<std::uint64_t>(ns) / 1000;
  put_count(out, us / 1'000'000);
  out += '.';
  char frac[8];
  std::snprintf(frac, sizeof frac, "%06llu", static_cast<unsigned long long>(us % 1'000'000));
  out += frac;
}

void put_string(std::string& out, const std::string& s) {
  if (s.empty()) {
    out += "(empty)";
    return;
  }
  static constexpr char hex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f || c == '\\') {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
}

void put_value(std::string& out, const model::value& v);

void put_elements(std::string& out, const std::vector<model::value>& elements) {
  if (elements.empty()) {
    out += "(empty)";
    return;
  }
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (i) out += ',';
    put_value(out, elements[i]);
  }
}

void put_value(std::string& out, const model::value& v) {
  if (v.is_none()) {
    out += '-';
  } else if (const auto* b = v.get_if<bool>()) {
    out += *b ? 'T' : 'F';
  } else if (const auto* c = v.get_if<std::uint64_t>()) {
    put_count(out, *c);
  } else if (const auto* s = v.get_if<std::string>()) {
    put_string(out, *s);
  } else if (const auto* a = v.get_if<model::address>()) {
    out += a->to_string();
  } else if (const auto* p = v.get_if<model::port>()) {
    put_count(out, p->number);
  } else if (const auto* t = v.get_if<model::timestamp>()) {
    put_seconds(out, t->ns);
  } else if (const auto* i = v.get_if<model::interval>()) {
    put_seconds(out, i->ns);
  } else if (const auto* e = v.get_if<model::enum_value>()) {
    out += e->label;
  } else if (const auto* vec = v.get_if<model::vector_value>()) {
    put_elements(out, vec->elements);
  } else if (const auto* set = v.get_if<model::set_value>()) {
    put_elements(out, set->elements);
  } else {
    out += v.to_string();  // int, double and the rest: Zeek notation
  }
}

std::string zeek_time_now() {
  // Zeek's #open/#close stamp, e.g. 2024-05-01-10-00-00.
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::strftime(buf, sizeof buf, "%Y-%m-%d-%H-%M-%S", std::gmtime(&t));
  return buf;
}

}  // namespace

zeek_tsv_writer::zeek_tsv_writer(const std::filesystem::path& dir, const model::registry& types)
    : dir_(dir), open_time_(zeek_time_now()) {
  std::filesystem::create_directories(dir);
  open_log(conn_, "conn", types);
  open_log(dns_, "dns", types);
  open_log(http_, "http", types);
}

zeek_tsv_writer::~zeek_tsv_writer() {
  for (log_file* l : {&conn_, &dns_, &http_}) {
    if (l->f != nullptr) std::fclose(l->f);
  }
}

void zeek_tsv_writer::open_log(log_file& log, const std::string& name,
                               const model::registry& types) {
  log.path = (dir_ / (name + ".log")).string();
  log.f = std::fopen(log.path.c_str(), "wb");
  if (log.f == nullptr) die(log.path + ": cannot create");
  std::vector<std::string> type_names;
  for (const auto& zc : model::zeek_columns()) {
    if (zc.log != name) continue;
    column* col = nullptr;
    for (auto& c : log.columns) {
      if (c.name == zc.column) col = &c;
    }
    if (col == nullptr) {
      log.columns.push_back({std::string(zc.column), column::dropped, {}});
      col = &log.columns.back();
      type_names.emplace_back("string");
    }
    const auto at = static_cast<std::size_t>(col - log.columns.data());
    switch (zc.kind) {
      case model::zeek_column_kind::envelope:
        col->what = zc.column == "ts" ? column::envelope_ts : column::envelope_uid;
        type_names[at] = zc.column == "ts" ? "time" : "string";
        break;
      case model::zeek_column_kind::transport:
        col->what = column::transport;
        type_names[at] = "enum";
        break;
      case model::zeek_column_kind::field: {
        auto s = types.find(zc.event);
        auto i = s ? s->index_of(zc.field) : std::nullopt;
        if (!i) die("zeek mapping names an unknown field " + std::string(zc.field));
        col->what = column::field;
        col->sources.push_back({std::string(zc.event), *i});
        type_names[at] = (*s)[*i].ty.to_string();
        break;
      }
      case model::zeek_column_kind::dropped:
        break;
    }
  }
  std::string h = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n";
  h += "#path\t" + name + "\n#open\t" + open_time_ + "\n#fields";
  for (const auto& c : log.columns) h += "\t" + c.name;
  h += "\n#types";
  for (const auto& t : type_names) h += "\t" + t;
  h += "\n";
  log.buffer = std::move(h);
}

void zeek_tsv_writer::row(log_file& log, const model::event* a, const model::event* b) {
  std::string& out = log.buffer;
  bool first = true;
  for (const auto& c : log.columns) {
    if (!first) out += '\t';
    first = false;
    switch (c.what) {
      case column::envelope_ts:
        put_seconds(out, a->ts.ns);
        break;
      case column::envelope_uid:
        put_string(out, a->uid);
        break;
      case column::transport: {
        const auto* p = a->size() > 1 ? a->field(1).get_if<model::port>() : nullptr;
        out += p ? std::string(model::to_string(p->proto)) : std::string("-");
        break;
      }
      case column::field: {
        const model::value* v = nullptr;
        for (const auto& src : c.sources) {
          for (const model::event* e : {a, b}) {
            if (v == nullptr && e != nullptr && e->type().name() == src.event &&
                !e->field(src.field).is_none()) {
              v = &e->field(src.field);
            }
          }
        }
        if (v != nullptr) {
          put_value(out, *v);
        } else {
          out += '-';
        }
        break;
      }
      case column::dropped:
        out += '-';
        break;
    }
  }
  out += '\n';
  ++rows_;
  flush(log, false);
}

void zeek_tsv_writer::flush(log_file& log, bool force) {
  if (log.buffer.empty() || (!force && log.buffer.size() < (1u << 20))) return;
  if (std::fwrite(log.buffer.data(), 1, log.buffer.size(), log.f) != log.buffer.size()) {
    die(log.path + ": write failed");
  }
  log.buffer.clear();
}

void zeek_tsv_writer::write(std::span<const model::event> events) {
  for (const auto& e : events) {
    const std::string& t = e.type().name();
    if (t == model::catalogue::connection_end) {
      row(conn_, &e, nullptr);
    } else if (t == model::catalogue::http_request) {
      row(http_, &e, nullptr);
    } else if (t == model::catalogue::dns_request) {
      // Requests still waiting got no answer: logged alone.
      for (const auto& q : pending_dns_) row(dns_, &q, nullptr);
      pending_dns_.clear();
      pending_dns_.push_back(e);
    } else if (t == model::catalogue::dns_reply) {
      const model::event* q = nullptr;
      for (const auto& p : pending_dns_) {
        if (p.uid == e.uid) q = &p;
      }
      row(dns_, q != nullptr ? q : &e, q != nullptr ? &e : nullptr);
      if (q != nullptr) pending_dns_.clear();
    } else {
      die("zeek TSV: no log for event type " + t);
    }
  }
}

void zeek_tsv_writer::finish() {
  for (const auto& q : pending_dns_) row(dns_, &q, nullptr);
  pending_dns_.clear();
  const std::string close_time = zeek_time_now();
  for (log_file* l : {&conn_, &dns_, &http_}) {
    if (l->f == nullptr) continue;
    l->buffer += "#close\t" + close_time + "\n";
    flush(*l, true);
    if (std::fclose(l->f) != 0) die(l->path + ": close failed");
    l->f = nullptr;
  }
}

std::uint64_t zeek_tsv_writer::bytes() const {
  std::uint64_t total = 0;
  for (const log_file* l : {&conn_, &dns_, &http_}) {
    std::error_code ec;
    const auto n = std::filesystem::file_size(l->path, ec);
    if (!ec) total += n;
  }
  return total;
}

}  // namespace coop::bench::tm
