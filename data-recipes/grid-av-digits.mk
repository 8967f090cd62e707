# grid-av-digits.mk - the CPU-sized comparison grid on AV-Digits (spoken
# digit + MNIST image, the image made weak: datasets.md 8.6).
#
#     make -f data-recipes/av-digits.mk OUT=stores          # the stores first
#     make -f data-recipes/grid-av-digits.mk -j 2           # all cells
#     make -f data-recipes/grid-av-digits.mk report         # grids/av-digits/report.md
#     make -f data-recipes/grid-av-digits.mk sbatch         # or a Slurm array
# Engine, targets and variables: data-recipes/grid.mk (README at its top).
#
# Main table: baseline, unimodal audio, unimodal visual, ogm-ge, asgml-freq,
# asgml-stale, asgml-boost, asgml-boost+ogm-ge; SEEDS (default 1..5).
# Ablations: asgml-boost with alpha 0.25/0.75/1.0/1.5 (0.5, its default, is
# the main-table cell) and asgml-freq with tau-max 1/2/3/4 (the default 8 is
# the main-table cell; with two modalities and tau-base 2 the period never
# exceeds 4, so only caps below 4 change anything - methods.md 4.2).
# 40 + 40 = 80 cells.
#
# Model and budget (sized for CPUs, not tuned): ResNet18 layout at width 8
# (feature dim 64), 15 epochs, batch 64, SGD momentum 0.9 (methods.md 1.5)
# with lr 0.01 and a x0.1 step after epoch 10; the OGM-GE window covers
# every epoch.  Measured (2 threads, loaded 2-core machine, baseline): one
# epoch takes 34 s at width 8 (30 s CPU; 2 min 25 s at width 16), so a cell
# costs about 8 CPU-minutes and the 80 cells about 10 CPU-hours
# (make -j 8: under 1.5 h on 8 cores).  Change EPOCHS, WIDTH, LR, or add
# EXTRA_ARGS="--device cuda" on the command line.  asgml.eval-freq is 20
# (AV-Digits has 43 batches per epoch; the default 100 would never
# recompute tau, which asgml-train reports as an error).

GRID_NAME = av-digits
STORE ?= stores/avdigits-vweak.h5
SEEDS ?= 1 2 3 4 5
EPOCHS ?= 15
WIDTH ?= 8
LR ?= 0.01
TRAIN_ARGS = -e $(EPOCHS) -b 64 --set model.width=$(WIDTH) --set optim.lr=$(LR) \
	--set sched.step-size=10 --set train.keep-checkpoints=0 --set asgml.eval-freq=20

GRID_CELLS = $(call grid_cells,baseline ogm-ge asgml-freq asgml-stale asgml-boost asgml-boost+ogm-ge,$(SEEDS),)
GRID_CELLS += $(call grid_cells,unimodal,$(SEEDS),unimodal.modality=audio|visual)
GRID_CELLS += $(call grid_cells,asgml-boost,$(SEEDS),asgml-boost.alpha=0.25|0.75|1.0|1.5)
GRID_CELLS += $(call grid_cells,asgml-freq,$(SEEDS),asgml.tau-max=1|2|3|4)

include $(dir $(lastword $(MAKEFILE_LIST)))grid.mk
