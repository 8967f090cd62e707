/* SPDX-License-Identifier: MIT */
/* fuzz_flac.c - libFuzzer harness: FLAC decoding through asgml-prep's audio path.
 *
 * Reaches asgml_audio_load -> asgml_audio_fit -> asgml_stft as asgml-prep
 * runs them for an audio cell (fuzz_audio.h), here for FLAC (libsndfile's
 * flac.c on libFLAC: STREAMINFO, frames, residuals, seek table). Seeds
 * (fuzz/corpus/flac/): tests/fixtures/dsp/au_stereo44k.flac and two short
 * FLAC files written from the WAV fixtures. The input is a file
 * (fuzz_util.h): asgml_audio_load takes a path. */
#include "fuzz_audio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_audio_one(data, size, ".flac");
}
