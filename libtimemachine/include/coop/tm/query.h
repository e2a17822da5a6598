// Queries over a store: what to look for (a filter expression, a time
// range, a limit, an order), the cursor that streams the answer, the cost
// estimate an operator sees before approving a query, counts and group-by
// aggregates. Cursors are resources: move-only, used by one thread, and
// they see a consistent store as of their creation while ingest goes on.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "coop/model/event.h"
#include "coop/model/result.h"
#include "coop/model/time.h"
#include "coop/model/value.h"
#include "coop/tm/export.h"

namespace coop::tm {

/// A half-open interval of event time [from, to).
struct time_range {
  model::timestamp from{std::numeric_limits<std::int64_t>::min()};  ///< inclusive
  model::timestamp to{std::numeric_limits<std::int64_t>::max()};    ///< exclusive
  /// True if `t` lies inside.
  [[nodiscard]] bool contains(model::timestamp t) const noexcept { return from <= t && t < to; }
};

/// Order of a query's answer, by event time.
enum class order : std::uint8_t { oldest_first, newest_first };

/// What to look for.
struct query_spec {
  std::string filter;            ///< libevent-model filter text; empty matches every event
  time_range range;              ///< event time; default: all time
  std::uint64_t limit = 0;       ///< most events returned; 0: no limit
  order sort = order::oldest_first;
  /// Also answer from aggregate tiers for time raw data no longer covers.
  /// Each answer says which resolution it came from. Default true.
  bool include_aggregates = true;
};

/// Where an answer came from: "raw" or an aggregation tier.
struct resolution {
  std::string tier = "raw";   ///< "raw", or the tier's name ("hourly")
  model::interval bucket{};   ///< 0 for raw; the aggregation bucket otherwise
  friend bool operator==(const resolution&, const resolution&) = default;
};

/// What running a query would cost, computed from catalogues and indexes
/// without reading blocks.
struct query_estimate {
  std::uint64_t partitions = 0;          ///< partitions overlapping the time range
  std::uint64_t partitions_skipped = 0;  ///< of those, excluded by summaries/indexes
  std::uint64_t blocks = 0;              ///< blocks that would be read
  /// Events that would be decoded (an upper bound of the matches): every
  /// event of those blocks, or only the records the index names when the
  /// lookup is by address or indexed string.
  std::uint64_t events_scanned = 0;
  /// Stored bytes that would be read: whole blocks, or (for a lookup by
  /// record) the share of each block its needed frames make up (estimated).
  std::uint64_t bytes_read = 0;
  bool uses_index = false;               ///< an index narrowed the blocks
  std::vector<std::string> tiers;        ///< resolutions involved ("raw", "hourly", ...)
  std::string plan;                      ///< one line a person can read
};

namespace detail {
struct cursor_state;
}

/// A streaming answer. next() returns events in the requested order until
/// the limit or the end. Blocks found damaged are skipped and reported in
/// warnings(); the rest of the answer is still delivered.
class COOP_TM_EXPORT cursor {
 public:
  cursor(cursor&&) noexcept;
  cursor& operator=(cursor&&) noexcept;
  cursor(const cursor&) = delete;
  cursor& operator=(const cursor&) = delete;
  ~cursor();

  /// The next matching event, or nullptr at the end. The pointer stays
  /// valid until the next call or the cursor's destruction.
  /// Errors: io when a partition cannot be read (the cursor then ends).
  model::result<const model::event*> next();
  /// The resolution of the event last returned by next().
  [[nodiscard]] const resolution& current_resolution() const noexcept;
  /// Problems met so far (damaged blocks skipped, with their location).
  [[nodiscard]] const std::vector<std::string>& warnings() const noexcept;
  /// Events returned so far.
  [[nodiscard]] std::uint64_t returned() const noexcept;

 private:
  friend struct detail::cursor_state;
  explicit cursor(std::unique_ptr<detail::cursor_state> s);
  std::unique_ptr<detail::cursor_state> s_;
};

/// One row of a group-by answer.
struct group_row {
  std::vector<model::value> key;  ///< values of the group-by fields (none when unset)
  std::uint64_t events = 0;       ///< raw events the group stands for
};

/// A count, split by resolution.
struct count_result {
  std::uint64_t events = 0;                                    ///< total
  std::vector<std::pair<resolution, std::uint64_t>> by_tier;   ///< per resolution
};

}  // namespace coop::tm
