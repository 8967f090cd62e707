# SPDX-License-Identifier: MIT
## tests/methods.mk - training methods (hand-computed signals), probes,
## OGM-GE against PyTorch/numpy.
check_PROGRAMS += tests/test-method-signals tests/test-probe tests/test-ogm-torch
tests_test_method_signals_SOURCES = tests/test-method-signals.c tests/tap.h
tests_test_probe_SOURCES = tests/test-probe.c tests/tap.h
tests_test_ogm_torch_SOURCES = tests/test-ogm-torch.c tests/tap.h tests/h5fixture.h
tests_test_ogm_torch_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-method-signals tests/test-probe tests/test-ogm-torch
EXTRA_DIST += tests/fixtures/make_ogm_fixtures.py tests/fixtures/methods/ogm.h5
check_PROGRAMS += tests/test-agm-torch
tests_test_agm_torch_SOURCES = tests/test-agm-torch.c tests/tap.h tests/h5fixture.h
tests_test_agm_torch_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-agm-torch
EXTRA_DIST += tests/fixtures/make_agm_fixtures.py tests/fixtures/methods/agm.h5
TESTS += tests/train-agm-resume.sh
EXTRA_DIST += tests/train-agm-resume.sh
# ARL against PyTorch (tests/fixtures/make_arl_fixtures.py), its e_s
# boundary, and determinism + bit-exact resume of an arl run.
check_PROGRAMS += tests/test-arl-torch
tests_test_arl_torch_SOURCES = tests/test-arl-torch.c tests/tap.h tests/h5fixture.h
tests_test_arl_torch_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-arl-torch tests/arl-determinism.sh
EXTRA_DIST += tests/fixtures/make_arl_fixtures.py tests/fixtures/methods/arl.h5 \
	tests/arl-determinism.sh
# mmpareto: min-norm solver, steps against PyTorch (make_mmpareto_fixtures.py)
check_PROGRAMS += tests/test-mmpareto-torch
tests_test_mmpareto_torch_SOURCES = tests/test-mmpareto-torch.c tests/tap.h tests/h5fixture.h
tests_test_mmpareto_torch_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-mmpareto-torch
EXTRA_DIST += tests/fixtures/make_mmpareto_fixtures.py tests/fixtures/methods/mmpareto.h5
TESTS += tests/mmpareto-determinism.sh
EXTRA_DIST += tests/mmpareto-determinism.sh
check_PROGRAMS += tests/test-opm
tests_test_opm_SOURCES = tests/test-opm.c tests/tap.h tests/trainrun.h
TESTS += tests/test-opm
TESTS += tests/train-determinism-opm.sh
EXTRA_DIST += tests/train-determinism-opm.sh
check_PROGRAMS += tests/test-pmr-torch
tests_test_pmr_torch_SOURCES = tests/test-pmr-torch.c tests/tap.h tests/h5fixture.h
tests_test_pmr_torch_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-pmr-torch tests/train-pmr.sh
EXTRA_DIST += tests/fixtures/make_pmr_fixtures.py tests/fixtures/methods/pmr.h5 tests/train-pmr.sh
# inforeg against PyTorch (tests/fixtures/make_inforeg_fixtures.py), the
# PLW's edge cases, and determinism + bit-exact resume of an inforeg run.
check_PROGRAMS += tests/test-inforeg-torch
tests_test_inforeg_torch_SOURCES = tests/test-inforeg-torch.c tests/tap.h tests/h5fixture.h
tests_test_inforeg_torch_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-inforeg-torch tests/inforeg-determinism.sh
EXTRA_DIST += tests/fixtures/make_inforeg_fixtures.py tests/fixtures/methods/inforeg.h5 \
	tests/inforeg-determinism.sh
