# coop-bench-coopcomm: libcoopcomm publish/subscribe over mutual TLS 1.3 on
# loopback against NATS with TLS (a nats-server child process and the libnats
# C client) and ZeroMQ PUB/SUB in plain TCP, in the same run. The two
# alternatives are linked only here. Included by tests/bench/CMakeLists.txt.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBNATS REQUIRED IMPORTED_TARGET libnats)
pkg_check_modules(LIBZMQ REQUIRED IMPORTED_TARGET libzmq)

add_executable(coop-bench-coopcomm
  coopcomm_bench.cc
  coopcomm_coop.cc
  coopcomm_measure.cc
  machine_info.cc
  coopcomm_nats.cc
  coopcomm_zmq.cc)
target_link_libraries(coop-bench-coopcomm PRIVATE
  coop::coopcomm PkgConfig::LIBNATS PkgConfig::LIBZMQ nlohmann_json::nlohmann_json)
target_compile_definitions(coop-bench-coopcomm PRIVATE
  COOP_BENCH_BUILD_TYPE="$<CONFIG>")
coop_warnings(coop-bench-coopcomm)

# A few thousand messages per system and half a second of paced latency:
# a few seconds, even in Debug. Needs nats-server (Debian package).
add_test(NAME bench/coopcomm-smoke
  COMMAND ${CMAKE_COMMAND}
    -DBENCH=$<TARGET_FILE:coop-bench-coopcomm>
    -P ${CMAKE_CURRENT_SOURCE_DIR}/coopcomm_smoke_check.cmake)
set_tests_properties(bench/coopcomm-smoke PROPERTIES TIMEOUT 180)
