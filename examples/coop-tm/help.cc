// The help texts of coop-tm.
#include "cli.h"

namespace coop::cli {

namespace {

constexpr std::string_view overview =
    R"(coop-tm: record, query and expire events in a time machine store

usage: coop-tm COMMAND --store DIR [OPTIONS]

commands:
  init     create a store (optionally with rules and a disk budget)
  ingest   read events (JSON lines, Cap'n Proto or Zeek logs) into the store
  query    find events: as JSON lines, a table, pcap; or count, group, estimate
  stats    size, events and age per storage class and tier
  expire   run one expiry pass (aggregate old data, drop what is past its tiers)
  pin      keep a host, subnet or time range raw for an incident
  unpin    remove a pin
  pins     list the pins
  rules    print the rules, or set them from a file
  verify   read every block and report damage
  help     this text, or `coop-tm help COMMAND`

Times are epoch seconds (1521911720.865716) or RFC 3339 (2018-03-24T17:15:20Z).
Exit codes: 0 success, 1 failure or problems found, 2 wrong command line.
)";

constexpr std::string_view init_help =
    R"(usage: coop-tm init --store DIR [--rules FILE] [--budget SIZE]

Creates a time machine store in DIR, which must not hold one yet. The store
knows every event type of the standard catalogue.
  --rules FILE   volume-reduction rules, classes and tiers (docs/timemachine.md);
                 checked before the store is created, errors say FILE:LINE:COL
  --budget SIZE  disk budget for the whole store (e.g. 20GiB, 500MB); when it
                 would be exceeded, old data is aggregated early, then dropped
)";

constexpr std::string_view ingest_help =
    R"(usage: coop-tm ingest --store DIR [--format jsonl|capnp|zeek] [--quiet] [FILE...|-]

Reads events from the files (or standard input) into the store, in batches of
4096, and commits at the end. The format is guessed from the extension
(.jsonl/.json: JSON lines, .capnp/.events: Cap'n Proto event stream,
.log/.log.gz: Zeek log) or the first byte ('#': a Zeek TSV header) unless
--format says it. Zeek logs (TSV, zeek-cut -m output, JSON lines; gzip too)
become catalogue events (conn.log: connection_end, dns.log: dns_request and
dns_reply, ...) or zeek.<path> events for other logs, as `coop-import` makes
them (docs/importers.md). A bad record is reported with its place (FILE:LINE
for JSON lines and Zeek logs, byte offset for Cap'n Proto), skipped and
counted; the exit code is then 1. Progress goes to stderr every second (--quiet: none).
Ctrl-C stops reading and commits what was read.
)";

constexpr std::string_view query_help =
    R"(usage: coop-tm query --store DIR [--filter EXPR] [--from T] [--to T] [--limit N]
                     [--newest-first] [--raw-only] [--format jsonl|table|pcap|capnp]
                     [--out FILE] [--estimate | --count | --group-by F1,F2,...]

Finds events in [--from, --to) matching the filter (docs/filter.md), e.g.
  --filter 'orig_h == 10.47.1.100'   --filter 'type == dns_request && query ~ /google/'
  --format jsonl   one event per line (default); answers from an aggregation
                   tier carry "_resolution" and "_bucket" (seconds)
  --format table   aligned columns ts, type, uid and the fields
  --format pcap    the packet events as a capture file (needs --out FILE or a pipe)
  --format capnp   a Cap'n Proto event stream, which `ingest` reads back
  --estimate       what the query would read (plan, partitions, blocks, bytes),
                   without running it
  --count          how many events match, per resolution
  --group-by F,..  matching events counted by the values of fields F,...
  --raw-only       leave aggregation tiers out
Damaged blocks are skipped with a warning on stderr.
)";

constexpr std::string_view stats_help = R"(usage: coop-tm stats --store DIR [--json]

Per storage class and tier: partitions, bytes on disk, events (for aggregates,
the events their rows stand for), stored rows and the oldest event time; the
totals; and problems found when the store was opened.
)";

constexpr std::string_view expire_help = R"(usage: coop-tm expire --store DIR

Runs one expiry pass: partitions older than their tier's age are aggregated
into the next tier, data past the last tier is dropped, and the disk budget is
enforced. Pinned data stays raw. Ctrl-C stops it safely; run it again to finish.
)";

constexpr std::string_view pin_help =
    R"(usage: coop-tm pin --store DIR [--host ADDR|SUBNET] [--from T] [--to T] --reason TEXT

Keeps matching events raw whatever the tiers say, until `coop-tm unpin`.
Give a host or subnet, a time range, or both. Prints the pin's id.
)";

constexpr std::string_view unpin_help = R"(usage: coop-tm unpin --store DIR ID

Removes pin ID (see `coop-tm pins`).
)";

constexpr std::string_view pins_help = R"(usage: coop-tm pins --store DIR

Lists the pins in force: id, hosts, time range, reason.
)";

constexpr std::string_view rules_help = R"(usage: coop-tm rules --store DIR [--set FILE]

Prints the rules in force, or replaces them with those in FILE (checked first;
errors say FILE:LINE:COL). The format is described in docs/timemachine.md.
)";

constexpr std::string_view verify_help = R"(usage: coop-tm verify --store DIR

Reads every block of every partition, checks checksums and decoding, and lists
each problem with its location. Exit code 1 when there is any.
)";

}  // namespace

std::string_view help_text(std::string_view command) {
  if (command == "init") return init_help;
  if (command == "ingest") return ingest_help;
  if (command == "query") return query_help;
  if (command == "stats") return stats_help;
  if (command == "expire") return expire_help;
  if (command == "pin") return pin_help;
  if (command == "unpin") return unpin_help;
  if (command == "pins") return pins_help;
  if (command == "rules") return rules_help;
  if (command == "verify") return verify_help;
  return overview;
}

}  // namespace coop::cli
