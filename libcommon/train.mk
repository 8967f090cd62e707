# train.mk - the training engine: configuration, run logs, method state,
# checkpoints, the data loader, metrics and the training loop (included by
# the top Makefile.am).
libasgml_la_SOURCES += libcommon/config.c libcommon/runlog.c libcommon/state_io.c \
	libcommon/metrics.c libcommon/metrics.h \
	libcommon/checkpoint.c libcommon/loader.c libcommon/loader.h \
	libcommon/train.c libcommon/train_rundir.c libcommon/train_internal.h
asgmlinclude_HEADERS += libcommon/asgml/checkpoint.h libcommon/asgml/train.h
