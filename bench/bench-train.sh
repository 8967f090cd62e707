#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-train.sh - training-step speed and memory of asgml (bench/bench-train,
# CPU backend) next to the same model in PyTorch (bench/bench_train_torch.py)
# at the CREMA-D-like and AV-Digits-like shapes.
#
# Usage (from the build directory): sh bench/bench-train.sh [REPEATS]
#
# Per shape, asgml and PyTorch run REPEATS times each (default 5) on THREADS
# threads (default 2), interleaved (asgml, torch, asgml, ...), so a machine
# shared with other work slows both alike; then REPEATS1 times each (default
# 3) on one thread.  The SGEMM rate of this machine (bench/bench-sgemm,
# N = 2048, on THREADS and on 1 thread) is measured before the first shape
# and after the last one, and the better of the two kept.  Per shape it
# prints, for each side: samples/s (best, median, worst), the effective
# rate (dense FLOPs per sample x samples/s, best run) in GFLOP/s and as a
# share of the SGEMM rate, peak RSS and the step's growth of it per sample;
# then the ratio asgml/PyTorch (best/best), the worst asgml run over the
# best PyTorch run, and the 1-thread samples/s with the 1 -> THREADS
# scaling.  The per-run lines come first ("asgml ...", "torch ...").
#
# The PyTorch side is skipped when /usr/bin/python3 lacks torch.
# Environment: THREADS, REPEATS1, SHAPES (default "avdigits cremad"),
# PYTHON3 (default /usr/bin/python3).  OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE are unset for both sides: a forced core type (e.g.
# Haswell) disables OpenBLAS' AVX-512 kernels.
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
reps=${1:-5}
reps1=${REPEATS1:-3}
threads=${THREADS:-2}
shapes=${SHAPES:-"avdigits cremad"}
py=${PYTHON3:-/usr/bin/python3}
top_srcdir=${top_srcdir:-`dirname "$0"`/..}
bench=./bench/bench-train
sgemm=./bench/bench-sgemm
for p in "$bench" "$sgemm"; do
    test -x "$p" || { echo "bench-train.sh: $p is not built (make bench)" >&2; exit 1; }
done

have_torch=no
if test -x "$py" && "$py" -c 'import torch' 2>/dev/null; then
    have_torch=yes
else
    echo "# PyTorch side skipped: $py lacks torch"
fi

status=0
tmp=`mktemp -d "${TMPDIR:-/tmp}/bench-train.XXXXXX"` || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# SGEMM rates (GFLOP/s) on $threads and on 1 thread, appended to $tmp/sgemm.T
measure_sgemm() {
    for t in "$threads" 1; do
        line=`"$sgemm" --threads $t` || status=1
        echo "$line"
        echo "$line" | sed -n 's/.*gflops=\([0-9.]*\).*/\1/p' >>"$tmp/sgemm.$t"
    done
}

# one run of SIDE (asgml|torch) at SHAPE on T threads, its line kept in $tmp/SIDE.SHAPE.T
run() {
    if test "$1" = asgml; then
        line=`"$bench" --shape "$2" --threads "$3"` || status=1
    else
        line=`"$py" "$top_srcdir/bench/bench_train_torch.py" --shape "$2" --threads "$3"` || status=1
    fi
    echo "$line"
    echo "$line" >>"$tmp/$1.$2.$3"
}

# key=value of the lines of FILE as numbers, sorted: field FILE KEY
field() {
    sed -n "s/.* $2=\([0-9.e+-]*\).*/\1/p" "$1" | sort -g
}

# best, median and worst of the samples_per_s of FILE: "B M W"
stats() {
    field "$1" samples_per_s | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "0 0 0"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.1f %.1f %.1f\n", v[NR], m, v[1] }'
}

measure_sgemm
for shape in $shapes; do
    for t in "$threads" 1; do
        n=$reps
        test "$t" = "$threads" || n=$reps1
        test "$t" = 1 && test "$threads" = 1 && continue
        i=0
        while test $i -lt "$n"; do
            run asgml "$shape" "$t"
            test $have_torch = yes && run torch "$shape" "$t"
            i=`expr $i + 1`
        done
    done
done
measure_sgemm

sg=`sort -g "$tmp/sgemm.$threads" | tail -1`
sg1=`sort -g "$tmp/sgemm.1" | tail -1`
echo
echo "SGEMM (bench-sgemm, N = 2048, best of two measurements): $sg GFLOP/s on $threads threads, $sg1 GFLOP/s on 1"
for shape in $shapes; do
    sides=asgml
    test $have_torch = yes && sides="asgml torch"
    f=`field "$tmp/asgml.$shape.$threads" flops_per_sample | tail -1`
    b=`field "$tmp/asgml.$shape.$threads" batch | tail -1`
    echo
    awk -v s="$shape" -v f="$f" -v b="$b" -v r="$reps" -v t="$threads" 'BEGIN {
        printf "%s (batch %d, %.2f GFLOP dense per sample; %d threads, %d interleaved runs each):\n",
               s, b, f * 1e-9, t, r }'
    for side in $sides; do
        set -- `stats "$tmp/$side.$shape.$threads"`
        fs=`field "$tmp/$side.$shape.$threads" flops_per_sample | tail -1`
        rss=`field "$tmp/$side.$shape.$threads" peak_rss_kb | tail -1`
        sb=`field "$tmp/$side.$shape.$threads" step_bytes_per_sample | tail -1`
        awk -v n="$side" -v bst="$1" -v med="$2" -v w="$3" -v f="$fs" -v sg="$sg" -v rss="$rss" \
            -v sb="$sb" 'BEGIN {
            g = f * bst * 1e-9
            printf "  %-5s samples/s best %7.1f  median %7.1f  worst %7.1f   %6.1f GFLOP/s = %.2f x SGEMM   peak RSS %.0f MiB, step %.2f MiB/sample\n",
                   n, bst, med, w, g, (sg > 0 ? g / sg : 0), rss / 1024, sb / 1048576 }'
    done
    set -- `stats "$tmp/asgml.$shape.$threads"`
    a_best=$1 a_worst=$3
    a1=
    if test "$threads" != 1; then
        set -- `stats "$tmp/asgml.$shape.1"`
        a1=$1
    fi
    if test $have_torch = yes; then
        set -- `stats "$tmp/torch.$shape.$threads"`
        t_best=$1
        awk -v a="$a_best" -v aw="$a_worst" -v t="$t_best" 'BEGIN {
            printf "  ratio asgml/torch %.2f (best/best); worst asgml / best torch %.2f\n",
                   a / t, aw / t }'
        if test -n "$a1"; then
            set -- `stats "$tmp/torch.$shape.1"`
            awk -v a1="$a1" -v a="$a_best" -v t1="$1" -v t="$t_best" -v th="$threads" \
                -v f="$f" -v sg1="$sg1" -v r="$reps1" 'BEGIN {
                printf "  1 thread (best of %d): asgml %.1f samples/s (%.2f x SGEMM on 1 thread), torch %.1f; scaling 1 -> %d threads: asgml %.2fx, torch %.2fx\n",
                       r, a1, (sg1 > 0 ? f * a1 * 1e-9 / sg1 : 0), t1, th, a / a1, t / t1 }'
        fi
    elif test -n "$a1"; then
        awk -v a1="$a1" -v a="$a_best" -v th="$threads" -v r="$reps1" 'BEGIN {
            printf "  1 thread (best of %d): asgml %.1f samples/s; scaling 1 -> %d threads %.2fx\n",
                   r, a1, th, a / a1 }'
    fi
done
exit $status
