/* SPDX-License-Identifier: MIT */
/* fuzz_audio.h - the body shared by fuzz_wav.c, fuzz_flac.c, fuzz_ogg.c.
 *
 * One input = one audio file taken through what asgml-prep does with an
 * audio cell under preset avdigits (libcommon/data/prep.c, do_audio):
 * asgml_audio_load (asgml_open_regular, libsndfile's format detection and
 * decoder, the truncation check on libsndfile's log, the channel-mean
 * downmix, libsamplerate to 8000 Hz), asgml_audio_fit ("tile" to 1 s), the
 * non-finite replacement and clamp, and asgml_stft (n_fft 256, hop 80,
 * centred, reflect padding, log(|X| + 1e-7)) into the (129, 101) slot.
 * The three harnesses differ only in their seed corpus and dictionary:
 * libsndfile picks the decoder by content, so each one starts in its own
 * format's parser and stays there. */
#ifndef ASGML_FUZZ_AUDIO_H
#define ASGML_FUZZ_AUDIO_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "data/decode.h"
#include "fuzz_util.h"

#define FUZZ_RATE 8000
#define FUZZ_LEN 8000          /* 1 s at 8 kHz */
#define FUZZ_NFFT 256
#define FUZZ_HOP 80

static int fuzz_audio_one(const uint8_t *data, size_t size, const char *suffix)
{
    static float x[FUZZ_LEN];
    static float spec[(FUZZ_NFFT / 2 + 1) * (1 + FUZZ_LEN / FUZZ_HOP)];
    const asgml_stft_params sp = { FUZZ_NFFT, FUZZ_HOP, FUZZ_NFFT, 1, "reflect",
                                   "hann_periodic", 1, 1e-7 };
    const char *path = fuzz_write_input(data, size, suffix);
    asgml_audio a;
    uint32_t flags = 0;

    if (asgml_stft_frames(&sp, FUZZ_LEN) != 1 + FUZZ_LEN / FUZZ_HOP)
        __builtin_trap();
    if (asgml_audio_load(path, FUZZ_RATE, &a) == ASGML_OK) {
        if (a.n <= 0 || !a.samples || a.sample_rate != FUZZ_RATE)
            __builtin_trap();   /* "OK" must mean a usable clip */
        if (asgml_audio_fit(a.samples, a.n, "tile", FUZZ_LEN, x, &flags) == ASGML_OK) {
            for (int i = 0; i < FUZZ_LEN; i++) {
                if (!isfinite(x[i]))
                    x[i] = 0;
                x[i] = x[i] > 1.f ? 1.f : x[i] < -1.f ? -1.f : x[i];
            }
            (void)asgml_stft(&sp, x, FUZZ_LEN, spec);
        }
        asgml_audio_free(&a);
    }
    fuzz_remove_input(path);
    return 0;
}

#endif
