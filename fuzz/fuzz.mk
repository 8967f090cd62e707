# SPDX-License-Identifier: MIT
## fuzz/fuzz.mk - libFuzzer harnesses (HACKING, Fuzzing), built on demand
## (EXTRA_PROGRAMS) and only in a tree configured with --enable-fuzz
## CC=clang: `make fuzz` builds them with ASan+UBSan, `make fuzz-run
## FUZZ_SECONDS=N` runs each for N seconds on its seed corpus
## (fuzz/corpus/NAME/, dictionary fuzz/dict/NAME.dict) and prints
## executions, coverage and findings; crash files and grown corpora go to
## fuzz-out/ in the build directory.  Neither `make` nor `make check`
## builds them.
FUZZ_NAMES = manifest config wav flac ogg png jpeg store checkpoint
FUZZ_PROGS = fuzz/fuzz_manifest fuzz/fuzz_config fuzz/fuzz_wav fuzz/fuzz_flac \
	fuzz/fuzz_ogg fuzz/fuzz_png fuzz/fuzz_jpeg fuzz/fuzz_store fuzz/fuzz_checkpoint
EXTRA_PROGRAMS += $(FUZZ_PROGS)
fuzz_fuzz_manifest_SOURCES = fuzz/fuzz_manifest.c fuzz/fuzz_util.h
fuzz_fuzz_config_SOURCES = fuzz/fuzz_config.c fuzz/fuzz_util.h
fuzz_fuzz_wav_SOURCES = fuzz/fuzz_wav.c fuzz/fuzz_audio.h fuzz/fuzz_util.h
fuzz_fuzz_flac_SOURCES = fuzz/fuzz_flac.c fuzz/fuzz_audio.h fuzz/fuzz_util.h
fuzz_fuzz_ogg_SOURCES = fuzz/fuzz_ogg.c fuzz/fuzz_audio.h fuzz/fuzz_util.h
fuzz_fuzz_png_SOURCES = fuzz/fuzz_png.c fuzz/fuzz_image.h fuzz/fuzz_util.h
fuzz_fuzz_jpeg_SOURCES = fuzz/fuzz_jpeg.c fuzz/fuzz_image.h fuzz/fuzz_util.h
fuzz_fuzz_store_SOURCES = fuzz/fuzz_store.c fuzz/fuzz_util.h
fuzz_fuzz_checkpoint_SOURCES = fuzz/fuzz_checkpoint.c fuzz/fuzz_util.h
fuzz_fuzz_manifest_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_config_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_wav_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_flac_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_ogg_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_png_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_jpeg_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_store_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_checkpoint_LDFLAGS = $(FUZZ_LDFLAGS)
CLEANFILES += $(FUZZ_PROGS)
EXTRA_DIST += fuzz/README fuzz/run.sh fuzz/lsan.supp fuzz/corpus fuzz/dict fuzz/known fuzz/untriaged

# FUZZ_TARGETS: which harnesses fuzz-run runs (default all), e.g.
# `make fuzz-run FUZZ_SECONDS=600 FUZZ_TARGETS="wav flac"`
FUZZ_SECONDS = 20
FUZZ_TARGETS = $(FUZZ_NAMES)
if ENABLE_FUZZ
fuzz: $(FUZZ_PROGS)
fuzz-run: fuzz
	$(SHELL) $(top_srcdir)/fuzz/run.sh '$(FUZZ_SECONDS)' '$(top_srcdir)/fuzz' fuzz-out $(FUZZ_TARGETS)
else
fuzz fuzz-run:
	@echo "make $@: this tree is not configured for fuzzing; in a build directory of its own run" >&2; \
	echo "  $(abs_top_srcdir)/configure --enable-fuzz CC=clang && make $@   (HACKING, Fuzzing)" >&2; \
	exit 1
endif
clean-local: clean-fuzz
clean-fuzz:
	-rm -rf fuzz-out
.PHONY: fuzz fuzz-run clean-fuzz
