// The answer writers of `coop-tm query`.
#include "answer.h"

#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "cli.h"
#include "coop/model/codec.h"
#include "coop/model/json.h"
#include "coop/tm/pcap.h"
#include "output.h"

namespace coop::cli {

namespace {

// Rows per table chunk: enough to align a screenful, bounded memory.
constexpr std::size_t table_chunk = 1000;

std::string event_place(const model::event& e) {
  return e.type().name() + " event " + e.id.to_string() + " at " + show_time(e.ts);
}

// One JSON line per event; answers not from raw data say their resolution
// in two extra keys (so raw answers stay valid input for `ingest`).
int write_jsonl(tm::cursor& c, std::ostream& out) {
  std::string line;
  for (;;) {
    auto next = c.next();
    if (!next) return fail("query: " + next.err().message + " (the answer is incomplete)");
    const model::event* e = *next;
    if (e == nullptr) break;
    line.clear();
    if (auto r = model::to_json(*e, line); !r) {
      warn(event_place(*e) + ": cannot be written as JSON: " + r.err().message);
      continue;
    }
    const auto& res = c.current_resolution();
    if (res.tier != "raw" && !line.empty() && line.back() == '}') {
      line.pop_back();
      line += ",\"_resolution\":";
      append_json_string(line, res.tier);
      line += ",\"_bucket\":" + res.bucket.to_string() + "}";
    }
    line += '\n';
    out << line;
  }
  return exit_ok;
}

// Columns ts, type, uid (and resolution when some row is not raw), then
// one column per field when the chunk holds one event type, else one
// "fields" column of name=value pairs.
class table_writer {
 public:
  explicit table_writer(std::ostream& out) : out_(out) {}

  void add(const model::event& e, const tm::resolution& res) {
    rows_.push_back({e, res});
    if (rows_.size() >= table_chunk) flush();
  }

  void flush() {
    if (rows_.empty()) return;
    bool one_type = true, any_aggregate = false;
    for (const auto& r : rows_) {
      one_type = one_type && r.e.schema_ptr() == rows_.front().e.schema_ptr();
      any_aggregate = any_aggregate || r.res.tier != "raw";
    }
    std::vector<std::string> headers = {"ts", "type", "uid"};
    if (any_aggregate) headers.emplace_back("resolution");
    std::vector<std::size_t> columns;  // field positions shown (one_type)
    if (one_type) {
      const auto& s = rows_.front().e.type();
      for (std::size_t i = 0; i < s.size(); ++i) {
        for (const auto& r : rows_) {
          if (r.e.field(i).is_none()) continue;
          columns.push_back(i);
          headers.push_back(s[i].name);
          break;
        }
      }
    } else {
      headers.emplace_back("fields");
    }
    text_table t(std::move(headers));
    for (const auto& r : rows_) {
      std::vector<std::string> row = {show_time(r.e.ts), r.e.type().name(),
                                      r.e.uid.empty() ? "-" : r.e.uid};
      if (any_aggregate) {
        row.push_back(r.res.tier == "raw" ? "raw"
                                          : r.res.tier + "/" + r.res.bucket.to_string() + "s");
      }
      if (one_type) {
        for (auto i : columns) row.push_back(show_value(r.e.field(i)));
      } else {
        std::string cell;
        for (std::size_t i = 0; i < r.e.size(); ++i) {
          if (r.e.field(i).is_none()) continue;
          if (!cell.empty()) cell += ' ';
          cell += r.e.type()[i].name + "=" + show_value(r.e.field(i));
        }
        row.push_back(std::move(cell));
      }
      t.add(std::move(row));
    }
    if (chunks_++ > 0) out_ << '\n';
    t.print(out_);
    rows_.clear();
  }

 private:
  struct entry {
    model::event e;
    tm::resolution res;
  };
  std::ostream& out_;
  std::vector<entry> rows_;
  std::size_t chunks_ = 0;
};

int write_table(tm::cursor& c, std::ostream& out) {
  table_writer t(out);
  for (;;) {
    auto next = c.next();
    if (!next) {
      t.flush();
      return fail("query: " + next.err().message + " (the answer is incomplete)");
    }
    if (*next == nullptr) break;
    t.add(**next, c.current_resolution());
  }
  t.flush();
  if (c.returned() == 0) std::cerr << "coop-tm: no matching events\n";
  return exit_ok;
}

int write_pcap(tm::cursor& c, std::ostream& out, const std::filesystem::path& path) {
  auto w = tm::pcap_writer::open(out);
  if (!w) return fail("--out " + path.string() + ": " + w.err().message);
  std::uint64_t refused = 0;
  for (;;) {
    auto next = c.next();
    if (!next) return fail("query: " + next.err().message + " (the capture is incomplete)");
    if (*next == nullptr) break;
    if (auto r = w->write(**next); !r) {
      if (r.err().code == model::errc::io)
        return fail("--out " + path.string() + ": " + r.err().message);
      warn(r.err().message + " (not written)");
      ++refused;
    }
  }
  if (auto r = w->close(); !r) return fail("--out " + path.string() + ": " + r.err().message);
  std::cerr << "coop-tm: wrote " << w->packets() << " packets to " << path.string() << "\n";
  return refused == 0 ? exit_ok : exit_failed;
}

int write_capnp(tm::cursor& c, std::ostream& out, const std::filesystem::path& path) {
  model::stream_writer w(out);
  for (;;) {
    auto next = c.next();
    if (!next) return fail("query: " + next.err().message + " (the answer is incomplete)");
    if (*next == nullptr) break;
    if (auto r = w.write(**next); !r) {
      if (r.err().code == model::errc::io)
        return fail("--out " + path.string() + ": " + r.err().message);
      warn(event_place(**next) + ": " + r.err().message + " (not written)");
    }
  }
  if (auto r = w.flush(); !r) return fail("--out " + path.string() + ": " + r.err().message);
  return exit_ok;
}

}  // namespace

int write_answer(tm::cursor& c, answer_format f, std::ostream& out,
                 const std::filesystem::path& out_path) {
  int code = exit_ok;
  switch (f) {
    case answer_format::jsonl: code = write_jsonl(c, out); break;
    case answer_format::table: code = write_table(c, out); break;
    case answer_format::pcap: code = write_pcap(c, out, out_path); break;
    case answer_format::capnp: code = write_capnp(c, out, out_path); break;
  }
  out.flush();
  if (!out && code == exit_ok) code = fail("--out " + out_path.string() + ": write failed");
  std::set<std::string> shown;
  for (const auto& w : c.warnings()) {
    if (shown.insert(w).second) warn(w);
  }
  return code;
}

}  // namespace coop::cli
