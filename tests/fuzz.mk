# SPDX-License-Identifier: MIT
## tests/fuzz.mk - the libFuzzer harnesses (fuzz/) replayed in make check on
## their seeds and on every input a fuzzer found faulty (tests/fuzz-replay.sh).
FUZZ_REPLAY = tests/test-fuzz-manifest tests/test-fuzz-config tests/test-fuzz-wav \
	tests/test-fuzz-flac tests/test-fuzz-ogg tests/test-fuzz-png tests/test-fuzz-jpeg \
	tests/test-fuzz-store tests/test-fuzz-checkpoint
check_PROGRAMS += $(FUZZ_REPLAY)
tests_test_fuzz_manifest_SOURCES = fuzz/fuzz_manifest.c tests/fuzz-replay.c
tests_test_fuzz_config_SOURCES = fuzz/fuzz_config.c tests/fuzz-replay.c
tests_test_fuzz_wav_SOURCES = fuzz/fuzz_wav.c tests/fuzz-replay.c
tests_test_fuzz_flac_SOURCES = fuzz/fuzz_flac.c tests/fuzz-replay.c
tests_test_fuzz_ogg_SOURCES = fuzz/fuzz_ogg.c tests/fuzz-replay.c
tests_test_fuzz_png_SOURCES = fuzz/fuzz_png.c tests/fuzz-replay.c
tests_test_fuzz_jpeg_SOURCES = fuzz/fuzz_jpeg.c tests/fuzz-replay.c
tests_test_fuzz_store_SOURCES = fuzz/fuzz_store.c tests/fuzz-replay.c
tests_test_fuzz_checkpoint_SOURCES = fuzz/fuzz_checkpoint.c tests/fuzz-replay.c
TESTS += tests/fuzz-replay.sh
EXTRA_DIST += tests/fuzz-replay.sh tests/fixtures/fuzz
