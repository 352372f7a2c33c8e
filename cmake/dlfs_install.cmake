# Install rules, the CMake package (find_package(dlfs CONFIG)), dlfs.pc and the Debian package.
# Included from the top CMakeLists.txt when DLFS_INSTALL is on (the default for a top-level build).
include(CMakePackageConfigHelpers)

set(DLFS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/dlfs)

# Every module library is installed and exported, so dlfs::dlfs resolves to the same set of
# static libraries (with their link order) as in the build tree.
install(TARGETS ${DLFS_ALL_MODULES} dlfs EXPORT dlfsTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS dlfs_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/dlfs DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT dlfsTargets NAMESPACE dlfs:: DESTINATION ${DLFS_CMAKE_DIR})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/dlfsConfig.cmake.in
  ${PROJECT_BINARY_DIR}/dlfsConfig.cmake INSTALL_DESTINATION ${DLFS_CMAKE_DIR})
# 0.x: a minor release may break the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/dlfsConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/dlfsConfig.cmake ${PROJECT_BINARY_DIR}/dlfsConfigVersion.cmake
        DESTINATION ${DLFS_CMAKE_DIR})

# dlfs.pc: the static libraries in link order, which is the reverse of the order the modules are
# declared in (each after the modules it uses), and the libraries they need put in Requires rather
# than Requires.private, since a static dlfs needs them at every link.
set(DLFS_PC_LIBS "")
set(modules ${DLFS_ALL_MODULES})
list(REVERSE modules)
foreach(module ${modules})
  get_target_property(type ${module} TYPE)
  if(type STREQUAL "STATIC_LIBRARY")
    string(APPEND DLFS_PC_LIBS " -l${module}")
  endif()
endforeach()
# Relocatable: the prefix is found from the .pc file's own place, whatever --prefix was given.
file(RELATIVE_PATH DLFS_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
string(REGEX REPLACE "/$" "" DLFS_PC_TO_PREFIX "${DLFS_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/dlfs.pc.in ${PROJECT_BINARY_DIR}/dlfs.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/dlfs.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# cpack -G DEB (run in the build folder): one package with the libraries, headers, CLI, CMake
# package and dlfs.pc. The libraries are static, so it depends on the -dev packages the link needs.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dlfs)
set(CPACK_PACKAGE_VENDOR "dlfs")
set(CPACK_PACKAGE_CONTACT "dlfs maintainers <dlfs@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Deep Learning from Scratch networks in C++20: library (dlfs::dlfs, dlfs.pc) and the dlfs CLI")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libopenblas-dev, zlib1g-dev, libzip-dev, nlohmann-json3-dev (>= 3), pkg-config, libc6, libstdc++6")
include(CPack)
