/* SPDX-License-Identifier: MIT */
/* test-stft.c - asgml_stft against a numpy re-implementation of librosa.stft
 * (tests/fixtures/make_dsp_fixtures.py -> tests/fixtures/dsp/stft*.f32) and,
 * when ASGML_AVDIGITS is set, on a real AV-Digits clip end to end (decode,
 * tile to 8000, STFT 256/80 reflect, ln(|X| + 1e-7)).
 *
 * Error measure: relerr = max |c - ref| / max |ref| over the (freq, time)
 * matrix of magnitudes (or powers); the bound is 1e-4.  Log outputs are
 * compared as magnitudes, exp(v) - log_offset, because float32 FFT noise
 * (~1e-7 of a frame's largest bin) is amplified without bound by ln() in
 * near-empty bins; their log-domain error is checked separately against a
 * loose 0.1-nat bound (measured: 3e-2 nats on one DC bin of the real clip
 * where |X| = 6e-7 against 0.76 in the same frame). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/store.h"
#include "data/decode.h"
#include "fixture.h"
#include "tap.h"

/* max |a-b| / max |b| and max |a-b|, on exp(v) - log_offset when
 * log_offset > 0 (maxabs stays in the log domain). */
static double relerr(const float *a, const float *b, size_t n, double log_offset,
                     double *maxabs)
{
    double num = 0, den = 0, ma = 0;
    for (size_t i = 0; i < n; i++) {
        double va = a[i], vb = b[i], d;
        if (fabs(va - vb) > ma || isnan(va))
            ma = isnan(va) ? INFINITY : fabs(va - vb);
        if (log_offset > 0) {
            va = exp(va) - log_offset;
            vb = exp(vb) - log_offset;
        }
        d = fabs(va - vb);
        if (d > num || isnan(d))
            num = isnan(d) ? INFINITY : d;
        if (fabs(vb) > den)
            den = fabs(vb);
    }
    if (maxabs)
        *maxabs = ma;
    return den > 0 ? num / den : num;
}

struct job {
    const asgml_stft_params *p;
    const float *x;
    int64_t n;
    float *out;
    asgml_status st;
};

static void *run_job(void *arg)
{
    struct job *j = arg;
    for (int rep = 0; rep < 20 && j->st == ASGML_OK; rep++)
        j->st = asgml_stft(j->p, j->x, j->n, j->out);
    return NULL;
}

/* One TAP sequence whose checks build on each other's state (stores,
 * runs, buffers), kept in order in one function: long by design. */
