# SPDX-License-Identifier: MIT
## libcommon/methods/methods.mk - training methods behind the hook
## interface (asgml/method.h), one file each with its own math, and the
## shared pieces: the ASGML v1 signals and scheduler, the probe set, helpers.
libasgml_la_SOURCES += libcommon/methods/method_registry.c libcommon/methods/method_baseline.c \
	libcommon/methods/method_unimodal.c \
	libcommon/methods/method_ogm_ge.c libcommon/methods/method_ogm_ge.h \
	libcommon/methods/method_asgml_freq.c libcommon/methods/method_asgml_freq.h \
	libcommon/methods/method_asgml_stale.c libcommon/methods/method_asgml_stale.h \
	libcommon/methods/method_asgml_boost.c libcommon/methods/method_asgml_boost.h \
	libcommon/methods/method_helpers.c libcommon/methods/method_helpers.h \
	libcommon/methods/signals.c libcommon/methods/signals.h \
	libcommon/methods/v1_schedule.c libcommon/methods/v1_schedule.h \
	libcommon/methods/probe_set.c libcommon/methods/probe_set.h libcommon/methods/probe.c
libasgml_la_SOURCES += libcommon/methods/method_agm.c libcommon/methods/method_agm.h
libasgml_la_SOURCES += libcommon/methods/method_arl.c libcommon/methods/method_arl.h
libasgml_la_SOURCES += libcommon/methods/method_mmpareto.c libcommon/methods/method_mmpareto.h
libasgml_la_SOURCES += libcommon/methods/method_opm.c libcommon/methods/method_opm.h
libasgml_la_SOURCES += libcommon/methods/method_pmr.c libcommon/methods/method_pmr.h
libasgml_la_SOURCES += libcommon/methods/method_inforeg.c libcommon/methods/method_inforeg.h
libasgml_la_SOURCES += libcommon/methods/method_miles.c libcommon/methods/method_miles.h
libasgml_la_SOURCES += libcommon/methods/method_mla.c libcommon/methods/method_mla.h
libasgml_la_SOURCES += libcommon/methods/method_cggm.c libcommon/methods/method_cggm.h
libasgml_la_SOURCES += libcommon/methods/method_dnr.c libcommon/methods/method_dnr.h \
	libcommon/methods/kmeans.c libcommon/methods/kmeans.h
libasgml_la_SOURCES += libcommon/methods/method_gblend.c libcommon/methods/method_gblend.h
