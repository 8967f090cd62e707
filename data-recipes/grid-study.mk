# SPDX-License-Identifier: MIT
# grid-study.mk - the AV-Digits imbalance study (issue 16): every method of
# asgml-train --list-methods on each of the four regimes of
# data-recipes/av-digits.mk (vweak, vhard, aweak, clean), 5 seeds, with the
# settings of grid-av-digits.mk (ResNet18 layout at width 8, 6 epochs,
# batch 64, SGD lr 0.01 cosine, asgml.eval-freq 20), on the split scheme
# SCHEME (default fsdd_val: takes 0-4 test, 5-9 validation, 10-49
# training, so that every run has a best epoch chosen on validation; empty:
# the store's default scheme).
#
#     make -f data-recipes/av-digits.mk OUT=stores regimes         # the stores
#     make -f data-recipes/grid-study.mk REGIME=vhard -j 2          # one regime
#     make -f data-recipes/grid-study.mk study -j 2                 # all four
#     make -f data-recipes/grid-study.mk study SUBSET=core -j 2     # <= 2 h
# Engine, targets (list, commands, sbatch, status, report) and variables:
# data-recipes/grid.mk.  One grid per regime: GRID_DIR grids/study-<regime>,
# STORE $(STORES)/avdigits-<regime>.h5.
#
# Cells per regime (SEEDS, default 1..5, each):
#   core: baseline; unimodal audio, visual; ogm-ge (alpha 0.8, official) and
#     alpha 0.1, 0.3, and variant bmm; asgml-freq; asgml-stale; asgml-boost
#     (alpha 0.5) and alpha 0.25, 1.0; asgml-boost+ogm-ge = 13 x 5 = 65
#   rest: agm, arl, mmpareto, opm, opm+ogm-ge, pmr, inforeg, miles, mla,
#     cggm, dnr, gblend = 12 x 5 = 60
#   SUBSET=all (default) both: 125 cells per regime, 500 for the study.
# Epoch windows and counts scaled to the run's length E = EPOCHS (6), from
# the spec's 100-epoch defaults, rounding down, never below one epoch:
#   ogm-ge window [0, 50] of 100 -> [0, floor(50 E / 100)] = [0, 3]
#     (ogm-ge.end; the bmm variant's [10, 80] of 30 epochs ->
#     [floor(10 E / 30), floor(80 E / 30) capped at E - 1] = [2, 5]);
#   arl warm-up 5 of 100 -> 0; opm warm-up 5 of 100 -> 0; pmr window [0, 70]
#   -> [0, 4]; dnr period 20 of 90 -> 1; gblend n = 10 trial epochs every 10
#   -> 2 and 2; agm, inforeg, miles, mla, mmpareto, cggm have no window
#   (grid-av-digits.mk says why for each).  Everything else: spec defaults.
# Budget (2 cores, make -j 2): the 60 cells of grid-av-digits.mk's first
# part took 13 min 50 s, 13.8 s of wall time per cell; the comparison
# methods cost 1-4x a baseline cell (gblend most).  Estimates:
#   core: 65 cells x 4 regimes x 13.8 s          = 60 min
#   rest: 60 cells x 4 regimes x ~2 x 13.8 s     = ~110 min
#   all:  ~2 h 50 min: over the 2 h budget; SUBSET=core fits with room,
#         SUBSET=rest is the second sitting (about 1 h 50 min).
# Measured 2026-12-03 (SUBSET=core, scheme fsdd_val, which also evaluates
# the validation split every epoch): 2 h 16 min for all 260 cells on a
# 2-core machine that also ran a CI rehearsal, fuzzing and builds; the
# regime with the least other work (clean) took 25 min for its 65 cells,
# so about 1 h 40 min for the four alone, not the 60 min estimated above.
#
# The results page (issue 16):
#     make -f data-recipes/grid-study.mk results   (grid-av-digits.mk results
#                                                   is the same)
# writes RESULTS_PAGE (doc/results-av-digits.md) and its curves (the
# directory of the same name without .md) from the runs present in
# STUDY_ROOT/study-<regime>/ for every regime; it trains nothing (run `study`
# first) and always regenerates.  data-recipes/results-page.sh composes
# asgml-report's output: per regime three tables (last epoch, best epoch on
# validation when the runs have a validation split, best epoch on test),
# every group against the baseline's by a paired t-test over the seeds
# with Holm's correction, and asgml-report --curves of baseline with each
# method (per-modality accuracy, OGM-GE k_m, ASGML tau and boost scales,
# probe accuracies: whatever the runs logged); a regime without runs is
# listed as "not run".  Header: commit (git describe, else the version),
# date and the command.  RESULTS_FINDINGS (default
# doc/results-av-digits-findings.md), hand-written, is included verbatim
# between markers when it exists; the page itself is never edited by hand.

