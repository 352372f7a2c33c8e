# The consumer tests (label "consumer"): dlfs used from outside, as an embedder would. One fixture
# installs this build into a staged prefix; the find_package and pkg-config builds use it.
set(consumer_run ${CMAKE_CURRENT_SOURCE_DIR}/consumer/run.sh)
set(consumer_dir ${CMAKE_CURRENT_BINARY_DIR}/consumer)
set(consumer_prefix ${consumer_dir}/prefix)
add_test(NAME consumer_install COMMAND ${consumer_run} install ${PROJECT_BINARY_DIR} ${consumer_prefix})
add_test(NAME consumer_find_package COMMAND ${consumer_run} cmake ${PROJECT_BINARY_DIR} ${consumer_prefix}
         ${consumer_dir}/find_package)
add_test(NAME consumer_pkg_config COMMAND ${consumer_run} pkgconfig ${PROJECT_BINARY_DIR} ${consumer_prefix}
         ${consumer_dir}/pkg_config ${CMAKE_INSTALL_LIBDIR})
add_test(NAME consumer_add_subdirectory COMMAND ${consumer_run} subdir ${PROJECT_SOURCE_DIR} ${consumer_dir}/subdir)
# cpack first builds whatever is out of date (its preinstall step), so this test expects a built
# tree, as scripts/test.sh leaves it; on one it takes about 10 s.
add_test(NAME consumer_deb COMMAND ${consumer_run} deb ${PROJECT_BINARY_DIR} ${consumer_dir}/deb ${PROJECT_VERSION})
set_tests_properties(consumer_install PROPERTIES FIXTURES_SETUP dlfs_staged_install)
set_tests_properties(consumer_find_package consumer_pkg_config PROPERTIES FIXTURES_REQUIRED dlfs_staged_install)
set_tests_properties(consumer_install consumer_find_package consumer_pkg_config consumer_add_subdirectory consumer_deb
                     PROPERTIES LABELS consumer TIMEOUT 300)
