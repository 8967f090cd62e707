# SPDX-License-Identifier: MIT
## libcommon/core/core.mk - what every part uses: errors, version, the
## configuration, hashing, the seeded generator and the backend table.
libasgml_la_SOURCES += libcommon/core/error.c libcommon/core/error.h libcommon/core/version.c \
	libcommon/core/config.c libcommon/core/sha256.c libcommon/core/sha256.h \
	libcommon/core/splitmix.c libcommon/core/backend.c libcommon/core/json.c \
	libcommon/core/atomic_file.c libcommon/core/h5util.c libcommon/core/h5util.h \
	libcommon/core/text.c libcommon/core/text.h
