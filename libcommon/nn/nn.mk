# SPDX-License-Identifier: MIT
## libcommon/nn/nn.mk - the model: the view registry and arena (params),
## layers (linear, conv, batchnorm, pool, dropout), the encoders and fusion
## heads composed of them (mlp, resnet, fusion), the model, initialisation,
## optimisers and schedules.
libasgml_la_SOURCES += libcommon/nn/params.c libcommon/nn/params.h \
	libcommon/nn/linear.c libcommon/nn/linear.h libcommon/nn/conv.c libcommon/nn/conv.h \
	libcommon/nn/batchnorm.c libcommon/nn/batchnorm.h libcommon/nn/pool.c libcommon/nn/pool.h \
	libcommon/nn/dropout.c libcommon/nn/dropout.h libcommon/nn/mlp.c libcommon/nn/mlp.h \
	libcommon/nn/resnet.c libcommon/nn/resnet.h libcommon/nn/fusion.c libcommon/nn/fusion.h \
	libcommon/nn/model.c libcommon/nn/init.c libcommon/nn/optim.c libcommon/nn/schedule.c \
	libcommon/nn/model_internal.h libcommon/nn/model_ops.c libcommon/nn/model_ops.h \
	libcommon/nn/featnorm.c libcommon/nn/featnorm.h
