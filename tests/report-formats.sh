#!/bin/sh
# SPDX-License-Identifier: MIT
# report-formats.sh - asgml-report on the hand-made runs in
# tests/fixtures/report/runs (baseline and asgml-boost+ogm-ge, seeds 1-3, the
# latter with a validation split; one interrupted run): every table format
# and the curve files against committed expected output (diff), the
# statistics against the values make_report_refs.py computed with Python's
# statistics module (numeric tolerance), input from stdin, errors and exit
# statuses.  To rewrite the expected files after a deliberate change:
#   ASGML_REPORT_REGEN=1 make check TESTS=tests/report-formats.sh
# (then read the diff before committing it).
. "$top_srcdir/tests/lib.sh"
R=$(cd "$top_builddir" && pwd)/tools/asgml-report
fx=$(cd "$top_srcdir/tests/fixtures/report" && pwd)
exp="$fx/expected"
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
cd "$fx" || exit 1   # run paths in the output are relative: runs/...

# name | arguments (the runs are appended)
cases='table.md|
table-vs.md|--vs baseline
table.tex|-f latex --vs baseline
table.csv|-f csv --vs baseline
table.tsv|-f tsv --record best-val
table.json|-f json --vs baseline --test welch
best-test.md|--record best-test --percent --digits 2 --sort test.acc --vs base
best-val.tex|-f latex --record best-val -m test.acc,val.acc
by-method.csv|-f csv --by method -m test.acc,val.acc
all.tsv|-f tsv -m all'
ncases=$(printf '%s\n' "$cases" | wc -l)
curve_files="curves.tsv accuracy.dat accuracy.gp accuracy-per-modality.dat asgml.scale.dat asgml.scale.gp ogm-ge.k.dat probe.acc.dat README"
ncurves=$(echo $curve_files | wc -w)
plan $((ncases + ncurves + 34))

same() {   # same NAME FILE: FILE equals expected/NAME (or regenerates it)
    if [ -n "$ASGML_REPORT_REGEN" ]; then
        mkdir -p "$(dirname "$exp/$1")" && cp "$2" "$exp/$1"
    fi
    diff -u "$exp/$1" "$2" >"$t/diff" 2>&1 && return 0
    head -n 40 "$t/diff" | sed 's/^/# /'
    return 1
}

