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
# --enable-sanitizers (m4/asgml_sanitizers.m4): every program is built with
# ASan + UBSan.  A finding exits 86 (not 1, which tests expect from a
# refused input), leaks inside the linked libraries are suppressed
# (tests/lsan.supp, each entry says why), and ASGML_SANITIZERS=1 lets a test
# that cannot run under ASan skip with its reason.
if ASGML_SANITIZERS
AM_TESTS_ENVIRONMENT += \
	ASAN_OPTIONS="exitcode=86:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:$${ASAN_OPTIONS:-}"; \
	UBSAN_OPTIONS="exitcode=86:print_stacktrace=1:halt_on_error=1:$${UBSAN_OPTIONS:-}"; \
	LSAN_OPTIONS="exitcode=86:suppressions=$(abs_top_srcdir)/tests/lsan.supp:print_suppressions=0:$${LSAN_OPTIONS:-}"; \
	ASGML_SANITIZERS=1; export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS ASGML_SANITIZERS;
endif
EXTRA_DIST += build-aux/tap-driver.sh tests/tap.h tests/lib.sh tests/lsan.supp
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
check_PROGRAMS += tests/test-h5-check
tests_test_h5_check_SOURCES = tests/test-h5-check.c tests/tap.h
TESTS += tests/test-h5-check
EXTRA_DIST += tests/fixtures/make_h5_types.py tests/fixtures/h5-types-h5py.h5
