# coop_warnings(target): the project's warning flags, scoped to one target.
function(coop_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor>
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wpedantic>)
endfunction()

# CI turns warnings into errors (COOP_WERROR=ON, set by the Makefile when CI
# is set), so "clean under -Wall -Wextra -Wpedantic" cannot regress silently.
option(COOP_WERROR "Treat compiler warnings as errors" OFF)
if(COOP_WERROR)
  add_compile_options(-Werror)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12's flow-based string warnings misfire inside libstdc++ at -O2
    # (GCC PR 105651, 105329): they stay visible but do not fail the build.
    add_compile_options(-Wno-error=restrict -Wno-error=stringop-overflow -Wno-error=array-bounds)
  endif()
endif()
