# SPDX-License-Identifier: MIT
# grid-av-digits.mk - the CPU-sized comparison grid on AV-Digits (spoken
# digit + MNIST image, the image made weak: asgml-prep(1), DATA SETS, AV-Digits).
#
#     make -f data-recipes/av-digits.mk OUT=stores          # the stores first
#     make -f data-recipes/grid-av-digits.mk -j 2           # all cells
#     make -f data-recipes/grid-av-digits.mk report         # grids/av-digits/report.md
#     make -f data-recipes/grid-av-digits.mk sbatch         # or a Slurm array
# Engine, targets and variables: data-recipes/grid.mk (README at its top).
#
# Main table: baseline, unimodal audio, unimodal visual, ogm-ge, asgml-freq,
# asgml-stale, asgml-boost, asgml-boost+ogm-ge; SEEDS (default 1..5).
# Ablations: asgml-boost with alpha 0.25 and 1.0 (0.5, its default, is the
# main-table cell) and asgml-freq with tau-max 2 and 3 (the default 8 is the
# main-table cell; with two modalities and tau-base 2 the period never
# exceeds 4, so only caps below 4 change anything - asgml-methods(7), ASGML V1 SCHEDULER, Signals).
# 40 + 10 + 10 = 60 cells, plus the 12 comparison methods (agm, arl,
# mmpareto, opm, opm+ogm-ge, pmr, inforeg, miles, mla, cggm, dnr, gblend;
# each with SEEDS, settings below) = 120 cells.  Wider sweeps: ALPHAS="0.25|0.75|1.0|1.5",
# TAU_MAXES="1|2|3|4" on the command line.
#
# Model and budget (the first 60 cells took 13 min 50 s on 2 cores with
# make -j 2; the comparison methods cost 1-4x a baseline cell each, gblend
# most: see asgml-methods(7) for each method's cost): the ResNet18 layout at width 8 (feature dim 64),
# 6 epochs, batch 64, SGD momentum 0.9 (asgml-methods(7), OPTIMISER AND SCHEDULE) with lr 0.01 and a
# cosine schedule; the OGM-GE window covers every epoch; ASGML tau is
# recomputed twice per epoch (asgml.eval-freq 20: AV-Digits has 43 batches
# per epoch, and the default 100 would never fire, which asgml-train
# reports as an error).  data-recipes/av-digits.yaml is the same model
# trained for 10 epochs at lr 0.03.  Change EPOCHS, WIDTH, LR, or add
# EXTRA_ARGS="--device cuda" on the command line.

GRID_NAME = av-digits
STORE ?= stores/avdigits-vweak.h5
SEEDS ?= 1 2 3 4 5
EPOCHS ?= 6
WIDTH ?= 8
LR ?= 0.01
TRAIN_ARGS = -e $(EPOCHS) -b 64 --set model.width=$(WIDTH) --set optim.lr=$(LR) \
	--set sched.name=cosine --set train.keep-checkpoints=0 --set asgml.eval-freq=20
ALPHAS ?= 0.25|1.0
TAU_MAXES ?= 2|3

GRID_CELLS = $(call grid_cells,baseline ogm-ge asgml-freq asgml-stale asgml-boost asgml-boost+ogm-ge,$(SEEDS),)
GRID_CELLS += $(call grid_cells,unimodal,$(SEEDS),unimodal.modality=audio|visual)
GRID_CELLS += $(call grid_cells,asgml-boost,$(SEEDS),asgml-boost.alpha=$(ALPHAS))
GRID_CELLS += $(call grid_cells,asgml-freq,$(SEEDS),asgml.tau-max=$(TAU_MAXES))
# MMPareto (asgml-methods(7), MMPARETO), defaults (gamma 1.5, norm code): 5 cells
GRID_CELLS += $(call grid_cells,mmpareto,$(SEEDS),)

# agm (asgml-methods(7), AGM): spec defaults (alpha 1.0, whole-run window).
GRID_CELLS += $(call grid_cells,agm,$(SEEDS),)
# arl (asgml-methods(7), ARL): its warm-up e_s = 5 of 100 epochs scaled to
# the grid's EPOCHS = 6 leaves one warm-up epoch: arl.es=0 (0-based,
# modulation from epoch 1); T, gamma and the clip keep their defaults.
ARL_ES ?= 0
GRID_CELLS += $(call grid_cells,arl,$(SEEDS),arl.es=$(ARL_ES))
# opm, opm+ogm-ge: the paper's warm-up of 5 of 100 epochs scales to 0 of 6
# (opm.warmup=0: drops from epoch 1 on; OGM in opm+ogm-ge then from epoch 1).
GRID_CELLS += $(call grid_cells,opm opm+ogm-ge,$(SEEDS),opm.warmup=0)


