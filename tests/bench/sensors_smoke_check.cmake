# bench/sensors-smoke: runs coop-bench-sensors --smoke --json (20,000
# packets, one copy of each log) and checks that it exits 0 and prints one
# JSON object with the keys docs/performance.md promises, and that every
# system did work. Speed is not checked. Without the shared data or tshark
# the benchmark prints "COOP-SKIP: ..." and this check passes that line on
# (ctest reports the test as skipped), which is why this runs the program
# itself instead of through coop_run_bench_json (that one insists on JSON).
# Usage: cmake -DBENCH=<program> -P sensors_smoke_check.cmake
if(NOT BENCH)
  message(FATAL_ERROR "set -DBENCH=<path of coop-bench-sensors>")
endif()
execute_process(
  COMMAND ${BENCH} --smoke --json
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the benchmark failed (${rc}):\n${err}\nstdout:\n${out}")
endif()
string(STRIP "${out}" out)
if(out MATCHES "^COOP-SKIP:")
  message(STATUS "${out}")
  return()
endif()
string(JSON type ERROR_VARIABLE bad TYPE "${out}")
if(bad OR NOT type STREQUAL "OBJECT")
  message(FATAL_ERROR "stdout is not one JSON object (type ${type}, ${bad}):\n${out}")
endif()

set(expected
  rates.packets_per_s NUMBER
  rates.tshark_packets_per_s NUMBER
  rates.zeek_tsv_lines_per_s NUMBER
  rates.apache_lines_per_s NUMBER
  rates.zeek_tsv_awk_lines_per_s NUMBER
  rates.apache_awk_lines_per_s NUMBER
  rates.zeek_tsv_split_lines_per_s NUMBER
  rates.apache_split_lines_per_s NUMBER
  ratios.sensor_vs_tshark NUMBER
  ratios.zeek_tsv_vs_awk NUMBER
  ratios.apache_vs_awk NUMBER
  capture.packets NUMBER
  capture.how STRING
  sensor.stats.connections NUMBER
  tshark.command STRING
  tshark.output.rows NUMBER
  importers.zeek_tsv.lines NUMBER
  importers.apache.importer.events NUMBER
  targets.packets_per_s.met BOOLEAN
  targets.zeek_tsv_lines_per_s.met BOOLEAN
  targets.apache_lines_per_s.met BOOLEAN
  machine.cpu STRING
  machine.build_type STRING)
include(${CMAKE_CURRENT_LIST_DIR}/json_keys.cmake)
coop_check_json_types("${out}" ${expected})

string(JSON packets GET "${out}" capture packets)
string(JSON rows GET "${out}" tshark output rows)
if(packets LESS_EQUAL 0 OR NOT rows EQUAL packets)
  message(FATAL_ERROR "tshark printed ${rows} rows for ${packets} packets:\n${out}")
endif()
foreach(rate packets_per_s tshark_packets_per_s zeek_tsv_lines_per_s apache_lines_per_s)
  string(JSON v GET "${out}" rates ${rate})
  if(v LESS_EQUAL 0)
    message(FATAL_ERROR "rates.${rate} is ${v}, expected a positive number:\n${out}")
  endif()
endforeach()
foreach(log zeek_tsv apache)
  string(JSON events GET "${out}" importers ${log} importer events)
  if(events LESS_EQUAL 0)
    message(FATAL_ERROR "the ${log} importer produced no event:\n${out}")
  endif()
endforeach()
message(STATUS "bench/sensors-smoke: the benchmark ran and printed the expected JSON")
