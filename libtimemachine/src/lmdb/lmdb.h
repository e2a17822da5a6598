// Thin RAII wrappers over the LMDB C API: environments, transactions,
// databases and cursors, and the mapping of LMDB's return codes to Coop
// errors. Nothing outside libtimemachine/src sees an LMDB type.
//
// Thread-safety: an `env` may be shared between threads (it is opened with
// MDB_NOTLS, so read transactions are not tied to a thread); a `txn` and the
// cursors under it belong to one thread at a time.
#pragma once

#include <lmdb.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "coop/model/result.h"

namespace coop::tm::lmdb {

using model::errc;
using model::error;
using model::result;

/// Maps an LMDB or errno return code to an error whose message names `what`
/// (a path, a database) and the cause: MDB_MAP_FULL becomes `overloaded`
/// ("map full"), ENOSPC/EDQUOT `io` ("disk full"), MDB_CORRUPTED,
/// MDB_PAGE_NOTFOUND and MDB_INVALID `corruption`, MDB_VERSION_MISMATCH
/// `incompatible`, anything else `io`.
error to_error(int rc, std::string_view what);

/// True if `rc` is LMDB's "map full" (the partition must roll over).
inline bool is_map_full(int rc) noexcept { return rc == MDB_MAP_FULL; }

/// An open environment (one directory holding data.mdb and lock.mdb).
class env {
 public:
  struct options {
    std::size_t map_size = std::size_t{1} << 30;  ///< bytes of address space reserved
    unsigned max_dbs = 8;                         ///< named databases
    bool read_only = false;
    bool create = false;                          ///< create the directory if missing
  };

  /// Opens (or creates) the environment in directory `dir`.
  /// Errors: as to_error, naming `dir`.
  static result<env> open(const std::filesystem::path& dir, const options& opts);

  env() = default;
  env(env&& o) noexcept : e_(o.e_), dir_(std::move(o.dir_)) { o.e_ = nullptr; }
  env& operator=(env&& o) noexcept;
  env(const env&) = delete;
  env& operator=(const env&) = delete;
  ~env();

  [[nodiscard]] MDB_env* get() const noexcept { return e_; }
  /// Bytes of the data file as it stands (what it takes on disk, sparse
  /// regions aside).
  [[nodiscard]] std::uint64_t file_bytes() const;
  /// Flushes to disk (used when opened with MDB_NOSYNC; here for tools).
  result<void> sync();
  /// The directory.
  [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }

 private:
  MDB_env* e_ = nullptr;
  std::filesystem::path dir_;
};

/// A transaction. Aborted by the destructor unless committed.
class txn {
 public:
  /// Begins a read-only (`write` false) or read-write transaction.
  static result<txn> begin(const env& e, bool write);

  txn() = default;
  txn(txn&& o) noexcept : t_(o.t_), what_(std::move(o.what_)) { o.t_ = nullptr; }
  txn& operator=(txn&& o) noexcept;
  txn(const txn&) = delete;
  txn& operator=(const txn&) = delete;
  ~txn() { abort(); }

  /// Commits (durably, unless the env was opened without sync).
  /// Errors: to_error; the transaction is gone either way.
  result<void> commit();
  /// Abandons the transaction (no-op if already finished).
  void abort() noexcept;

  [[nodiscard]] MDB_txn* get() const noexcept { return t_; }
  [[nodiscard]] const std::string& what() const noexcept { return what_; }

  /// Opens (creating with `flags & MDB_CREATE` in a write txn) a named
  /// database. Errors: to_error naming the database.
  result<MDB_dbi> open_db(const char* name, unsigned flags);

  /// Reads `key`; the view points into the map and is valid until this
  /// transaction ends (or, in a write transaction, until the next write).
  /// Errors: not_found when absent, others as to_error.
  result<std::string_view> get(MDB_dbi db, std::string_view key) const;
  /// Writes `key` = `value`. Errors: to_error (map full is `overloaded`).
  result<void> put(MDB_dbi db, std::string_view key, std::string_view value, unsigned flags = 0);
  /// Removes `key` (all its duplicates). Absent keys are not an error.
  result<void> del(MDB_dbi db, std::string_view key);

 private:
  MDB_txn* t_ = nullptr;
  std::string what_;
};

/// A cursor over one database in one transaction; closed by the destructor.
class cursor {
 public:
  static result<cursor> open(const txn& t, MDB_dbi db);

  cursor() = default;
  cursor(cursor&& o) noexcept : c_(o.c_) { o.c_ = nullptr; }
  cursor& operator=(cursor&& o) noexcept;
  cursor(const cursor&) = delete;
  cursor& operator=(const cursor&) = delete;
  ~cursor();

  /// Positions the cursor (`op` is an MDB_cursor_op) and returns whether an
  /// entry was found; key and value then view the map (valid as for
  /// txn::get). Errors other than "not found" are returned as errors.
  result<bool> move(MDB_cursor_op op, std::string_view* key, std::string_view* value,
                    std::string_view seek = {});
  /// Number of duplicates of the current key (1 for a key without any).
  result<std::size_t> count() const;
  /// Writes through the cursor (MDB_APPEND, MDB_APPENDDUP, ...).
  result<void> put(std::string_view key, std::string_view value, unsigned flags);
  /// Writes `count` duplicates of `key` in one call (MDB_MULTIPLE; the
  /// database must be MDB_DUPFIXED): `values` holds them back to back,
  /// `size` bytes each, sorted. LMDB finds the key once, not once a value.
  /// Values already stored for the key stay once (LMDB's MDB_MULTIPLE can
  /// stop early without an error, at a value already there: the rest is
  /// written by further calls).
  result<void> put_multiple(std::string_view key, std::string_view values, std::size_t size);
  [[nodiscard]] MDB_cursor* get() const noexcept { return c_; }

 private:
  MDB_cursor* c_ = nullptr;
};

/// A view of `v` as a string_view (no copy).
inline std::string_view as_view(const MDB_val& v) noexcept {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}
/// An MDB_val viewing `s` (LMDB does not modify input keys and values).
inline MDB_val as_val(std::string_view s) noexcept {
  return {s.size(), const_cast<char*>(s.data())};  // NOLINT(cppcoreguidelines-pro-type-const-cast)
}

}  // namespace coop::tm::lmdb
