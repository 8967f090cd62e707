# train.mk - tests of the training engine (included by the top Makefile.am).
check_PROGRAMS += tests/test-config tests/test-metrics
tests_test_config_SOURCES = tests/test-config.c tests/tap.h
tests_test_metrics_SOURCES = tests/test-metrics.c tests/tap.h
TESTS += tests/test-config tests/test-metrics
