#!/bin/sh
# SPDX-License-Identifier: MIT
# cmu-mosi.sh - CMU-MOSI precomputed features (MulT mosi_data_noalign.pkl:
# 1,284/229/686 samples; text (50, 300) GloVe, audio (375, 5), vision
# (500, 20); labels in [-3, 3]; datasets.md 6) into an asgml store with three
# sequence modalities, each at its own length.  Same variables and stages
# as data-recipes/cmu-mosei.sh (SCHEME, CHECK_SIZES, OUT, ...), which does
# the work with DATASET=mosi.
#
# Usage: OUT=dir [SCHEME=bin_pos] sh data-recipes/cmu-mosi.sh mosi_data_noalign.pkl
#   SCHEME defaults to bin_pos (y > 0 -> pos, AF's MOSI); bin_nonneg is BB's.
# Writes OUT/mosi.manifest.tsv, OUT/mosi.h5 and its .report.tsv.
: "${SCHEME:=bin_pos}"
export SCHEME
DATASET=mosi exec sh "$(dirname "$0")/cmu-mosei.sh" "$@"
