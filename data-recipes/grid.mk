# SPDX-License-Identifier: MIT
# grid.mk - a generic experiment grid for asgml-train (GNU make 4).
#
# A grid file lists its cells and includes this engine:
#
#     GRID_NAME  = av-digits
#     STORE     ?= stores/avdigits-vweak.h5
#     TRAIN_ARGS = -e 30 --set model.width=16
#     GRID_CELLS  = $(call grid_cells,baseline ogm-ge,1 2 3,)
#     GRID_CELLS += $(call grid_cells,asgml-boost,1 2 3,asgml-boost.alpha=0.25|0.5|1.0)
#     include $(dir $(lastword $(MAKEFILE_LIST)))grid.mk
#
# GRID_CELLS must be a recursive variable (= and +=, not :=): it is expanded
# here, after grid_cells is defined.
# $(call grid_cells,METHODS,SEEDS,PARAMS) expands METHODS x SEEDS x every
# parameter list: PARAMS is a space-separated list of KEY=V1|V2|... items
# (asgml-train configuration keys, see asgml-train(1)); every combination is
# one cell (commas would end the $(call) argument, hence |).  Values may not
# contain spaces, commas, "|", "=", ":" or "/".
#
# One run directory per cell, named from its parameters:
#     $(GRID_DIR)/<method>[_<key>-<value>]..._seed-<seed>
# e.g. grids/av-digits/asgml-boost_asgml-boost.alpha-0.5_seed-3.
# A cell's make target is its summary.json, so
#     make -f data-recipes/grid-av-digits.mk -j 4        runs 4 cells at once;
#     an interrupted grid resumes where it stopped: complete cells (summary
#     status "complete") are not run again, a cell with a checkpoint
#     continues from it (asgml-train --resume), any other cell starts afresh
#     (its directory is removed first); a cell whose summary.json says
#     "interrupted" or "failed" is run again on the next make.
#
# Targets:
#     all (default)  every cell
#     report         every cell, then $(GRID_DIR)/report.md by asgml-report
#     list           the cell directories, one per line
#     commands       $(GRID_DIR)/grid.parallel: one shell command per cell,
#                    for GNU parallel:  parallel -j 8 < grids/x/grid.parallel
#     sbatch         $(GRID_DIR)/grid.sbatch: a Slurm job array (one task per
#                    cell, the same commands embedded unchanged):
#                    sbatch grids/x/grid.sbatch
#     status         cells complete / total
#     clean-grid     remove $(GRID_DIR)
# The command of a cell is the same everywhere (make recipe, parallel list,
# Slurm task), and it is idempotent: a complete cell is skipped, a cell
# with a checkpoint resumes.
#
# Variables (command line or environment):
#     STORE          the store every cell trains on (required)
#     GRID_DIR       output root (default grids/$(GRID_NAME))
#     ASGML_TRAIN    the trainer (default tools/asgml-train when it exists,
#                    else asgml-train from PATH); ASGML_REPORT likewise
#     TRAIN_ARGS     options given to every cell (set by the grid file)
#     EXTRA_ARGS     more options from the command line (e.g. --device cuda)
#     CELL_THREADS   -j of each asgml-train (default 1: make -j N uses N cores).
#                    Measured on 2 cores, 12 AV-Digits cells (6 methods x 2
#                    seeds): make -j 2 with 1 thread per cell 236 s and
#                    217 s, make -j 1 CELL_THREADS=2 340 s and 354 s; a cell
#                    scales less than 2x on 2 threads (small layers,
#                    per-step work that does not split), two cells do not
#                    share anything.  Raise it only when cells are fewer
#                    than cores (the end of a grid, one long run).
#     REPORT_ARGS    options of asgml-report (default --percent)
#     SBATCH_OPTS    extra "#SBATCH" lines' contents, space-separated items
#                    like --gres=gpu:1 --time=04:00:00 (default none)
#     SBATCH_MAXPAR  simultaneous array tasks (default: all)

ifndef GRID_NAME
$(error grid.mk: set GRID_NAME (and GRID_CELLS) before including it)
endif

GRID_DIR ?= grids/$(GRID_NAME)
ASGML_TRAIN ?= $(if $(wildcard tools/asgml-train),$(abspath tools/asgml-train),asgml-train)
ASGML_REPORT ?= $(if $(wildcard tools/asgml-report),$(abspath tools/asgml-report),asgml-report)
CELL_THREADS ?= 1
REPORT_ARGS ?= --percent
SBATCH_OPTS ?=
SBATCH_MAXPAR ?=

grid_empty :=
grid_space := $(grid_empty) $(grid_empty)

# _grid_cross PREFIXES,PARAMS -> every prefix extended by ~KEY=V for each
# value of the first parameter, recursively over the rest.
_grid_key = $(word 1,$(subst =, ,$(1)))
_grid_values = $(subst |, ,$(word 2,$(subst =, ,$(1))))
_grid_cross = $(if $(strip $(2)),$(call _grid_cross,$(foreach p,$(1),$(foreach v,$(call _grid_values,$(firstword $(2))),$(p)~$(call _grid_key,$(firstword $(2)))=$(v))),$(wordlist 2,$(words $(2)),$(2))),$(1))
# A cell token: METHOD~KEY=V~...~seed=S
grid_cells = $(foreach c,$(call _grid_cross,$(1),$(3)),$(foreach s,$(2),$(c)~seed=$(s)))

# token -> directory name, method, settings
grid_name = $(subst =,-,$(subst ~,_,$(1)))
grid_method = $(word 1,$(subst ~, ,$(1)))
_grid_settings = $(wordlist 2,999,$(subst ~, ,$(1)))
grid_dir = $(GRID_DIR)/$(call grid_name,$(1))
_grid_absdir = $(abspath $(call grid_dir,$(1)))
_grid_seed = $(patsubst seed=%,%,$(filter seed=%,$(call _grid_settings,$(1))))
_grid_sets = $(foreach kv,$(filter-out seed=%,$(call _grid_settings,$(1))),--set $(kv))

