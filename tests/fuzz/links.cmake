# coop_fuzz_link(target name): links a fuzz target (or its corpus replay)
# against the library whose decoder it exercises, chosen by the name's
# prefix. Everything links coop::eventmodel.
function(coop_fuzz_link target name)
  target_link_libraries(${target} PRIVATE coop::eventmodel)
  if(name MATCHES "^rules_")
    target_link_libraries(${target} PRIVATE coop::timemachine)
  elseif(name MATCHES "^(block|tm)_")
    # Stored blocks and index chunks are private to libtimemachine: reach them through the
    # static internal library the unit tests use.
    target_link_libraries(${target} PRIVATE coop_tm_internal)
  elseif(name MATCHES "^comm_")
    target_link_libraries(${target} PRIVATE coop_comm_internal)
  elseif(name MATCHES "^import_")
    target_link_libraries(${target} PRIVATE coop_import)
  elseif(name MATCHES "^sensor_")
    target_link_libraries(${target} PRIVATE coop_sensor)
  endif()
endfunction()
