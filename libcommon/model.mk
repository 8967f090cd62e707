# model.mk - the model (ResNet/MLP encoders, fusion heads, init) and the
# optimisers/schedules, included by the top Makefile.am.
libasgml_la_SOURCES += libcommon/model.c libcommon/resnet.c libcommon/fusion.c \
	libcommon/init.c libcommon/optim.c libcommon/schedule.c \
	libcommon/model_internal.h
