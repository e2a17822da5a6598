// The alternative the time machine is measured against: the same events in
// one SQLite table (a column per field of the union of the event types, the
// envelope included), WAL journal, synchronous=NORMAL, six indexes (orig_h,
// resp_h, resp_p, uid, ts, type), written in batched transactions. A
// resource used by one thread; every SQLite failure ends the program with
// the statement that failed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "coop/model/address.h"
#include "coop/model/event.h"
#include "coop/model/schema.h"

struct sqlite3;
struct sqlite3_stmt;

namespace coop::bench::tm {

class sqlite_table {
 public:
  /// Creates `file` (which must not exist) with a table for events of
  /// `types` (names in `types_of`), and its six indexes. `cache_mib` is the
  /// page cache SQLite may use.
  sqlite_table(const std::filesystem::path& file, const model::registry& types,
               const std::vector<std::string>& types_of, int cache_mib);
  ~sqlite_table();
  sqlite_table(const sqlite_table&) = delete;
  sqlite_table& operator=(const sqlite_table&) = delete;

  /// Inserts `events` in one transaction.
  void insert(std::span<const model::event> events);
  /// Drops the six indexes (bulk loading without them is much faster).
  void drop_indexes();
  /// Creates the six indexes.
  void create_indexes();
  /// Moves the WAL into the database file and truncates it.
  void checkpoint();

  /// Every row whose orig_h or resp_h is `host`, each column read as a
  /// program would; returns the number of rows. `checksum` absorbs what
  /// was read.
  std::uint64_t lookup_host(const model::address& host, std::uint64_t& checksum);

  /// Bytes on disk: the database file and its WAL.
  [[nodiscard]] std::uint64_t bytes() const;

 private:
  struct column {
    std::string name;
    model::type_kind kind;
  };
  struct type_insert {
    sqlite3_stmt* stmt = nullptr;
    std::vector<int> param_of_field;  // 0: field not stored
  };
  void exec(const std::string& sql);
  sqlite3_stmt* prepare(const std::string& sql);
  void bind_event(type_insert& ins, const model::event& e);

  std::filesystem::path file_;
  sqlite3* db_ = nullptr;
  std::vector<column> columns_;
  std::map<std::string, type_insert, std::less<>> inserts_;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* lookup_ = nullptr;
  std::string scratch_;
};

}  // namespace coop::bench::tm
