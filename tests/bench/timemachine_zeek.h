// The size reference: the same events written as Zeek would have logged
// them, in Zeek's TSV format (conn.log, dns.log, http.log with their
// #-headers), using libevent-model's documented column mapping
// (zeek_columns()). A Zeek dns.log row holds a query and its answer, so a
// dns_request and the dns_reply with its uid become one row; an http.log
// row holds request and reply, so the reply's columns are unset (-) here.
// Used by one thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "coop/model/event.h"
#include "coop/model/schema.h"

namespace coop::bench::tm {

class zeek_tsv_writer {
 public:
  /// Creates conn.log, dns.log and http.log in `dir` (created if needed).
  zeek_tsv_writer(const std::filesystem::path& dir, const model::registry& types);
  ~zeek_tsv_writer();
  zeek_tsv_writer(const zeek_tsv_writer&) = delete;
  zeek_tsv_writer& operator=(const zeek_tsv_writer&) = delete;

  /// Logs `events` (connection_end, dns_request, dns_reply, http_request).
  void write(std::span<const model::event> events);
  /// Writes what is pending and the #close lines, and closes the files.
  void finish();
  /// Total bytes of the three files (after finish()).
  [[nodiscard]] std::uint64_t bytes() const;
  /// Rows written.
  [[nodiscard]] std::uint64_t rows() const noexcept { return rows_; }

 private:
  struct source {
    std::string event;  // catalogue type
    std::size_t field = 0;
  };
  struct column {
    std::string name;
    enum { envelope_ts, envelope_uid, transport, field, dropped } what = dropped;
    std::vector<source> sources;  // for field: where the value comes from
  };
  struct log_file {
    std::string path;
    std::FILE* f = nullptr;
    std::vector<column> columns;
    std::string buffer;
  };
  void open_log(log_file& log, const std::string& name, const model::registry& types);
  void row(log_file& log, const model::event* a, const model::event* b);
  void flush(log_file& log, bool force);

  std::filesystem::path dir_;
  log_file conn_, dns_, http_;
  std::vector<model::event> pending_dns_;  // requests waiting for their reply
  std::uint64_t rows_ = 0;
  std::string open_time_;
};

}  // namespace coop::bench::tm
