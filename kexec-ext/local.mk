# SPDX-License-Identifier: GPL-2.0-only
#
# kexec-ext: kexec-tools 2.0.25 with --live-update, built from the pinned
# Debian source and our patch series by kexec-ext/build-kexec.sh.
# Included from the top-level Makefile.am (non-recursive) after it has set
# EXTRA_DIST, TESTS and check_PROGRAMS with '=' (and AM_CPPFLAGS,
# AM_CXXFLAGS).  From configure.ac it needs KEXEC_TOOLS_SRC
# (--with-kexec-tools-src=DIR), the conditionals BUILD_KEXEC and
# HAVE_ARM64_CROSS, and CATCH2_*, LIBELF_*, FDT_LIBS, FMT_LIBS.
#
# Products (under the build directory; build-kexec.sh's work files are
# beside them in kexec-out/):
#   kexec-out/sbin/kexec, kexec-out/man/man8/kexec.8   built by make, installed
#                                 by make install
#   kexec-out/plain/sbin/kexec    the unpatched build, for the comparison test
#   kexec-out/arm64/sbin/kexec    the arm64 cross build (HAVE_ARM64_CROSS)
#   kexec-out/arm64/bin/pkhandover  the pkhandover CLI cross-built with it,
#                                 for an arm64 initramfs; both are built by
#                                 `make arm64-tools`

