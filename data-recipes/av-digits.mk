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
#     OUT/avdigits-vhard.h5       (issue 16) correct labels, hard images:
#                                 VHARD_OPTS (default --img-down 4
#                                 --img-noise 40: 4x4 average-pooled, then
#                                 N(0, 40^2) grey levels), clean audio
#     OUT/avdigits-aweak.h5       (issue 16) clean images, audio with white
#                                 noise at AWEAK_OPTS (default --aud-snr-db -5)
# Targets: all (default), manifest, clean, vweak, vhard, aweak (not built by
#     all), regimes (the four stores of the imbalance study: vweak, vhard,
#     aweak, clean), calibrate (below), check (asgml-prep verify),
#     clean-stores.
#
# The four imbalance regimes (issue 16; grid-study.mk trains every method on
# each):
#     vweak  image swapped for another class's with P 0.4 (all splits): a
#            noisy, mislabelled weak modality (ceiling ~60 %)
#     vhard  image informative but hard (labels correct): VHARD_OPTS
#     aweak  audio weak (white noise), images clean: AWEAK_OPTS
#     clean  both strong: the ceiling
# calibrate trains unimodal audio and unimodal visual on each regime's store,
# CAL_SEEDS (default 1-5), with the study grid's settings (CAL_ARGS: width 8,
# 6 epochs, batch 64, SGD lr 0.01 cosine), runs in CAL_DIR (default
# grids/calibration/<regime>/unimodal-<m>_seed-<s>), and writes
# CAL_DIR/calibration.md: per regime and modality, test accuracy of the last
# epoch as mean +- sd and 95 % CI by asgml-report.  Measured values are in
# data-recipes/README (issue 16 calibration).
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
VHARD_OPTS ?= --img-down 4 --img-noise 40
ASGML_TRAIN ?= $(shell test -x tools/asgml-train && echo tools/asgml-train || echo asgml-train)
ASGML_REPORT ?= $(shell test -x tools/asgml-report && echo tools/asgml-report || echo asgml-report)
CAL_DIR ?= grids/calibration
CAL_SEEDS ?= 1 2 3 4 5
CAL_ARGS ?= -e 6 -b 64 --set model.width=8 --set optim.lr=0.01 --set sched.name=cosine \
	--set train.keep-checkpoints=0
REGIMES = vweak vhard aweak clean

JOBS_OPT = $(if $(JOBS),--jobs $(JOBS))
MANIFEST = $(OUT)/avdigits.manifest.tsv
RESERVE = $(OUT)/avdigits.reserve.tsv

all: $(OUT)/avdigits-clean.h5 $(OUT)/avdigits-vweak.h5
manifest: $(MANIFEST)
clean: $(OUT)/avdigits-clean.h5
vweak: $(OUT)/avdigits-vweak.h5
aweak: $(OUT)/avdigits-aweak.h5
vhard: $(OUT)/avdigits-vhard.h5
regimes: $(foreach r,$(REGIMES),$(OUT)/avdigits-$(r).h5)

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

$(OUT)/avdigits-vhard.h5: $(MANIFEST)
	$(ASGML_PREP) --preset avdigits-clean $(VHARD_OPTS) --seed $(SEED) $(JOBS_OPT) \
	  $(MANIFEST) -o $@

# ---- calibration: unimodal accuracies per regime (issue 16) ----
# one run: $(CAL_DIR)/<regime>/unimodal-<modality>_seed-<seed>/summary.json;
# a complete run is not trained again
define cal_rule
$(CAL_DIR)/$(1)/unimodal-$(2)_seed-$(3)/summary.json: | $(OUT)/avdigits-$(1).h5
	@d=$(CAL_DIR)/$(1)/unimodal-$(2)_seed-$(3); \
	if ! grep -qs '"status": *"complete"' $$$$d/summary.json; then rm -rf $$$$d; \
	  echo "calibrate: $(1) unimodal $(2) seed $(3)"; \
	  $(ASGML_TRAIN) --store $(OUT)/avdigits-$(1).h5 --out $$$$d -q -j 1 -m unimodal \
	    --set unimodal.modality=$(2) --seed $(3) $(CAL_ARGS) || exit 1; fi
