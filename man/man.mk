# SPDX-License-Identifier: MIT
## man/man.mk - manual pages (installed by make install).
dist_man_MANS = man/asgml.7 man/asgml-prep.1 man/asgml-train.1 man/asgml-probe.1 \
	man/asgml-report.1 man/asgml-store.5 man/asgml-methods.7 \
	man/asgml-eval.1 man/asgml-python.7
