# Installation (cmake --install) and the Debian package (cpack, or the `package` target).
# Sources in packaging/: the systemd unit, the config file's header, the man page's extra
# sections, and the maintainer scripts (packaging/deb/).
#
# The layout follows Debian's redis-server: the binary in /usr/bin, the unit in
# /lib/systemd/system, the settings in /etc/livekv/livekv.conf (a conffile), the data in
# /var/lib/livekv (made by postinst, not shipped), docs and the man page under /usr/share.
include(GNUInstallDirs)

# Sanitizer builds are for tests, never installed or packaged; and the build steps below run the
# built binary, which under ASan could fail the build with a leak report at exit.
if(NOT LIVEKV_SANITIZER STREQUAL "")
  return()
endif()

set(livekv_pkg_dir ${PROJECT_SOURCE_DIR}/packaging)
set(livekv_pkg_out ${PROJECT_BINARY_DIR}/packaging)

# The packaged livekv.conf: the package's header (its own settings, uncommented), then every
# setting the built binary has, commented out at its default (cmake/packaged_conf.cmake).
set(livekv_conf ${livekv_pkg_out}/livekv.conf)
add_custom_command(
  OUTPUT ${livekv_conf}
  COMMAND ${CMAKE_COMMAND} -DBINARY=$<TARGET_FILE:livekv> -DHEAD=${livekv_pkg_dir}/livekv.conf.head
          -DOUTPUT=${livekv_conf} -P ${PROJECT_SOURCE_DIR}/cmake/packaged_conf.cmake
  DEPENDS livekv ${livekv_pkg_dir}/livekv.conf.head ${PROJECT_SOURCE_DIR}/cmake/packaged_conf.cmake
  COMMENT "Writing packaging/livekv.conf (its header and livekv --config-template)"
  VERBATIM)
set(livekv_pkg_outputs ${livekv_conf})

# The man page is --help itself, through help2man (a build dependency, scripts/install-deps.sh).
# Without help2man there is no man page, and nothing else is missed.
find_program(HELP2MAN_PROGRAM help2man)
if(HELP2MAN_PROGRAM)
  set(livekv_man ${livekv_pkg_out}/livekv.1.gz)
  add_custom_command(
    OUTPUT ${livekv_man}
    COMMAND ${CMAKE_COMMAND} -DHELP2MAN=${HELP2MAN_PROGRAM} -DBINARY=$<TARGET_FILE:livekv>
            -DINCLUDE=${livekv_pkg_dir}/livekv.h2m -DOUTPUT=${livekv_man}
            -P ${PROJECT_SOURCE_DIR}/cmake/man_page.cmake
    DEPENDS livekv ${livekv_pkg_dir}/livekv.h2m ${PROJECT_SOURCE_DIR}/cmake/man_page.cmake
    COMMENT "Writing the man page livekv.1 with help2man"
    VERBATIM)
  list(APPEND livekv_pkg_outputs ${livekv_man})
  install(FILES ${livekv_man} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "help2man not found: no man page (scripts/install-deps.sh installs it)")
endif()
# In `all`, because `cmake --install` and cpack install what `all` built.
add_custom_target(livekv_packaging_files ALL DEPENDS ${livekv_pkg_outputs})

install(TARGETS livekv RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# copyright: the file Debian's policy asks every package to have in its doc directory.
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE ${livekv_pkg_dir}/deb/copyright
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The config file and the unit go where the prefix chosen at install time says, which only then
# is known (cpack installs with the prefix /usr; `cmake --install --prefix` picks its own):
# under /usr, the system's /etc and /lib/systemd/system, as GNUInstallDirs does for /etc at
# configure time (bookworm's packages still ship units in /lib, not /usr/lib); under any other
# prefix, <prefix>/etc/livekv and <prefix>/lib/systemd/system. An absolute
# CMAKE_INSTALL_SYSCONFDIR wins, as it does for GNUInstallDirs.
set(livekv_unit ${livekv_pkg_dir}/livekv.service)
string(CONFIGURE [[
  if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    set(livekv_etc_dir "/etc/livekv")
    set(livekv_unit_dir "/lib/systemd/system")
  else()
    set(livekv_etc_dir "${CMAKE_INSTALL_PREFIX}/@CMAKE_INSTALL_SYSCONFDIR@/livekv")
    set(livekv_unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
  endif()
  if(IS_ABSOLUTE "@CMAKE_INSTALL_SYSCONFDIR@")
    set(livekv_etc_dir "@CMAKE_INSTALL_SYSCONFDIR@/livekv")
  endif()
  file(INSTALL DESTINATION "${livekv_etc_dir}" TYPE FILE FILES "@livekv_conf@")
  file(INSTALL DESTINATION "${livekv_unit_dir}" TYPE FILE FILES "@livekv_unit@")
]] livekv_install_system_files @ONLY)
install(CODE "${livekv_install_system_files}")

# The .deb. Its Depends come from dpkg-shlibdeps (the libraries the binary links), plus what the
# package runs that is not "essential" in Debian's sense, so not to be taken for granted:
# passwd (postinst's useradd and groupadd) and procps (the unit's ExecReload=/bin/kill, as
# openssh-server depends on it for the same line).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME livekv)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "key-value server that speaks HTTP, with a live feed of every write")
# One string (a CMake list would eat semicolons), lines under 80 columns (lintian); the blank
# line becomes Debian's " ." line.
set(CPACK_PACKAGE_DESCRIPTION [[
livekv stores keys and values and serves them over plain HTTP: curl is a
full client. Every key has revisions, ETags and conditional requests.
Compare-and-swap, TTLs and atomic batches. A checksummed write-ahead log
with group commit and snapshots. Every write is streamed live over
WebSocket and Server-Sent Events, with resume from a revision. Prometheus
metrics, health and status endpoints, a web console.

This package runs it as the systemd service livekv.service, as user
livekv, on 127.0.0.1:8080, with its data in /var/lib/livekv.]])
set(LIVEKV_DEB_MAINTAINER "livekv maintainers <maintainers@livekv.invalid>"
    CACHE STRING "The .deb's Maintainer field")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${LIVEKV_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION database)  # redis-server's section
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # livekv_0.1.0-1_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd, procps")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${livekv_pkg_dir}/deb/conffiles ${livekv_pkg_dir}/deb/postinst ${livekv_pkg_dir}/deb/prerm
    ${livekv_pkg_dir}/deb/postrm)
# Scripts 0755 and conffiles 0644 whatever the checkout's modes, as dpkg and lintian expect.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
