# SPDX-License-Identifier: MIT
## data-recipes/recipes.mk - the data recipes are shipped, not built.
EXTRA_DIST += data-recipes/README data-recipes/common.sh data-recipes/av-digits.mk \
	data-recipes/cremad.sh data-recipes/ave.sh data-recipes/kinetics-sounds.sh \
	data-recipes/vggsound.sh data-recipes/cmu-mosei.sh data-recipes/cmu-mosi.sh \
	data-recipes/cremad-known-bad.tsv data-recipes/av-digits.yaml \
	data-recipes/av-digits-fbank.yaml
# issue 16: the imbalance study grid (four regimes of av-digits.mk)
EXTRA_DIST += data-recipes/grid-study.mk
