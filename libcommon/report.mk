## libcommon/report.mk - statistics for asgml-report: Student t via the
## regularised incomplete beta function, t intervals, Welch/paired tests.
libasgml_la_SOURCES += libcommon/report_stats.c libcommon/report_stats.h