kexec_ext_inputs = \
	$(top_srcdir)/kexec-ext/build-kexec.sh \
	$(top_srcdir)/kexec-ext/hook.cpp \
	$(top_srcdir)/kexec-ext/pkh_kexec_hook.h \
	$(top_srcdir)/kexec-ext/preflight.cpp \
	$(top_srcdir)/kexec-ext/preflight.hpp \
	$(top_srcdir)/handover/include/pkhandover/abi.h \
	$(top_srcdir)/handover/include/pkhandover/handover.hpp \
	$(top_srcdir)/handover/src/util.hpp \
	$(wildcard $(top_srcdir)/kexec-ext/patches/*.patch)

EXTRA_DIST += \
	kexec-ext/README.md \
	kexec-ext/build-kexec.sh \
	kexec-ext/fetch-kexec-tools.sh \
	kexec-ext/hook.cpp \
	kexec-ext/pkh_kexec_hook.h \
	kexec-ext/preflight.cpp \
	kexec-ext/preflight.hpp \
	kexec-ext/setup-packages.txt \
	$(wildcard $(top_srcdir)/kexec-ext/patches/*.patch) \
	tests/kexec/lib.sh \
	tests/kexec/get-stock-kernel.sh \
	tests/kexec/check-series.sh \
	tests/kexec/data/handover-spec.json \
	tests/kexec/data/conflict-spec.json

if BUILD_KEXEC

# The pinned source: fetched once (apt-get source; the first time as root,
# which adds the deb-src entry), unless configure was given
# --with-kexec-tools-src=DIR.
$(KEXEC_TOOLS_SRC)/kexec/kexec.c:
	$(AM_V_GEN)$(top_srcdir)/kexec-ext/fetch-kexec-tools.sh "$(KEXEC_TOOLS_SRC)"

kexec-out/sbin/kexec: $(kexec_ext_inputs) handover/libpkhandover.la $(KEXEC_TOOLS_SRC)/kexec/kexec.c
	$(AM_V_GEN)$(top_srcdir)/kexec-ext/build-kexec.sh "$(KEXEC_TOOLS_SRC)" \
		"$(abs_top_builddir)/kexec-out" \
		--libpkhandover="$(abs_top_builddir)/handover/libpkhandover.la"

kexec-out/plain/sbin/kexec: $(top_srcdir)/kexec-ext/build-kexec.sh $(KEXEC_TOOLS_SRC)/kexec/kexec.c
	$(AM_V_GEN)$(top_srcdir)/kexec-ext/build-kexec.sh "$(KEXEC_TOOLS_SRC)" \
		"$(abs_top_builddir)/kexec-out/plain" --patches=0

# The arm64 build compiles libpkhandover's sources itself (the .la is
# built for the build machine), and the CLI with them (--cli).  One run
# makes both files: the stamp stands for that run (dated from its start, so
# both are newer), and a file deleted since is made again by a new one
# (automake's manual, "Multiple Outputs").
kexec-out/arm64/.stamp-tools: $(kexec_ext_inputs) $(wildcard $(top_srcdir)/handover/src/*) \
		$(wildcard $(top_srcdir)/handover/include/pkhandover/*) \
		$(top_srcdir)/tools/pkhandover.cpp $(top_srcdir)/tools/live_extents.cpp \
		$(top_srcdir)/tools/live_extents.hpp $(top_srcdir)/configure.ac $(KEXEC_TOOLS_SRC)/kexec/kexec.c
	@rm -f $@ $@.tmp
	@mkdir -p kexec-out/arm64 && touch $@.tmp
	$(AM_V_GEN)$(top_srcdir)/kexec-ext/build-kexec.sh "$(KEXEC_TOOLS_SRC)" \
		"$(abs_top_builddir)/kexec-out/arm64" --host=aarch64-linux-gnu --cli
	@mv -f $@.tmp $@
kexec-out/arm64/sbin/kexec kexec-out/arm64/bin/pkhandover: kexec-out/arm64/.stamp-tools
	@test -f $@ || rm -f kexec-out/arm64/.stamp-tools
	@test -f $@ || $(MAKE) $(AM_MAKEFLAGS) kexec-out/arm64/.stamp-tools

# kexec is installed like a script (built by build-kexec.sh, not by
# automake's compiler rules) as $(sbindir)/kexec, /usr/local/sbin by
# default: beside, not over, Debian's /sbin/kexec.
kexecsbindir = $(sbindir)
kexecsbin_SCRIPTS = kexec-out/sbin/kexec
kexecman8dir = $(mandir)/man8
kexecman8_DATA = kexec-out/man/man8/kexec.8
kexec-out/man/man8/kexec.8: kexec-out/sbin/kexec

kexec-ext-arm64: kexec-out/arm64/sbin/kexec
if HAVE_ARM64_CROSS
# The arm64 kexec and pkhandover CLI, for an arm64 VM's initramfs.
arm64-tools: kexec-out/arm64/sbin/kexec kexec-out/arm64/bin/pkhandover
	@echo "arm64-tools: $(abs_top_builddir)/kexec-out/arm64/sbin/kexec $(abs_top_builddir)/kexec-out/arm64/bin/pkhandover"
else
arm64-tools:
	@echo "arm64-tools: no arm64 cross toolchain (kexec-ext/setup-packages.txt lists the packages; re-run configure)" >&2
	@exit 1
endif
# Not kexec-ext/: automake keeps the test objects of kexec-ext/*.cpp there.
kexec-ext-clean:
	rm -rf kexec-out kexec-ext-series
# Every prefix of the series builds (x86_64 and arm64; about 15 minutes).
check-kexec-series: $(KEXEC_TOOLS_SRC)/kexec/kexec.c
	builddir="$(abs_top_builddir)" $(top_srcdir)/tests/kexec/check-series.sh \
		"$(KEXEC_TOOLS_SRC)" "$(abs_top_builddir)/kexec-ext-series"

# What the shell tests run is built before them (the .log name depends on
# whether TEST_EXTENSIONS lists .sh).
TESTS += tests/kexec/test-live-update.sh
tests/kexec/test-live-update.log tests/kexec/test-live-update.sh.log: kexec-out/sbin/kexec kexec-out/plain/sbin/kexec \
	tests/kexec/pkh-kexec-testtool$(EXEEXT) tools/pkhandover$(EXEEXT)
if HAVE_ARM64_CROSS
TESTS += tests/kexec/test-arm64-dtb.sh
tests/kexec/test-arm64-dtb.log tests/kexec/test-arm64-dtb.sh.log: kexec-out/arm64/sbin/kexec \
	tests/kexec/pkh-kexec-testtool$(EXEEXT) tools/pkhandover$(EXEEXT)
TESTS += tests/kexec/test-arm64-cli.sh
tests/kexec/test-arm64-cli.log tests/kexec/test-arm64-cli.sh.log: kexec-out/arm64/bin/pkhandover \
	tools/pkhandover$(EXEEXT)
endif

else !BUILD_KEXEC
arm64-tools:
	@echo "arm64-tools: configured with --disable-kexec" >&2
	@exit 1
endif !BUILD_KEXEC

.PHONY: kexec-ext-arm64 arm64-tools kexec-ext-clean check-kexec-series

# ------------------------------------------------------------------ tests
check_PROGRAMS += tests/kexec/test_preflight tests/kexec/test_hook tests/kexec/pkh-kexec-testtool
TESTS += tests/kexec/test_preflight tests/kexec/test_hook
EXTRA_DIST += tests/kexec/test-live-update.sh tests/kexec/test-arm64-dtb.sh tests/kexec/test-arm64-cli.sh

kexec_ext_test_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/handover/include -I$(top_srcdir)/handover/src \
	-I$(top_srcdir)/kexec-ext -I$(top_srcdir)/tests/kexec $(LIBELF_CFLAGS)

tests_kexec_test_preflight_SOURCES = \
	kexec-ext/preflight.cpp kexec-ext/preflight.hpp \
	tests/kexec/kernel_fixtures.cpp tests/kexec/kernel_fixtures.hpp \
	tests/kexec/test_preflight.cpp
tests_kexec_test_preflight_CPPFLAGS = $(kexec_ext_test_cppflags) $(CATCH2_CFLAGS)
tests_kexec_test_preflight_LDADD = $(LIBELF_LIBS) $(FDT_LIBS) $(FMT_LIBS)

tests_kexec_test_hook_SOURCES = \
	kexec-ext/hook.cpp kexec-ext/pkh_kexec_hook.h \
	kexec-ext/preflight.cpp kexec-ext/preflight.hpp \
	tests/kexec/kernel_fixtures.cpp tests/kexec/kernel_fixtures.hpp \
	tests/kexec/test_hook.cpp
tests_kexec_test_hook_CPPFLAGS = $(kexec_ext_test_cppflags) $(CATCH2_CFLAGS)
# The hook uses the internal helper set (handover/src/util.hpp), which the
# .so does not export: link what kexec links, the library's objects.
tests_kexec_test_hook_LDADD = handover/libpkhandover-internal.la $(LIBELF_LIBS) $(FDT_LIBS) $(FMT_LIBS)

tests_kexec_pkh_kexec_testtool_SOURCES = \
	tests/kexec/kernel_fixtures.cpp tests/kexec/kernel_fixtures.hpp \
	tests/kexec/pkh-kexec-testtool.cpp
tests_kexec_pkh_kexec_testtool_CPPFLAGS = $(kexec_ext_test_cppflags)
tests_kexec_pkh_kexec_testtool_LDADD = $(FDT_LIBS) $(FMT_LIBS)
