# bench/smoke: runs the benchmark on a tiny workload and checks that it exits
# 0 and prints exactly one JSON object with the keys docs/performance.md
# promises. Speed is not checked. Usage: cmake -DBENCH=<program> -P smoke_check.cmake
include(${CMAKE_CURRENT_LIST_DIR}/json_keys.cmake)
coop_run_bench_json(out --json --events 300 --iterations 1 --min-time 0)

# The keys (dotted paths), each with the JSON type it must have.
set(expected
  ratios.codec_vs_json NUMBER
  ratios.json_vs_nlohmann NUMBER
  rates.encode_per_s NUMBER
  rates.decode_per_s NUMBER
  rates.view_decode_per_s NUMBER
  rates.filter_evals_per_s NUMBER
  rates.json_encode_per_s NUMBER
  rates.json_decode_per_s NUMBER
  rates.nlohmann_roundtrip_per_s NUMBER
  events NUMBER
  machine.nproc NUMBER
  machine.cpu STRING
  checksum NUMBER)
coop_check_json_types("${out}" ${expected})

string(JSON events GET "${out}" events)
if(NOT events EQUAL 300)
  message(FATAL_ERROR "events is ${events}, expected 300")
endif()
foreach(rate encode_per_s decode_per_s filter_evals_per_s nlohmann_roundtrip_per_s)
  string(JSON v GET "${out}" rates ${rate})
  if(v LESS_EQUAL 0)
    message(FATAL_ERROR "rates.${rate} is ${v}, expected a positive number")
  endif()
endforeach()
message(STATUS "bench/smoke: the benchmark ran and printed the expected JSON")
