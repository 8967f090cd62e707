## libcommon/core.mk - error reporting, version, public headers.
libasgml_la_SOURCES += libcommon/error.c libcommon/version.c
asgmlinclude_HEADERS += libcommon/asgml/asgml.h libcommon/asgml/common.h \
	libcommon/asgml/backend.h libcommon/asgml/store.h libcommon/asgml/model.h \
	libcommon/asgml/optim.h libcommon/asgml/config.h libcommon/asgml/method.h \
	libcommon/asgml/probe.h
