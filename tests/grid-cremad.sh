#!/bin/sh
# SPDX-License-Identifier: MIT
# grid-cremad.sh - data-recipes/grid-cremad.mk, the design documents'
# CREMA-D cells with their replay settings: the commands of FRAMES=1 and
# FRAMES=3 (the grid's `commands` target, the lines make, GNU parallel and
# Slurm run) are exactly the committed lists tests/fixtures/grid/
# cremad-f{1,3}.commands (paths of this run replaced by @T@); and a toy run
# of three cells (1 epoch, width 2) on a fake CREMA-D-shaped store (six
# classes NEU..ANG, split scheme ogmge, audio + three RGB frames per clip,
# made with asgml-prep from the tests/fixtures/dsp media) completes with the
# replay keys in its configuration and the probe-EMA test-split update in
# its log.  To rewrite the expected lists after a deliberate change:
#   ASGML_GRID_REGEN=1 make check TESTS=tests/grid-cremad.sh   (read the diff)
. "$top_srcdir/tests/lib.sh"
command -v "${MAKE:-make}" >/dev/null 2>&1 || skip_all "make not installed"
MAKE=${MAKE:-make}
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
"$MAKE" --version 2>/dev/null | grep -q "GNU Make [4-9]" || skip_all "GNU make 4 needed"
src=$(cd "$top_srcdir" && pwd)
build=$(cd "$top_builddir" && pwd)
fx="$src/tests/fixtures/grid"
t=$(tmpdir) || exit 1
trap 'rm -rf "$t"' EXIT
plan 11

gm() { "$MAKE" --no-print-directory -C "$t" -f "$src/data-recipes/grid-cremad.mk" \
    ASGML_TRAIN=asgml-train "$@"; }

# ---- the dry run: every command, as the grid would run it
for f in 1 3; do
    gm FRAMES=$f GRID_DIR=dry$f commands >"$t/log$f" 2>&1; st=$?
    sed "s|$t/|@T@/|g" "$t/dry$f/grid.parallel" >"$t/f$f.commands" 2>/dev/null
    if [ -n "$ASGML_GRID_REGEN" ]; then mkdir -p "$fx" && cp "$t/f$f.commands" "$fx/cremad-f$f.commands"; fi
    diff -u "$fx/cremad-f$f.commands" "$t/f$f.commands" >"$t/diff$f" 2>&1 || sed 's/^/# /' "$t/diff$f" | head -n 30
    check "FRAMES=$f: the commands are exactly tests/fixtures/grid/cremad-f$f.commands (exit $st)" \
        sh -c "test $st -eq 0 && test -s '$t/f$f.commands' && cmp -s '$fx/cremad-f$f.commands' '$t/f$f.commands'"
done
check "FRAMES=1: 11 configurations x seeds 42 0 1 2 3, store cremad-fps1" \
    sh -c "test \$(wc -l <'$t/f1.commands') -eq 55 && test \$(grep -c -- '--seed 42 ' '$t/f1.commands') -eq 11 && ! grep -v -q \"'@T@/stores/cremad-fps1/cremad.ogmge-stft.h5'\" '$t/f1.commands'"
check "FRAMES=3: 12 configurations x seeds 42 123 456 789 1024, 3 frames" \
    sh -c "test \$(wc -l <'$t/f3.commands') -eq 60 && test \$(grep -c -- '--seed 1024 ' '$t/f3.commands') -eq 12 && test \$(grep -c -- '--set model.frames=3 ' '$t/f3.commands') -eq 60"
check_exit 2 "FRAMES=2 is refused" gm FRAMES=2 GRID_DIR=dry2 list

# ---- a fake CREMA-D-shaped store and three cells, 1 epoch
d="$src/tests/fixtures/dsp"
{ printf '#@dataset\tcremad\n#@classes\tNEU\tHAP\tSAD\tFEA\tDIS\tANG\n'
  printf 'id\tlabel\tsplit:ogmge\taudio\tvisual:frames\n'
  i=0
  for c in NEU HAP SAD FEA DIS ANG; do
      for k in 0 1 2 3; do
          sp=train; [ $k -eq 3 ] && sp=test
          printf '10%02d_IEO_%s_LO\t%s\t%s\t%s/au_pcm16.wav\t%s/png_rgb.png;%s/jpg_rgb.jpg;%s/jpg_444.jpg\n' \
              $i $c $c $sp "$d" "$d" "$d" "$d"
          i=$((i + 1))
      done
  done; } >"$t/cremad.tsv"
check_exit 0 "asgml-prep: a fake CREMA-D store (24 clips, 3 frames each)" "$build/tools/asgml-prep" -q \
    --fit-seconds=0.25 --audio-rate=8000 --n-fft=128 --hop=64 --image-size=16 --image-channels=3 \
    "$t/cremad.tsv" -o "$t/fake.h5"
toy() { f=$1; shift; gm GRID_DIR=g$f FRAMES=$f STORE=fake.h5 SEEDS=1 EPOCHS=1 ASGML_TRAIN="$build/tools/asgml-train" \
    EXTRA_ARGS="-b 6 --set model.width=2 --set model.blocks=1,1,1,1 --set data.visual.size=16 --set asgml-boost.eval-freq=2 --set asgml.eval-freq=2" "$@"; }
B="asgml-boost+ogm-ge_asgml-boost.alpha-0.75_asgml-boost.probe-ema-eval-on_ogm-ge.variant-asgml-ref_ogm-ge.alpha-0.8_ogm-ge.end-49_seed-1"
S="asgml-stale_asgml.lambda-0.2_asgml-stale.index-ref_asgml-stale.comp-div_seed-1"
toy 3 "g3/$B/summary.json" >"$t/toy3" 2>&1; st3=$?
[ $st3 -eq 0 ] || sed "s/^/# /" "$t/toy3" | tail -n 5
toy 1 "g1/$S/summary.json" "g1/baseline_model.uni-heads_seed-1/summary.json" >"$t/toy1" 2>&1; st1=$?
check "toy: the 71.45 cell (boost+OGM-GE, 3 frames) completes (exit $st3)" \
    grep -qs '"status": *"complete"' "$t/g3/$B/summary.json"
check "toy: its configuration carries the replay keys" \
    sh -c "c='$t/g3/$B/config.json'; grep -q '\"ogm-ge.variant\": *\"asgml-ref\"' \$c && grep -q '\"ogm-ge.end\": *49' \$c && grep -q '\"model.head-two-layer\": *true' \$c && grep -q '\"model.head-init\": *\"uniform\"' \$c && grep -q '\"model.frames\": *3' \$c && grep -q '\"asgml-boost.alpha\": *0.75' \$c"
check "toy: the probe EMA is updated from the test split (boost.test_probe_acc in the epoch record)" \
    sh -c "grep '\"type\": *\"epoch\"' '$t/g3/$B/log.jsonl' | grep -q 'boost.test_probe_acc.visual'"
check "toy: the 1-frame stale cell and the baseline with heads complete (exit $st1)" \
    sh -c "grep -qs '\"status\": *\"complete\"' '$t/g1/$S/summary.json' && grep -qs '\"status\": *\"complete\"' '$t/g1/baseline_model.uni-heads_seed-1/summary.json' && grep -q '\"asgml-stale.index\": *\"ref\"' '$t/g1/$S/config.json'"
check "toy: only the named cells ran" test "$(ls "$t/g1" | grep -c _seed-1)" -eq 2
done_testing
