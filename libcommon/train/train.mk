# SPDX-License-Identifier: MIT
## libcommon/train/train.mk - the training engine: run logs, method state,
## checkpoints, metrics, the training loop and the run directory.
libasgml_la_SOURCES += libcommon/train/runlog.c libcommon/train/state_io.c \
	libcommon/train/metrics.c libcommon/train/metrics.h libcommon/train/checkpoint.c \
	libcommon/train/train.c libcommon/train/train_config.c libcommon/train/train_rundir.c libcommon/train/train_internal.h \
	libcommon/train/services.c libcommon/train/validation.c libcommon/train/init_file.c
