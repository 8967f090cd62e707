# SPDX-License-Identifier: MIT
## tools/tools.mk - the four programs; each is one thin file plus cli.c.
bin_PROGRAMS += tools/asgml-prep tools/asgml-train tools/asgml-probe tools/asgml-report \
	tools/asgml-eval
tools_asgml_prep_SOURCES = tools/asgml-prep.c tools/cli.c tools/cli.h
tools_asgml_train_SOURCES = tools/asgml-train.c tools/cli.c tools/cli.h
tools_asgml_probe_SOURCES = tools/asgml-probe.c tools/cli.c tools/cli.h
tools_asgml_eval_SOURCES = tools/asgml-eval.c tools/cli.c tools/cli.h
tools_asgml_report_SOURCES = tools/asgml-report.c tools/cli.c tools/cli.h
# The tools use the public API only: they link the shared libasgml.la.
ASGML_TOOL_LDADD = libcommon/libasgml.la
tools_asgml_prep_LDADD = $(ASGML_TOOL_LDADD)
tools_asgml_train_LDADD = $(ASGML_TOOL_LDADD)
tools_asgml_probe_LDADD = $(ASGML_TOOL_LDADD)
tools_asgml_eval_LDADD = $(ASGML_TOOL_LDADD)
