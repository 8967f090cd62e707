/* SPDX-License-Identifier: MIT */
/* test-audio.c - asgml_audio_load / asgml_audio_fit and the SNR noise of
 * corrupt.h, on files written by tests/fixtures/make_dsp_fixtures.py:
 *   16-bit, 24-bit and float WAV decode to exactly PCM / 2^(bits-1);
 *   stereo 44.1 kHz FLAC downmixes to exactly the channel mean, and
 *   resampled to 22.05 kHz keeps length ceil(n * 22050 / 44100) and its
 *   1 kHz sine (amplitude within 1 %, least-squares residual < 1e-3 rms);
 *   an 8 kHz 440 Hz sine upsampled to 22.05 kHz likewise;
 *   broken files fail with an error that names the file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/store.h"
#include "data/corrupt.h"
#include "data/decode.h"
#include "fixture.h"
#include "tap.h"

static asgml_status load(const char *name, int rate, asgml_audio *a)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", fixdir, name);
    return asgml_audio_load(p, rate, a);
}

/* Least-squares fit y[i] ~ a sin(w i) + b cos(w i) over [lo, hi): returns
 * the amplitude, *rms the residual's rms. */
static double sine_fit(const float *y, int64_t lo, int64_t hi, double w, double *rms)
{
    double ss = 0, sc = 0, cc = 0, ys = 0, yc = 0, det, a, b, r = 0;
    for (int64_t i = lo; i < hi; i++) {
        double s = sin(w * i), c = cos(w * i);
        ss += s * s; sc += s * c; cc += c * c; ys += y[i] * s; yc += y[i] * c;
    }
    det = ss * cc - sc * sc;
    a = (ys * cc - yc * sc) / det;
    b = (yc * ss - ys * sc) / det;
    for (int64_t i = lo; i < hi; i++) {
        double e = y[i] - a * sin(w * i) - b * cos(w * i);
        r += e * e;
    }
    *rms = sqrt(r / (double)(hi - lo));
    return sqrt(a * a + b * b);
}

static void exact(const char *wav, const char *ref, int rate, int bits)
{
    asgml_audio a;
    size_t len;
    float *r = slurp(ref, &len);
    asgml_status st = load(wav, 0, &a);
    int64_t bad = 0;
    if (st != ASGML_OK || !r) {
        ok(0, "%s decodes: %s", wav, asgml_last_error());
        free(r);
        return;
    }
    if ((size_t)a.n * sizeof(float) != len) {
        ok(0, "%s: %lld samples, expected %zu", wav, (long long)a.n, len / sizeof(float));
    } else {
        for (int64_t i = 0; i < a.n; i++)
            bad += a.samples[i] != r[i];
        ok(bad == 0 && a.sample_rate == rate && a.src_rate == rate && a.src_bits == bits &&
           a.src_channels == 1 && a.flags == 0,
           "%s: %lld samples exactly PCM/2^(bits-1), %d Hz, %d bits (%lld differ)", wav,
           (long long)a.n, a.sample_rate, a.src_bits, (long long)bad);
    }
    free(r);
    asgml_audio_free(&a);
}

static void broken(const char *name, const char *what)
{
    asgml_audio a;
    asgml_status st = load(name, 0, &a);
    ok(st != ASGML_OK && strstr(asgml_last_error(), name) &&
       (!what || strstr(asgml_last_error(), what)) && a.samples == NULL && a.n == 0,
       "%s fails (%d): %s", name, (int)st, asgml_last_error());
}

