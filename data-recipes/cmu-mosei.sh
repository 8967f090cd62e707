#!/bin/sh
# SPDX-License-Identifier: MIT
# cmu-mosei.sh - CMU-MOSEI or CMU-MOSI precomputed features (the MulT
# release, asgml-prep(1), DATA SETS, CMU-MOSEI and CMU-MOSI; datasets.md 6)
# into an asgml store with three sequence modalities:
#   DATASET=mosei (default): mosei_senti_data.pkl (MulT; BB), text (50,300)
#     GloVe, audio (50,74) COVAREP, vision (50,35) FACET, 16,326/1,871/4,659
#   DATASET=mosi (data-recipes/cmu-mosi.sh): mosi_data_noalign.pkl (MulT),
#     text (50,300), audio (375,5), vision (500,20), 1,284/229/686
#
# Usage: OUT=dir [DATASET=mosei] [SCHEME=bin_nonneg] sh data-recipes/cmu-mosei.sh PKL
#   PKL      the pickle; the "work" stage converts it once with
#            /usr/bin/python3 + numpy into OUT/mosei/work/<split>/<modality>/
#            <index>.f32 (raw float32 LE, steps x dim) and labels.tsv
#            (split, index, score); a directory given instead of PKL is
#            taken as that work tree (the pickle is then not needed)
#   SCHEME   label scheme: bin_nonneg (y < 0 -> neg, else pos; BB acc2),
#            bin_pos (y > 0 -> pos), tri (y <= -0.5 neg, >= 0.5 pos, else
#            neu), sept_bb (7 bins of BB acc7)
#   CHECK_SIZES  1 (default): the split sizes must be the table's
#            (datasets.md 6: a 1,368/456/457 "MOSEI" with 768/33/709
#            features is CH-SIMS); 0 only reports them.  Feature widths
#            are always checked (the conversion stops on another width).
#   plus OUT, ASGML_PREP, JOBS, SEED, STAGE (common.sh)
# Scores are kept in meta:score; -inf/NaN become 0 and are flagged by
# asgml-prep (NONFINITE_REPLACED).  Splits train/valid/test -> train/val/test.
# Writes OUT/DATASET.manifest.tsv, OUT/DATASET.h5 and its .report.tsv.
. "$(dirname "$0")/common.sh"
PKL=${1:?usage: OUT=dir [DATASET=mosei|mosi] sh cmu-mosei.sh PICKLE}
: "${OUT:?set OUT}" "${SCHEME:=bin_nonneg}" "${DATASET:=mosei}" "${CHECK_SIZES:=1}"
case $DATASET in
mosei) dims=text=300,audio=74,vision=35 lens=text=50,audio=50,vision=50 sizes="16326 1871 4659" ;;
mosi) dims=text=300,audio=5,vision=20 lens=text=50,audio=375,vision=500 sizes="1284 229 686" ;;
*) die "DATASET=$DATASET: mosei or mosi" ;;
esac
work="$OUT/$DATASET/work"
if [ -d "$PKL" ]; then work=$PKL
elif [ ! -f "$work/labels.tsv" ]; then
    mkdir -p "$work"
    /usr/bin/python3 - "$PKL" "$work" "$dims" <<'PY' || die "$PKL: conversion failed (needs python3 + numpy)"
import os, pickle, sys
import numpy as np
src, out = sys.argv[1], sys.argv[2]
want = dict(kv.split("=") for kv in sys.argv[3].split(","))
d = pickle.load(open(src, "rb"), encoding="latin1")
for split in ("train", "valid", "test"):
    for mod in ("text", "audio", "vision"):
        w = np.asarray(d[split][mod]).shape[-1]
        if w != int(want[mod]):
            sys.exit("%s: %s/%s has %d features per step, not %s (datasets.md 6; 768/33/709 is CH-SIMS)"
                     % (src, split, mod, w, want[mod]))
with open(os.path.join(out, "labels.tsv"), "w") as lab:
    for split in ("train", "valid", "test"):
        s = d[split]
        for mod in ("text", "audio", "vision"):
            os.makedirs(os.path.join(out, split, mod), exist_ok=True)
            for i, x in enumerate(s[mod]):
                np.asarray(x, dtype="<f4").tofile(os.path.join(out, split, mod, "%d.f32" % i))
        for i, y in enumerate(np.asarray(s["labels"]).reshape(len(s["labels"]), -1)[:, 0]):
            lab.write("%s\t%d\t%.6f\n" % (split, i, y))
PY
fi
[ -f "$work/labels.tsv" ] || die "$work/labels.tsv: missing"
case $SCHEME in
bin_nonneg) classes="neg	pos" ;; bin_pos) classes="nonpos	pos" ;; tri) classes="neg	neu	pos" ;;
sept_bb) classes="-3	-2	-1	0	1	2	3" ;; *) die "SCHEME=$SCHEME: bin_nonneg, bin_pos, tri or sept_bb" ;;
esac
man="$OUT/$DATASET.manifest.tsv"
mkdir -p "$OUT"
{
    printf '#@dataset\tcmu-%s\n#@classes' "$DATASET"
    printf '\t%s\n#@root\t%s\n' "$classes" "$(cd "$work" && pwd)"
    printf 'id\tlabel\tsplit:mulT\tmeta:score\ttext:seq\taudio:seq\tvision:seq\n'
    awk -F'\t' -v s="$SCHEME" '
    { y = $3 + 0; sp = $1 == "valid" ? "val" : $1
      if (s == "bin_nonneg") l = y < 0 ? "neg" : "pos"
      else if (s == "bin_pos") l = y > 0 ? "pos" : "nonpos"
      else if (s == "tri") l = y <= -0.5 ? "neg" : y >= 0.5 ? "pos" : "neu"
      else l = y < -2 ? -3 : y < -1 ? -2 : y < 0 ? -1 : y == 0 ? 0 : y <= 1 ? 1 : y <= 2 ? 2 : 3
      printf "%s_%06d\t%s\t%s\t%s\t%s/text/%d.f32\t%s/audio/%d.f32\t%s/vision/%d.f32\n", $1, $2, l, sp, $3, $1, $2, $1, $2, $1, $2 }' "$work/labels.tsv"
} >"$man.tmp"
mv "$man.tmp" "$man"
got=$(awk -F'\t' '{ n[$1]++ } END { printf "%d %d %d", n["train"], n["valid"], n["test"] }' "$work/labels.tsv")
echo "${0##*/}: $DATASET: train, valid, test = $got" >&2
[ "$CHECK_SIZES" != 1 ] || [ "$got" = "$sizes" ] ||
    die "$work: split sizes $got, $DATASET has $sizes (datasets.md 6; 1368 456 457 is CH-SIMS); CHECK_SIZES=0 accepts them"
[ "$STAGE" = manifest ] && exit 0
exec "$ASGML_PREP" --seq-dim "$dims" --seq-len "$lens" --seed "$SEED" $(jobs_opt) "$man" -o "$OUT/$DATASET.h5"
