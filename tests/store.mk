# SPDX-License-Identifier: MIT
## tests/store.mk - the HDF5 store, the manifest, asgml-prep and the data recipes.
check_PROGRAMS += tests/test-store tests/test-store-prep
tests_test_store_SOURCES = tests/test-store.c tests/tap.h
tests_test_store_prep_SOURCES = tests/test-store-prep.c tests/tap.h
TESTS += tests/test-store tests/test-store-prep tests/prep-cli.sh tests/prep-avdigits.sh \
	tests/recipes-builders.sh
EXTRA_DIST += tests/prep-cli.sh tests/prep-avdigits.sh tests/recipes-builders.sh \
	bench/bench-prep.sh
TESTS += tests/prep-fbank.sh
EXTRA_DIST += tests/prep-fbank.sh
# reliability (issue 13): FIFOs and devices as media paths
TESTS += tests/prep-special-files.sh
EXTRA_DIST += tests/prep-special-files.sh
# /stats (issue 14): numpy's numbers from tests/fixtures/make_stats_fixtures.py
TESTS += tests/prep-stats.sh
EXTRA_DIST += tests/prep-stats.sh tests/fixtures/make_stats_fixtures.py \
	tests/fixtures/stats/a.txt tests/fixtures/stats/b.txt
# fbank rows + offsets train, resume bit-exactly, probe (issue 14 item 1)
TESTS += tests/train-fbank.sh
EXTRA_DIST += tests/train-fbank.sh
# text encodings (issue 13, item 6): manifest ids ASCII, labels/groups/meta
# UTF-8; asgml-prep verify checks a store's strings
check_PROGRAMS += tests/store-mktext
tests_store_mktext_SOURCES = tests/store-mktext.c
TESTS += tests/prep-utf8.sh
EXTRA_DIST += tests/prep-utf8.sh
# --jobs and --quiet do not change the store, byte for byte (issue 14)
TESTS += tests/prep-jobs-identical.sh
EXTRA_DIST += tests/prep-jobs-identical.sh
# flags, --keep-bad, the report, the loader mask and wave window (issue 14 item 3)
TESTS += tests/prep-flags.sh tests/train-flags.sh tests/test-loader-window
check_PROGRAMS += tests/test-loader-window
tests_test_loader_window_SOURCES = tests/test-loader-window.c tests/tap.h
tests_test_loader_window_LDADD = $(LDADD) $(HDF5_LIBS)
EXTRA_DIST += tests/prep-flags.sh tests/train-flags.sh
# chunks compressed by the decoding threads, H5Dwrite_chunk (issue 14 item 4)
check_PROGRAMS += tests/test-prep-direct
tests_test_prep_direct_SOURCES = tests/test-prep-direct.c tests/tap.h
TESTS += tests/test-prep-direct
# issue 14 item 3: presets ogmge-paper and af-mel end to end (asgml-prep, asgml-train)
TESTS += tests/prep-paper-mel.sh
EXTRA_DIST += tests/prep-paper-mel.sh
