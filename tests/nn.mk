# SPDX-License-Identifier: MIT
## tests/nn.mk - the backend ops: finite differences, PyTorch fixtures, parity
check_PROGRAMS += tests/test-ops-fd tests/test-ops-torch tests/test-backend-ops
tests_test_ops_fd_SOURCES = tests/test-ops-fd.c tests/tap.h
tests_test_ops_torch_SOURCES = tests/test-ops-torch.c tests/tap.h tests/h5fixture.h
tests_test_ops_torch_LDADD = $(LDADD) $(HDF5_LIBS)
tests_test_backend_ops_SOURCES = tests/test-backend-ops.c tests/tap.h
TESTS += tests/test-ops-fd tests/test-ops-torch tests/test-backend-ops
EXTRA_DIST += tests/fixtures/make_ops_fixtures.py tests/fixtures/ops/ops.h5
check_PROGRAMS += tests/test-conv-winograd
tests_test_conv_winograd_SOURCES = tests/test-conv-winograd.c tests/tap.h tests/urand.h
TESTS += tests/test-conv-winograd
check_PROGRAMS += tests/test-cpu-paths
tests_test_cpu_paths_SOURCES = tests/test-cpu-paths.c tests/tap.h tests/urand.h
TESTS += tests/test-cpu-paths
check_PROGRAMS += tests/test-backend-require
tests_test_backend_require_SOURCES = tests/test-backend-require.c tests/tap.h
TESTS += tests/test-backend-require
# speed15: the conv algorithms (Winograd F(4x4), F(6x6), the choice per shape)
check_PROGRAMS += tests/test-conv-algos
tests_test_conv_algos_SOURCES = tests/test-conv-algos.c tests/tap.h tests/urand.h
TESTS += tests/test-conv-algos
# speed15: the fused ops (batch norm + ReLU, add + ReLU) against the ops they fuse
check_PROGRAMS += tests/test-ops-fused
tests_test_ops_fused_SOURCES = tests/test-ops-fused.c tests/tap.h tests/urand.h
TESTS += tests/test-ops-fused
