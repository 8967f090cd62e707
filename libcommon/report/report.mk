# SPDX-License-Identifier: MIT
## libcommon/report/report.mk - statistics for asgml-report (Student t,
## Welch/paired tests) and offline probing of checkpoints for asgml-probe
## (exact Shapley contributions, feature extraction, probes).
libasgml_la_SOURCES += libcommon/report/report_stats.c libcommon/report/report_stats.h \
	libcommon/report/shapley.c libcommon/report/shapley.h \
	libcommon/report/probe_eval.c libcommon/report/probe_eval.h \
	libcommon/report/predict.c \
	libcommon/report/tsne.c libcommon/report/features_read.c
