# SPDX-License-Identifier: MIT
# ablation-v1.mk - the ablation studies of ASGML design v1 ([D1] 7.5 and
# the stale-fusion analysis of 5.3) as one grid of asgml-freq cells.
#
#     make -f data-recipes/ablation-v1.mk -j 2 ablation-v1    # every study
#     make -f data-recipes/ablation-v1.mk -j 2 study-kappa    # one study
#     make -f data-recipes/ablation-v1.mk studies             # what is in it
#     make -f data-recipes/ablation-v1.mk DATA=cremad STORE=stores/cremad.h5 sbatch
# -> grids/ablation-v1/report.md (one asgml-report table per study, every
# configuration against the study's reference by a paired t-test over the
# seeds).  Engine: data-recipes/ablation.mk and grid.mk; the figures of 7.5
# (staleness dynamics, prime window, feature drift) are asgml-report(1)
# FIGURES, not cells.  Which item of the design is which study:
# data-recipes/README, Ablation studies.
#
# DATA=av-digits (default): the settings of grid-av-digits.mk (ResNet18
# layout at width 8, 6 epochs, batch 64, SGD lr 0.01, cosine,
# asgml.eval-freq 20), SEEDS 1..5: 34 configurations x 5 seeds = 170 cells,
# about 40 min with make -j 2 on 2 idle cores (6-epoch cells take 25-30 s
# of one core).  DATA=cremad: the paper setup of grid-cremad.mk (ResNet18,
# 100 epochs, SGD lr 1e-3 StepLR 70, FRAMES 1 or 3) with the method
# defaults (no [AF] replay flags: the studies vary the design's method),
# seeds as grid-cremad.mk; GPU-sized.  SEEDS and EPOCHS can be given on the
# command line; report.md says when they are below the full size.
#
# Reference of most studies: asgml-freq with its defaults (tau-base 2,
# tau-max 8, kappa 3, beta 0.5, lambda 0.1, gamma 1, freeze skipping, mul
# compensation).  With N = 2 modalities S_m <= 2, so tau_hat <= 2 tau-base:
# at tau-base 2 a tau-max above 4 never binds and kappa >= 4 never binds
# (asgml-methods(7), ASGML V1 SCHEDULER, Signals).  Hence:
#   tau-max      2|3 (the caps that can bind; 8 is the reference)
#   delta-tau    the staleness gap is set exactly by the fixed variant:
#                the dominant modality (the first, audio) updates every
#                Delta-tau + 1 steps, the others every step (fixed-ratio
#                = Delta-tau + 1; the kappa bound does not apply to it);
#                reference fixed-ratio 1 = Delta-tau 0 (synchronous)
#   kappa        2|3|5|inf at tau-base 5, tau-max 10, where tau_hat
#                reaches 10 and each bound can bind; kappa 0 is inf
#                (asgml.kappa <= 0 disables the bound); reference kappa 3
#   constraint   with (kappa 3) and without (kappa 0) at the defaults
#   feature-norm none|l2|layernorm at the defaults, and (feature-norm-gap)
#                at Delta-tau 10, where stale features drift most

ABL_NAME = ablation-v1
DATA ?= av-digits
ifeq ($(DATA),av-digits)
STORE ?= stores/avdigits-vweak.h5
ABL_DEFAULT_SEEDS = 1 2 3 4 5
ABL_DEFAULT_EPOCHS = 6
SEEDS ?= $(ABL_DEFAULT_SEEDS)
EPOCHS ?= $(ABL_DEFAULT_EPOCHS)
WIDTH ?= 8
LR ?= 0.01
ABL_SIZE_EXTRA = $(if $(filter-out 8,$(WIDTH)),model width $(WIDTH) instead of 8)
TRAIN_ARGS = -e $(EPOCHS) -b 64 --set model.width=$(WIDTH) --set optim.lr=$(LR) \
	--set sched.name=cosine --set train.keep-checkpoints=0 --set asgml.eval-freq=20
else ifeq ($(DATA),cremad)
STORE ?= stores/cremad.h5
FRAMES ?= 1
ifeq ($(FRAMES),1)
ABL_DEFAULT_SEEDS = 42 0 1 2 3
else
ABL_DEFAULT_SEEDS = 42 123 456 789 1024
endif
ABL_DEFAULT_EPOCHS = 100
SEEDS ?= $(ABL_DEFAULT_SEEDS)
EPOCHS ?= $(ABL_DEFAULT_EPOCHS)
TRAIN_ARGS = -e $(EPOCHS) -b 64 --set model.frames=$(FRAMES) --set train.keep-checkpoints=5
else
$(error ablation-v1.mk: DATA must be av-digits or cremad, not '$(DATA)')
endif

