#!/bin/sh
# SPDX-License-Identifier: MIT
# ablation.sh - the ablation grids (data-recipes/ablation.mk, ablation-v1.mk,
# ablation-v2.mk) and asgml-report --vs-run: the shipped studies expand to
# their documented cells (no training), the staleness-gap and kappa studies
# carry the settings the design's items need, a toy ablation with two
# studies sharing their reference runs on the tests/probe-mkstore store
# (1 epoch, width 2) and ends in one paired-test table per study and a
# report that says it is smaller than the full size; --vs-run picks the
# same group as --vs on the hand-made report runs.
. "$top_srcdir/tests/lib.sh"
command -v "${MAKE:-make}" >/dev/null 2>&1 || skip_all "make not installed"
MAKE=${MAKE:-make}
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
"$MAKE" --version 2>/dev/null | grep -q "GNU Make [4-9]" || skip_all "GNU make 4 needed"
src=$(cd "$top_srcdir" && pwd)
build=$(cd "$top_builddir" && pwd)
R="$build/tools/asgml-report"
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
plan 21

mk() { f=$1; shift; "$MAKE" --no-print-directory -f "$src/data-recipes/$f" STORE=x.h5 GRID_DIR=g "$@"; }

# ---- the shipped lists (no training)
mk ablation-v1.mk list >"$t/v1" 2>"$t/err"
check "ablation-v1: 34 configurations x 5 seeds = 170 cells ($(wc -l <"$t/v1"))" test "$(wc -l <"$t/v1")" -eq 170
mk ablation-v2.mk list >"$t/v2" 2>"$t/err"
check "ablation-v2: 16 configurations x 5 seeds = 80 cells ($(wc -l <"$t/v2"))" test "$(wc -l <"$t/v2")" -eq 80
mk ablation-v1.mk studies >"$t/s1" 2>&1
check "ablation-v1 studies: components ... feature-norm-gap" \
    sh -c "cut -d: -f1 '$t/s1' | tr '\n' ' ' | grep -qx 'components tau-base tau-max beta lambda delta-tau kappa constraint feature-norm feature-norm-gap '"
mk ablation-v2.mk studies >"$t/s2" 2>&1
check "ablation-v2 studies: methods ... split-batch, all against asgml-boost+ogm-ge" \
    sh -c "cut -d: -f1 '$t/s2' | tr '\n' ' ' | grep -qx 'methods alpha scale-max eval-freq probe ema split-batch ' && test \$(grep -c 'reference asgml-boost+ogm-ge\$' '$t/s2') -eq 7"
# delta-tau: fixed variant, dominant period = delta-tau + 1 for delta-tau 0 1 2 3 5 8 10
r=$(grep '_seed-1$' "$t/v1" | sed -n 's|.*asgml-freq.adapt-fixed_asgml-freq.fixed-ratio-\([0-9]*\)_seed-1$|\1|p' | sort -n | tr '\n' ' ')
check "delta-tau: fixed-ratio 1 2 3 4 6 9 11 (got $r)" test "$r" = "1 2 3 4 6 9 11 "
# kappa 2 3 5 inf (0) at tau-base 5, tau-max 10; constraint: kappa 0 at the defaults
k=$(grep '_seed-1$' "$t/v1" | sed -n 's|.*/asgml-freq_asgml.tau-base-5_asgml.tau-max-10_asgml.kappa-\([0-9]*\)_seed-1$|\1|p' | sort -n | tr '\n' ' ')
check "kappa: 0 (inf) 2 3 5 at tau-base 5 tau-max 10 (got $k)" test "$k" = "0 2 3 5 "
check "constraint and feature normalisation cells" \
    sh -c "grep -q '/asgml-freq_asgml.kappa-0_seed-5\$' '$t/v1' && grep -q '/asgml-freq_model.feature-norm-layernorm_seed-1\$' '$t/v1' && grep -q '/asgml-freq_asgml-freq.adapt-fixed_asgml-freq.fixed-ratio-11_model.feature-norm-l2_seed-3\$' '$t/v1'"
check "v2: boost+cggm, split batch off, mlp probes, no EMA" \
    sh -c "grep -q '/asgml-boost+cggm_cggm.clip-0.8_seed-1\$' '$t/v2' && grep -q 'split-batch-off_seed-2\$' '$t/v2' && grep -q 'probe-type-mlp_1layer_seed-3\$' '$t/v2' && grep -q 'scale-ema-1_seed-4\$' '$t/v2'"
mk ablation-v2.mk DATA=cremad list >"$t/c2" 2>&1
check "DATA=cremad: seeds 42 0 1 2 3, eval-freq 10|50|100" \
    sh -c "test \$(wc -l <'$t/c2') -eq 80 && grep -q 'eval-freq-100_seed-42\$' '$t/c2'"
