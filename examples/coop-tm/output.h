// coop-tm's output helpers: sizes and times for people, JSON strings, and
// aligned text tables. Single-threaded values.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "coop/model/time.h"
#include "coop/model/value.h"

namespace coop::cli {

/// "1.5 MiB", "812 B".
std::string human_bytes(std::uint64_t n);
/// RFC 3339 in UTC, with microseconds unless the time needs nanoseconds.
std::string show_time(model::timestamp t);
/// `v` in Zeek notation for a table cell: "-" for none, "(empty)" for "",
/// "(N bytes)" for bytes; cut to 80 characters ending "...".
std::string show_value(const model::value& v);
/// Appends `s` as a JSON string (quoted and escaped) to `out`.
void append_json_string(std::string& out, std::string_view s);
/// Appends `v` as JSON: a number for count and int, a bool for bool, null
/// for none, a string in Zeek notation otherwise.
void append_json_value(std::string& out, const model::value& v);

/// A text table whose columns are as wide as their widest cell.
class text_table {
 public:
  /// A table with these column headers.
  explicit text_table(std::vector<std::string> headers) : rows_{std::move(headers)} {}
  /// Adds a row (missing cells are empty; extra ones ignored).
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  /// Rows added so far, header excluded.
  [[nodiscard]] std::size_t size() const noexcept { return rows_.size() - 1; }
  /// Writes the header and the rows, two spaces between columns, the last
  /// column unpadded; then forgets the rows (the header stays, so a long
  /// answer can be printed in chunks). `with_header` prints the header.
  void print(std::ostream& out, bool with_header = true);

 private:
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
  std::vector<std::size_t> widths_;             // grows across print() calls
};

}  // namespace coop::cli
