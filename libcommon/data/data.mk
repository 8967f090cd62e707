# SPDX-License-Identifier: MIT
## libcommon/data/data.mk - media decoding and signal processing, the HDF5
## feature store (reader, writer), the manifest parser, the asgml-prep
## pipeline and the training data loader.  Needs sndfile, samplerate,
## fftw3f, libpng, libjpeg, hdf5 (serial) and -pthread.
libasgml_la_SOURCES += libcommon/data/audio.c libcommon/data/resample.c libcommon/data/stft.c \
	libcommon/data/fbank.c libcommon/data/spectral.c libcommon/data/image.c libcommon/data/resize.c \
	libcommon/data/corrupt.c libcommon/data/corrupt.h libcommon/data/decode.h \
	libcommon/data/store.c libcommon/data/store_write.c libcommon/data/store_write.h \
	libcommon/data/store_chunk.c libcommon/data/store_chunk.h \
	libcommon/data/manifest.c libcommon/data/manifest.h \
	libcommon/data/prep.c libcommon/data/prep_prof.c libcommon/data/prep_prof.h libcommon/data/prep_stats.c libcommon/data/prep_stats.h libcommon/data/prep_metadata.c libcommon/data/prep_ctx.h libcommon/data/prep_presets.c libcommon/data/prep.h \
	libcommon/data/prep_report.c libcommon/data/prep_sample_stats.c \
	libcommon/data/loader.c libcommon/data/loader.h
