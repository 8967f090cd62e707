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
