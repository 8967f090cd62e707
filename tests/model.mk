# SPDX-License-Identifier: MIT
## tests/model.mk - the model and the optimisers against PyTorch fixtures
## (tests/fixtures/make_model_fixtures.py) and finite differences.
check_PROGRAMS += tests/test-model-torch
tests_test_model_torch_SOURCES = tests/test-model-torch.c tests/tap.h tests/h5fixture.h
tests_test_model_torch_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-model-torch
EXTRA_DIST += tests/fixtures/make_model_fixtures.py tests/fixtures/model/model.h5
check_PROGRAMS += tests/test-optim
tests_test_optim_SOURCES = tests/test-optim.c tests/tap.h tests/h5fixture.h
tests_test_optim_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-optim
check_PROGRAMS += tests/test-model-fd
tests_test_model_fd_SOURCES = tests/test-model-fd.c tests/tap.h
TESTS += tests/test-model-fd
# the layering of libcommon/nn/ (no include or call cycles, nothing upward)
TESTS += tests/layer-deps.sh
EXTRA_DIST += tests/layer-deps.sh
