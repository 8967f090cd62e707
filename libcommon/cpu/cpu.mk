# SPDX-License-Identifier: MIT
## libcommon/cpu/cpu.mk - the CPU reference backend (asgml/backend.h).
libasgml_la_SOURCES += libcommon/cpu/cpu.h \
	libcommon/cpu/backend_cpu.c \
	libcommon/cpu/conv2d.c \
	libcommon/cpu/winograd.c \
	libcommon/cpu/winograd.h \
	libcommon/cpu/winograd_fm.c \
	libcommon/cpu/winograd_cl.c \
	libcommon/cpu/conv_algo.c \
	libcommon/cpu/batchnorm.c \
	libcommon/cpu/pool.c \
	libcommon/cpu/gemm.c \
	libcommon/cpu/loss.c \
	libcommon/cpu/optim_ops.c
