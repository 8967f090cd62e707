#!/bin/sh
# SPDX-License-Identifier: MIT
# cmu-mosei.sh - CMU-MOSEI precomputed features (MulT/BalanceBenchmark
# mosei_senti_data.pkl, asgml-prep(1), DATA SETS, CMU-MOSEI and CMU-MOSI) into an asgml store with three
# sequence modalities: text (50,300) GloVe, audio (50,74) COVAREP,
# vision (50,35) FACET.
#
# Usage: OUT=dir [SCHEME=bin_nonneg] sh data-recipes/cmu-mosei.sh PKL
#   PKL      mosei_senti_data.pkl; the "work" stage converts it once with
#            /usr/bin/python3 + numpy into OUT/mosei/work/<split>/<modality>/
#            <index>.f32 (raw float32 LE, steps x dim) and labels.tsv
#            (split, index, score); a directory given instead of PKL is
#            taken as that work tree (the pickle is then not needed)
#   SCHEME   label scheme: bin_nonneg (y < 0 -> neg, else pos; BB acc2),
#            bin_pos (y > 0 -> pos), tri (y <= -0.5 neg, >= 0.5 pos, else
#            neu), sept_bb (7 bins of BB acc7)
#   plus OUT, ASGML_PREP, JOBS, SEED, STAGE (common.sh)
# Scores are kept in meta:score; -inf/NaN become 0 and are flagged by
# asgml-prep (NONFINITE_REPLACED).  Splits train/valid/test -> train/val/test.
# Check the sizes: 16,326/1,871/4,659 (a 1,368/456/457 tree is CH-SIMS).
# Writes OUT/mosei.manifest.tsv and OUT/mosei.h5.
. "$(dirname "$0")/common.sh"
PKL=${1:?usage: OUT=dir sh cmu-mosei.sh mosei_senti_data.pkl}
: "${OUT:?set OUT}" "${SCHEME:=bin_nonneg}"
work="$OUT/mosei/work"
if [ -d "$PKL" ]; then work=$PKL
elif [ ! -f "$work/labels.tsv" ]; then
    mkdir -p "$work"
    /usr/bin/python3 - "$PKL" "$work" <<'PY' || die "$PKL: conversion failed (needs python3 + numpy)"
import os, pickle, sys
import numpy as np
src, out = sys.argv[1], sys.argv[2]
d = pickle.load(open(src, "rb"), encoding="latin1")
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
man="$OUT/mosei.manifest.tsv"
mkdir -p "$OUT"
{
    printf '#@dataset\tcmu-mosei\n#@classes\t%s\n#@root\t%s\n' "$classes" "$(cd "$work" && pwd)"
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
echo "cmu-mosei.sh: $(awk -F'\t' '{ n[$1]++ } END { printf "train %d, valid %d, test %d", n["train"], n["valid"], n["test"] }' "$work/labels.tsv")" >&2
[ "$STAGE" = manifest ] && exit 0
exec "$ASGML_PREP" --seq-dim text=300,audio=74,vision=35 --seq-len 50 --seed "$SEED" $(jobs_opt) "$man" -o "$OUT/mosei.h5"
