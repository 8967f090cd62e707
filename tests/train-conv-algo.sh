#!/bin/sh
# SPDX-License-Identifier: MIT
# train-conv-algo.sh - backend.conv-algo (asgml-train(1)): the algorithm of
# each conv shape is recorded in summary.json ("conv_algos") and in the
# checkpoints, and a resumed run uses the recorded one even when the key
# now says otherwise: interrupted + resumed == uninterrupted, bit for bit.
# Another algorithm gives other weights (so the comparison can fail); a
# bad value is a usage error naming the key.  Mode measure (timed per
# shape: two runs may choose differently) records its choices, and a
# resumed run keeps them.
. "$top_srcdir/tests/lib.sh"
command -v h5diff >/dev/null 2>&1 || skip_all "h5diff not installed"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 15

"$mkstore" "$d/tiny.h5" 64 >/dev/null 2>&1
check "tiny store written" test -s "$d/tiny.h5"
args="--store $d/tiny.h5 --method baseline --epochs 2 --batch-size 16 --threads 2 --quiet
      --set model.width=4 --set optim.lr=0.01"
same_ckpt() {
    for g in /params /buffers /optim; do
        h5diff -q "$1" "$2" "$g" "$g" >/dev/null 2>&1 || return 1
    done
}

check_exit 0 "run A (winograd4)" $train $args --set backend.conv-algo=winograd4 --out "$d/a"
# the 3x3 stride-1 convs of width 4 on 8x8 inputs: 4>4 at 2x2, 32>32 at 1x1, ...
check "summary.json records winograd4 for 4>4 2x2" \
    grep -q '"4>4 2x2 k3s1p1": "winograd4"' "$d/a/summary.json"
check "config.json has the key" grep -q '"backend.conv-algo": *"winograd4"' "$d/a/config.json"

check_exit 1 "run B (winograd4) stops after epoch 1" \
    $train $args --set backend.conv-algo=winograd4 --out "$d/b" --set train.interrupt-after-epochs=1
check_exit 0 "run B resumes with backend.conv-algo=im2col" \
    $train --resume --out "$d/b" --quiet --set train.interrupt-after-epochs=0 \
    --set backend.conv-algo=im2col
check "the resumed run kept the recorded winograd4" \
    grep -q '"4>4 2x2 k3s1p1": "winograd4"' "$d/b/summary.json"
check "resumed checkpoint equals the uninterrupted one" \
    same_ckpt "$d/a/ckpt/last.h5" "$d/b/ckpt/last.h5"

check_exit 0 "run C (im2col)" $train $args --set backend.conv-algo=im2col --out "$d/c"
if test -s "$d/c/ckpt/last.h5" && grep -q '"4>4 2x2 k3s1p1": "im2col"' "$d/c/summary.json" &&
   ! same_ckpt "$d/a/ckpt/last.h5" "$d/c/ckpt/last.h5"; then
    pass "im2col is recorded and gives other weights than winograd4"
else
    fail "im2col is recorded and gives other weights than winograd4"
fi

algos() { # the conv_algos of a summary.json: "KEY":"ALGO" lines, sorted
    tr -d '\n' <"$1" | sed -n 's/.*"conv_algos": *{\([^}]*\)}.*/\1/p' |
        grep -o '"[^"]*": *"[^"]*"' | sed 's/": */":/' | sort
}
check_exit 1 "run M (measure) stops after epoch 1" \
    $train $args --set backend.conv-algo=measure --out "$d/m" --set train.interrupt-after-epochs=1
algos "$d/m/summary.json" >"$d/m.algos"
check "run M records an algorithm for 4>4 2x2" \
    grep -Eq '^"4>4 2x2 k3s1p1":"(im2col|winograd[246])"$' "$d/m.algos"
check_exit 0 "run M resumes" $train --resume --out "$d/m" --quiet --set train.interrupt-after-epochs=0
algos "$d/m/summary.json" >"$d/m.algos2"
check "the resumed run M kept every measured choice" cmp -s "$d/m.algos" "$d/m.algos2"

$train $args --set backend.conv-algo=fft --out "$d/e" >"$d/out" 2>"$d/err"
rc=$?
check "backend.conv-algo=fft: exit 2, one line naming the key" \
    sh -c "test $rc -eq 2 && test \$(wc -l <'$d/err') -eq 1 &&
           grep -q \"^asgml-train: .*key 'backend.conv-algo'.*'fft'\" '$d/err'"
done_testing
