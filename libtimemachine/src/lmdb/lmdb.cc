#include "lmdb/lmdb.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace coop::tm::lmdb {

error to_error(int rc, std::string_view what) {
  std::string where(what);
  switch (rc) {
    case MDB_MAP_FULL:
      return {errc::overloaded, where + ": map full (the partition reached its size limit)"};
    case ENOSPC:
    case EDQUOT:
    case EFBIG:  // RLIMIT_FSIZE or the file system's largest file
      return {errc::io, where + ": disk full (" + std::strerror(rc) + "); nothing was written"};
    case EIO:
      // LMDB reports a short write, the usual sign of a full disk, as EIO.
      return {errc::io, where + ": write failed with an I/O error (disk full or failing; "
                                "LMDB reports a short write as EIO); nothing was written"};
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
      return {errc::corruption, where + ": " + mdb_strerror(rc)};
    case MDB_VERSION_MISMATCH:
      return {errc::incompatible, where + ": " + mdb_strerror(rc)};
    case MDB_NOTFOUND:
      return {errc::not_found, where + ": not found"};
    case MDB_READERS_FULL:
    case MDB_TXN_FULL:
    case MDB_DBS_FULL:
      return {errc::overloaded, where + ": " + mdb_strerror(rc)};
    default:
      return {errc::io, where + ": " + mdb_strerror(rc)};
  }
}

result<env> env::open(const std::filesystem::path& dir, const options& opts) {
  std::error_code ec;
  if (opts.create) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return error{errc::io, dir.string() + ": cannot create directory: " + ec.message()};
  }
  env e;
  e.dir_ = dir;
  int rc = mdb_env_create(&e.e_);
  if (rc != 0) return to_error(rc, dir.string());
  if ((rc = mdb_env_set_maxdbs(e.e_, opts.max_dbs)) != 0) return to_error(rc, dir.string());
  if ((rc = mdb_env_set_mapsize(e.e_, opts.map_size)) != 0) return to_error(rc, dir.string());
  unsigned flags = MDB_NOTLS;
  if (opts.read_only) flags |= MDB_RDONLY;
  rc = mdb_env_open(e.e_, dir.c_str(), flags, 0644);
  if (rc != 0) return to_error(rc, dir.string());
  return e;
}

env& env::operator=(env&& o) noexcept {
  if (this != &o) {
    if (e_ != nullptr) mdb_env_close(e_);
    e_ = o.e_;
    dir_ = std::move(o.dir_);
    o.e_ = nullptr;
  }
  return *this;
}

env::~env() {
  if (e_ != nullptr) mdb_env_close(e_);
}

std::uint64_t env::file_bytes() const {
  struct stat st {};
  if (::stat((dir_ / "data.mdb").c_str(), &st) != 0) return 0;
  // Blocks actually allocated: the map may be sparse.
  return static_cast<std::uint64_t>(st.st_blocks) * 512;
}

result<void> env::sync() {
  int rc = mdb_env_sync(e_, 1);
  if (rc != 0) return to_error(rc, dir_.string());
  return {};
}

result<txn> txn::begin(const env& e, bool write) {
  txn t;
  t.what_ = e.dir().string();
  int rc = mdb_txn_begin(e.get(), nullptr, write ? 0 : MDB_RDONLY, &t.t_);
  if (rc != 0) {
    t.t_ = nullptr;
    return to_error(rc, t.what_);
  }
  return t;
}

txn& txn::operator=(txn&& o) noexcept {
  if (this != &o) {
    abort();
    t_ = o.t_;
    what_ = std::move(o.what_);
    o.t_ = nullptr;
  }
  return *this;
}

result<void> txn::commit() {
  MDB_txn* t = t_;
  t_ = nullptr;
  int rc = mdb_txn_commit(t);
  if (rc != 0) return to_error(rc, what_);
  return {};
}

void txn::abort() noexcept {
  if (t_ != nullptr) mdb_txn_abort(t_);
  t_ = nullptr;
}

