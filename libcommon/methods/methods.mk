## libcommon/methods/methods.mk - training methods behind the hook
## interface (asgml/method.h), one file each, and the shared pieces.
libasgml_la_SOURCES += libcommon/methods/method_registry.c libcommon/methods/method_baseline.c \
	libcommon/methods/method_unimodal.c libcommon/methods/method_ogm_ge.c \
	libcommon/methods/method_asgml_freq.c libcommon/methods/method_asgml_stale.c \
	libcommon/methods/method_asgml_boost.c libcommon/methods/probe.c \
	libcommon/methods/asgml_v1.c libcommon/methods/asgml_v1.h
