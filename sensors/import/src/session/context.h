// Private: what every format parser shares while importing one input: the
// registry, the sink, the options, the summary being filled, the id
// generator and the input's name; plus the line-parser interface the
// streaming formats implement. Used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "coop/importer/importer.h"
#include "coop/model/event.h"
#include "coop/model/result.h"
#include "coop/model/schema.h"

namespace coop::importer::detail {

/// The shared state of one import call.
class context {
 public:
  context(model::registry& r, sink& s, const options& o, summary& totals,
          model::id_generator& ids)
      : reg(r), out(s), opt(o), sum(totals), ids_(ids) {}

  model::registry& reg;  ///< Catalogue plus types learnt on the way.
  sink& out;             ///< Where events and problems go.
  const options& opt;    ///< The importer's options.
  summary& sum;          ///< Filled as lines are read.
  std::string file;      ///< Name of the current input, for problems.

  /// The tally of `kind` ("zeek/dns"); the reference stays valid.
  tally& kind(std::string_view name);
  /// The event counter of type `name`; the reference stays valid.
  std::uint64_t& counter(std::string_view name);
  /// The catalogue schema `name`; never null once the importer exists.
  std::shared_ptr<const model::schema> schema(std::string_view name) const;

  /// Gives `e` a fresh id and hands it to the sink, counting it in `t` and
  /// in `type_count`. Errors: the sink's.
  model::result<void> emit(model::event& e, tally& t, std::uint64_t& type_count) {
    e.id = ids_.next();
    ++t.events;
    ++type_count;
    return out.on_event(e);
  }
  /// Reports a malformed line at `line` and counts it as skipped in `t`.
  void skip(tally& t, std::uint64_t line, std::string message);
  /// Reports a warning (nothing skipped).
  void warn(std::uint64_t line, std::string message);
  /// The clock's current time.
  [[nodiscard]] model::timestamp now() const;

 private:
  model::id_generator& ids_;
};

/// A format read line by line. `line` never contains the newline (a
/// trailing '\r' is removed before the call).
class line_parser {
 public:
  virtual ~line_parser() = default;
  /// One line, numbered from 1. Errors: only fatal ones (the sink's);
  /// malformed lines are reported through the context and skipped.
  virtual model::result<void> line(std::string_view text, std::uint64_t number) = 0;
  /// End of the input. Errors: the sink's.
  virtual model::result<void> finish() { return {}; }
};

/// Zeek logs (TSV, zeek-cut, JSON lines). `path` forces the log path
/// ("intel-input" for Intel files); empty: from the header or options.
std::unique_ptr<line_parser> make_zeek_parser(context& ctx, std::string_view path);
/// Apache access logs.
std::unique_ptr<line_parser> make_apache_parser(context& ctx);
/// syslog-style lines; sshd's become ssh_login.
std::unique_ptr<line_parser> make_sshd_parser(context& ctx);
/// Plain address lists.
std::unique_ptr<line_parser> make_iplist_parser(context& ctx);
/// A STIX 2.1 bundle held whole in `doc`.
model::result<void> import_stix(std::string_view doc, context& ctx);
/// MISP event JSON held whole in `doc`.
model::result<void> import_misp(std::string_view doc, context& ctx);

}  // namespace coop::importer::detail