STUDY_MK_DIR := $(dir $(lastword $(MAKEFILE_LIST)))
REGIMES = vweak vhard aweak clean
REGIME ?= vweak
STORES ?= stores
SUBSET ?= all
GRID_NAME = study-$(REGIME)
STUDY_ROOT ?= grids
GRID_DIR ?= $(STUDY_ROOT)/study-$(REGIME)
STORE ?= $(STORES)/avdigits-$(REGIME).h5
SEEDS ?= 1 2 3 4 5
EPOCHS ?= 6
WIDTH ?= 8
LR ?= 0.01
SCHEME ?= fsdd_val
TRAIN_ARGS = -e $(EPOCHS) -b 64 --set model.width=$(WIDTH) --set optim.lr=$(LR) \
	--set sched.name=cosine --set train.keep-checkpoints=0 --set asgml.eval-freq=20 \
	$(if $(SCHEME),--set data.scheme=$(SCHEME))

ifeq ($(filter $(REGIME),$(REGIMES)),)
$(error grid-study.mk: REGIME=$(REGIME) is not one of $(REGIMES))
endif
ifeq ($(filter $(SUBSET),core rest all),)
$(error grid-study.mk: SUBSET=$(SUBSET) is not one of core, rest, all)
endif

# scaled windows (see the top)
OGM_END ?= $(shell echo $$(( $(EPOCHS) * 50 / 100 )))
BMM_START ?= $(shell echo $$(( $(EPOCHS) * 10 / 30 )))
BMM_END ?= $(shell n=$$(( $(EPOCHS) * 80 / 30 )); [ $$n -lt $(EPOCHS) ] || n=$$(( $(EPOCHS) - 1 )); echo $$n)
PMR_END ?= $(shell echo $$(( $(EPOCHS) * 7 / 10 )))
DNR_PERIOD ?= $(shell n=$$(( $(EPOCHS) * 20 / 90 )); [ $$n -ge 1 ] || n=1; echo $$n)
GBLEND_N ?= 2
CGGM_CLIP ?= 0.8
BOOST_ALPHAS ?= 0.25|1.0
OGM_ALPHAS ?= 0.1|0.3

ifneq ($(SUBSET),rest)
GRID_CELLS = $(call grid_cells,baseline asgml-freq asgml-stale asgml-boost,$(SEEDS),)
GRID_CELLS += $(call grid_cells,unimodal,$(SEEDS),unimodal.modality=audio|visual)
GRID_CELLS += $(call grid_cells,ogm-ge asgml-boost+ogm-ge,$(SEEDS),ogm-ge.end=$(OGM_END))
GRID_CELLS += $(call grid_cells,ogm-ge,$(SEEDS),ogm-ge.end=$(OGM_END) ogm-ge.alpha=$(OGM_ALPHAS))
GRID_CELLS += $(call grid_cells,ogm-ge,$(SEEDS),ogm-ge.variant=bmm ogm-ge.alpha=0.3 ogm-ge.start=$(BMM_START) ogm-ge.end=$(BMM_END))
GRID_CELLS += $(call grid_cells,asgml-boost,$(SEEDS),asgml-boost.alpha=$(BOOST_ALPHAS))
endif
ifneq ($(SUBSET),core)
GRID_CELLS += $(call grid_cells,agm mmpareto inforeg miles mla,$(SEEDS),)
GRID_CELLS += $(call grid_cells,arl,$(SEEDS),arl.es=0)
GRID_CELLS += $(call grid_cells,opm opm+ogm-ge,$(SEEDS),opm.warmup=0)
GRID_CELLS += $(call grid_cells,pmr,$(SEEDS),pmr.end=$(PMR_END))
GRID_CELLS += $(call grid_cells,cggm,$(SEEDS),cggm.clip=$(CGGM_CLIP))
GRID_CELLS += $(call grid_cells,dnr,$(SEEDS),dnr.period=$(DNR_PERIOD))
GRID_CELLS += $(call grid_cells,gblend,$(SEEDS),gblend.epochs=$(GBLEND_N) gblend.every=$(GBLEND_N))
endif

