# SPDX-License-Identifier: MIT
## tools/report.mk - asgml-report's helpers (run loading and grouping,
## table formats, curves, TensorBoard event files); tools_asgml_report_SOURCES
## is set in tools.mk.
tools_asgml_report_SOURCES += tools/report.h tools/report_runs.c \
	tools/report_format.c tools/report_curves.c tools/report_confusion.c \
	tools/report_tensorboard.c tools/report_tsne.c tools/tfevents.h tools/tfevents.c
# the Event schema, packed by protobuf-c (protoc-c generates the code)
nodist_tools_asgml_report_SOURCES = tools/tfevent.pb-c.c tools/tfevent.pb-c.h
BUILT_SOURCES += tools/tfevent.pb-c.c tools/tfevent.pb-c.h
CLEANFILES += tools/tfevent.pb-c.c tools/tfevent.pb-c.h
EXTRA_DIST += tools/tfevent.proto
tools/tfevent.pb-c.c tools/tfevent.pb-c.h: tools/tfevent.proto
	$(AM_V_GEN)$(MKDIR_P) tools && \
	$(PROTOC_C) --proto_path=$(srcdir)/tools --c_out=tools $(srcdir)/tools/tfevent.proto
tools_asgml_report_CPPFLAGS = $(AM_CPPFLAGS) $(PROTOBUFC_CFLAGS) $(ISAL_CFLAGS)
# asgml-report reads the run files with jansson itself.
tools_asgml_report_LDADD = $(ASGML_TOOL_LDADD) $(JANSSON_LIBS) $(PROTOBUFC_LIBS) $(ISAL_LIBS) -lm
