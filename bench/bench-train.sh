#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-train.sh - training-step samples/s of asgml (bench/bench-train, CPU
# backend) next to the same model in PyTorch (bench/bench_train_torch.py) at
# the CREMA-D-like and AV-Digits-like shapes, and the asgml/PyTorch ratio.
#
# Usage (from the build directory): sh bench/bench-train.sh [REPEATS]
# Each side runs REPEATS times (default 3), interleaved, and the best is
# kept: the machine may be shared.  The PyTorch side is skipped when
# /usr/bin/python3 lacks torch.  Environment: THREADS (default 2), SHAPES
# (default "avdigits cremad"), PYTHON3 (default /usr/bin/python3).
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for both sides: a forced
# core type (e.g. Haswell) disables OpenBLAS' AVX-512 kernels.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
reps=${1:-3}
threads=${THREADS:-2}
shapes=${SHAPES:-"avdigits cremad"}
py=${PYTHON3:-/usr/bin/python3}
top_srcdir=${top_srcdir:-`dirname "$0"`/..}
bench=./bench/bench-train
test -x "$bench" || { echo "bench-train.sh: $bench is not built (make bench/bench-train)" >&2; exit 1; }

have_torch=no
if test -x "$py" && "$py" -c 'import torch' 2>/dev/null; then
    have_torch=yes
else
    echo "# PyTorch side skipped: $py lacks torch"
fi

best() { # best (largest) samples_per_s among lines on stdin
    sed -n 's/.*samples_per_s=\([0-9.]*\).*/\1/p' | sort -g | tail -1
}

status=0
for shape in $shapes; do
    ours= theirs=
    i=0
    while test $i -lt "$reps"; do
        line=`"$bench" --shape "$shape" --threads "$threads"` || status=1
        echo "$line"
        ours="$ours$line
"
        if test $have_torch = yes; then
            tline=`"$py" "$top_srcdir/bench/bench_train_torch.py" --shape "$shape" \
                   --threads "$threads"` || status=1
            echo "$tline"
            theirs="$theirs$tline
"
        fi
        i=`expr $i + 1`
    done
    a=`printf '%s' "$ours" | best`
    if test $have_torch = yes; then
        t=`printf '%s' "$theirs" | best`
        r=`awk -v a="$a" -v t="$t" 'BEGIN { if (t > 0) printf "%.2f", a / t; else print "n/a" }'`
        echo "$shape: asgml $a samples/s, torch $t samples/s, ratio asgml/torch $r (best of $reps, $threads threads)"
    else
        echo "$shape: asgml $a samples/s (best of $reps, $threads threads)"
    fi
done
exit $status