# miles: the decision rule (every branch) and steps with per-group lrs
# against PyTorch (make_miles_fixtures.py); determinism + bit-exact resume.
check_PROGRAMS += tests/test-miles-torch
tests_test_miles_torch_SOURCES = tests/test-miles-torch.c tests/tap.h tests/h5fixture.h
tests_test_miles_torch_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-miles-torch tests/miles-determinism.sh
EXTRA_DIST += tests/fixtures/make_miles_fixtures.py tests/fixtures/methods/miles.h5 \
	tests/miles-determinism.sh
# mla: sub-steps + projection and the fusion rules against PyTorch
# (make_mla_fixtures.py); determinism, bit-exact resume, asgml-probe's
# accuracy = the run's evaluation for every mla.fusion rule.
check_PROGRAMS += tests/test-mla-torch
tests_test_mla_torch_SOURCES = tests/test-mla-torch.c tests/tap.h tests/h5fixture.h
tests_test_mla_torch_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-mla-torch tests/mla-determinism.sh
EXTRA_DIST += tests/fixtures/make_mla_fixtures.py tests/fixtures/methods/mla.h5 \
	tests/mla-determinism.sh
check_PROGRAMS += tests/test-cggm-torch
tests_test_cggm_torch_SOURCES = tests/test-cggm-torch.c tests/tap.h tests/h5fixture.h
tests_test_cggm_torch_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-cggm-torch tests/cggm-determinism.sh tests/cggm-compose.sh
EXTRA_DIST += tests/fixtures/make_cggm_fixtures.py tests/fixtures/methods/cggm.h5 \
	tests/cggm-determinism.sh tests/cggm-compose.sh
# dnr: k-means vs scikit-learn, purity / blend weight / blend vs the official
# reinit_score / reinit (tests/fixtures/make_dnr_fixtures.py); determinism,
# bit-exact resume (also right after a re-initialisation).
check_PROGRAMS += tests/test-dnr
tests_test_dnr_SOURCES = tests/test-dnr.c tests/tap.h tests/h5fixture.h
tests_test_dnr_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-dnr tests/dnr-determinism.sh
EXTRA_DIST += tests/fixtures/make_dnr_fixtures.py tests/fixtures/methods/dnr.h5 \
	tests/dnr-determinism.sh
# gblend: weights from given losses and a trial + three blended steps of a
# reduced model against PyTorch (make_gblend_fixtures.py); copies, trial
# interrupt and resume (test-gblend-run); determinism and resume of runs.
check_PROGRAMS += tests/test-gblend-torch
tests_test_gblend_torch_SOURCES = tests/test-gblend-torch.c tests/tap.h tests/h5fixture.h
tests_test_gblend_torch_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-gblend-torch
EXTRA_DIST += tests/fixtures/make_gblend_fixtures.py tests/fixtures/methods/gblend.h5
check_PROGRAMS += tests/test-gblend-run
tests_test_gblend_run_SOURCES = tests/test-gblend-run.c tests/tap.h
TESTS += tests/test-gblend-run
TESTS += tests/gblend-determinism.sh
EXTRA_DIST += tests/gblend-determinism.sh
# OPM and opm+ogm-ge against PyTorch with fixture masks (make_opm_fixtures.py)
check_PROGRAMS += tests/test-opm-torch
tests_test_opm_torch_SOURCES = tests/test-opm-torch.c tests/tap.h tests/h5fixture.h
tests_test_opm_torch_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-opm-torch
EXTRA_DIST += tests/fixtures/make_opm_fixtures.py tests/fixtures/methods/opm.h5
# agm, mmpareto, arl, opm, opm+ogm-ge on three modalities; pmr N > 2 is exit 2
TESTS += tests/train-3mod.sh
EXTRA_DIST += tests/train-3mod.sh
# issue 18: the ablation switches (feature norm, grad signal, split batch, ...)
TESTS += tests/asgml-switches.sh
EXTRA_DIST += tests/asgml-switches.sh
# issue 16 item 5: asgml-freq skipped steps (g_m computed under freeze, no
# step of a head without gradient) and summary.json's named records
TESTS += tests/asgml-freq-skip.sh tests/summary-records.sh
EXTRA_DIST += tests/asgml-freq-skip.sh tests/summary-records.sh
