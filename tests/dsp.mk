# SPDX-License-Identifier: MIT
# dsp.mk - tests of the media decoding / signal-processing layer (prep-dsp),
# included by the top Makefile.am.  Fixtures are written by
# tests/fixtures/make_dsp_fixtures.py and committed.
check_PROGRAMS += tests/test-stft tests/test-resize tests/test-image tests/test-audio
tests_test_stft_SOURCES = tests/test-stft.c tests/tap.h tests/fixture.h
tests_test_resize_SOURCES = tests/test-resize.c tests/tap.h tests/fixture.h
tests_test_image_SOURCES = tests/test-image.c tests/tap.h tests/fixture.h
tests_test_audio_SOURCES = tests/test-audio.c tests/tap.h tests/fixture.h
TESTS += tests/test-stft tests/test-resize tests/test-image tests/test-audio
EXTRA_DIST += tests/fixtures/make_dsp_fixtures.py \
	tests/fixtures/dsp/au_float.f32 \
	tests/fixtures/dsp/au_float.wav \
	tests/fixtures/dsp/au_pcm16.f32 \
	tests/fixtures/dsp/au_pcm16.wav \
	tests/fixtures/dsp/au_pcm24.f32 \
	tests/fixtures/dsp/au_pcm24.wav \
	tests/fixtures/dsp/au_sine8k.wav \
	tests/fixtures/dsp/au_stereo44k.flac \
	tests/fixtures/dsp/au_stereo44k_mean.i16 \
	tests/fixtures/dsp/broken_crc.png \
	tests/fixtures/dsp/broken_empty.png \
	tests/fixtures/dsp/broken_empty.wav \
	tests/fixtures/dsp/broken_garbage.jpg \
	tests/fixtures/dsp/broken_garbage.wav \
	tests/fixtures/dsp/broken_hdr.jpg \
	tests/fixtures/dsp/broken_header.wav \
	tests/fixtures/dsp/broken_trunc.jpg \
	tests/fixtures/dsp/broken_trunc.png \
	tests/fixtures/dsp/broken_trunc.wav \
	tests/fixtures/dsp/cor_down7.u8 \
	tests/fixtures/dsp/cor_in.u8 \
	tests/fixtures/dsp/cor_noise40.u8 \
	tests/fixtures/dsp/cor_occlude6.u8 \
	tests/fixtures/dsp/images.txt \
	tests/fixtures/dsp/jpg_444.jpg \
	tests/fixtures/dsp/mnist.txt \
	tests/fixtures/dsp/mnist_0_0000.L.u8 \
	tests/fixtures/dsp/mnist_0_0007.L.u8 \
	tests/fixtures/dsp/mnist_0_0058.L.u8 \
	tests/fixtures/dsp/mnist_1_0245.L.u8 \
	tests/fixtures/dsp/jpg_444.jpg.L.u8 \
	tests/fixtures/dsp/jpg_444.jpg.RGB.u8 \
	tests/fixtures/dsp/jpg_cmyk.jpg \
	tests/fixtures/dsp/jpg_cmyk.jpg.L.u8 \
	tests/fixtures/dsp/jpg_cmyk.jpg.RGB.u8 \
	tests/fixtures/dsp/jpg_grey.jpg \
	tests/fixtures/dsp/jpg_grey.jpg.L.u8 \
	tests/fixtures/dsp/jpg_grey.jpg.RGB.u8 \
	tests/fixtures/dsp/jpg_prog.jpg \
	tests/fixtures/dsp/jpg_prog.jpg.L.u8 \
	tests/fixtures/dsp/jpg_prog.jpg.RGB.u8 \
	tests/fixtures/dsp/jpg_rgb.jpg \
	tests/fixtures/dsp/jpg_rgb.jpg.L.u8 \
	tests/fixtures/dsp/jpg_rgb.jpg.RGB.u8 \
	tests/fixtures/dsp/png_1bit.png \
	tests/fixtures/dsp/png_1bit.png.L.u8 \
	tests/fixtures/dsp/png_1bit.png.RGB.u8 \
	tests/fixtures/dsp/png_grey16.png \
	tests/fixtures/dsp/png_grey16.png.L.u8 \
	tests/fixtures/dsp/png_grey16.png.RGB.u8 \
	tests/fixtures/dsp/png_grey2.png \
	tests/fixtures/dsp/png_grey2.png.L.u8 \
	tests/fixtures/dsp/png_grey2.png.RGB.u8 \
	tests/fixtures/dsp/png_grey8.png \
	tests/fixtures/dsp/png_grey8.png.L.u8 \
	tests/fixtures/dsp/png_grey8.png.RGB.u8 \
	tests/fixtures/dsp/png_la.png \
	tests/fixtures/dsp/png_la.png.L.u8 \
	tests/fixtures/dsp/png_la.png.RGB.u8 \
	tests/fixtures/dsp/png_la16.png \
	tests/fixtures/dsp/png_la16.png.L.u8 \
	tests/fixtures/dsp/png_la16.png.RGB.u8 \
	tests/fixtures/dsp/png_pal4_grey.png \
	tests/fixtures/dsp/png_pal4_grey.png.L.u8 \
	tests/fixtures/dsp/png_pal4_grey.png.RGB.u8 \
	tests/fixtures/dsp/png_pal8.png \
	tests/fixtures/dsp/png_pal8.png.L.u8 \
	tests/fixtures/dsp/png_pal8.png.RGB.u8 \
	tests/fixtures/dsp/png_pal_trns.png \
	tests/fixtures/dsp/png_pal_trns.png.L.u8 \
	tests/fixtures/dsp/png_pal_trns.png.RGB.u8 \
	tests/fixtures/dsp/png_rgb.png \
	tests/fixtures/dsp/png_rgb.png.L.u8 \
	tests/fixtures/dsp/png_rgb.png.RGB.u8 \
	tests/fixtures/dsp/png_rgb16.png \
	tests/fixtures/dsp/png_rgb16.png.L.u8 \
	tests/fixtures/dsp/png_rgb16.png.RGB.u8 \
	tests/fixtures/dsp/png_rgba.png \
	tests/fixtures/dsp/png_rgba.png.L.u8 \
	tests/fixtures/dsp/png_rgba.png.RGB.u8 \
	tests/fixtures/dsp/resize.txt \
	tests/fixtures/dsp/rs_grey.u8 \
	tests/fixtures/dsp/rs_grey_16x20.u8 \
	tests/fixtures/dsp/rs_grey_1x1.u8 \
	tests/fixtures/dsp/rs_grey_20x120.u8 \
	tests/fixtures/dsp/rs_grey_37x20.u8 \
	tests/fixtures/dsp/rs_grey_3x200.u8 \
	tests/fixtures/dsp/rs_grey_7x9.u8 \
	tests/fixtures/dsp/rs_grey_80x100.u8 \
	tests/fixtures/dsp/rs_grey_90x53.u8 \
	tests/fixtures/dsp/rs_rgb.u8 \
	tests/fixtures/dsp/rs_rgb_11x97.u8 \
	tests/fixtures/dsp/rs_rgb_15x20.u8 \
	tests/fixtures/dsp/rs_rgb_28x28.u8 \
	tests/fixtures/dsp/rs_rgb_30x17.u8 \
	tests/fixtures/dsp/rs_rgb_50x61.u8 \
	tests/fixtures/dsp/splitmix.txt \
	tests/fixtures/dsp/stft.txt \
	tests/fixtures/dsp/stft_7_jackson_32.f32 \
	tests/fixtures/dsp/stft_avd.f32 \
	tests/fixtures/dsp/stft_fold.f32 \
	tests/fixtures/dsp/stft_odd.f32 \
	tests/fixtures/dsp/stft_pow.f32 \
	tests/fixtures/dsp/stft_sig.f32
