## libcommon/methods.mk - training methods as hooks (asgml/method.h) and
## probes (asgml/probe.h); included by the top Makefile.am.
libasgml_la_SOURCES += libcommon/method_registry.c libcommon/method_baseline.c \
	libcommon/method_unimodal.c libcommon/method_ogm_ge.c \
	libcommon/method_asgml_freq.c libcommon/method_asgml_stale.c \
	libcommon/method_asgml_boost.c libcommon/probe.c \
	libcommon/asgml_v1.c libcommon/asgml_v1.h
