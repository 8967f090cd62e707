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
# chunks compressed by the decoding threads, H5Dwrite_chunk (issue 14 item 4)
check_PROGRAMS += tests/test-prep-direct
tests_test_prep_direct_SOURCES = tests/test-prep-direct.c tests/tap.h
TESTS += tests/test-prep-direct