TAU_BASES ?= 1|3|5
TAU_MAXES ?= 2|3
BETAS ?= 0|0.25|0.75|1
LAMBDAS ?= 0|0.25|0.5|1
# Delta-tau 0 (reference), 1, 2, 3, 5, 8, 10 as fixed-ratio = Delta-tau + 1
DTAU_RATIOS ?= 2|3|4|6|9|11
KAPPA_TAU ?= asgml.tau-base=5 asgml.tau-max=10
KAPPAS ?= 2|5|0
FIXED = asgml-freq.adapt=fixed
GAP10 = asgml-freq~asgml-freq.adapt=fixed~asgml-freq.fixed-ratio=11

ABL_STUDIES = components tau-base tau-max beta lambda delta-tau kappa constraint \
	feature-norm feature-norm-gap

abl_components_doc = each component ([D1] 7.5 item 1): no ASGML (baseline), no staleness (tau-max 1), no gradient scaling (lambda 0), one signal only (beta 1 gradient, beta 0 loss descent), no unimodal losses (gamma 0), delayed gradients instead of skipped updates (asgml-stale)
abl_components_ref = asgml-freq
abl_components_cfgs = baseline asgml-freq asgml-stale \
	$(call abl_cfgs,asgml-freq,asgml.tau-max=1) $(call abl_cfgs,asgml-freq,asgml.lambda=0) \
	$(call abl_cfgs,asgml-freq,asgml.beta=0|1) $(call abl_cfgs,asgml-freq,asgml.gamma=0)

abl_tau-base_doc = tau_base in {$(subst |,$(grid_space),$(TAU_BASES))} and the default 2 ([D1] 7.5 item 2; range 1-5)
abl_tau-base_ref = asgml-freq
abl_tau-base_cfgs = asgml-freq $(call abl_cfgs,asgml-freq,asgml.tau-base=$(TAU_BASES))

abl_tau-max_doc = tau_max in {$(subst |,$(grid_space),$(TAU_MAXES))} and the default 8 ([D1] 7.5 item 2; with two modalities at tau-base 2 only caps below 4 can bind)
abl_tau-max_ref = asgml-freq
abl_tau-max_cfgs = asgml-freq $(call abl_cfgs,asgml-freq,asgml.tau-max=$(TAU_MAXES))

abl_beta_doc = beta in {$(subst |,$(grid_space),$(BETAS))} and the default 0.5 ([D1] 7.5 item 2)
abl_beta_ref = asgml-freq
abl_beta_cfgs = asgml-freq $(call abl_cfgs,asgml-freq,asgml.beta=$(BETAS))

abl_lambda_doc = lambda in {$(subst |,$(grid_space),$(LAMBDAS))} and the default 0.1 ([D1] 7.5 item 2)
abl_lambda_ref = asgml-freq
abl_lambda_cfgs = asgml-freq $(call abl_cfgs,asgml-freq,asgml.lambda=$(LAMBDAS))

abl_delta-tau_doc = staleness gap Delta-tau in {1 2 3 5 8 10} against Delta-tau 0 ([D1] 5.3 and 7.5 item 5): fixed variant, the dominant (first) modality updates every fixed-ratio = Delta-tau + 1 steps
abl_delta-tau_ref = asgml-freq~$(FIXED)~asgml-freq.fixed-ratio=1
abl_delta-tau_cfgs = $(call abl_cfgs,asgml-freq,$(FIXED) asgml-freq.fixed-ratio=1|$(DTAU_RATIOS))

abl_kappa_doc = staleness ratio bound kappa in {2 3 5 inf} (inf = kappa 0) at $(KAPPA_TAU), where tau_hat reaches 10 ([D1] 5.3 and 7.5 item 5)
abl_kappa_ref = $(subst $(grid_space),~,asgml-freq $(KAPPA_TAU) asgml.kappa=3)
abl_kappa_cfgs = $(call abl_cfgs,asgml-freq,$(KAPPA_TAU) asgml.kappa=3|$(KAPPAS))

abl_constraint_doc = with (kappa 3) and without (kappa 0) the relative staleness constraint at the defaults ([D1] 5.3 mitigation 1, 7.5 item 5)
abl_constraint_ref = asgml-freq
abl_constraint_cfgs = asgml-freq $(call abl_cfgs,asgml-freq,asgml.kappa=0)

abl_feature-norm_doc = without and with feature normalisation before fusion (model.feature-norm l2, layernorm; [D1] 5.3 mitigation 4) at the defaults
abl_feature-norm_ref = asgml-freq
abl_feature-norm_cfgs = asgml-freq $(call abl_cfgs,asgml-freq,model.feature-norm=l2|layernorm)

abl_feature-norm-gap_doc = the same at Delta-tau 10 (fixed-ratio 11), where the stale encoder drifts most
abl_feature-norm-gap_ref = $(GAP10)
abl_feature-norm-gap_cfgs = $(GAP10) $(call abl_cfgs,$(GAP10),model.feature-norm=l2|layernorm)

include $(dir $(lastword $(MAKEFILE_LIST)))ablation.mk