# The idempotent shell command of one cell (one line).
grid_cmd = d='$(call _grid_absdir,$(1))'; \
if grep -qs '"status": *"complete"' "$$d/summary.json"; then echo "$$d: complete"; \
elif [ -f "$$d/ckpt/last.h5" ]; then '$(ASGML_TRAIN)' --resume --out "$$d" -q -j $(CELL_THREADS) $(EXTRA_ARGS); \
else rm -rf "$$d" && mkdir -p '$(abspath $(GRID_DIR))' && '$(ASGML_TRAIN)' --store '$(abspath $(STORE))' --out "$$d" -q -j $(CELL_THREADS) \
-m $(call grid_method,$(1)) --seed $(call _grid_seed,$(1)) $(TRAIN_ARGS) $(call _grid_sets,$(1)) $(EXTRA_ARGS); fi

GRID_CELLS := $(strip $(GRID_CELLS))
GRID_TARGETS := $(foreach c,$(GRID_CELLS),$(call grid_dir,$(c))/summary.json)

ifneq ($(words $(GRID_CELLS)),$(words $(sort $(foreach c,$(GRID_CELLS),$(call grid_name,$(c))))))
$(error grid.mk: $(GRID_NAME) lists the same cell twice)
endif

# summary.json files that exist but are not "complete": run them again.
GRID_INCOMPLETE := $(filter-out /dev/null,$(shell grep -L '"status": *"complete"' \
	/dev/null $(wildcard $(GRID_TARGETS)) 2>/dev/null))

.PHONY: all report list commands sbatch status clean-grid grid-force
all: $(GRID_TARGETS)

define _grid_rule
$(call grid_dir,$(1))/summary.json: $(if $(filter $(call grid_dir,$(1))/summary.json,$(GRID_INCOMPLETE)),grid-force)
	@if [ -z '$(STORE)' ]; then echo "grid.mk: set STORE=path/to/store.h5" >&2; exit 2; fi
	@echo "grid: $(call grid_name,$(1))"
	@$$(call grid_cmd,$(1))
	@grep -qs '"status": *"complete"' $$@ || { echo "grid: $(call grid_name,$(1)) did not complete" >&2; exit 1; }
endef
$(foreach c,$(GRID_CELLS),$(eval $(call _grid_rule,$(c))))

grid-force:

report: $(GRID_TARGETS)
	'$(ASGML_REPORT)' $(REPORT_ARGS) -o '$(GRID_DIR)/report.md' $(patsubst %/summary.json,%,$(GRID_TARGETS))
	@echo "grid: $(GRID_DIR)/report.md"

list:
	@$(foreach c,$(GRID_CELLS),echo '$(call grid_dir,$(c))';)

# $(file) writes the commands exactly as make would run them.
_grid_lines = $(foreach c,$(GRID_CELLS),$(call grid_cmd,$(c))$(grid_newline))
define grid_newline


endef

commands:
	@if [ -z '$(STORE)' ]; then echo "grid.mk: set STORE=path/to/store.h5" >&2; exit 2; fi
	$(shell mkdir -p '$(GRID_DIR)')$(file >$(GRID_DIR)/grid.parallel.tmp,$(_grid_lines))
	@sed 's/^ //; /^$$/d' '$(GRID_DIR)/grid.parallel.tmp' >'$(GRID_DIR)/grid.parallel' && rm -f '$(GRID_DIR)/grid.parallel.tmp'
	@echo "grid: $(GRID_DIR)/grid.parallel ($(words $(GRID_CELLS)) commands; run: parallel -j N < $(GRID_DIR)/grid.parallel)"

sbatch: commands
	@{ echo '#!/bin/bash'; \
	   echo '#SBATCH --job-name=asgml-$(GRID_NAME)'; \
	   echo '#SBATCH --array=0-$(shell expr $(words $(GRID_CELLS)) - 1)$(if $(SBATCH_MAXPAR),%$(SBATCH_MAXPAR))'; \
	   echo '#SBATCH --output=$(abspath $(GRID_DIR))/slurm-%A_%a.out'; \
	   $(foreach o,$(SBATCH_OPTS),echo '#SBATCH $(o)';) \
	   echo '# asgml grid $(GRID_NAME): $(words $(GRID_CELLS)) cells, one per array task.'; \
	   echo '# Task i runs line i+1 of the list below (the same lines as grid.parallel).'; \
	   echo 'set -u'; \
	   echo 'cd $(CURDIR) || exit 1'; \
	   echo 'cmd=$$(sed -n "$$((SLURM_ARRAY_TASK_ID + 1))p" <<'"'"'ASGML_GRID_END'"'"; \
	   cat '$(GRID_DIR)/grid.parallel'; \
	   echo 'ASGML_GRID_END'; \
	   echo ')'; \
	   echo 'exec bash -c "$$cmd"'; \
	 } >'$(GRID_DIR)/grid.sbatch.tmp' && mv '$(GRID_DIR)/grid.sbatch.tmp' '$(GRID_DIR)/grid.sbatch'
	@echo "grid: $(GRID_DIR)/grid.sbatch ($(words $(GRID_CELLS)) array tasks; submit: sbatch $(GRID_DIR)/grid.sbatch)"

status:
	@n=0; for f in $(GRID_TARGETS); do grep -qs '"status": *"complete"' $$f && n=$$((n + 1)); done; \
	echo "grid $(GRID_NAME): $$n of $(words $(GRID_CELLS)) cells complete"

clean-grid:
	rm -rf '$(GRID_DIR)'
