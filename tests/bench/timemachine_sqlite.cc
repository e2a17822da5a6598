// Events as SQLite rows. Values are stored in SQLite's most compact natural
// form, so the comparison does not flatter Coop: addresses as 4- or 16-byte
// blobs, ports as integers (number plus transport << 16), times and
// intervals as integer nanoseconds, containers as Zeek-style joined text.
#include "timemachine_sqlite.h"

#include <sqlite3.h>

#include <cstdio>

#include "coop/model/value.h"
#include "timemachine_bench.h"

namespace coop::bench::tm {

namespace {

constexpr const char* indexed[] = {"orig_h", "resp_h", "resp_p", "uid", "ts", "type"};

// Envelope columns, before the fields.
constexpr const char* envelope[] = {"ts", "type", "id", "site", "sensor", "uid"};

std::string quote(std::string_view name) {
  std::string q(1, '"');
  q.append(name);
  q.push_back('"');
  return q;
}

const char* affinity(model::type_kind k) {
  using model::type_kind;
  switch (k) {
    case type_kind::boolean:
    case type_kind::count:
    case type_kind::integer:
    case type_kind::port:
    case type_kind::time:
    case type_kind::interval:
      return "INTEGER";
    case type_kind::real:
      return "REAL";
    case type_kind::bytes:
    case type_kind::address:
      return "BLOB";
    default:
      return "TEXT";
  }
}

// Zeek's text for a container element or an odd scalar.
void join(const std::vector<model::value>& elements, std::string& out) {
  out.clear();
  for (const auto& el : elements) {
    if (!out.empty()) out += ',';
    out += el.to_string();
  }
}

}  // namespace

sqlite_table::sqlite_table(const std::filesystem::path& file, const model::registry& types,
                           const std::vector<std::string>& types_of, int cache_mib)
    : file_(file) {
  if (std::filesystem::exists(file)) die(file.string() + ": already exists");
  if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK) {
    die(file.string() + ": sqlite3_open: " + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
  }
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  exec("PRAGMA cache_size=-" + std::to_string(cache_mib * 1024));

  // One column per distinct field name (a name has one type across the
  // catalogue), in first-seen order.
  for (const auto& name : types_of) {
    auto s = types.find(name);
    if (!s) die("sqlite: unknown event type " + name);
    for (const auto& f : s->fields()) {
      bool seen = false;
      for (const auto& c : columns_) seen = seen || c.name == f.name;
      if (!seen) columns_.push_back({f.name, f.ty.kind()});
    }
  }
  std::string create = "CREATE TABLE events(ts INTEGER NOT NULL, type TEXT NOT NULL, id BLOB, "
                       "site TEXT, sensor TEXT, uid TEXT";
  for (const auto& c : columns_) create += ", " + quote(c.name) + " " + affinity(c.kind);
  create += ")";
  exec(create);
  create_indexes();

  for (const auto& name : types_of) {
    auto s = types.find(name);
    type_insert ins;
    std::string cols, params;
    int n = 0;
    for (const char* e : envelope) {
      cols += (n ? ", " : "") + quote(e);
      params += (n ? ", ?" : "?");
      ++n;
    }
    ins.param_of_field.assign(s->size(), 0);
    for (std::size_t i = 0; i < s->size(); ++i) {
      cols += ", " + quote((*s)[i].name);
      params += ", ?";
      ins.param_of_field[i] = ++n;
    }
    ins.stmt = prepare("INSERT INTO events(" + cols + ") VALUES(" + params + ")");
    inserts_.emplace(name, ins);
  }
  begin_ = prepare("BEGIN");
  commit_ = prepare("COMMIT");
  lookup_ = prepare("SELECT * FROM events WHERE orig_h = ?1 OR resp_h = ?1");
}

sqlite_table::~sqlite_table() {
  for (auto& [name, ins] : inserts_) sqlite3_finalize(ins.stmt);
  sqlite3_finalize(begin_);
  sqlite3_finalize(commit_);
  sqlite3_finalize(lookup_);
  sqlite3_close(db_);
}

void sqlite_table::exec(const std::string& sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string what = msg ? msg : sqlite3_errmsg(db_);
    sqlite3_free(msg);
    die("sqlite: " + sql + ": " + what);
  }
}

