# SPDX-License-Identifier: MIT
# ablation.mk - ablation studies on top of the grid engine grid.mk
# (GNU make 4), shared by ablation-v1.mk and ablation-v2.mk.
#
# A study is a list of configurations (grid tokens without the seed) and
# one of them, its reference; every configuration runs with every seed of
# SEEDS.  A study file sets, before including this file:
#
#     ABL_NAME    = ablation-v1           the list's target and GRID_NAME
#     ABL_STUDIES = tau-base beta ...     the studies, in report order
#     abl_<s>_doc = one line: what study <s> varies ([D1]/[D2] section)
#     abl_<s>_ref = the reference configuration, e.g. asgml-freq
#     abl_<s>_cfgs = $(call abl_cfgs,METHODS,PARAMS) ...  (recursive =:
#                   PARAMS as grid_cells' KEY=V1|V2 list; the reference
#                   must be one of them)
#     ABL_DEFAULT_SEEDS, ABL_DEFAULT_EPOCHS   the full-size settings, for
#                   the report header (a smaller run says so), and
#     ABL_SIZE_EXTRA  other departures from the full size (text, or empty)
#
# A configuration shared by studies (a reference, say) is one cell: the
# grid is the union of the studies' cells.  Targets, besides grid.mk's
# (all, list, commands, sbatch, status, clean-grid; its `report` tabulates
# all cells without comparisons):
#     study-<s>   the cells of study <s>, then $(GRID_DIR)/study-<s>.md:
#                 asgml-report with every configuration against the
#                 reference by a paired t-test over the seeds
#                 (asgml-report --vs-run=REFERENCE-RUN --test paired)
#     $(ABL_NAME) every study, then $(GRID_DIR)/report.md: a header (store,
#                 seeds, epochs, options, whether the run is smaller than the
#                 full size) and each study's table under its description
#     studies     the study names, one per line, with their cell counts

ifndef ABL_NAME
$(error ablation.mk: set ABL_NAME and ABL_STUDIES before including it)
endif

GRID_NAME = $(ABL_NAME)

# config tokens METHOD~KEY=V... (no seed) for METHODS x PARAMS
abl_cfgs = $(call _grid_cross,$(1),$(2))
_abl_cells = $(foreach c,$(abl_$(1)_cfgs),$(foreach s,$(SEEDS),$(c)~seed=$(s)))
_abl_dirs = $(foreach c,$(call _abl_cells,$(1)),$(call grid_dir,$(c)))
_abl_refdir = $(call grid_dir,$(abl_$(1)_ref)~seed=$(firstword $(SEEDS)))

# the grid: every study's cells, each once
GRID_CELLS = $(sort $(foreach s,$(ABL_STUDIES),$(call _abl_cells,$(s))))

include $(dir $(lastword $(MAKEFILE_LIST)))grid.mk

ifneq ($(words $(SEEDS)),$(words $(sort $(SEEDS))))
$(error ablation.mk: SEEDS names a seed twice)
endif
ifeq ($(filter-out 0 1,$(words $(SEEDS))),)
$(error ablation.mk: the paired tests need at least two SEEDS (got '$(SEEDS)'))
endif
$(foreach s,$(ABL_STUDIES),$(if $(filter $(abl_$(s)_ref),$(abl_$(s)_cfgs)),,$(error \
  ablation.mk: study $(s): its reference '$(abl_$(s)_ref)' is not one of its configurations)))

ABL_SIZE = $(if $(and $(filter $(words $(SEEDS)),$(words $(ABL_DEFAULT_SEEDS))),$(filter \
  $(EPOCHS),$(ABL_DEFAULT_EPOCHS)),$(if $(ABL_SIZE_EXTRA),,1)),full size,REDUCED: $(words \
  $(SEEDS)) seeds and $(EPOCHS) epochs instead of $(words $(ABL_DEFAULT_SEEDS)) seeds and \
  $(ABL_DEFAULT_EPOCHS) epochs$(if $(ABL_SIZE_EXTRA),; $(ABL_SIZE_EXTRA)))

.PHONY: studies $(ABL_NAME) $(foreach s,$(ABL_STUDIES),study-$(s))

studies:
	@$(foreach s,$(ABL_STUDIES),echo '$(s): $(words $(abl_$(s)_cfgs)) configurations x $(words $(SEEDS)) seeds, reference $(call grid_name,$(abl_$(s)_ref))';)

define _abl_rule
study-$(1): $(foreach d,$(call _abl_dirs,$(1)),$(d)/summary.json)
	'$$(ASGML_REPORT)' $$(REPORT_ARGS) --test paired --vs-run='$(call _abl_refdir,$(1))' \
	    -o '$$(GRID_DIR)/study-$(1).md' $(call _abl_dirs,$(1))
	@echo "grid: $$(GRID_DIR)/study-$(1).md"
endef
$(foreach s,$(ABL_STUDIES),$(eval $(call _abl_rule,$(s))))

$(ABL_NAME): $(foreach s,$(ABL_STUDIES),study-$(s))
	@{ echo '# $(ABL_NAME): $(words $(ABL_STUDIES)) studies, $(words $(GRID_CELLS)) cells'; \
	   echo; \
	   echo '- store: $(STORE)'; \
	   echo '- seeds: $(SEEDS); epochs: $(EPOCHS) ($(ABL_SIZE))'; \
	   echo '- options of every cell: $(TRAIN_ARGS) $(EXTRA_ARGS)'; \
	   echo '- each table: asgml-report $(REPORT_ARGS) --test paired, every configuration against the study'"'"'s reference (paired t-test over the seeds; metric of record: the last epoch)'; \
	   $(foreach s,$(ABL_STUDIES),echo; echo '## $(s): $(abl_$(s)_doc)'; echo; \
	     echo 'Reference: $(call grid_name,$(abl_$(s)_ref)) ($(words $(abl_$(s)_cfgs)) configurations).'; \
	     echo; cat '$(GRID_DIR)/study-$(s).md';) \
	 } >'$(GRID_DIR)/report.md.tmp' && mv '$(GRID_DIR)/report.md.tmp' '$(GRID_DIR)/report.md'
	@echo "grid: $(GRID_DIR)/report.md"
