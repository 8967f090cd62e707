#!/bin/sh
# SPDX-License-Identifier: MIT
# cggm-compose.sh - the compositions of cggm that the method summary marks
# (asgml-methods(7), CGGM; TRAINING STEP): cggm+ogm-ge (in the sources) and
# cggm+asgml-boost (planned) run and log both methods' signals every step;
# the H2 order is fixed by rank, not by the command line (ogm-ge+cggm logs
# what cggm+ogm-ge logs); cggm+ogm-ge interrupted and resumed logs what
# the uninterrupted run logs; summary.json records what the sources say of the
# composition, and an unmarked one (cggm+pmr) runs, is recorded as
# "untested" and noted on stderr.
. "$top_srcdir/tests/lib.sh"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 16

"$mkstore" "$d/tiny.h5" 96 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
args="--store $d/tiny.h5 --epochs 2 --batch-size 16 --threads 2 --quiet
      --set model.width=4 --set optim.lr=0.01"
strip() { sed 's/,"time_s":[^,}]*//' "$1"; }
# every step record carries every listed key
# (cnt, not n: lib.sh counts the tests in n)
every_step() {
    f=$1; shift
    for k in "$@"; do
        cnt=$(grep '"type":"step"' "$f" | grep -c "\"$k\":")
        [ "$cnt" -gt 0 ] && [ "$cnt" -eq "$(grep -c '"type":"step"' "$f")" ] || return 1
    done
}

check_exit 0 "cggm+ogm-ge runs" $train $args -m cggm+ogm-ge --out "$d/og"
check "cggm+ogm-ge: every step logs ogm.k.<m>, ogm.sigma.<m>, cggm.B.<m>, cggm.cos.<m>" \
    every_step "$d/og/log.jsonl" ogm.k.audio ogm.sigma.visual cggm.B.audio cggm.cos.visual \
    cggm.Lgm
check "cggm+ogm-ge: summary.json composition \"sources\"" \
    grep -q '"composition": "sources"' "$d/og/summary.json"
check_exit 0 "ogm-ge+cggm runs" $train $args -m ogm-ge+cggm --out "$d/go"
strip "$d/og/log.jsonl" >"$d/l1"
strip "$d/go/log.jsonl" >"$d/l2"
check "ogm-ge+cggm logs byte-identical to cggm+ogm-ge (H2 order by rank)" cmp -s "$d/l1" "$d/l2"

check_exit 1 "cggm+ogm-ge stopped after epoch 1" $train $args -m cggm+ogm-ge --out "$d/oc" \
    --set train.interrupt-after-epochs=1
check_exit 0 "cggm+ogm-ge resumed" $train --resume --out "$d/oc" --quiet \
    --set train.interrupt-after-epochs=0
strip "$d/oc/log.jsonl" >"$d/l3"
check "cggm+ogm-ge: resumed log equals the uninterrupted log" cmp -s "$d/l1" "$d/l3"

check_exit 0 "cggm+asgml-boost runs" $train $args -m cggm+asgml-boost --out "$d/bo" \
    --set asgml-boost.eval-freq=2
check "cggm+asgml-boost: every step logs boost.scale.<m>, cggm.B.<m>, cggm.cos.<m>" \
    every_step "$d/bo/log.jsonl" boost.scale.audio boost.scale.visual cggm.B.visual \
    cggm.cos.audio cggm.Lgm
check "cggm+asgml-boost: probe steps logged (boost.acc.<m>)" \
    grep -q '"boost.acc.audio"' "$d/bo/log.jsonl"
check "cggm+asgml-boost: summary.json composition \"planned\"" \
    grep -q '"composition": "planned"' "$d/bo/summary.json"

# an unmarked composition: accepted, recorded and noted as untested
$train --store "$d/tiny.h5" --epochs 1 --batch-size 16 --threads 2 --set model.width=4 \
    -m cggm+pmr --out "$d/pm" >/dev/null 2>"$d/pm.err"
check "cggm+pmr runs" test -s "$d/pm/summary.json"
check "cggm+pmr: summary.json composition \"untested\"" \
    grep -q '"composition": "untested"' "$d/pm/summary.json"
check "cggm+pmr: stderr notes the untested composition" \
    grep -q "composition 'cggm+pmr' is untested" "$d/pm.err"
done_testing
