# bench/coopcomm-smoke: runs coop-bench-coopcomm --smoke --json (a few
# thousand messages per system) and checks that it exits 0 and prints one
# JSON object with the keys docs/performance.md promises, and that each
# system delivered messages. Speed is not checked.
# Usage: cmake -DBENCH=<program> -P coopcomm_smoke_check.cmake
include(${CMAKE_CURRENT_LIST_DIR}/json_keys.cmake)
coop_run_bench_json(out --smoke --json)

set(expected
  rates.msgs_per_s_128 NUMBER
  rates.msgs_per_s_1k NUMBER
  rates.nats_tls_msgs_per_s_128 NUMBER
  rates.nats_tls_msgs_per_s_1k NUMBER
  rates.zmq_msgs_per_s_128 NUMBER
  rates.zmq_msgs_per_s_1k NUMBER
  latency_us.p50 NUMBER
  latency_us.p99 NUMBER
  latency_us.p999 NUMBER
  latency_us.rate_msgs_per_s NUMBER
  latency_us.nats_tls_p99 NUMBER
  latency_us.zmq_p99 NUMBER
  ratios.throughput_vs_nats_tls_128 NUMBER
  ratios.throughput_vs_nats_tls_1k NUMBER
  ratios.throughput_vs_zmq_128 NUMBER
  systems.coop.throughput_128.system.dropped_overflow NUMBER
  systems.coop.throughput_128.lost NUMBER
  systems.nats_tls.throughput_128.delivered NUMBER
  transports.coop STRING
  transports.nats_tls STRING
  transports.zmq_plain STRING
  machine.cpu STRING
  machine.build_type STRING
  targets.throughput_vs_nats_tls_128.met BOOLEAN
  targets.latency_p99_at_half_load.met BOOLEAN)
coop_check_json_types("${out}" ${expected})

foreach(system coop nats_tls zmq_plain)
  foreach(phase throughput_128 throughput_1k latency)
    string(JSON n GET "${out}" systems ${system} ${phase} delivered)
    if(n LESS_EQUAL 0)
      message(FATAL_ERROR "${system}: no message delivered in the ${phase} phase:\n${out}")
    endif()
  endforeach()
endforeach()
message(STATUS "bench/coopcomm-smoke: the benchmark ran and printed the expected JSON")
