# SPDX-License-Identifier: MIT
## tests/cuda.mk - CUDA backend tests (built only with --with-cuda).
## test-cuda-seam checks the backend's host-side logic and runs anywhere;
## test-cuda-train-step needs a device and SKIPs without one, like
## test-backend-ops (tests/nn.mk).  `make check-gpu` runs the GPU tests only.
## bench/bench-gpu (built with the CUDA backend, run on a GPU machine through
## bench/bench-gpu.sh) times training steps at the CREMA-D shape.
if HAVE_CUDA
check_PROGRAMS += tests/test-cuda-seam tests/test-cuda-train-step
tests_test_cuda_seam_SOURCES = tests/test-cuda-seam.c tests/tap.h
tests_test_cuda_train_step_SOURCES = tests/test-cuda-train-step.c tests/tap.h
TESTS += tests/test-cuda-seam tests/test-cuda-train-step
GPU_TESTS += tests/test-backend-ops tests/test-cuda-train-step
noinst_PROGRAMS += bench/bench-gpu
bench_bench_gpu_SOURCES = bench/bench-gpu.c
endif
EXTRA_DIST += tests/test-cuda-seam.c tests/test-cuda-train-step.c bench/bench-gpu.c \
	bench/bench-gpu.sh
