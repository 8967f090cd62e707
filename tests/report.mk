# SPDX-License-Identifier: MIT
## tests/report.mk - asgml-report: the statistics (test-report-stats, against
## values from tests/fixtures/make_report_refs.py) and every output format on
## the hand-made runs in tests/fixtures/report (report-formats.sh).
check_PROGRAMS += tests/test-report-stats
tests_test_report_stats_SOURCES = tests/test-report-stats.c tests/tap.h
TESTS += tests/test-report-stats tests/report-formats.sh
# --tensorboard against an independent writer (make_tensorboard_fixtures.py)
TESTS += tests/report-tensorboard.sh
EXTRA_DIST += tests/report-tensorboard.sh tests/fixtures/tfevents.py \
	tests/fixtures/make_tensorboard_fixtures.py tests/fixtures/report/tensorboard.sha256 \
	tests/fixtures/report/tb/ogm.s1/config.json tests/fixtures/report/tb/ogm.s1/log.jsonl \
	tests/fixtures/report/tb/ogm.s1/summary.json
EXTRA_DIST += tests/report-formats.sh tests/fixtures/make_report_refs.py \
	tests/fixtures/report/expected-curves.tsv \
	tests/fixtures/report/expected-stats.tsv \
	tests/fixtures/report/expected/all.tsv \
	tests/fixtures/report/expected/best-test.md \
	tests/fixtures/report/expected/best-val.tex \
	tests/fixtures/report/expected/by-method.csv \
	tests/fixtures/report/expected/curves/README \
	tests/fixtures/report/expected/curves/accuracy-per-modality.dat \
	tests/fixtures/report/expected/curves/accuracy.dat \
	tests/fixtures/report/expected/curves/accuracy.gp \
	tests/fixtures/report/expected/curves/asgml.scale.dat \
	tests/fixtures/report/expected/curves/asgml.scale.gp \
	tests/fixtures/report/expected/curves/curves.tsv \
	tests/fixtures/report/expected/curves/ogm-ge.k.dat \
	tests/fixtures/report/expected/curves/probe.acc.dat \
	tests/fixtures/report/expected/table-vs.md \
	tests/fixtures/report/expected/table.csv \
	tests/fixtures/report/expected/table.json \
	tests/fixtures/report/expected/table.md \
	tests/fixtures/report/expected/table.tex \
	tests/fixtures/report/expected/table.tsv \
	tests/fixtures/report/runs/baseline.s1/config.json \
	tests/fixtures/report/runs/baseline.s1/log.jsonl \
	tests/fixtures/report/runs/baseline.s1/summary.json \
	tests/fixtures/report/runs/baseline.s2/config.json \
	tests/fixtures/report/runs/baseline.s2/log.jsonl \
	tests/fixtures/report/runs/baseline.s2/summary.json \
	tests/fixtures/report/runs/baseline.s3/config.json \
	tests/fixtures/report/runs/baseline.s3/log.jsonl \
	tests/fixtures/report/runs/baseline.s3/summary.json \
	tests/fixtures/report/runs/boost.s1/config.json \
	tests/fixtures/report/runs/boost.s1/log.jsonl \
	tests/fixtures/report/runs/boost.s1/summary.json \
	tests/fixtures/report/runs/boost.s2/config.json \
	tests/fixtures/report/runs/boost.s2/log.jsonl \
	tests/fixtures/report/runs/boost.s2/summary.json \
	tests/fixtures/report/runs/boost.s3/config.json \
	tests/fixtures/report/runs/boost.s3/log.jsonl \
	tests/fixtures/report/runs/boost.s3/summary.json \
	tests/fixtures/report/runs/boost.s4/config.json \
	tests/fixtures/report/runs/boost.s4/log.jsonl \
	tests/fixtures/report/runs/boost.s4/summary.json \
	tests/fixtures/report/stats-refs.txt
# exact t-SNE and trustworthiness against scikit-learn (make_tsne_fixtures.py)
check_PROGRAMS += tests/test-tsne
tests_test_tsne_SOURCES = tests/test-tsne.c tests/tap.h tests/h5fixture.h
tests_test_tsne_LDADD = $(LDADD) $(HDF5_LIBS)
TESTS += tests/test-tsne
EXTRA_DIST += tests/fixtures/make_tsne_fixtures.py tests/fixtures/report/tsne.h5
# the figures of issue 18: gradient energy, staleness per step, t-SNE maps
TESTS += tests/figures.sh
EXTRA_DIST += tests/figures.sh
# issue 16: t quantiles, two-sided p-values, paired tests from SciPy and
# Holm's adjustment (make_scipy_refs.py -> scipy-refs.txt)
EXTRA_DIST += tests/fixtures/make_scipy_refs.py tests/fixtures/report/scipy-refs.txt
