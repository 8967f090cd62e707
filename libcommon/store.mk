# store.mk - the HDF5 feature store (reader, writer, checksum), the manifest
# parser and the asgml-prep pipeline; included by the top Makefile.am.
# Needs hdf5 (serial) and -pthread in the library's CFLAGS/LIBS.
libasgml_la_SOURCES += libcommon/store.c libcommon/store_write.c libcommon/store_write.h \
	libcommon/sha256.c libcommon/sha256.h libcommon/manifest.c libcommon/manifest.h \
	libcommon/prep.c libcommon/prep_presets.c libcommon/prep.h
