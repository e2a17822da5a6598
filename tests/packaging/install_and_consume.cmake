# Run by ctest (see CMakeLists.txt) as `cmake -D... -P install_and_consume.cmake`.
# Every step prints what it does; the first failure ends the test.
cmake_minimum_required(VERSION 3.25)

set(prefix ${COOP_WORK_DIR}/prefix)
set(libdir ${prefix}/${COOP_LIBDIR})
file(REMOVE_RECURSE ${COOP_WORK_DIR})
file(MAKE_DIRECTORY ${COOP_WORK_DIR})

function(step what)
  message(STATUS "packaging: ${what}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "packaging: ${what} failed (${rc}):\n${out}")
  endif()
  if(what MATCHES "^run ")
    message(STATUS "packaging: ${out}")
  endif()
endfunction()

# A configure of the consumer that must fail, with `expected` in its output.
function(refused what expected)
  message(STATUS "packaging: ${what}")
  string(MAKE_C_IDENTIFIER "${what}" dir)
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${COOP_CONSUMER_DIR}
                    -B ${COOP_WORK_DIR}/refused-${dir} ${consumer_args} ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0)
    message(FATAL_ERROR "packaging: ${what}: configure succeeded but should fail:\n${out}")
  endif()
  # CMake wraps its messages: compare with all whitespace runs as one space.
  string(REGEX REPLACE "[ \t\r\n]+" " " flat "${out}")
  string(FIND "${flat}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "packaging: ${what}: output lacks '${expected}':\n${out}")
  endif()
endfunction()

step("install the build tree into ${prefix}"
     ${CMAKE_COMMAND} --install ${COOP_BUILD_DIR} --prefix ${prefix})
foreach(f include/coop/model/event.h ${COOP_LIBDIR}/cmake/Coop/CoopConfig.cmake
          ${COOP_LIBDIR}/cmake/Coop/CoopConfigVersion.cmake
          ${COOP_LIBDIR}/pkgconfig/coop-eventmodel.pc include/coop/tm/store.h
          ${COOP_LIBDIR}/pkgconfig/coop-timemachine.pc include/coop/comm/node.h
          ${COOP_LIBDIR}/pkgconfig/coop-coopcomm.pc)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "packaging: ${f} was not installed")
  endif()
endforeach()

# Symbols are hidden by default: the shared library must not export the
# dependencies it links privately (Cap'n Proto, KJ, RE2).
if(NOT COOP_STATIC AND COOP_NM)
  foreach(lib eventmodel timemachine coopcomm)
    file(GLOB solib ${libdir}/libcoop-${lib}.so.*.*.*)
    execute_process(COMMAND ${COOP_NM} -D -C --defined-only ${solib}
                    RESULT_VARIABLE rc OUTPUT_VARIABLE syms ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "packaging: nm ${solib} failed:\n${err}")
    endif()
    string(REGEX MATCHALL "[^\n]* ((kj|capnp|re2|boost)::|mdb_|ZSTD_|coop::tm::detail::|coop::comm::(session|envelope|crypto|state|wire))[^\n]*" leaked
           "${syms}")
    if(leaked)
      list(JOIN leaked "\n" leaked)
      message(FATAL_ERROR "packaging: libcoop-${lib} exports private symbols:\n${leaked}")
    endif()
    message(STATUS "packaging: no private or third-party symbol exported by ${solib}")
  endforeach()
endif()

# Only the installed tree may be found: no package registry, no build tree.
set(consumer_args -G ${COOP_GENERATOR}
    -DCMAKE_BUILD_TYPE=${COOP_BUILD_TYPE}
    -DCMAKE_CXX_COMPILER=${COOP_CXX_COMPILER}
    -DCMAKE_C_COMPILER=${COOP_C_COMPILER}
    -DCMAKE_PREFIX_PATH=${prefix}
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)

# 1. find_package(Coop 0.1 CONFIG REQUIRED COMPONENTS eventmodel)
set(build ${COOP_WORK_DIR}/find-package)
step("configure the consumer with find_package"
     ${CMAKE_COMMAND} -S ${COOP_CONSUMER_DIR} -B ${build} ${consumer_args})
file(STRINGS ${build}/CMakeCache.txt coop_dir REGEX "^Coop_DIR:")
if(NOT coop_dir STREQUAL "Coop_DIR:PATH=${libdir}/cmake/Coop")
  message(FATAL_ERROR "packaging: found Coop outside the prefix: ${coop_dir}")
endif()
step("build the consumer" ${CMAKE_COMMAND} --build ${build})
step("run the find_package consumer" ${build}/coop-consumer)

# 2. pkg-config
set(pkg_env PKG_CONFIG_PATH=${libdir}/pkgconfig)
set(pkg_args --cflags --libs)
if(COOP_STATIC)
  list(APPEND pkg_args --static)
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env ${pkg_env} ${COOP_PKG_CONFIG} ${pkg_args} coop-timemachine coop-coopcomm
  RESULT_VARIABLE rc OUTPUT_VARIABLE flags ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "packaging: pkg-config coop-timemachine failed:\n${err}")
endif()
message(STATUS "packaging: pkg-config gives: ${flags}")
separate_arguments(flags UNIX_COMMAND "${flags}")
step("compile the consumer with pkg-config flags"
     ${COOP_CXX_COMPILER} -std=c++20 ${COOP_CONSUMER_DIR}/main.cc ${flags}
     -o ${COOP_WORK_DIR}/pkg-config-consumer)
step("run the pkg-config consumer"
     ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${libdir} ${COOP_WORK_DIR}/pkg-config-consumer)

# 3. What must be refused, with a message that says why.
refused("an unknown component" "Coop has no component 'no_such_library'"
        -DCOOP_CONSUMER_COMPONENTS=no_such_library)
refused("a different major version" "compatible with requested version"
        -DCOOP_CONSUMER_VERSION=1.0)

message(STATUS "packaging: find_package and pkg-config consumers built and ran")
