#!/bin/sh
# SPDX-License-Identifier: MIT
# fuzz/run.sh - `make fuzz-run`: run each libFuzzer harness for SECONDS on
# its seed corpus and print one line per harness (HACKING, Fuzzing).
#   run.sh SECONDS SRCDIR/fuzz OUTDIR NAME...
# For NAME: fuzz/fuzz_NAME is run with the seeds SRCDIR/fuzz/corpus/NAME
# (read only) and the grown corpus OUTDIR/corpus/NAME (new inputs go
# there), dictionary SRCDIR/fuzz/dict/NAME.dict if present, crash / leak /
# timeout / OOM inputs into OUTDIR/artifacts/NAME/, the log into
# OUTDIR/NAME.log.  Reports executions, libFuzzer's final coverage (cov:
# edges, ft: features), corpus size and the findings; exit status 1 when
# any harness found something or failed to run.
# FUZZ_FLAGS (environment) adds libFuzzer options.  Leaks inside Debian
# libraries' error paths are suppressed by SRCDIR/fuzz/lsan.supp.
set -u
secs=$1 src=$2 out=$3
shift 3
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(cd "$src" && pwd)/lsan.supp}
export LSAN_OPTIONS
status=0
mkdir -p "$out" || exit 1
printf '%-11s %6s %10s %7s %7s %6s  %s\n' harness secs execs cov ft corpus findings
for name in "$@"; do
    prog=fuzz/fuzz_$name
    # a harness older than the library fuzzes old code (a plain `make`
    # rebuilds libasgml but not the harnesses; make fuzz-run does both)
    if [ -n "$(find libcommon -maxdepth 1 -name libasgml.la -newer "$prog" 2>/dev/null)" ]; then
        echo "run.sh: $prog is older than libcommon/libasgml.la: run make fuzz first" >&2
        status=1
        continue
    fi
    work=$out/corpus/$name
    art=$out/artifacts/$name
    log=$out/$name.log
    mkdir -p "$work" "$art"
    : >"$out/.start-$name"    # findings = artifacts newer than this run's start
    set -- -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$art/"
    [ -f "$src/dict/$name.dict" ] && set -- "$@" -dict="$src/dict/$name.dict"
    # HDF5 harnesses: full stacks through the uninstrumented libhdf5, so
    # that lsan.supp can name HDF5's free-list functions
    asan=${ASAN_OPTIONS:-}
    case $name in store|checkpoint) asan=${ASAN_OPTIONS:-fast_unwind_on_malloc=0} ;; esac
    # shellcheck disable=SC2086
    ASAN_OPTIONS=$asan "$prog" "$@" ${FUZZ_FLAGS:-} "$work" "$src/corpus/$name" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
    cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(printf '%s\n' "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
    found=$(find "$art" -type f -newer "$out/.start-$name" \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
        -o -name 'oom-*' \) | wc -l)
    what="none"
    if [ "$found" -gt 0 ] || [ "$rc" -ne 0 ]; then
        status=1
        what="$found file(s) in $art (exit $rc; log $log)"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -n 3 | sed 's/^/    /' >&2
    fi
    printf '%-11s %6s %10s %7s %7s %6s  %s\n' "$name" "$secs" "${execs:-?}" "${cov:-?}" \
        "${ft:-?}" "${corp:-?}" "$what"
done
exit $status
