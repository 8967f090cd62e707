## tools/report.mk - asgml-report's helpers (run loading and grouping,
## table formats, curves); tools_asgml_report_SOURCES is set in tools.mk.
tools_asgml_report_SOURCES += tools/report.h tools/report_runs.c \
	tools/report_format.c tools/report_curves.c tools/report_confusion.c
# asgml-report reads the run files with jansson itself.
tools_asgml_report_LDADD = $(ASGML_TOOL_LDADD) $(JANSSON_LIBS) -lm
