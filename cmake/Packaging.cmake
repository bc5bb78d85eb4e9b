# Installed beside the binary and the profiles: the man page, the bash completion and the report
# documentation; and CPack's Debian package of all of it (`cpack -G DEB` in a build directory
# configured with -DCMAKE_INSTALL_PREFIX=/usr, as scripts/test-deb does).
install(FILES docs/sandbox.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES completions/sandbox.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME sandbox)
install(FILES docs/report.md docs/report.schema.json docs/ci.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The AppArmor profile granting `userns` to the installed binary and its bwrap drop-in; the
# package's postinst puts it into /etc/apparmor.d only where AppArmor 4 is (docs/ci.md), and
# scripts/check-apparmor parses it in CI.
set(SANDBOX_APPARMOR_BIN "${CMAKE_INSTALL_FULL_BINDIR}/sandbox")
set(SANDBOX_APPARMOR_BWRAP "${CMAKE_INSTALL_FULL_LIBEXECDIR}/sandbox/bwrap-compat/bwrap")
configure_file(apparmor/sandbox.in ${CMAKE_CURRENT_BINARY_DIR}/apparmor/sandbox @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/apparmor/sandbox
        DESTINATION ${CMAKE_INSTALL_DATADIR}/sandbox/apparmor)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sandbox)
set(CPACK_PACKAGE_VENDOR "the sandbox authors")
set(CPACK_PACKAGE_CONTACT "sandbox maintainers <sandbox@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "rootless Linux sandbox for untrusted builds and tests")
set(CPACK_PACKAGE_DESCRIPTION
    "sandbox runs a command in fresh user, mount, pid, ipc, uts, cgroup and network namespaces \
as an ordinary user, with no capabilities, no_new_privs and only what its flags bind.")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/sandbox/sandbox")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "uidmap")
# dpkg-shlibdeps (dpkg-dev) names exactly what the binary links: with SANDBOX_LEAN_LINK only
# libc. Without it, name the runtime libraries by hand.
find_program(SANDBOX_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(SANDBOX_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
elseif(SANDBOX_LEAN_LINK)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= 2.36)")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= 2.36), libstdc++6 (>= 12), libseccomp2")
endif()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${CMAKE_CURRENT_SOURCE_DIR}/cmake/deb/postinst;${CMAKE_CURRENT_SOURCE_DIR}/cmake/deb/prerm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
