## tests/nn.mk - the backend ops: finite differences, PyTorch fixtures, parity
check_PROGRAMS += tests/test-ops-fd tests/test-ops-torch
tests_test_ops_fd_SOURCES = tests/test-ops-fd.c tests/tap.h
tests_test_ops_torch_SOURCES = tests/test-ops-torch.c tests/tap.h
tests_test_ops_torch_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-ops-fd tests/test-ops-torch
EXTRA_DIST += tests/fixtures/make_ops_fixtures.py tests/fixtures/ops/ops.h5
