# The C API's C-side test (include from tests/comm/CMakeLists.txt): a C99
# program built with the C compiler against the installed-style library
# coop::coopcomm, so a C consumer sees exactly the exported symbols.
add_executable(coop-comm-capi-c-test ${CMAKE_CURRENT_LIST_DIR}/capi_test.c)
set_target_properties(coop-comm-capi-c-test PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON
                                                       C_EXTENSIONS OFF)
target_link_libraries(coop-comm-capi-c-test PRIVATE coop::coopcomm)
coop_warnings(coop-comm-capi-c-test)
add_test(NAME comm/capi-c COMMAND coop-comm-capi-c-test)
