# SPDX-License-Identifier: MIT
## tests/local.mk - test harness: TAP driver, environment, tool/man tests.
TEST_EXTENSIONS = .sh
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_DRIVER = $(LOG_DRIVER)
SH_LOG_COMPILER = $(SHELL)
# Every test sees where the sources, the build and the AV-Digits data are.
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(top_srcdir)'; top_builddir='$(top_builddir)'; \
	ASGML_AVDIGITS="$${ASGML_AVDIGITS:-$(AVDIGITS_DEFAULT)}"; MANDOC='$(MANDOC)'; \
	export top_srcdir top_builddir ASGML_AVDIGITS MANDOC;
EXTRA_DIST += build-aux/tap-driver.sh tests/tap.h tests/lib.sh
TESTS += tests/tools-cli.sh tests/man-pages.sh
EXTRA_DIST += tests/tools-cli.sh tests/man-pages.sh

# Only the GPU tests, for users with a GPU (they SKIP without one).
GPU_TESTS =
check-gpu:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(GPU_TESTS)'
.PHONY: check-gpu
check_PROGRAMS += tests/test-atomic-file
tests_test_atomic_file_SOURCES = tests/test-atomic-file.c tests/tap.h
TESTS += tests/test-atomic-file
check_PROGRAMS += tests/test-core-errors
tests_test_core_errors_SOURCES = tests/test-core-errors.c tests/tap.h
TESTS += tests/test-core-errors