# pmr: the official CREMA-D window [0, 70] of 100 epochs (the LR step) is
# scaled to the grid's epochs: end = floor(0.7 * EPOCHS) = 4 of 0..5 (+5 cells).
PMR_END ?= $(shell echo $$(( $(EPOCHS) * 7 / 10 )))
GRID_CELLS += $(call grid_cells,pmr,$(SEEDS),pmr.end=$(PMR_END))

# inforeg (asgml-methods(7), INFOREG): spec defaults (beta 0.9, K 0.04,
# paper variant), +5 cells.  Nothing to scale: the prime-learning-window
# test compares the Fisher traces of the two epochs before each epoch, so
# with 6 epochs it decides at epochs 2..5 as in a 50-epoch run from epoch 2
# on.  The reference setup (SGD lr 2e-3, StepLR(30), 50 epochs) is not the
# grid's: every cell shares the common setup above.
GRID_CELLS += $(call grid_cells,inforeg,$(SEEDS),)
# miles (asgml-methods(7), MILES): spec defaults tau 0.2, mu 0.5 on the
# validation hold-out; its rule acts per epoch and has no epoch window, so
# nothing scales with EPOCHS (+5 cells).
GRID_CELLS += $(call grid_cells,miles,$(SEEDS),)
# mla (asgml-methods(7), MLA): spec defaults (projection on, dynamic fusion).
GRID_CELLS += $(call grid_cells,mla,$(SEEDS),)
# cggm (asgml-methods(7), CGGM): spec defaults rho 1.3, lambda 0.2,
# classifier lr 5e-4, clip 0.8 (+5 cells).  AV-Digits needs another clip:
# 0.8 comes with zrguo/CGGM's Adam (lr 1e-3), whose steps do not scale with
# the gradient norm; with this grid's SGD the global norm is 8-15 before
# the clip, so it fires at every step and shrinks every update 10-20x
# (seed 1: test 37.7 %, baseline 93.0 %).  The clip cannot go: when the
# accuracy gains cancel, |B_m| reaches 1e6 and the run diverges (clip 1e9:
# 14.0 %); CGGM_CLIP=5 gave 64.0 % (seed 1, untuned).
CGGM_CLIP ?= 0.8
GRID_CELLS += $(call grid_cells,cggm,$(SEEDS),cggm.clip=$(CGGM_CLIP))
# dnr: ours.sh diagnoses every H = 20 of 90 epochs, R = 3 times (after
# 0-based epochs 20, 40, 60; the last 29 epochs re-learn).  H is scaled to
# the grid's epochs, H = max(1, floor(EPOCHS * 20 / 90)) = 1 of 6, R = 3 kept:
# diagnoses after epochs 1, 2 and 3, epochs 4-5 re-learn (+5 cells).
DNR_PERIOD ?= $(shell n=$$(( $(EPOCHS) * 20 / 90 )); [ $$n -ge 1 ] || n=1; echo $$n)
GRID_CELLS += $(call grid_cells,dnr,$(SEEDS),dnr.period=$(DNR_PERIOD))
# gblend (asgml-methods(7), GBLEND): the spec's n = 10 trial epochs,
# re-estimated every 10 of 100 epochs, does not fit the grid's 6 epochs; n
# and the period are scaled together to 2 (trials before epochs 0, 2 and 4:
# 3 estimations x 3 heads x 2 epochs = 18 extra epochs, about 4x a
# baseline cell) (+5 cells).
GBLEND_N ?= 2
GRID_CELLS += $(call grid_cells,gblend,$(SEEDS),gblend.epochs=$(GBLEND_N) gblend.every=$(GBLEND_N))

# Last: grid.mk fixes the cell list (GRID_CELLS :=) and makes the rules
# when it is read; cells added after this line would be listed but never run.
include $(dir $(lastword $(MAKEFILE_LIST)))grid.mk

# The imbalance study's results page (issue 16), doc/results-av-digits.md:
# made by grid-study.mk from the study's runs (STUDY_ROOT/study-<regime>/,
# default grids/study-*), not from this grid's; variables on the command
# line (STUDY_ROOT, RESULTS_PAGE, ...) pass through.  See grid-study.mk.
.PHONY: results
results:
	@$(MAKE) --no-print-directory -f '$(dir $(lastword $(filter %grid-av-digits.mk,$(MAKEFILE_LIST))))grid-study.mk' \
	  results RESULTS_VIA='$(firstword $(MAKEFILE_LIST))'
