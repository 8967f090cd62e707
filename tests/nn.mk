## tests/nn.mk - the backend ops: finite differences, PyTorch fixtures, parity
check_PROGRAMS += tests/test-ops-fd
tests_test_ops_fd_SOURCES = tests/test-ops-fd.c tests/tap.h
TESTS += tests/test-ops-fd
