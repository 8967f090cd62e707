# SPDX-License-Identifier: MIT
## bench/bench.mk - benchmarks, built on demand (EXTRA_PROGRAMS): `make bench`
## builds them and runs bench/bench-train.sh (asgml vs PyTorch training-step
## samples/s at the CREMA-D and AV-Digits shapes) and bench/bench-ops (conv2d
## timings at ResNet18 shapes).  Neither is built by `make` or `make check`.
## EXTRA_PROGRAMS is not initialised in Makefile.am, so it is set here (=).
EXTRA_PROGRAMS = bench/bench-train bench/bench-ops bench/bench-layers bench/bench-sgemm
bench_bench_train_SOURCES = bench/bench-train.c
bench_bench_ops_SOURCES = bench/bench-ops.c
bench_bench_layers_SOURCES = bench/bench-layers.c
bench_bench_sgemm_SOURCES = bench/bench-sgemm.c
bench_bench_sgemm_LDADD = $(CBLAS_LIBS)
CLEANFILES += bench/bench-train bench/bench-ops bench/bench-layers bench/bench-sgemm
EXTRA_DIST += bench/bench-train.sh bench/bench_train_torch.py bench/bench-methods.sh

# a forced OpenBLAS core type (OPENBLAS_CORETYPE, e.g. Haswell) disables its
# AVX-512 kernels: unset for the benchmarks only (bench-train.sh does the same)
BENCH_ENV = env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE
bench: bench/bench-train$(EXEEXT) bench/bench-sgemm$(EXEEXT) bench/bench-ops$(EXEEXT) bench/bench-layers$(EXEEXT) tools/asgml-prep$(EXEEXT)
	ASGML_PREP=tools/asgml-prep $(SHELL) $(top_srcdir)/bench/bench-prep.sh
	top_srcdir=$(top_srcdir) $(SHELL) $(top_srcdir)/bench/bench-train.sh
	$(BENCH_ENV) ./bench/bench-ops --shape avdigits-visual --batch 64 --threads 2
	$(BENCH_ENV) ./bench/bench-ops --shape avdigits-audio --batch 64 --threads 2
	$(BENCH_ENV) ./bench/bench-ops --shape cremad-visual --batch 16 --threads 2
	$(BENCH_ENV) ./bench/bench-layers --threads 1
	$(BENCH_ENV) ./bench/bench-layers --threads 2
.PHONY: bench
