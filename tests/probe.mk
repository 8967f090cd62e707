## tests/probe.mk - tests of asgml-probe, Shapley values and the grid engine
## (included by the top Makefile.am).
check_PROGRAMS += tests/test-shapley
tests_test_shapley_SOURCES = tests/test-shapley.c tests/tap.h
TESTS += tests/test-shapley
