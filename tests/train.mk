# SPDX-License-Identifier: MIT
# train.mk - tests of the training engine (included by the top Makefile.am).
# The shell tests use tests/probe-mkstore (tests/probe.mk) for a tiny store.
check_PROGRAMS += tests/test-config tests/test-metrics tests/test-checkpoint
tests_test_config_SOURCES = tests/test-config.c tests/tap.h
tests_test_metrics_SOURCES = tests/test-metrics.c tests/tap.h
tests_test_checkpoint_SOURCES = tests/test-checkpoint.c tests/tap.h
# method services (asgml/hooks.h); uses tests/probe-mkstore
check_PROGRAMS += tests/test-hooks
tests_test_hooks_SOURCES = tests/test-hooks.c tests/tap.h tests/trainrun.h
TESTS += tests/test-hooks
# feature passes, the shared unimodal head, fusion none, ASGML_NEEDS_UNI_ZERO
check_PROGRAMS += tests/test-svc
tests_test_svc_SOURCES = tests/test-svc.c tests/tap.h tests/trainrun.h
TESTS += tests/test-svc
TESTS += tests/test-config tests/test-metrics tests/test-checkpoint \
	tests/train-determinism.sh tests/train-errors.sh
EXTRA_DIST += tests/train-determinism.sh tests/train-errors.sh
# asgml-train --init (train.init): loading, errors, summary, resume
check_PROGRAMS += tests/test-init
tests_test_init_SOURCES = tests/test-init.c tests/tap.h tests/trainrun.h
TESTS += tests/test-init
# sched.name=plateau: ReduceLROnPlateau against PyTorch, resume through asgml-train
check_PROGRAMS += tests/test-plateau
tests_test_plateau_SOURCES = tests/test-plateau.c tests/tap.h tests/h5fixture.h
tests_test_plateau_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-plateau tests/train-plateau.sh
EXTRA_DIST += tests/fixtures/make_plateau_fixtures.py tests/fixtures/sched/plateau.h5 \
	tests/train-plateau.sh
# reliability (issue 13): full disk, run-directory lock, log durability
TESTS += tests/disk-full.sh tests/train-rundir-lock.sh tests/train-log-resume.sh tests/h5-corrupt-chunk.sh
EXTRA_DIST += tests/disk-full.sh tests/train-rundir-lock.sh tests/train-log-resume.sh tests/h5-corrupt-chunk.sh
# non-finite stored features in any split (issue 13, item 5)
TESTS += tests/nonfinite-data.sh
EXTRA_DIST += tests/nonfinite-data.sh
# speed15: backend.conv-algo, recorded per conv shape, pinned on resume
TESTS += tests/train-conv-algo.sh
EXTRA_DIST += tests/train-conv-algo.sh
