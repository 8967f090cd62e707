## bench/bench.mk - (fragment, filled by its part)
