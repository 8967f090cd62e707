# train.mk - the training engine: configuration, run logs, method state,
# checkpoints, the data loader, metrics and the training loop (included by
# the top Makefile.am).
libasgml_la_SOURCES += libcommon/config.c libcommon/runlog.c libcommon/state_io.c \
	libcommon/metrics.c libcommon/metrics.h
asgmlinclude_HEADERS += libcommon/asgml/config.h libcommon/asgml/checkpoint.h