result<MDB_dbi> txn::open_db(const char* name, unsigned flags) {
  MDB_dbi dbi = 0;
  int rc = mdb_dbi_open(t_, name, flags, &dbi);
  if (rc != 0) return to_error(rc, what_ + " database '" + name + "'");
  return dbi;
}

result<std::string_view> txn::get(MDB_dbi db, std::string_view key) const {
  MDB_val k = as_val(key);
  MDB_val v{};
  int rc = mdb_get(t_, db, &k, &v);
  if (rc != 0) return to_error(rc, what_);
  return as_view(v);
}

result<void> txn::put(MDB_dbi db, std::string_view key, std::string_view value, unsigned flags) {
  MDB_val k = as_val(key);
  MDB_val v = as_val(value);
  int rc = mdb_put(t_, db, &k, &v, flags);
  if (rc != 0) return to_error(rc, what_);
  return {};
}

result<void> txn::del(MDB_dbi db, std::string_view key) {
  MDB_val k = as_val(key);
  int rc = mdb_del(t_, db, &k, nullptr);
  if (rc != 0 && rc != MDB_NOTFOUND) return to_error(rc, what_);
  return {};
}

result<cursor> cursor::open(const txn& t, MDB_dbi db) {
  cursor c;
  int rc = mdb_cursor_open(t.get(), db, &c.c_);
  if (rc != 0) {
    c.c_ = nullptr;
    return to_error(rc, t.what());
  }
  return c;
}

cursor& cursor::operator=(cursor&& o) noexcept {
  if (this != &o) {
    if (c_ != nullptr) mdb_cursor_close(c_);
    c_ = o.c_;
    o.c_ = nullptr;
  }
  return *this;
}

cursor::~cursor() {
  if (c_ != nullptr) mdb_cursor_close(c_);
}

result<bool> cursor::move(MDB_cursor_op op, std::string_view* key, std::string_view* value,
                          std::string_view seek) {
  MDB_val k = as_val(seek);
  MDB_val v{};
  int rc = mdb_cursor_get(c_, &k, &v, op);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0) return to_error(rc, "cursor");
  if (key != nullptr) *key = as_view(k);
  if (value != nullptr) *value = as_view(v);
  return true;
}

result<std::size_t> cursor::count() const {
  std::size_t n = 0;
  int rc = mdb_cursor_count(c_, &n);
  if (rc != 0) return to_error(rc, "cursor count");
  return static_cast<std::size_t>(n);
}

result<void> cursor::put(std::string_view key, std::string_view value, unsigned flags) {
  MDB_val k = as_val(key);
  MDB_val v = as_val(value);
  int rc = mdb_cursor_put(c_, &k, &v, flags);
  if (rc != 0) return to_error(rc, "cursor put");
  return {};
}

result<void> cursor::put_multiple(std::string_view key, std::string_view values,
                                  std::size_t size) {
  if (size == 0 || values.size() % size != 0) {
    return model::error{model::errc::invalid_argument,
                        "cursor put: " + std::to_string(values.size()) +
                            " bytes are not a whole number of " + std::to_string(size) +
                            "-byte values"};
  }
  // LMDB reports in v[1] how many values it wrote, which can be fewer than
  // asked without an error: when the key holds exactly one value and it
  // equals the first one given, LMDB 0.9.24 rewrites that value and stops
  // (0 written). So: go on from the first value not written, stepping over
  // one that was already there.
  MDB_val k = as_val(key);
  std::size_t done = 0;
  const std::size_t count = values.size() / size;
  while (done < count) {
    MDB_val v[2];
    v[0] = {size, const_cast<char*>(values.data() + done * size)};  // NOLINT(cppcoreguidelines-pro-type-const-cast)
    v[1] = {count - done, nullptr};
    int rc = mdb_cursor_put(c_, &k, v, MDB_MULTIPLE);
    if (rc != 0) return to_error(rc, "cursor put");
    done += v[1].mv_size == 0 ? 1 : v[1].mv_size;
  }
  return {};
}

}  // namespace coop::tm::lmdb
