## tests/methods.mk - training methods (hand-computed signals), probes,
## OGM-GE against PyTorch/numpy.
check_PROGRAMS += tests/test-method-signals tests/test-probe tests/test-ogm-torch
tests_test_method_signals_SOURCES = tests/test-method-signals.c tests/tap.h
tests_test_probe_SOURCES = tests/test-probe.c tests/tap.h
tests_test_ogm_torch_SOURCES = tests/test-ogm-torch.c tests/tap.h tests/h5fixture.h
tests_test_ogm_torch_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-method-signals tests/test-probe tests/test-ogm-torch
EXTRA_DIST += tests/fixtures/make_ogm_fixtures.py tests/fixtures/methods/ogm.h5
check_PROGRAMS += tests/test-pmr-torch
tests_test_pmr_torch_SOURCES = tests/test-pmr-torch.c tests/tap.h tests/h5fixture.h
tests_test_pmr_torch_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-pmr-torch tests/train-pmr.sh
EXTRA_DIST += tests/fixtures/make_pmr_fixtures.py tests/fixtures/methods/pmr.h5 tests/train-pmr.sh
