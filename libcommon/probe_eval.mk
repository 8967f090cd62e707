## libcommon/probe_eval.mk - offline probing of checkpoints (asgml-probe):
## exact Shapley contributions; feature extraction, standardised probes and
## modality removal.  Included by the top Makefile.am.
libasgml_la_SOURCES += libcommon/shapley.c libcommon/shapley.h \
	libcommon/probe_eval.c libcommon/probe_eval.h