check_exit 2 "a single seed is refused (paired tests need two)" mk ablation-v1.mk SEEDS=1 list
check_exit 2 "DATA=ave is refused" mk ablation-v2.mk DATA=ave list

# ---- a toy ablation: two studies sharing their reference
"$build/tests/probe-mkstore" "$t/toy.h5" 96 || { echo "Bail out! probe-mkstore failed"; exit 1; }
cat >"$t/toy.mk" <<EOF
ABL_NAME = toy-abl
STORE ?= toy.h5
ABL_DEFAULT_SEEDS = 1 2 3
ABL_DEFAULT_EPOCHS = 4
SEEDS ?= 1 2
EPOCHS ?= 1
TRAIN_ARGS = -e \$(EPOCHS) -b 16 --set model.width=2 --set model.blocks=1,1,1,1 --set train.keep-checkpoints=0 --set asgml.eval-freq=2
ABL_STUDIES = kappa lambda
abl_kappa_doc = without the bound
abl_kappa_ref = asgml-freq
abl_kappa_cfgs = asgml-freq \$(call abl_cfgs,asgml-freq,asgml.kappa=0)
abl_lambda_doc = compensation strength
abl_lambda_ref = asgml-freq~asgml.lambda=0.5
abl_lambda_cfgs = asgml-freq \$(call abl_cfgs,asgml-freq,asgml.lambda=0.5)
include $src/data-recipes/ablation.mk
EOF
gm() { "$MAKE" --no-print-directory -C "$t" -f toy.mk GRID_DIR=g \
    ASGML_TRAIN="$build/tools/asgml-train" ASGML_REPORT="$R" "$@"; }
gm list >"$t/tl" 2>&1
check "toy: the shared reference is one cell (3 configurations x 2 seeds = $(wc -l <"$t/tl"))" \
    test "$(wc -l <"$t/tl")" -eq 6
gm -j2 toy-abl >"$t/log" 2>&1; st=$?
check "toy: make toy-abl runs 6 cells and writes the report (exit $st)" \
    sh -c "test $st -eq 0 && test -s '$t/g/report.md' && test \$(grep -c '^grid: [a-z].*_seed-[0-9]*$' '$t/log') -eq 6"
# the study table: the reference row and paired tests of the other row
check "study-kappa: asgml-freq is the reference, kappa=0 compared by a paired t-test" \
    sh -c "grep -q '^| asgml-freq kappa=3 | test.acc |.*(reference)' '$t/g/study-kappa.md' && grep -q '^| asgml-freq kappa=0 | test.acc |.*paired t |\$' '$t/g/study-kappa.md'"
check "study-lambda: the reference is lambda 0.5, not the default" \
    sh -c "grep -q '^| asgml-freq lambda=0.5 | test.acc |.*(reference)' '$t/g/study-lambda.md' && grep -q '^| asgml-freq lambda=0.1 | test.acc |.*paired t |\$' '$t/g/study-lambda.md'"
check "report.md: header says reduced (2 seeds, 1 epoch), both studies in order" \
    sh -c "grep -q 'REDUCED: 2 seeds and 1 epochs instead of 3 seeds and 4 epochs' '$t/g/report.md' && grep -n '^## ' '$t/g/report.md' | cut -d' ' -f2 | tr '\n' ' ' | grep -qx 'kappa: lambda: '"
gm -j2 toy-abl >"$t/log2" 2>&1
check "toy: a second make trains nothing" sh -c "! grep -q '^grid: [a-z].*_seed' '$t/log2'"

# ---- asgml-report --vs-run on the hand-made runs
cd "$top_srcdir/tests/fixtures/report" || exit 1
"$R" --vs baseline runs/* >"$t/vs" 2>&1
"$R" --vs-run runs/baseline.s2 runs/* >"$t/vr" 2>&1
check "--vs-run RUN gives the table of --vs with RUN's group" sh -c "test -s '$t/vs' && cmp -s '$t/vs' '$t/vr'"
"$R" --vs-run ./runs/boost.s3/summary.json runs/* >"$t/vr2" 2>&1
check "--vs-run names a run by its summary.json and another spelling" \
    sh -c "grep -q '^| asgml-boost+ogm-ge | test.acc | 3 .*(reference)' '$t/vr2' && ! grep -q '^| baseline .*(reference)' '$t/vr2'"
check_exit 2 "--vs-run of a run not read is a usage error" "$R" --vs-run runs/baseline.s1 runs/boost.s1 runs/boost.s2
check_exit 2 "--vs and --vs-run together is a usage error" "$R" --vs baseline --vs-run runs/baseline.s1 runs/baseline.s1 runs/boost.s1
done_testing
