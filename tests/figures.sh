#!/bin/sh
# SPDX-License-Identifier: MIT
# figures.sh - the figures of issue 18 item 3 (asgml-report(1), Curves and
# t-SNE maps; ASGML v1 7.5) on a tiny synthetic store:
#   train.log-grad-energy: off = byte-identical log; on = grad_energy.<m> and
#     grad_energy_post.<m> in the epoch records and nothing else changes;
#     grad_energy = the mean of grad_norm.<m>^2 over the epoch's step records
#     and = inforeg.trace.<m> of an inforeg run; resumed == uninterrupted
#   asgml-freq logs asgml.age.<m> (0 iff it updates, else steps since its
#     last update, recomputed here from asgml.mask); resumed == uninterrupted
#   asgml-report --curves draws steps-asgml.* and grad_energy plots
#   asgml-report --tsne: one map per checkpoint and modality, the same bytes
#     twice, usage and input errors.
. "$top_srcdir/tests/lib.sh"
train=$(bin asgml-train)
probe=$(bin asgml-probe)
report=$(bin asgml-report)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 39

"$mkstore" "$d/tiny.h5" 96 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
strip() { sed 's/,"time_s":[^,}]*//' "$1"; }
drop() { sed "s/,\"$2[^\"]*\":[^,}]*//g" "$1"; }
base="--store $d/tiny.h5 --epochs 3 --batch-size 16 --threads 2 --quiet
      --set model.width=4 --set model.blocks=1,1,1,1 --set optim.lr=0.01
      --set asgml.eval-freq=2 --set train.keep-checkpoints=0"

# ---- train.log-grad-energy ----
check_exit 0 "asgml-stale, defaults" $train $base -m asgml-stale --out "$d/s0"
check_exit 0 "asgml-stale, train.log-grad-energy=0" \
    $train $base -m asgml-stale --set train.log-grad-energy=0 --out "$d/s1"
strip "$d/s0/log.jsonl" >"$d/s0.log"; strip "$d/s1/log.jsonl" >"$d/s1.log"
check "log-grad-energy 0: log byte-identical to the default run" cmp -s "$d/s0.log" "$d/s1.log"
check_exit 0 "asgml-stale, train.log-grad-energy=1" \
    $train $base -m asgml-stale --set train.log-grad-energy=1 --out "$d/s2"
strip "$d/s2/log.jsonl" >"$d/s2.log"
n_ge=$(grep '"type":"epoch"' "$d/s2.log" | grep '"grad_energy.audio"' | grep '"grad_energy.visual"' |
       grep '"grad_energy_post.audio"' | grep -c '"grad_energy_post.visual"')
check "log-grad-energy 1: every epoch record has the four keys ($n_ge of 3)" test "$n_ge" = 3
drop "$d/s2.log" grad_energy >"$d/s2.k"
check "log-grad-energy 1: otherwise the same log, byte for byte" cmp -s "$d/s0.log" "$d/s2.k"
check "log-grad-energy 1: the same checkpoint weights" \
    h5diff -q "$d/s0/ckpt/last.h5" "$d/s2/ckpt/last.h5" /params /params
# grad_energy.<m> = mean over the epoch's step records of grad_norm.<m>^2
ge_ok() {
    awk -v m="$2" '
        function num(k,   r) { if (match($0, "\"" k "\":[^,}]*")) {
            r = substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3); return r + 0 }
            return "x" }
        /"type":"step"/ { g = num("grad_norm." m); s += g * g; c++ }
        /"type":"epoch"/ { e = num("grad_energy." m); want = s / c; s = 0; c = 0; n++
            if (e == "x" || (e - want) ^ 2 > (1e-9 * want) ^ 2) bad++ }
        END { exit !(n == 3 && bad == 0) }' "$1"
}
check "grad_energy.audio = mean of grad_norm.audio^2 over the epoch" ge_ok "$d/s2.log" audio
check "grad_energy.visual = mean of grad_norm.visual^2 over the epoch" ge_ok "$d/s2.log" visual
check_exit 0 "inforeg with train.log-grad-energy=1" \
    $train $base -m inforeg --set train.log-grad-energy=1 --out "$d/ir"
same_as_trace() {
    for m in audio visual; do
        a=$(grep '"type":"epoch"' "$1" | grep -o "\"grad_energy.$m\":[^,}]*" | cut -d: -f2)
        b=$(grep '"type":"epoch"' "$1" | grep -o "\"inforeg.trace.$m\":[^,}]*" | cut -d: -f2)
        test -n "$a" -a "$a" = "$b" || return 1
    done
}
check "grad_energy = inforeg.trace (the Fisher trace InfoReg computes), every epoch" \
    same_as_trace "$d/ir/log.jsonl"
check_exit 1 "interrupted after epoch 1 (log-grad-energy 1)" $train $base -m asgml-stale \
    --set train.log-grad-energy=1 --set train.interrupt-after-epochs=1 --out "$d/s3"
check_exit 0 "resumed" $train --resume --out "$d/s3" --quiet --set train.interrupt-after-epochs=0
strip "$d/s3/log.jsonl" >"$d/s3.log"
check "log-grad-energy: resumed log equals the uninterrupted one" cmp -s "$d/s2.log" "$d/s3.log"
check_exit 2 "train.log-grad-energy=maybe is a configuration error" \
    $train $base -m asgml-stale --set train.log-grad-energy=maybe --out "$d/sb"

