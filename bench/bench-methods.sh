#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-methods.sh - seconds per training step of the comparison methods
# next to baseline at the AV-Digits grid shape (data-recipes/grid-av-digits.mk:
# batch 64, model.width 8, lr 0.01, cosine), one epoch each, and the ratio to
# baseline (asgml-methods(7), METHOD SUMMARY gives the expected extra cost).
#
# Usage (from the build directory): sh bench/bench-methods.sh STORE [ROUNDS]
# e.g. STORE = /work/stores/avdigits-vweak.h5.  Every method run is preceded
# by its own baseline run (interleaved, so a machine shared with other jobs
# loads both alike); each of ROUNDS (default 1) rounds repeats that, and the
# ratio uses the method's and its neighbouring baselines' best s/step.
# The methods are made active in epoch 0: opm.warmup=-1 (the drop starts
# after the warm-up), arl.es=-1 (the modulation starts after e_s).
# s/step = the epoch record's time_s (training plus the epoch's evaluation)
# / the number of step records.  Environment: THREADS (default 1),
# METHODS (default "agm pmr mmpareto arl opm opm+ogm-ge"), TRAIN (default
# ./tools/asgml-train).
# OPENBLAS_CORETYPE is unset: a forced core type disables AVX-512 kernels.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
store=${1:?usage: bench-methods.sh STORE [ROUNDS]}
rounds=${2:-1}
threads=${THREADS:-1}
methods=${METHODS:-"agm pmr mmpareto arl opm opm+ogm-ge"}
train=${TRAIN:-./tools/asgml-train}
test -x "$train" || { echo "bench-methods.sh: $train is not built" >&2; exit 1; }
tmp=`mktemp -d /tmp/bench-methods.XXXXXX` || exit 1
trap 'rm -rf "$tmp"' 0

# one run: prints s/step
run() { # method extra-sets...
    m=$1; shift
    out=$tmp/run
    rm -rf "$out"
    "$train" -q -j "$threads" -m "$m" -e 1 -b 64 --seed 1 --set model.width=8 \
        --set optim.lr=0.01 --set sched.name=cosine --set train.keep-checkpoints=0 \
        --set asgml.eval-freq=20 "$@" --out "$out" -s "$store" >/dev/null 2>&1 || {
        echo "bench-methods.sh: $m failed" >&2; echo nan; return; }
    awk -F'"time_s":' '/"type":"step"/ { n++ } /"type":"epoch"/ { split($2, a, /[,}]/); t = a[1] }
        END { if (n) printf "%.4f\n", t / n; else print "nan" }' "$out/log.jsonl"
}

extra() {
    case $1 in
    opm|opm+ogm-ge) echo "--set opm.warmup=-1" ;;
    arl) echo "--set arl.es=-1" ;;
    esac
}

echo "# load before: `cut -d' ' -f1-3 /proc/loadavg`; threads $threads; rounds $rounds"
printf '%-12s %10s %10s %8s\n' method s/step base_s/step ratio
for m in $methods; do
    best=; bbest=
    r=0
    while test $r -lt "$rounds"; do
        b=`run baseline`
        t=`run "$m" \`extra "$m"\``
        b2=`run baseline`
        best=`printf '%s\n%s\n' "$best" "$t" | grep -v '^$' | sort -g | head -1`
        bbest=`printf '%s\n%s\n%s\n' "$bbest" "$b" "$b2" | grep -v '^$' | sort -g | head -1`
        r=`expr $r + 1`
    done
    awk -v m="$m" -v t="$best" -v b="$bbest" \
        'BEGIN { printf "%-12s %10.4f %10.4f %8.2f\n", m, t, b, t / b }'
done
echo "# load after: `cut -d' ' -f1-3 /proc/loadavg`"