sqlite3_stmt* sqlite_table::prepare(const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    die("sqlite: prepare " + sql + ": " + sqlite3_errmsg(db_));
  }
  return st;
}

void sqlite_table::drop_indexes() {
  for (const char* c : indexed) exec(std::string("DROP INDEX IF EXISTS ix_") + c);
}

void sqlite_table::create_indexes() {
  for (const char* c : indexed) {
    exec(std::string("CREATE INDEX IF NOT EXISTS ix_") + c + " ON events(" + quote(c) + ")");
  }
}

void sqlite_table::checkpoint() { exec("PRAGMA wal_checkpoint(TRUNCATE)"); }

void sqlite_table::bind_event(type_insert& ins, const model::event& e) {
  sqlite3_stmt* st = ins.stmt;
  sqlite3_bind_int64(st, 1, e.ts.ns);
  sqlite3_bind_text(st, 2, e.type().name().data(), static_cast<int>(e.type().name().size()),
                    SQLITE_STATIC);
  unsigned char id[16];
  for (int i = 0; i < 8; ++i) {
    id[i] = static_cast<unsigned char>(e.id.hi >> (56 - 8 * i));
    id[8 + i] = static_cast<unsigned char>(e.id.lo >> (56 - 8 * i));
  }
  sqlite3_bind_blob(st, 3, id, 16, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, e.from.site.data(), static_cast<int>(e.from.site.size()),
                    SQLITE_STATIC);
  sqlite3_bind_text(st, 5, e.from.sensor.data(), static_cast<int>(e.from.sensor.size()),
                    SQLITE_STATIC);
  if (e.uid.empty()) {
    sqlite3_bind_null(st, 6);
  } else {
    sqlite3_bind_text(st, 6, e.uid.data(), static_cast<int>(e.uid.size()), SQLITE_STATIC);
  }
  for (std::size_t i = 0; i < e.size(); ++i) {
    const int p = ins.param_of_field[i];
    const model::value& v = e.field(i);
    if (v.is_none()) {
      sqlite3_bind_null(st, p);
    } else if (const auto* b = v.get_if<bool>()) {
      sqlite3_bind_int(st, p, *b ? 1 : 0);
    } else if (const auto* c = v.get_if<std::uint64_t>()) {
      sqlite3_bind_int64(st, p, static_cast<sqlite3_int64>(*c));
    } else if (const auto* n = v.get_if<std::int64_t>()) {
      sqlite3_bind_int64(st, p, *n);
    } else if (const auto* d = v.get_if<double>()) {
      sqlite3_bind_double(st, p, *d);
    } else if (const auto* s = v.get_if<std::string>()) {
      sqlite3_bind_text(st, p, s->data(), static_cast<int>(s->size()), SQLITE_STATIC);
    } else if (const auto* a = v.get_if<model::address>()) {
      const auto& bytes = a->bytes();
      if (a->is_v4()) {
        sqlite3_bind_blob(st, p, bytes.data() + 12, 4, SQLITE_STATIC);
      } else {
        sqlite3_bind_blob(st, p, bytes.data(), 16, SQLITE_STATIC);
      }
    } else if (const auto* pt = v.get_if<model::port>()) {
      sqlite3_bind_int(st, p, pt->number | (static_cast<int>(pt->proto) << 16));
    } else if (const auto* t = v.get_if<model::timestamp>()) {
      sqlite3_bind_int64(st, p, t->ns);
    } else if (const auto* iv = v.get_if<model::interval>()) {
      sqlite3_bind_int64(st, p, iv->ns);
    } else if (const auto* vec = v.get_if<model::vector_value>()) {
      join(vec->elements, scratch_);
      sqlite3_bind_text(st, p, scratch_.data(), static_cast<int>(scratch_.size()),
                        SQLITE_TRANSIENT);
    } else if (const auto* set = v.get_if<model::set_value>()) {
      join(set->elements, scratch_);
      sqlite3_bind_text(st, p, scratch_.data(), static_cast<int>(scratch_.size()),
                        SQLITE_TRANSIENT);
    } else {
      scratch_ = v.to_string();
      sqlite3_bind_text(st, p, scratch_.data(), static_cast<int>(scratch_.size()),
                        SQLITE_TRANSIENT);
    }
  }
}