static void fit_tests(void)
{
    const float x[5] = {1, 2, 3, 4, 5};
    float o[12];
    uint32_t f = 0;
    const float tile[12] = {1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2};
    const float pe[8] = {1, 2, 3, 4, 5, 0, 0, 0};
    const float pc[8] = {0, 1, 2, 3, 4, 5, 0, 0};

    ok(asgml_audio_fit(x, 5, "tile", 12, o, &f) == ASGML_OK && !memcmp(o, tile, sizeof tile) &&
       f == ASGML_FLAG_AUDIO_TILED, "tile 5 -> 12, flag TILED");
    f = 0;
    ok(asgml_audio_fit(x, 5, "pad_end", 8, o, &f) == ASGML_OK && !memcmp(o, pe, sizeof pe) &&
       f == 0, "pad_end 5 -> 8, no flag");
    ok(asgml_audio_fit(x, 5, "pad_center", 8, o, &f) == ASGML_OK && !memcmp(o, pc, sizeof pc) &&
       f == 0, "pad_center 5 -> 8 (1 before, 2 after)");
    for (int m = 0; m < 3; m++) {
        const char *mode = m == 0 ? "tile" : m == 1 ? "pad_end" : "pad_center";
        f = 0;
        ok(asgml_audio_fit(x, 5, mode, 3, o, &f) == ASGML_OK && o[0] == 1 && o[2] == 3 &&
           f == ASGML_FLAG_AUDIO_TRUNCATED, "%s 5 -> 3 keeps the first 3, flag TRUNCATED", mode);
    }
    f = 0;
    ok(asgml_audio_fit(x, 5, "tile", 5, o, &f) == ASGML_OK && !memcmp(o, x, sizeof x) && f == 0,
       "exact length: copy, no flag");
    ok(asgml_audio_fit(x, 5, "repeat", 8, o, &f) == ASGML_EINVAL &&
       strstr(asgml_last_error(), "repeat"), "unknown fit rejected: %s", asgml_last_error());
    ok(asgml_audio_fit(x, 0, "tile", 8, o, &f) != ASGML_OK &&
       strstr(asgml_last_error(), "empty audio"), "empty input rejected");
}

