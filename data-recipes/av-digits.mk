# SPDX-License-Identifier: MIT
# av-digits.mk - AV-Digits (FSDD spoken digits + MNIST images) into two
# asgml stores: a clean one and one whose visual modality is made weak.
#
# Data licences: FSDD (Z. Jackson et al.) is CC BY-SA 4.0, MNIST (Y. LeCun,
# C. Cortes, C. J. C. Burges) CC BY-SA 3.0; the stores this recipe writes
# are derived works under those terms (README, Licence).
#
# Usage (from the top of the build tree, or with ASGML_PREP pointing at the
# tool):
#     make -f data-recipes/av-digits.mk AVDIGITS=/path/to/av-digits OUT=stores
# Variables:
#     AVDIGITS    the AV-Digits directory (fsdd/, mnist/), read only
#                 (default $ASGML_AVDIGITS)
#     OUT         output directory (default stores)
#     SEED        seed of the pairing and of every degradation (default 1)
#     JOBS        decoding threads (default: all cores)
#     ASGML_PREP  the asgml-prep program (default tools/asgml-prep when it
#                 exists, else asgml-prep from PATH)
#     VWEAK_OPTS  degradation of the vweak store (default below)
# Outputs:
#     OUT/avdigits.manifest.tsv   the manifest (asgml-prep(1), DATA SETS, AV-Digits pairing: each
#                                 clip gets a distinct MNIST image of its digit;
#                                 splits fsdd = takes 0-4 test, 5-49 train,
#                                 and fsdd_val = 0-4 test, 5-9 val, 10-49 train)
#     OUT/avdigits.reserve.tsv    unused MNIST images, per digit in shuffled
#                                 order, for --img-mismatch
#     OUT/avdigits-clean.h5       preset avdigits-clean: audio spec (N,129,101)
#                                 float32 (8 kHz, tiled to 1 s, STFT 256/80),
#                                 audio wave (N,8000) int16, visual image
#                                 (N,28,28) uint8
#     OUT/avdigits-vweak.h5       the same audio; images degraded by
#                                 VWEAK_OPTS (seeded per sample, all splits),
#                                 clean images in /visual/image_clean and the
#                                 replaced ones marked in /meta/mismatch
# Targets: all (default), manifest, clean, vweak, aweak (audio-weak variant,
#     --aud-snr-db -5, not built by all), check (asgml-prep verify),
#     clean-stores.
#
# Calibration (measured 2026-11-23 with asgml-train, data-recipes/av-digits.yaml:
# ResNet18 layout at width 8, 10 epochs, SGD lr 0.03 cosine, batch 64; test
# accuracy of the last epoch, mean +- sd over seeds 1-3 unless noted; 300
# test clips):
#     unimodal audio   (avdigits-vweak, = clean audio)   98.22 +- 0.19 %
#     unimodal visual  on avdigits-clean (seed 1)        96.67 %
#     unimodal visual  on avdigits-vweak                 47.78 +- 0.19 %
#     baseline (joint) on avdigits-clean (seeds 1-5)     98.47 +- 0.69 %
# So vweak's image is 50.4 points below the audio (requirement: >= 15
# points), both far above chance (10 %); --img-mismatch 0.4 caps it at 60 %.
# Reproduce: asgml-train --store OUT/avdigits-vweak.h5 --config
#     data-recipes/av-digits.yaml --method unimodal --set
#     unimodal.modality=visual --seed 1 --out runs/uni-visual.1

# Timing: both stores take about 10 s on 2 cores (3,000 clips each).

AVDIGITS ?= $(ASGML_AVDIGITS)
OUT ?= stores
SEED ?= 1
JOBS ?=
ASGML_PREP ?= $(shell test -x tools/asgml-prep && echo tools/asgml-prep || echo asgml-prep)
VWEAK_OPTS ?= --img-mismatch 0.4
AWEAK_OPTS ?= --aud-snr-db -5

JOBS_OPT = $(if $(JOBS),--jobs $(JOBS))
MANIFEST = $(OUT)/avdigits.manifest.tsv
RESERVE = $(OUT)/avdigits.reserve.tsv

all: $(OUT)/avdigits-clean.h5 $(OUT)/avdigits-vweak.h5
manifest: $(MANIFEST)
clean: $(OUT)/avdigits-clean.h5
vweak: $(OUT)/avdigits-vweak.h5
aweak: $(OUT)/avdigits-aweak.h5

$(MANIFEST):
	@test -n "$(AVDIGITS)" || { echo "av-digits.mk: set AVDIGITS=/path/to/av-digits" >&2; exit 2; }
	@test -d "$(AVDIGITS)/fsdd" && test -d "$(AVDIGITS)/mnist" || \
	  { echo "av-digits.mk: $(AVDIGITS): no fsdd/ and mnist/ inside" >&2; exit 1; }
	mkdir -p $(OUT)
	$(ASGML_PREP) avdigits-manifest --src "$(AVDIGITS)" --seed $(SEED) \
	  --reserve $(RESERVE) -o $@

$(RESERVE): $(MANIFEST)

$(OUT)/avdigits-clean.h5: $(MANIFEST)
	$(ASGML_PREP) --preset avdigits-clean --seed $(SEED) $(JOBS_OPT) $(MANIFEST) -o $@

$(OUT)/avdigits-vweak.h5: $(MANIFEST) $(RESERVE)
	$(ASGML_PREP) --preset avdigits-vweak $(VWEAK_OPTS) --img-reserve $(RESERVE) \
	  --seed $(SEED) $(JOBS_OPT) $(MANIFEST) -o $@

$(OUT)/avdigits-aweak.h5: $(MANIFEST)
	$(ASGML_PREP) --preset avdigits-aweak $(AWEAK_OPTS) --seed $(SEED) $(JOBS_OPT) \
	  $(MANIFEST) -o $@

check: all
	$(ASGML_PREP) verify $(OUT)/avdigits-clean.h5 $(OUT)/avdigits-vweak.h5

clean-stores:
	rm -f $(OUT)/avdigits-clean.h5 $(OUT)/avdigits-vweak.h5 $(OUT)/avdigits-aweak.h5 \
	  $(MANIFEST) $(RESERVE)

.PHONY: all manifest clean vweak aweak check clean-stores
