# dsp.mk - media decoding and signal processing (prep-dsp), included by the
# top Makefile.am.  Needs sndfile, samplerate, fftw3f, libpng, libjpeg
# (and -pthread) in the library's CFLAGS/LIBS.
libasgml_la_SOURCES += libcommon/audio.c libcommon/stft.c libcommon/image.c \
	libcommon/resize.c libcommon/splitmix.c libcommon/corrupt.c \
	libcommon/decode.h libcommon/corrupt.h
libasgml_la_SOURCES += libcommon/fbank.c
