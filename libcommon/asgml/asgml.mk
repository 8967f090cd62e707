# SPDX-License-Identifier: MIT
## libcommon/asgml/asgml.mk - the public headers, installed as <asgml/*.h>.
asgmlinclude_HEADERS += libcommon/asgml/asgml.h libcommon/asgml/common.h \
	libcommon/asgml/backend.h libcommon/asgml/store.h libcommon/asgml/model.h \
	libcommon/asgml/optim.h libcommon/asgml/config.h libcommon/asgml/method.h \
	libcommon/asgml/runlog.h libcommon/asgml/state.h \
	libcommon/asgml/probe.h libcommon/asgml/checkpoint.h libcommon/asgml/train.h \
	libcommon/asgml/hooks.h libcommon/asgml/atomic_file.h \
	libcommon/asgml/prep.h libcommon/asgml/probe_eval.h libcommon/asgml/stats.h \
	libcommon/asgml/predict.h libcommon/asgml/tsne.h
