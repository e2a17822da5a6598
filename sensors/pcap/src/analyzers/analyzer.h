// Internal: the interface between the connection tracker and application
// analyzers. The tracker hands an analyzer in-order payload per direction
// (TCP after reassembly, UDP per datagram); the analyzer builds catalogue
// events through an `emit_context` that knows the connection's addresses,
// uid and the schemas. Single-threaded; an analyzer belongs to one conn.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "coop/model/event.h"
#include "flow/conn.h"

namespace coop::sensor::detail {

/// What an analyzer needs to produce events for one connection.
class emit_context {
 public:
  virtual ~emit_context() = default;
  /// A new event of catalogue type `type` with ts, uid, origin and the
  /// connection's four address fields filled in (fields the type lacks are
  /// skipped; `swap` exchanges originator and responder, for analyzers that
  /// find the roles reversed). nullptr if the registry lacks the type.
  virtual model::event* make(std::string_view type, const conn& c, std::int64_t ts_ns,
                             bool swap = false) = 0;
  /// Hands the event made last by make() to the sink.
  virtual void emit() = 0;
};

/// Sets field `name` if the event's type has it (ignoring type mismatches,
/// which would be a bug caught by the tests' validate()).
void set_field(model::event& e, std::string_view name, model::value v);

/// An application analyzer attached to one connection.
class app_analyzer {
 public:
  virtual ~app_analyzer() = default;
  /// In-order payload from the originator (is_orig) or responder.
  virtual void data(emit_context& out, const conn& c, bool is_orig, std::span<const std::uint8_t> d,
                    std::int64_t ts_ns) = 0;
  /// Bytes were lost in direction is_orig (capture gap).
  virtual void gap(emit_context& out, const conn& c, bool is_orig) {
    (void)out, (void)c, (void)is_orig;
  }
  /// The connection ended: emit whatever is pending.
  virtual void end(emit_context& out, const conn& c, std::int64_t ts_ns) {
    (void)out, (void)c, (void)ts_ns;
  }
  /// Zeek's service name ("dns", "http", ...), or "" if not confirmed.
  [[nodiscard]] virtual std::string_view service() const = 0;
};

/// Picks an analyzer for a connection from its first payload bytes (by
/// content; the port only breaks ties). `orig` and `resp` hold what each
/// side sent so far (either may be empty); `is_orig` says which one just
/// grew. Returns nullptr when nothing matches yet; `done` is set when no
/// analyzer will ever match (stop trying).
std::unique_ptr<app_analyzer> detect(const conn& c, bool is_orig,
                                     std::span<const std::uint8_t> orig,
                                     std::span<const std::uint8_t> resp, std::uint32_t enabled,
                                     bool& done);

}  // namespace coop::sensor::detail