include $(STUDY_MK_DIR)grid.mk

# every regime, one after the other (each with this make's -j)
.PHONY: study study-list
study:
	@for r in $(REGIMES); do \
	  $(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) REGIME=$$r SUBSET=$(SUBSET) all || exit 1; done
study-list:
	@for r in $(REGIMES); do \
	  $(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) REGIME=$$r SUBSET=$(SUBSET) list || exit 1; done

# The results page (see the top).  RESULTS_VIA: the grid file a forwarding
# make was started with (grid-av-digits.mk), for the page's command line.
RESULTS_PAGE ?= doc/results-av-digits.md
RESULTS_FINDINGS ?= $(patsubst %.md,%-findings.md,$(RESULTS_PAGE))
RESULTS_REF ?= baseline
regime_doc_vweak = vweak: 40 % of the images swapped for images of another class (all splits): a noisy, mislabelled weak visual modality (av-digits.mk).
regime_doc_vhard = vhard: images 4x4 average-pooled plus N(0, 40^2) noise, labels correct: an informative but hard visual modality (av-digits.mk).
regime_doc_aweak = aweak: audio with white noise at -5 dB SNR, clean images: a weak audio modality (av-digits.mk).
regime_doc_clean = clean: both modalities clean, the ceiling (av-digits.mk).
_results_cmd = make -f $(or $(RESULTS_VIA),$(firstword $(MAKEFILE_LIST))) results$(if $(filter-out RESULTS_VIA=%,$(MAKEOVERRIDES)), $(filter-out RESULTS_VIA=%,$(MAKEOVERRIDES)))
_results_set1 = - grid: $(STUDY_MK_DIR)grid-study.mk, SUBSET=$(SUBSET) ($(words $(GRID_CELLS)) cells per regime), SEEDS $(SEEDS), stores $(STORES)/avdigits-REGIME.h5
_results_set2 = - options of every cell: `$(TRAIN_ARGS)$(if $(EXTRA_ARGS), $(EXTRA_ARGS))` (the settings of this make; those of each run are in its config.json)
_results_set3 = - epoch windows scaled from the 100-epoch defaults of the spec to EPOCHS=$(EPOCHS) (grid-study.mk, top): ogm-ge.end=$(OGM_END); bmm variant ogm-ge.start=$(BMM_START), end=$(BMM_END); pmr.end=$(PMR_END); dnr.period=$(DNR_PERIOD); gblend.epochs=gblend.every=$(GBLEND_N); arl.es=0, opm.warmup=0

.PHONY: results
results:
	@ASGML_REPORT='$(ASGML_REPORT)' REPORT_ARGS='$(REPORT_ARGS)' RESULTS_PAGE='$(RESULTS_PAGE)' \
	  STUDY_ROOT='$(STUDY_ROOT)' RESULTS_REF='$(RESULTS_REF)' RESULTS_FINDINGS='$(RESULTS_FINDINGS)' \
	  RESULTS_CELLS='$(foreach c,$(GRID_CELLS),$(call grid_name,$(c)))' \
	  RESULTS_CMD='$(_results_cmd)' RESULTS_SETTINGS="$$(printf '%s\n' '$(_results_set1)' '$(_results_set2)' '$(_results_set3)')" \
	  $(foreach r,$(REGIMES),RESULTS_DOC_$(r)='$(regime_doc_$(r))') \
	  sh '$(STUDY_MK_DIR)results-page.sh' $(REGIMES)
