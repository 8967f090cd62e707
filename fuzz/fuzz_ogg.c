/* SPDX-License-Identifier: MIT */
/* fuzz_ogg.c - libFuzzer harness: OGG decoding through asgml-prep's audio path.
 *
 * Reaches asgml_audio_load -> asgml_audio_fit -> asgml_stft as asgml-prep
 * runs them for an audio cell (fuzz_audio.h), here for Ogg Vorbis
 * (libsndfile's ogg.c / ogg_vorbis.c on libogg and libvorbis: page framing,
 * headers, codebooks, packet decode). Seeds (fuzz/corpus/ogg/): two short
 * Ogg Vorbis files written from the WAV fixtures of tests/fixtures/dsp. The
 * input is a file (fuzz_util.h): asgml_audio_load takes a path. */
#include "fuzz_audio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_audio_one(data, size, ".ogg");
}
