# Install rules (COOP_INSTALL=ON, the default when Coop is the top-level
# project): the libraries and their public headers, the export set
# CoopTargets (namespace coop::), CoopConfig.cmake with one component per
# library, CoopConfigVersion.cmake (SameMajorVersion) and one pkg-config file
# per library. A consumer writes
#   find_package(Coop 0.1 CONFIG REQUIRED COMPONENTS eventmodel)
#   target_link_libraries(app PRIVATE coop::eventmodel)
# or compiles with `pkg-config --cflags --libs coop-eventmodel`.
include(CMakePackageConfigHelpers)

set(COOP_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Coop)
set(COOP_INSTALL_PKGCONFIGDIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Components: the export name of each library target (its CMake target is
# coop::<component>, its pkg-config module coop-<component>).
set(COOP_COMPONENTS eventmodel timemachine coopcomm)

install(TARGETS base eventmodel timemachine coopcomm
  EXPORT CoopTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/base/include/coop
                  ${PROJECT_SOURCE_DIR}/libevent-model/include/coop
                  ${PROJECT_SOURCE_DIR}/libtimemachine/include/coop
                  ${PROJECT_SOURCE_DIR}/libcoopcomm/include/coop
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

install(EXPORT CoopTargets
  NAMESPACE coop::
  DESTINATION ${COOP_INSTALL_CMAKEDIR})

# Private dependencies are needed by a consumer only when it links a static
# library; the config then finds them, and the .pc file lists them privately.
get_target_property(_coop_type eventmodel TYPE)
if(_coop_type STREQUAL "STATIC_LIBRARY")
  set(COOP_STATIC ON)
  set(COOP_PC_CFLAGS " -DCOOP_MODEL_STATIC")
  set(COOP_PC_REQUIRES_PRIVATE "Requires.private: capnp kj libcrypto re2")
  set(COOP_TM_PC_CFLAGS " -DCOOP_TM_STATIC")
  set(COOP_TM_PC_REQUIRES_PRIVATE "Requires.private: lmdb libzstd zlib")
  set(COOP_COMM_PC_CFLAGS " -DCOOP_COMM_STATIC")
  set(COOP_COMM_PC_REQUIRES_PRIVATE "Requires.private: capnp kj libssl libcrypto")
  set(COOP_PC_LIBS_PRIVATE "Libs.private: -lstdc++ -lpthread")
else()
  set(COOP_STATIC OFF)
  set(COOP_PC_CFLAGS "")
  set(COOP_PC_REQUIRES_PRIVATE "")
  set(COOP_TM_PC_CFLAGS "")
  set(COOP_TM_PC_REQUIRES_PRIVATE "")
  set(COOP_COMM_PC_CFLAGS "")
  set(COOP_COMM_PC_REQUIRES_PRIVATE "")
  set(COOP_PC_LIBS_PRIVATE "")
endif()
unset(_coop_type)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/CoopConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/CoopConfig.cmake
  INSTALL_DESTINATION ${COOP_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/CoopConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/CoopConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/CoopConfigVersion.cmake
  DESTINATION ${COOP_INSTALL_CMAKEDIR})

# The .pc file finds its prefix relative to itself (${pcfiledir}), so the
# installed tree can be moved, or installed with `cmake --install --prefix`.
if(IS_ABSOLUTE "${COOP_INSTALL_PKGCONFIGDIR}")
  set(COOP_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _coop_up "/p/${COOP_INSTALL_PKGCONFIGDIR}" "/p")
  string(REGEX REPLACE "/$" "" _coop_up "${_coop_up}")
  set(COOP_PC_PREFIX "\${pcfiledir}/${_coop_up}")
  unset(_coop_up)
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/coop-eventmodel.pc.in
  ${PROJECT_BINARY_DIR}/pkgconfig/coop-eventmodel.pc @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/coop-timemachine.pc.in
  ${PROJECT_BINARY_DIR}/pkgconfig/coop-timemachine.pc @ONLY)
configure_file(${PROJECT_SOURCE_DIR}/cmake/coop-coopcomm.pc.in
  ${PROJECT_BINARY_DIR}/pkgconfig/coop-coopcomm.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/coop-eventmodel.pc
              ${PROJECT_BINARY_DIR}/pkgconfig/coop-timemachine.pc
              ${PROJECT_BINARY_DIR}/pkgconfig/coop-coopcomm.pc
  DESTINATION ${COOP_INSTALL_PKGCONFIGDIR})