endef
# Only the distinct inputs are trained: vweak's and vhard's audio is clean's
# (same manifest, preset and seed; those stores differ from clean only in
# /visual, see asgml-prep(1)), and aweak's images are clean's; their table
# cells name the clean runs.  CAL_AUDIO="$(REGIMES)" CAL_VISUAL="$(REGIMES)"
# trains all eight.
CAL_AUDIO ?= aweak clean
CAL_VISUAL ?= vweak vhard clean
CAL_RUNS = $(foreach s,$(CAL_SEEDS),$(foreach r,$(CAL_AUDIO),$(CAL_DIR)/$(r)/unimodal-audio_seed-$(s)/summary.json) \
	$(foreach r,$(CAL_VISUAL),$(CAL_DIR)/$(r)/unimodal-visual_seed-$(s)/summary.json))
$(foreach r,$(REGIMES),$(foreach m,audio visual,$(foreach s,$(CAL_SEEDS),$(eval $(call cal_rule,$(r),$(m),$(s))))))
# the regime whose runs give modality $(2) of regime $(1)
cal_src = $(if $(filter $(1),$(if $(filter audio,$(2)),$(CAL_AUDIO),$(CAL_VISUAL))),$(1),clean)
cal_case = $(foreach r,$(REGIMES),$(r)$(rparen) ra=$(call cal_src,$(r),audio) rv=$(call cal_src,$(r),visual);;)
rparen := )

calibrate: $(CAL_DIR)/calibration.md
$(CAL_DIR)/calibration.md: $(CAL_RUNS)
	@set -e; t=$@.tmp; \
	{ echo "# AV-Digits calibration: unimodal test accuracy (%), last epoch"; echo; \
	  echo "Settings: $(CAL_ARGS); seeds $(CAL_SEEDS)."; \
	  echo "Made by: make -f data-recipes/av-digits.mk calibrate ($$(git rev-parse --short HEAD 2>/dev/null || echo 'no git'))."; echo; \
	  echo "| regime | store options | n | unimodal audio mean +- sd | 95 % CI | unimodal visual mean +- sd | 95 % CI |"; \
	  echo "|---|---|---|---|---|---|---|"; } >$$t; \
	for r in $(REGIMES); do \
	  case $$r in $(cal_case) esac; \
	  $(ASGML_REPORT) -f tsv --percent -m test.acc \
	    $(foreach s,$(CAL_SEEDS),$(CAL_DIR)/$$ra/unimodal-audio_seed-$(s) $(CAL_DIR)/$$rv/unimodal-visual_seed-$(s)) \
	    >$$t.$$r; \
	  opts=$$(case $$r in vweak) echo '$(VWEAK_OPTS)';; vhard) echo '$(VHARD_OPTS)';; \
	    aweak) echo '$(AWEAK_OPTS)';; *) echo 'none';; esac); \
	  awk -F '\t' -v r=$$r -v o="$$opts" -v ra=$$ra -v rv=$$rv 'NR == 1 { for (i = 1; i <= NF; i++) c[$$i] = i; next } \
	    { m = $$c["group"] ~ /audio/ ? "a" : "v"; n = $$c["n"]; \
	      ms[m] = sprintf("%.2f +- %.2f", $$c["mean"], $$c["std"]); \
	      ci[m] = sprintf("[%.2f, %.2f]", $$c["ci95_lo"], $$c["ci95_hi"]) } \
	    END { printf "| %s | %s | %s | %s%s | %s | %s%s | %s |\n", r, o, n, ms["a"], \
	          ra == r ? "" : " (" ra " runs)", ci["a"], ms["v"], rv == r ? "" : " (" rv " runs)", ci["v"] }' \
	    $$t.$$r >>$$t; rm -f $$t.$$r; done; \
	mv $$t $@; cat $@

check: all
	$(ASGML_PREP) verify $(OUT)/avdigits-clean.h5 $(OUT)/avdigits-vweak.h5

clean-stores:
	rm -f $(OUT)/avdigits-clean.h5 $(OUT)/avdigits-vweak.h5 $(OUT)/avdigits-aweak.h5 \
	  $(OUT)/avdigits-vhard.h5 \
	  $(MANIFEST) $(RESERVE)

.PHONY: all manifest clean vweak aweak vhard regimes calibrate check clean-stores