check_PROGRAMS += tests/test-fbank
tests_test_fbank_SOURCES = tests/test-fbank.c tests/tap.h tests/fixture.h
TESTS += tests/test-fbank
EXTRA_DIST += tests/fixtures/make_fbank_fixtures.py \
	tests/fixtures/dsp/fbank_sig.f32 tests/fixtures/dsp/fbank_ref.f32 \
	tests/fixtures/dsp/fbank_norm.f32 tests/fixtures/dsp/fbank_8k.f32 \
	tests/fixtures/dsp/fbank_7_jackson_32.f32
# a header's frame count is not allocated up front (issue 13, fuzz/fuzz_flac)
check_PROGRAMS += tests/test-audio-claims
tests_test_audio_claims_SOURCES = tests/test-audio-claims.c tests/tap.h tests/memlimit.h
TESTS += tests/test-audio-claims
check_PROGRAMS += tests/test-image-claims
tests_test_image_claims_SOURCES = tests/test-image-claims.c tests/tap.h tests/memlimit.h
TESTS += tests/test-image-claims
# the resamplers (issue 14 item 4): libsoxr SOXR_HQ and libsamplerate against
# numpy's band-limited signals (tests/fixtures/make_resample_fixtures.py)
check_PROGRAMS += tests/test-resample
tests_test_resample_SOURCES = tests/test-resample.c tests/tap.h tests/fixture.h
TESTS += tests/test-resample
EXTRA_DIST += tests/fixtures/make_resample_fixtures.py \
	tests/fixtures/resample/sines44k.wav tests/fixtures/resample/sines44k_22k.f32 \
	tests/fixtures/resample/sine8k.wav tests/fixtures/resample/sine8k_22k.f32
# issue 14 item 3: presets ogmge-paper (scipy PSD + PMR z-score) and af-mel
# (librosa mel, AF's scaling and resize) against tests/fixtures/make_spectral_fixtures.py
check_PROGRAMS += tests/test-spectral
tests_test_spectral_SOURCES = tests/test-spectral.c tests/tap.h tests/fixture.h
TESTS += tests/test-spectral
EXTRA_DIST += tests/fixtures/make_spectral_fixtures.py \
	tests/fixtures/dsp/spec_sig16k.f32 tests/fixtures/dsp/psd_ref.f32 \
	tests/fixtures/dsp/psd_raw.f32 tests/fixtures/dsp/mel_ref.f32 \
	tests/fixtures/dsp/mel_noresize.f32 tests/fixtures/dsp/mel_small.f32
