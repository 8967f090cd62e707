#!/bin/sh
# SPDX-License-Identifier: MIT
# train-3mod.sh - the comparison methods on three modalities (tests/probe-mkstore
# ... 3: audio, visual and a weaker "depth"), asgml-methods(7): agm (Shapley
# responses), mmpareto, arl ([AF] N-modality weights), opm and opm+ogm-ge
# (rho_m = mean_{j != m} s_m / s_j) train and log their signal for the third
# modality; opm's logged rho follows the N-modality formula; pmr, defined for
# two modalities only, is a configuration error (exit 2) naming the reason.
. "$top_srcdir/tests/lib.sh"
train=$(bin asgml-train)
mkstore="$top_builddir/tests/probe-mkstore"
d=$(tmpdir) || exit 1
trap 'rm -rf "$d"' EXIT
plan 10

"$mkstore" "$d/t3.h5" 96 3 >/dev/null 2>&1
check "three-modality store written" test -s "$d/t3.h5"
args="--store $d/t3.h5 --epochs 1 --batch-size 16 --threads 2 --quiet --set model.width=4"
run() { # method key extra...
    m=$1; key=$2; shift 2
    $train $args --method "$m" --out "$d/$m" "$@" >/dev/null 2>&1 &&
        grep '"type":"step"' "$d/$m/log.jsonl" | tail -1 | grep -q "\"$key.depth\""
}
check "baseline: 3 modalities, grad_norm.depth" run baseline grad_norm
check "agm: agm.k.depth" run agm agm.k
check "mmpareto: mmpareto.cos.depth" run mmpareto mmpareto.cos
check "arl (modulated from epoch 0): arl.a.depth" run arl arl.a --set arl.es=-1
check "opm (no warm-up): opm.q.depth" run opm opm.q --set opm.warmup=-1
check "opm+ogm-ge: ogm.k.depth" run opm+ogm-ge ogm.k --set opm.warmup=-1
# rho_m = mean_{j != m} s_m / s_j from the logged s of every step
check "opm: rho_m = mean_{j != m} s_m / s_j in every step" awk '
    /"type":"step"/ {
        n = split("audio visual depth", mods, " ")
        for (k = 1; k <= n; k++) {
            if (!match($0, "\"opm.s." mods[k] "\":[^,}]*")) exit 1
            s[k] = substr($0, RSTART + length("\"opm.s." mods[k] "\":"), RLENGTH - length("\"opm.s." mods[k] "\":")) + 0
            if (!match($0, "\"opm.rho." mods[k] "\":[^,}]*")) exit 1
            r[k] = substr($0, RSTART + length("\"opm.rho." mods[k] "\":"), RLENGTH - length("\"opm.rho." mods[k] "\":")) + 0
        }
        for (k = 1; k <= n; k++) {
            want = 0
            for (j = 1; j <= n; j++) if (j != k) want += s[k] / s[j]
            want /= n - 1
            if ((r[k] - want) ^ 2 > 1e-20 * want ^ 2) exit 1
        }
        steps++
    }
    END { exit steps ? 0 : 1 }' "$d/opm/log.jsonl"
check_exit 2 "pmr with 3 modalities: configuration error" \
    $train $args --method pmr --out "$d/pmr"
check "pmr's message names the two-modality limit" sh -c \
    "$train $args --method pmr --out '$d/pmr2' 2>&1 | grep -q 'needs exactly two modalities'"