int main(void)
{
    const char *top = getenv("top_srcdir");
    const char *avd = getenv("ASGML_AVDIGITS");
    char line[512];
    {   /* a set but missing directory counts as absent: skip, not fail */
        char chk[1100];
        struct stat sb;
        snprintf(chk, sizeof chk, "%s/fsdd", avd ? avd : "");
        if (avd && (stat(chk, &sb) != 0 || !S_ISDIR(sb.st_mode)))
            avd = NULL;
    }
    size_t siglen;
    float *sig;
    FILE *man;
    float *first_out = NULL;
    asgml_stft_params first_p;
    static char first_pad[32];
    int64_t first_n = 0, first_cells = 0;

    snprintf(fixdir, sizeof fixdir, "%s/tests/fixtures/dsp", top ? top : ".");
    sig = slurp("stft_sig.f32", &siglen);
    snprintf(line, sizeof line, "%s/stft.txt", fixdir);
    man = fopen(line, "r");
    if (!sig || !man) {
        printf("Bail out! fixtures missing in %s\n", fixdir);
        return 1;
    }
    while (fgets(line, sizeof line, man)) {
        char name[32], pad[32], file[64];
        int nfft, hop, wl, center, power, nsamp, nf, nt;
        double off;
        asgml_stft_params p;
        float *ref, *out;
        size_t rlen;
        double re, ma;
        asgml_status st;

        if (line[0] == '#')
            continue;
        if (sscanf(line, "%31s %d %d %d %d %31s %d %lf %d %63s %d %d", name, &nfft, &hop, &wl,
                   &center, pad, &power, &off, &nsamp, file, &nf, &nt) != 12) {
            ok(0, "parse stft.txt line: %s", line);
            continue;
        }
        p = (asgml_stft_params){nfft, hop, wl, center, pad, "hann_periodic", power, off};
        ok(asgml_stft_frames(&p, nsamp) == nt && nfft / 2 + 1 == nf,
           "%s: frames %lld == %d", name, (long long)asgml_stft_frames(&p, nsamp), nt);
        ref = slurp(file, &rlen);
        out = malloc((size_t)nf * nt * sizeof *out);
        st = asgml_stft(&p, sig, nsamp, out);
        ok(st == ASGML_OK, "%s: asgml_stft returns OK (%s)", name, asgml_last_error());
        if (!ref || rlen != (size_t)nf * nt * sizeof(float) || st != ASGML_OK) {
            ok(0, "%s: reference %s readable with %d x %d floats", name, file, nf, nt);
        } else {
            re = relerr(out, ref, (size_t)nf * nt, off, &ma);
            tap_diag("%s: n_fft %d hop %d win %d center %d %s power %d log_offset %g:"
                     " relerr %.3g, max abs err %.3g", name, nfft, hop, wl, center, pad, power,
                     off, re, ma);
            ok(re < 1e-4, "%s: relative error %.3g < 1e-4 vs numpy", name, re);
            if (off > 0)
                ok(ma < 0.1, "%s: max log-domain error %.3g nats < 0.1", name, ma);
        }
        if (!first_out) {
            first_out = out;
            first_p = p;
            /* p.pad_mode points into this iteration's pad[]: keep a copy
             * that outlives the loop (ASan: stack-use-after-scope) */
            snprintf(first_pad, sizeof first_pad, "%s", pad);
            first_p.pad_mode = first_pad;
            first_n = nsamp;
            first_cells = (int64_t)nf * nt;
        } else {
            free(out);
        }
        free(ref);
    }
    fclose(man);

    /* threads: 4 threads x 20 runs each with two n_fft sizes give the same result */
    if (first_out) {
        pthread_t th[4];
        struct job jobs[4];
        asgml_stft_params p2 = first_p;
        int same = 1, allok = 1;
        p2.n_fft = 128;
        p2.win_length = 100;
        for (int i = 0; i < 4; i++) {
            jobs[i].p = i % 2 ? &p2 : &first_p;
            jobs[i].x = sig;
            jobs[i].n = first_n;
            jobs[i].out = malloc((size_t)(i % 2 ? 65 * asgml_stft_frames(&p2, first_n)
                                                  : first_cells) * sizeof(float));
            jobs[i].st = ASGML_OK;
            pthread_create(&th[i], NULL, run_job, &jobs[i]);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            allok &= jobs[i].st == ASGML_OK;
        }
        for (int i = 0; i < 4; i += 2)
            same &= !memcmp(jobs[i].out, first_out, (size_t)first_cells * sizeof(float));
        same &= !memcmp(jobs[1].out, jobs[3].out,
                        (size_t)(65 * asgml_stft_frames(&p2, first_n)) * sizeof(float));
        ok(allok && same, "4 threads, 2 plan sizes: results identical to the serial run");
        for (int i = 0; i < 4; i++)
            free(jobs[i].out);
    }
    free(first_out);

    /* frame counts of the presets (asgml-prep(1), DATA SETS, CREMA-D and AV-Digits) */
    {
        asgml_stft_params crema = {512, 353, 512, 1, "constant", "hann_periodic", 1, 1e-7};
        asgml_stft_params avdp = {256, 80, 256, 1, "reflect", "hann_periodic", 1, 1e-7};
        asgml_stft_params nc = {512, 159, 512, 0, "constant", "hann_periodic", 2, 0};
        ok(asgml_stft_frames(&crema, 66150) == 188, "CREMA-D ogmge-stft: 188 frames");
        ok(asgml_stft_frames(&avdp, 8000) == 101, "AV-Digits: 101 frames");
        ok(asgml_stft_frames(&nc, 48000) == 299, "non-centred 512/159 on 3 s at 16 kHz: 299");
        ok(asgml_stft_frames(&nc, 100) == 0, "signal shorter than n_fft: 0 frames");
    }

    /* silence -> constant ln(1e-7) = -16.118 */
    {
        asgml_stft_params p = {256, 80, 256, 1, "reflect", "hann_periodic", 1, 1e-7};
        float z[8000] = {0}, *o = malloc(129 * 101 * sizeof *o);
        int good = asgml_stft(&p, z, 8000, o) == ASGML_OK;
        for (int i = 0; good && i < 129 * 101; i++)
            good = fabsf(o[i] - (float)log(1e-7)) < 1e-5f;
        ok(good, "all-zero input gives ln(1e-7) = -16.118 everywhere");
        free(o);
    }

    /* errors */
    {
        float x[300] = {0}, o[300 * 3];
        asgml_stft_params bad = {256, 80, 256, 1, "wrap", "hann_periodic", 1, 0};
        asgml_stft_params nc = {512, 80, 512, 0, "constant", "hann_periodic", 1, 0};
        asgml_stft_params wl = {256, 80, 300, 1, "reflect", "hann_periodic", 1, 0};
        asgml_stft_params pw = {256, 80, 256, 1, "reflect", "hann_periodic", 3, 0};
        asgml_stft_params win = {256, 80, 256, 1, "reflect", "hamming", 1, 0};
        ok(asgml_stft(&bad, x, 300, o) == ASGML_EINVAL && strstr(asgml_last_error(), "wrap"),
           "unknown pad_mode rejected: %s", asgml_last_error());
        ok(asgml_stft(&nc, x, 300, o) == ASGML_EINVAL, "signal shorter than n_fft rejected: %s",
           asgml_last_error());
        ok(asgml_stft(&wl, x, 300, o) == ASGML_EINVAL, "win_length > n_fft rejected");
        ok(asgml_stft(&pw, x, 300, o) == ASGML_EINVAL, "power 3 rejected");
        ok(asgml_stft(&win, x, 300, o) == ASGML_EINVAL, "unknown window rejected");
        ok(asgml_stft(&bad, x, 0, o) != ASGML_OK, "empty signal rejected");
    }

    /* real AV-Digits clip, end to end */
    if (!avd || !*avd) {
        tap_skip(3, "AV-Digits not found (set ASGML_AVDIGITS)");
    } else {
        char path[1200];
        asgml_audio a;
        float fit[8000], *o = malloc(129 * 101 * sizeof *o), *ref;
        uint32_t flags = 0;
        size_t rlen;
        asgml_stft_params p = {256, 80, 256, 1, "reflect", "hann_periodic", 1, 1e-7};
        snprintf(path, sizeof path, "%s/fsdd/7_jackson_32.wav", avd);
        if (asgml_audio_load(path, 0, &a) != ASGML_OK) {
            ok(0, "decode %s: %s", path, asgml_last_error());
            tap_skip(2, "clip not decoded");
        } else {
            ok(a.sample_rate == 8000 && a.src_bits == 16 && a.src_channels == 1 && a.flags == 0,
               "7_jackson_32.wav: 8 kHz 16-bit mono, %lld samples", (long long)a.n);
            asgml_audio_fit(a.samples, a.n, "tile", 8000, fit, &flags);
            ref = slurp("stft_7_jackson_32.f32", &rlen);
            if (asgml_stft(&p, fit, 8000, o) != ASGML_OK || !ref || rlen != 129 * 101 * 4) {
                ok(0, "STFT of the real clip and its reference");
                ok(0, "(skipped comparison)");
            } else {
                double ma, re = relerr(o, ref, 129 * 101, 1e-7, &ma);
                tap_diag("7_jackson_32: relerr %.3g, max abs err %.3g nats", re, ma);
                ok(re < 1e-4 && ma < 0.1, "real clip: relative error %.3g < 1e-4 vs numpy,"
                   " max log error %.3g nats < 0.1", re, ma);
                ok(a.n < 8000 ? flags == ASGML_FLAG_AUDIO_TILED
                              : flags == (a.n > 8000 ? ASGML_FLAG_AUDIO_TRUNCATED : 0u),
                   "fit flags 0x%x for a clip of %lld samples", flags, (long long)a.n);
            }
            free(ref);
            asgml_audio_free(&a);
        }
        free(o);
    }
    free(sig);
    asgml_stft_cleanup();
    return tap_done();
}
