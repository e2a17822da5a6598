// Writing a query's answer: events streamed from a cursor as JSON lines, a
// text table, a pcap capture or a Cap'n Proto event stream.
#pragma once

#include <filesystem>
#include <iosfwd>

#include "coop/tm/query.h"

namespace coop::cli {

/// How `coop-tm query` writes the events it finds.
enum class answer_format { jsonl, table, pcap, capnp };

/// Streams every event of `c` to `out` in `f`; `out_path` names the output
/// in messages ("-" for stdout). Prints the cursor's warnings to stderr and
/// returns the exit code. pcap writes only `packet` events.
int write_answer(tm::cursor& c, answer_format f, std::ostream& out,
                 const std::filesystem::path& out_path);

}  // namespace coop::cli
