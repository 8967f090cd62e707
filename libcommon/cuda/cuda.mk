# SPDX-License-Identifier: MIT
## libcommon/cuda/cuda.mk - the CUDA backend (configure --with-cuda [--with-cudnn]).
## Host code that only calls the CUDA runtime, cuBLAS and cuDNN is ordinary C
## (compiled by $(CC) with $(CUDA_CFLAGS), which the top Makefile.am adds to
## AM_CPPFLAGS under HAVE_CUDA); only the kernels_*.cu files go through nvcc,
## via the .cu.lo rule and build-aux/cudalt.sh.  Without cuDNN the backend is
## still compiled (its pure host logic is unit-tested) but refuses to start:
## convolution and batch norm need cuDNN.
if HAVE_CUDA
libasgml_la_SOURCES += \
	libcommon/cuda/cuda_backend.h \
	libcommon/cuda/cuda_impl.h \
	libcommon/cuda/kernels.h \
	libcommon/cuda/backend_cuda.c \
	libcommon/cuda/cublas_ops.c \
	libcommon/cuda/cudnn_ops.c \
	libcommon/cuda/kernels_elementwise.cu \
	libcommon/cuda/kernels_loss.cu \
	libcommon/cuda/kernels_optim.cu \
	libcommon/cuda/kernels_reduce.cu \
	libcommon/cuda/kernels_philox.cu
else
EXTRA_DIST += \
	libcommon/cuda/cuda_backend.h \
	libcommon/cuda/cuda_impl.h \
	libcommon/cuda/kernels.h \
	libcommon/cuda/backend_cuda.c \
	libcommon/cuda/cublas_ops.c \
	libcommon/cuda/cudnn_ops.c \
	libcommon/cuda/kernels_elementwise.cu \
	libcommon/cuda/kernels_loss.cu \
	libcommon/cuda/kernels_optim.cu \
	libcommon/cuda/kernels_reduce.cu \
	libcommon/cuda/kernels_philox.cu
endif
