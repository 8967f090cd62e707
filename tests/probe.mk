# SPDX-License-Identifier: MIT
## tests/probe.mk - tests of asgml-probe, Shapley values and the grid engine
## (included by the top Makefile.am).
check_PROGRAMS += tests/test-shapley
tests_test_shapley_SOURCES = tests/test-shapley.c tests/tap.h
TESTS += tests/test-shapley
# A tiny synthetic store for the tool tests (audio strong, visual weak).
check_PROGRAMS += tests/probe-mkstore
tests_probe_mkstore_SOURCES = tests/probe-mkstore.c
TESTS += tests/probe-tool.sh tests/grid.sh
EXTRA_DIST += tests/probe-tool.sh tests/grid.sh data-recipes/grid.mk \
	data-recipes/grid-av-digits.mk data-recipes/grid-cremad.mk
# asgml-eval --predictions, asgml-report --confusion, asgml-train --init (CLI)
TESTS += tests/eval-predictions.sh
EXTRA_DIST += tests/eval-predictions.sh
# The ablation grids of both designs and asgml-report --vs-run (issue 18);
# grid-cremad.mk: its commands against the expected list, and a toy run.
TESTS += tests/ablation.sh tests/grid-cremad.sh
EXTRA_DIST += tests/ablation.sh tests/grid-cremad.sh data-recipes/ablation.mk \
	data-recipes/ablation-v1.mk data-recipes/ablation-v2.mk \
	tests/fixtures/grid/cremad-f1.commands tests/fixtures/grid/cremad-f3.commands
# The AV-Digits results page (issue 16 item 3): grid-study.mk results on a
# toy study, checked against asgml-report.
TESTS += tests/results-page.sh
EXTRA_DIST += tests/results-page.sh data-recipes/results-page.sh