# ---- asgml-freq: asgml.age.<m> ----
check_exit 0 "asgml-freq (tau-max 3)" $train $base -m asgml-freq --set asgml.tau-max=3 --out "$d/f0"
strip "$d/f0/log.jsonl" >"$d/f0.log"
age_ok() {   # age = 0 iff mask = 1, else step - last step with mask 1
    awk -v m="$2" '
        function num(k,   r) { if (match($0, "\"" k "\":[^,}]*")) {
            r = substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3); return r + 0 }
            return "x" }
        BEGIN { last = -1 }
        /"type":"step"/ { t = num("step"); k = num("asgml.mask." m); a = num("asgml.age." m); n++
            if (k == "x" || a == "x") { bad++; next }
            if (k == 1) { if (a != 0) bad++; last = t } else { if (a != t - last) bad++; skips++ } }
        END { exit !(n > 0 && bad == 0) }' "$1"
}
check "asgml-freq: asgml.age.audio follows asgml.mask.audio" age_ok "$d/f0.log" audio
check "asgml-freq: asgml.age.visual follows asgml.mask.visual" age_ok "$d/f0.log" visual
check "asgml-freq: some step skips an encoder (age > 0)" \
    grep -q '"asgml.age.[a-z]*":[1-9]' "$d/f0.log"
check_exit 1 "asgml-freq interrupted after epoch 1" $train $base -m asgml-freq \
    --set asgml.tau-max=3 --set train.interrupt-after-epochs=1 --out "$d/f1"
check_exit 0 "asgml-freq resumed" $train --resume --out "$d/f1" --quiet \
    --set train.interrupt-after-epochs=0
strip "$d/f1/log.jsonl" >"$d/f1.log"
check "asgml-freq: resumed log (ages included) equals the uninterrupted one" \
    cmp -s "$d/f0.log" "$d/f1.log"

# ---- asgml-report --curves: staleness per step, gradient energy per epoch ----
check_exit 0 "asgml-report --curves on the stale and freq runs" \
    sh -c "'$report' --curves '$d/cv' --no-plot '$d/s2' '$d/f0' >/dev/null"
for p in steps-asgml.tau steps-asgml.age steps-asgml.stale steps-asgml.mask grad_energy; do
    test -s "$d/cv/$p.dat" -a -s "$d/cv/$p.gp" || missing="$missing $p"
done
check "steps-asgml.{tau,age,stale,mask} and grad_energy written${missing:+ (missing$missing)}" \
    test -z "$missing"
steps=$(grep -c '"type":"step"' "$d/f0.log")
pts=$(awk -F'\t' '$2 == "steps-asgml.age" && $3 == "audio" && $1 ~ /freq/' "$d/cv/curves.tsv" | wc -l)
check "steps-asgml.age: one point per step of the freq run ($pts of $steps)" test "$pts" = "$steps"
want=$(grep '"step":5,' "$d/f0.log" | grep -o '"asgml.age.visual":[0-9]*' | cut -d: -f2)
got=$(awk -F'\t' '$2 == "steps-asgml.age" && $3 == "visual" && $1 ~ /freq/ && $5 == 5 { print $7 }' \
      "$d/cv/curves.tsv")
check "steps-asgml.age at step 5 is the logged age ($got = $want)" test -n "$want" -a "$got" = "$want"

# ---- asgml-report --tsne ----
check_exit 0 "asgml-probe --features on epochs 0 and 2" \
    sh -c "'$probe' -q -j 2 -s '$d/tiny.h5' --features='$d/feat.h5' \
           '$d/s0/ckpt/epoch-0000.h5' '$d/s0/ckpt/epoch-0002.h5' >/dev/null"
check_exit 0 "asgml-report --tsne (perplexity 5)" \
    "$report" --tsne="$d/feat.h5" --curves="$d/ts" --perplexity=5 --tsne-part=train --no-plot
rows=$(tail -n +2 "$d/ts/tsne.tsv" | wc -l)
check "tsne.tsv: one line per checkpoint and modality ($rows of 4)" test "$rows" = 4
npts=$(awk -F'\t' 'NR == 2 { print $5 }' "$d/ts/tsne.tsv")
lines=$(tail -n +2 "$d/ts/tsne-epoch-0002-visual.tsv" | wc -l)
check "the map of epoch 2, visual: $lines points, as tsne.tsv says ($npts)" \
    test -n "$npts" -a "$lines" = "$npts" -a -s "$d/ts/tsne-epoch-0002-visual.gp"
check "trustworthiness of every map in (0.5, 1]" \
    awk -F'\t' 'NR > 1 && !($11 > 0.5 && $11 <= 1) { bad = 1 } END { exit bad }' "$d/ts/tsne.tsv"
"$report" --tsne="$d/feat.h5" --curves="$d/ts2" --perplexity=5 --tsne-part=train --no-plot
check "the same maps twice, byte for byte" diff -r "$d/ts" "$d/ts2"
if command -v gnuplot >/dev/null 2>&1 || test -n "$GNUPLOT"; then
    "$report" --tsne="$d/feat.h5" --curves="$d/tp" --perplexity=5 --tsne-max=40 >/dev/null
    check "with gnuplot: one PNG per map" test "$(ls "$d/tp" | grep -c '\.png$')" = 4
else
    pass "# SKIP gnuplot is not installed: the PNGs are not drawn"
fi
check_exit 2 "--tsne without --curves is a usage error" "$report" --tsne="$d/feat.h5"
check_exit 2 "--tsne with run operands is a usage error" \
    "$report" --tsne="$d/feat.h5" --curves="$d/x" "$d/s0"
check_exit 1 "--tsne on a store (not a features file): exit 1" \
    "$report" --tsne="$d/tiny.h5" --curves="$d/x1" --no-plot
check_exit 1 "--perplexity too large for the points: exit 1" \
    "$report" --tsne="$d/feat.h5" --curves="$d/x2" --perplexity=500 --no-plot
check "a failed --tsne leaves no file behind" sh -c "test -z \"\$(ls -A '$d/x2' 2>/dev/null)\""
done_testing