void sqlite_table::insert(std::span<const model::event> events) {
  if (sqlite3_step(begin_) != SQLITE_DONE) die(std::string("sqlite: BEGIN: ") + sqlite3_errmsg(db_));
  sqlite3_reset(begin_);
  for (const auto& e : events) {
    auto it = inserts_.find(e.type().name());
    if (it == inserts_.end()) die("sqlite: no table columns for type " + e.type().name());
    type_insert& ins = it->second;
    bind_event(ins, e);
    if (sqlite3_step(ins.stmt) != SQLITE_DONE) {
      die(std::string("sqlite: INSERT: ") + sqlite3_errmsg(db_));
    }
    sqlite3_reset(ins.stmt);
    sqlite3_clear_bindings(ins.stmt);
  }
  if (sqlite3_step(commit_) != SQLITE_DONE) {
    die(std::string("sqlite: COMMIT: ") + sqlite3_errmsg(db_));
  }
  sqlite3_reset(commit_);
}

std::uint64_t sqlite_table::lookup_host(const model::address& host, std::uint64_t& checksum) {
  const auto& bytes = host.bytes();
  if (host.is_v4()) {
    sqlite3_bind_blob(lookup_, 1, bytes.data() + 12, 4, SQLITE_STATIC);
  } else {
    sqlite3_bind_blob(lookup_, 1, bytes.data(), 16, SQLITE_STATIC);
  }
  std::uint64_t rows = 0;
  const int ncol = sqlite3_column_count(lookup_);
  int rc;
  while ((rc = sqlite3_step(lookup_)) == SQLITE_ROW) {
    ++rows;
    // Read every column, as a program materialising the row would.
    for (int c = 0; c < ncol; ++c) {
      switch (sqlite3_column_type(lookup_, c)) {
        case SQLITE_INTEGER:
          checksum += static_cast<std::uint64_t>(sqlite3_column_int64(lookup_, c));
          break;
        case SQLITE_FLOAT:
          checksum += static_cast<std::uint64_t>(sqlite3_column_double(lookup_, c));
          break;
        case SQLITE_TEXT:
          checksum += static_cast<std::uint64_t>(sqlite3_column_bytes(lookup_, c)) +
                      (sqlite3_column_text(lookup_, c) != nullptr);
          break;
        case SQLITE_BLOB: {
          const auto* b = static_cast<const unsigned char*>(sqlite3_column_blob(lookup_, c));
          const int n = sqlite3_column_bytes(lookup_, c);
          checksum += static_cast<std::uint64_t>(n) + (n > 0 ? b[n - 1] : 0u);
          break;
        }
        default:
          break;
      }
    }
  }
  if (rc != SQLITE_DONE) die(std::string("sqlite: lookup: ") + sqlite3_errmsg(db_));
  sqlite3_reset(lookup_);
  return rows;
}

std::uint64_t sqlite_table::bytes() const {
  std::uint64_t total = 0;
  for (const char* suffix : {"", "-wal"}) {
    std::error_code ec;
    const auto n = std::filesystem::file_size(file_.string() + suffix, ec);
    if (!ec) total += n;
  }
  return total;
}

}  // namespace coop::bench::tm
