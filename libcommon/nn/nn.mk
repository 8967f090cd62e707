## libcommon/nn/nn.mk - the model: layers, ResNet/MLP encoders, fusion
## heads, initialisation, optimisers and schedules.
libasgml_la_SOURCES += libcommon/nn/model.c libcommon/nn/resnet.c libcommon/nn/fusion.c \
	libcommon/nn/init.c libcommon/nn/optim.c libcommon/nn/schedule.c \
	libcommon/nn/model_internal.h libcommon/nn/model_ops.c libcommon/nn/model_ops.h