printf '%s\n' "$cases" | while IFS='|' read -r name args; do
    # shellcheck disable=SC2086
    "$R" $args runs/* >"$t/$name" 2>"$t/err"
    st=$?
    if [ $st -eq 0 ] && same "$name" "$t/$name"; then
        echo "ok - $name: asgml-report $args"
    else
        echo "not ok - $name: asgml-report $args (exit $st: $(head -n 1 "$t/err"))"
    fi
done >"$t/tap"
n=$((n + ncases))
failed=$((failed + $(grep -c '^not ok' "$t/tap")))
awk '{ sub(/^(not )?ok/, "& " NR); print }' "$t/tap"

# --- curves: data, scripts and README (no gnuplot run: PNGs vary)
"$R" --curves "$t/cv" --no-plot runs/* >/dev/null 2>"$t/err"
st=$?
for f in $curve_files; do
    check "curves: $f (exit $st)" same "curves/$f" "$t/cv/$f"
done
check "curves --no-plot draws no PNG" sh -c "! ls '$t/cv' | grep -q png"

# --- the numbers against Python's (make_report_refs.py), 1e-10 relative
compare_stats() {   # compare_stats RECORD TEST
    "$R" -f tsv --record "$1" --test "$2" --vs baseline \
        -m test.acc,test.f1,test.acc.audio,test.acc.visual runs/* >"$t/stats" 2>/dev/null || return 1
    awk -F'\t' -v rec="$1" -v test="$2" '
    function bad(a, b) {   # a from asgml-report, b from Python
        if (a == "" || b == "") return a != b
        d = a - b; if (d < 0) d = -d
        m = b < 0 ? -b : b
        return d > 1e-10 * m + 1e-300
    }
    FNR == 1 { next }
    FILENAME == ARGV[1] {
        if ($1 != rec) next
        k = $2 SUBSEP $3
        want[k] = $4 FS $5 FS $6 FS $7 FS $8 FS $9 FS $10; diff[k] = $11
        p[k] = (test == "paired") ? $12 : $13; df[k] = $14; nref++
        next
    }
    {
        k = $1 SUBSEP $4
        if (!(k in want)) { print "# unexpected row " $1 " " $4; err++; next }
        split(want[k], w, FS)
        for (i = 1; i <= 7; i++) if (bad($(i + 4), w[i])) { print "# " $1 " " $4 " column " i + 4 ": " $(i + 4) " vs " w[i]; err++ }
        if (bad($14, diff[k])) { print "# " $1 " " $4 " diff: " $14 " vs " diff[k]; err++ }
        if (bad($18, p[k])) { print "# " $1 " " $4 " p: " $18 " vs " p[k]; err++ }
        if (test == "welch" && bad($17, df[k])) { print "# " $1 " " $4 " df: " $17 " vs " df[k]; err++ }
        seen++
    }
    END { if (seen != nref) { print "# rows: " seen " of " nref; err++ }; exit err > 0 }
    ' "$fx/expected-stats.tsv" "$t/stats"
}
for rec in last best-val best-test; do
    check "statistics ($rec, paired) match make_report_refs.py" compare_stats $rec paired
    check "statistics ($rec, Welch) match make_report_refs.py" compare_stats $rec welch
done
compare_curves() {
    awk -F'\t' '
    FNR == 1 { next }
    FILENAME == ARGV[1] { want[$1 SUBSEP $2 SUBSEP $3] = $4 FS $5 FS $6; nref++; next }
    ($1 SUBSEP $4 SUBSEP $5) in want {
        split(want[$1 SUBSEP $4 SUBSEP $5], w, FS)
        if ($6 != w[1]) { print "# n " $6 " vs " w[1]; err++ }
        for (i = 2; i <= 3; i++) {
            a = $(i + 5); d = a - w[i]; if (d < 0) d = -d
            if (d > 1e-10 * (w[i] < 0 ? -w[i] : w[i])) { print "# " $1 " " $4 " " $5 ": " a " vs " w[i]; err++ }
        }
        seen++
    }
    END { if (seen != nref) { print "# rows: " seen " of " nref; err++ }; exit err > 0 }
    ' "$fx/expected-curves.tsv" "$t/cv/curves.tsv"
}
check "curve means and stds match make_report_refs.py" compare_curves

# --- inputs
find runs -name summary.json | sort | "$R" >"$t/stdin.md" 2>/dev/null
check "run paths on stdin (summary.json paths) give the same table" same table.md "$t/stdin.md"
ls -d runs/* | "$R" - >"$t/dash.md" 2>/dev/null
check "'-' reads run directories from stdin" same table.md "$t/dash.md"
"$R" runs/baseline.s1/ runs/baseline.s1/summary.json runs/baseline.s1 >"$t/one.md" 2>/dev/null
check "a run named three ways counts once" grep -q '^- baseline: 1 run (seed 1): runs/baseline.s1$' "$t/one.md"
"$R" -o "$t/out.md" runs/* >"$t/stdout" 2>&1
check "-o writes the table to a file, nothing on stdout" sh -c "cmp -s '$t/out.md' '$t/table.md' && ! test -s '$t/stdout'"

# --- failures (exit 1) and usage errors (exit 2)
check_exit 1 "no runs on stdin: exit 1" sh -c "'$R' </dev/null"
"$R" </dev/null 2>"$t/err"
check "no runs: says so" grep -q 'no runs given' "$t/err"
check_exit 1 "a missing run directory: exit 1" "$R" runs/no-such-run
mkdir -p "$t/bad/r1" "$t/bad/r2" "$t/bad/r3"
printf '{"status": "complete", ' >"$t/bad/r1/summary.json"
echo '{}' >"$t/bad/r1/config.json"
"$R" "$t/bad/r1" >/dev/null 2>"$t/err"; st=$?
check "truncated summary.json: exit 1, names the file and line" \
    sh -c "test $st -eq 1 && grep -q 'r1/summary.json:1:' '$t/err'"
cp runs/boost.s1/config.json runs/boost.s1/summary.json "$t/bad/r2/"
{ head -n 3 runs/boost.s1/log.jsonl; echo '{"type": "epoch", "epoch": 1, '; } >"$t/bad/r2/log.jsonl"
"$R" --curves "$t/bad/cv" --no-plot "$t/bad/r2" >/dev/null 2>"$t/err"; st=$?
check "malformed log.jsonl line: exit 1, names the line" \
    sh -c "test $st -eq 1 && grep -q 'r2/log.jsonl:4:' '$t/err'"
check "a failed --curves leaves no files behind" sh -c "test -z \"\$(ls -A '$t/bad/cv' 2>/dev/null)\""
cp runs/baseline.s1/config.json runs/baseline.s1/summary.json "$t/bad/r3/"
sed 's/"status"/"state"/' runs/baseline.s1/summary.json >"$t/bad/r3/summary.json"
check_exit 1 "summary.json without status: exit 1" "$R" "$t/bad/r3"
check_exit 1 "-o into a missing directory: exit 1" "$R" -o "$t/none/x.md" runs/*
check "... and nothing is written" test ! -e "$t/none"
if [ -w /dev/full ]; then
    check_exit 1 "a failed write to stdout: exit 1" sh -c "'$R' runs/* >/dev/full"
else
    pass "# SKIP no /dev/full"
fi
check_exit 2 "--format nonsense: exit 2" "$R" -f docx runs/*
check_exit 2 "--record nonsense: exit 2" "$R" --record best runs/*
check_exit 2 "--vs naming no group: exit 2" "$R" --vs nothing-like-this runs/*
check_exit 2 "--vs matching two groups: exit 2" "$R" --vs asgml runs/*
check_exit 2 "--metrics naming a metric no run has: exit 2" "$R" -m test.nope runs/*
check_exit 2 "--sort by something not reported: exit 2" "$R" --sort val.acc runs/*
check_exit 2 "--test nonsense: exit 2" "$R" --test z runs/*

# --- PNGs through gnuplot, when it is installed
if command -v gnuplot >/dev/null 2>&1; then
    "$R" --curves "$t/png" runs/* >/dev/null 2>"$t/err"; st=$?
    check "gnuplot draws every plot to a PNG" sh -c "test $st -eq 0 && \
        for p in accuracy accuracy-per-modality asgml.scale ogm-ge.k probe.acc; do \
        head -c 4 '$t/png/'\$p.png | od -c | grep -q 'P   N   G' || exit 1; done"
else
    pass "# SKIP gnuplot not installed"
fi
GNUPLOT=false "$R" --curves "$t/fail" runs/* >/dev/null 2>"$t/err"; st=$?
check "a failing gnuplot: exit 1, no files left" \
    sh -c "test $st -eq 1 && test -z \"\$(ls -A '$t/fail')\""
# issue 13, item 8: a failing --curves leaves no directory behind (it made
# DIR first and left it empty)
mkdir -p "$t/nolog/run" "$t/nocurve/run"
cp runs/baseline.s1/summary.json runs/baseline.s1/config.json "$t/nolog/run/"
"$R" --curves "$t/cv-nolog/sub" --no-plot "$t/nolog/run" >/dev/null 2>"$t/err"; st=$?
check "--curves with a run without log.jsonl: exit 1, no directory made (exit $st)" \
    sh -c "test $st -eq 1 && test ! -e '$t/cv-nolog'"
cp runs/baseline.s1/summary.json runs/baseline.s1/config.json "$t/nocurve/run/"
grep -v '"type": *"epoch"' runs/baseline.s1/log.jsonl >"$t/nocurve/run/log.jsonl"
"$R" --curves "$t/cv-none" --no-plot "$t/nocurve/run" >/dev/null 2>"$t/err"; st=$?
check "--curves with no per-epoch records: exit 1, says so, no directory: $(head -c 200 "$t/err")" \
    sh -c "test $st -eq 1 && grep -q 'no run log has per-epoch curves' '$t/err' && test ! -e '$t/cv-none'"
mkdir "$t/cv-old"
"$R" --curves "$t/cv-old" --no-plot "$t/nocurve/run" >/dev/null 2>&1
check "... and a directory that was there before stays" test -d "$t/cv-old"
done_testing
