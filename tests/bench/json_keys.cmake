# coop_check_json_types(<json> <key> <TYPE> [<key> <TYPE> ...]): fails the
# script, quoting the JSON, unless every dotted <key> exists in <json> with
# the string(JSON ... TYPE) <TYPE>. Shared by the benchmarks' smoke checks.
function(coop_check_json_types out)
  set(expected ${ARGN})
  list(LENGTH expected n)
  math(EXPR last "${n} - 1")
  foreach(i RANGE 0 ${last} 2)
    math(EXPR j "${i} + 1")
    list(GET expected ${i} shown)
    list(GET expected ${j} want)
    string(REPLACE "." ";" path "${shown}")
    string(JSON got ERROR_VARIABLE missing TYPE "${out}" ${path})
    if(missing)
      message(FATAL_ERROR "key ${shown} missing from the JSON output:\n${out}")
    endif()
    if(NOT got STREQUAL want)
      message(FATAL_ERROR "key ${shown} is ${got}, expected ${want}:\n${out}")
    endif()
  endforeach()
endfunction()

# coop_run_bench_json(<out-var> <arg>...): runs ${BENCH} with the arguments,
# fails the script with its output unless it exits 0 and prints exactly one
# JSON object on stdout, and stores that object in <out-var>.
function(coop_run_bench_json out_var)
  if(NOT BENCH)
    message(FATAL_ERROR "set -DBENCH=<path of the benchmark program>")
  endif()
  execute_process(
    COMMAND ${BENCH} ${ARGN}
    OUTPUT_VARIABLE out
    ERROR_VARIABLE err
    RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the benchmark failed (${rc}):\n${err}\nstdout:\n${out}")
  endif()
  string(STRIP "${out}" out)
  string(JSON type ERROR_VARIABLE bad TYPE "${out}")
  if(bad OR NOT type STREQUAL "OBJECT")
    message(FATAL_ERROR "stdout is not one JSON object (type ${type}, ${bad}):\n${out}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()
