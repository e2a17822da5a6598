# bench/timemachine-smoke: runs coop-bench-timemachine on a tiny workload
# (--smoke) and checks that it exits 0 (so Coop and SQLite agreed on every
# lookup) and prints one JSON object with the keys docs/performance.md
# promises. Speed is not checked.
# Usage: cmake -DBENCH=<program> -P timemachine_smoke_check.cmake
include(${CMAKE_CURRENT_LIST_DIR}/json_keys.cmake)
coop_run_bench_json(out --quick --smoke --json)

# The keys (dotted paths), each with the JSON type it must have.
set(expected
  ratios.ingest_vs_sqlite NUMBER
  ratios.lookup_vs_sqlite NUMBER
  ratios.bytes_vs_zeek_tsv NUMBER
  ratios.retention_vs_discard NUMBER
  rates.ingest_events_per_s NUMBER
  rates.ingest_events_per_cpu_s NUMBER
  rates.sqlite_ingest_rows_per_s NUMBER
  latency_ms.host_lookup_p50 NUMBER
  latency_ms.host_lookup_p99 NUMBER
  latency_ms.sqlite_host_lookup_p50 NUMBER
  sizes.coop_bytes_per_event NUMBER
  sizes.coop_sealed_bytes_per_event NUMBER
  latency_ms.host_lookup_sealed_p50 NUMBER
  sizes.zeek_tsv_bytes_per_event NUMBER
  events.stored NUMBER
  lookups.mismatches NUMBER
  retention.aggregation.days_answerable NUMBER
  retention.discard.days_answerable NUMBER
  retention.ratio_capped_by_days BOOLEAN
  machine.cpu STRING
  targets OBJECT)
coop_check_json_types("${out}" ${expected})

string(JSON stored GET "${out}" events stored)
if(NOT stored EQUAL 20000)
  message(FATAL_ERROR "events.stored is ${stored}, expected the 20000 events of --smoke")
endif()
string(JSON mismatches GET "${out}" lookups mismatches)
if(NOT mismatches EQUAL 0)
  message(FATAL_ERROR "${mismatches} lookups returned different counts from Coop and SQLite")
endif()
foreach(rate ingest_events_per_s sqlite_ingest_rows_per_s)
  string(JSON v GET "${out}" rates ${rate})
  if(v LESS_EQUAL 0)
    message(FATAL_ERROR "rates.${rate} is ${v}, expected a positive number")
  endif()
endforeach()
string(JSON days GET "${out}" retention aggregation days_answerable)
if(days LESS_EQUAL 0)
  message(FATAL_ERROR "the aggregating store answers for ${days} days, expected some")
endif()
message(STATUS "bench/timemachine-smoke: the benchmark ran and printed the expected JSON")
