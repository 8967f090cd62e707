/* SPDX-License-Identifier: MIT */
/* fuzz_wav.c - libFuzzer harness: WAV decoding through asgml-prep's audio path.
 *
 * Reaches asgml_audio_load -> asgml_audio_fit -> asgml_stft as asgml-prep
 * runs them for an audio cell (fuzz_audio.h), here for RIFF/WAVE (PCM 8-32
 * bit, float, mu-law, ADPCM: libsndfile's wav.c, wavlike.c, pcm.c,
 * ima/ms_adpcm.c). Seeds (fuzz/corpus/wav/): the PCM16/PCM24/float/8 kHz WAV
 * fixtures and the broken ones of tests/fixtures/dsp. The input is a file
 * (fuzz_util.h): asgml_audio_load takes a path. */
#include "fuzz_audio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_audio_one(data, size, ".wav");
}
