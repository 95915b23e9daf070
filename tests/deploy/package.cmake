# The Debian package and its systemd unit (cmake/packaging.cmake, packaging/).

# The unit file: systemd-analyze verify (on a copy whose ExecStart= is the built binary), the
# lines the package promises, and its hardening score. Under a second.
add_test(NAME deploy.unit_file
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/unit_file_test.sh ${PROJECT_SOURCE_DIR}/packaging/livekv.service
          $<TARGET_FILE:livekv> ${CMAKE_BINARY_DIR}/packaging/livekv.1.gz)
set_tests_properties(deploy.unit_file PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77)

# The .deb: cpack, apt-get install into a pristine bookworm chroot, the installed server run as
# its unit would and reached over loopback, then dpkg -r, reinstall, dpkg -P (scripts/deb-test.sh).
# Cost: cold 2 min 5 s (debootstrap of the root, the mirror's lists and the Depends
# downloaded), warm 15-25 s (all three cached in ~/.cache/livekv; about half of it unpacks the
# root's 180 MB). Measured on the 2-core machine beside two other builds.
add_test(NAME deploy.deb COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/deb-test.sh ${CMAKE_BINARY_DIR})
set_tests_properties(deploy.deb PROPERTIES TIMEOUT 900 RUN_SERIAL TRUE SKIP_RETURN_CODE 77)

# The .deb under a real systemd as PID 1, in a podman container (tests/deploy/systemd_boot_test.sh):
# postinst starting the service, Type=notify, the sandbox applied to the running process, reload,
# the watchdog, stop, restart and reboot with the data kept, the live exposure score, dpkg -r.
# Cost: cold 1 min 30 s (the root imported, systemd and the Depends fetched into the cached image;
# a minute more when the debootstrap tarball is not cached yet), warm 50 s (the image cached in
# ~/.cache/livekv/podman-systemd: two boots of the container, and 6 s of a watchdog period waited
# out on purpose). Measured on the 2-core machine beside a build.
add_test(NAME deploy.systemd
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/systemd_boot_test.sh ${CMAKE_BINARY_DIR})
set_tests_properties(deploy.systemd PROPERTIES TIMEOUT 600 RUN_SERIAL TRUE SKIP_RETURN_CODE 77)
