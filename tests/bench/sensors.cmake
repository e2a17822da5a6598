# coop-bench-sensors: the packet sensor (coop_sensor) over a large capture
# replayed from the shared pcaps, against tshark extracting the same fields
# in the same run, and the Zeek TSV and Apache importers (coop_import)
# against awk and an in-process line split. Included by
# tests/bench/CMakeLists.txt. Needs the shared data and tshark at run time
# only; without them it prints "COOP-SKIP:" and exits 0.
find_package(ZLIB REQUIRED)

add_executable(coop-bench-sensors
  sensors_bench.cc
  sensors_import.cc
  sensors_measure.cc
  machine_info.cc
  sensors_replay.cc
  sensors_tshark.cc)
target_link_libraries(coop-bench-sensors PRIVATE
  coop_sensor coop_import coop::eventmodel ZLIB::ZLIB nlohmann_json::nlohmann_json)
target_compile_definitions(coop-bench-sensors PRIVATE
  COOP_BENCH_BUILD_TYPE="$<CONFIG>"
  COOP_BENCH_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
coop_warnings(coop-bench-sensors)

# 20,000 packets, one copy of each log, one repetition: a few seconds, even
# in Debug. Skipped (COOP-SKIP:) without the shared data or tshark.
add_test(NAME bench/sensors-smoke
  COMMAND ${CMAKE_COMMAND}
    -DBENCH=$<TARGET_FILE:coop-bench-sensors>
    -P ${CMAKE_CURRENT_SOURCE_DIR}/sensors_smoke_check.cmake)
set_tests_properties(bench/sensors-smoke PROPERTIES
  TIMEOUT 180
  SKIP_REGULAR_EXPRESSION "COOP-SKIP:")