static void snr_tests(void)
{
    asgml_audio a;
    asgml_splitmix r;
    float *y, *y2;
    uint32_t f = 0;
    if (load("au_sine8k.wav", 0, &a) != ASGML_OK) {
        ok(0, "au_sine8k.wav decodes: %s", asgml_last_error());
        return;
    }
    y = malloc((size_t)a.n * sizeof *y);
    y2 = malloc((size_t)a.n * sizeof *y2);
    for (int k = 0; k < 2; k++) {
        double db = k ? -5.0 : 10.0, p = 0, e = 0, meas;
        int inrange = 1;
        memcpy(y, a.samples, (size_t)a.n * sizeof *y);
        asgml_splitmix_init(&r, 11, 1000000 + 3);
        asgml_corrupt_aud_snr(y, a.n, db, &r, &f);
        for (int64_t i = 0; i < a.n; i++) {
            p += (double)a.samples[i] * a.samples[i];
            e += ((double)y[i] - a.samples[i]) * ((double)y[i] - a.samples[i]);
            inrange &= y[i] >= -1.0f && y[i] <= 1.0f;
        }
        meas = 10 * log10(p / e);
        ok(fabs(meas - db) < 0.3 && inrange && f == 0,
           "aud SNR %g dB: measured %.3f dB on %lld samples, within [-1,1]", db, meas,
           (long long)a.n);
    }
    memcpy(y2, a.samples, (size_t)a.n * sizeof *y2);
    asgml_splitmix_init(&r, 11, 1000000 + 3);
    asgml_corrupt_aud_snr(y2, a.n, -5.0, &r, &f);
    ok(!memcmp(y, y2, (size_t)a.n * sizeof *y), "same seed and tag: same noise");
    memset(y, 0, (size_t)a.n * sizeof *y);
    y[7] = 1e-6f;
    asgml_corrupt_aud_snr(y, a.n, 0.0, &r, &f);
    ok(f == ASGML_FLAG_AUDIO_SILENT && y[7] == 1e-6f && y[0] == 0.0f,
       "silent wave (mean x^2 < 1e-10) untouched, flag AUDIO_SILENT");
    free(y);
    free(y2);
    asgml_audio_free(&a);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    asgml_audio a;
    size_t len;
    int16_t *mean;

    snprintf(fixdir, sizeof fixdir, "%s/tests/fixtures/dsp", top ? top : ".");
    exact("au_pcm16.wav", "au_pcm16.f32", 8000, 16);
    exact("au_pcm24.wav", "au_pcm24.f32", 16000, 24);
    exact("au_float.wav", "au_float.f32", 22050, 0);

    /* stereo FLAC: mean of the channels, exactly */
    mean = slurp("au_stereo44k_mean.i16", &len);
    if (!mean || load("au_stereo44k.flac", 0, &a) != ASGML_OK) {
        ok(0, "au_stereo44k.flac decodes: %s", asgml_last_error());
    } else {
        int64_t bad = (size_t)a.n * 2 == len ? 0 : -1;
        for (int64_t i = 0; bad >= 0 && i < a.n; i++)
            bad += a.samples[i] != mean[i] / 32768.0f;
        ok(bad == 0 && a.src_channels == 2 && a.src_rate == 44100 && a.sample_rate == 44100 &&
           a.src_bits == 16 && a.flags == ASGML_FLAG_RESAMPLED_OR_DOWNMIXED,
           "stereo 44.1 kHz FLAC: %lld samples = channel mean exactly, flag 0x%x",
           (long long)a.n, a.flags);
        asgml_audio_free(&a);
    }
    free(mean);

    /* resampling: length, frequency, amplitude */
    if (load("au_stereo44k.flac", 22050, &a) != ASGML_OK) {
        ok(0, "FLAC -> 22050 Hz: %s", asgml_last_error());
    } else {
        double rms, amp = sine_fit(a.samples, 100, a.n - 100, 2 * M_PI * 1000 / 22050, &rms);
        ok(a.n == 2205 && a.sample_rate == 22050 && a.src_rate == 44100 &&
           (a.flags & ASGML_FLAG_RESAMPLED_OR_DOWNMIXED),
           "44.1 -> 22.05 kHz: %lld samples (expected 2205)", (long long)a.n);
        ok(fabs(amp - 0.5) < 0.005 && rms < 1e-3,
           "1 kHz sine kept: amplitude %.5f (0.5), residual rms %.2g", amp, rms);
        asgml_audio_free(&a);
    }
    if (load("au_sine8k.wav", 22050, &a) != ASGML_OK) {
        ok(0, "8 kHz WAV -> 22050 Hz: %s", asgml_last_error());
    } else {
        double rms, amp = sine_fit(a.samples, 200, a.n - 200, 2 * M_PI * 440 / 22050, &rms);
        ok(a.n == 11025 && a.flags == ASGML_FLAG_RESAMPLED_OR_DOWNMIXED,
           "8 -> 22.05 kHz: %lld samples (expected 11025)", (long long)a.n);
        ok(fabs(amp - 0.25) < 0.0025 && rms < 1e-3,
           "440 Hz sine kept: amplitude %.5f (0.25), residual rms %.2g", amp, rms);
        asgml_audio_free(&a);
    }
    if (load("au_sine8k.wav", 8000, &a) != ASGML_OK) {
        ok(0, "8 kHz WAV at 8000 Hz: %s", asgml_last_error());
    } else {
        ok(a.n == 4000 && a.flags == 0, "same rate: no resampling, no flag");
        asgml_audio_free(&a);
    }

    broken("broken_trunc.wav", "truncated");
    broken("broken_header.wav", NULL);
    broken("broken_empty.wav", "empty audio");
    broken("broken_garbage.wav", NULL);
    broken("no_such_file.wav", NULL);
    {
        char p[600];
        snprintf(p, sizeof p, "%s/au_pcm16.wav", fixdir);
        ok(asgml_audio_load(p, -1, &a) == ASGML_EINVAL, "negative rate rejected");
    }
    fit_tests();
    snr_tests();
    return tap_done();
}
