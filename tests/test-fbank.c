/* SPDX-License-Identifier: MIT */
/* test-fbank.c - asgml_fbank (Kaldi log-mel filterbank, asgml-prep(1), DATA SETS, CREMA-D)
 * against a numpy float64 re-implementation of
 * torchaudio.compliance.kaldi.fbank (tests/fixtures/make_fbank_fixtures.py
 * -> tests/fixtures/dsp/fbank_*.f32) and, when ASGML_AVDIGITS is set, on a
 * real AV-Digits clip end to end (decode at 8 kHz, 64 bins).
 *
 * Error measure: relerr = max |e_c - e_ref| / max |e_ref| over the
 * (time, mel) matrix of mel energies e = exp(v) (the bound is 1e-4), since
 * float32 FFT noise in near-empty bands is amplified without bound by ln();
 * the log-domain error max |v_c - v_ref| is checked against 1e-3 nats
 * outside floored cells, and floored cells (ref = ln(FLT_EPSILON)) must
 * match exactly. */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/decode.h"
#include "fixture.h"
#include "tap.h"

static double relerr(const float *a, const float *b, size_t n, double *logmax, int *floor_bad)
{
    double num = 0, den = 0, lm = 0;
    const float fl = (float)log(FLT_EPSILON);
    *floor_bad = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(exp((double)a[i]) - exp((double)b[i]));
        if (!(d <= num))
            num = isnan(d) ? INFINITY : d;
        if (exp((double)b[i]) > den)
            den = exp((double)b[i]);
        if (b[i] == fl) {
            if (a[i] != fl)
                (*floor_bad)++;
        } else if (!(fabs((double)a[i] - b[i]) <= lm)) {
            lm = isnan(a[i]) ? INFINITY : fabs((double)a[i] - b[i]);
        }
    }
    *logmax = lm;
    return den > 0 ? num / den : num;
}

static int compare(const char *what, const float *c, const float *ref, size_t n)
{
    double lm;
    int fb;
    double e = relerr(c, ref, n, &lm, &fb);
    tap_diag("%s: relerr %.3g, log max %.3g nats, floor mismatches %d", what, e, lm, fb);
    return ok(e < 1e-4 && lm < 1e-3 && fb == 0, "%s matches the numpy reference (relerr %.2g)", what, e);
}

struct job { const asgml_fbank_params *p; const float *x; int64_t n; float *out; asgml_status st; };

static void *run_job(void *arg)
{
    struct job *j = arg;
    for (int r = 0; r < 20 && !j->st; r++)
        j->st = asgml_fbank(j->p, j->x, j->n, j->out);
    return NULL;
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    const char *avd = getenv("ASGML_AVDIGITS");
    size_t siglen, reflen, normlen, len8;
    float *sig, *ref, *norm, *ref8, *out;
    int64_t n, T;
    asgml_fbank_params p;

    tap_plan(13);
    snprintf(fixdir, sizeof fixdir, "%s/tests/fixtures/dsp", top ? top : ".");
    sig = slurp("fbank_sig.f32", &siglen);
    ref = slurp("fbank_ref.f32", &reflen);
    norm = slurp("fbank_norm.f32", &normlen);
    ref8 = slurp("fbank_8k.f32", &len8);
    if (!sig || !ref || !norm || !ref8) {
        printf("Bail out! fixtures missing in %s\n", fixdir);
        return 1;
    }
    n = (int64_t)(siglen / sizeof(float));

    asgml_fbank_defaults(&p, 16000);
    ok(asgml_fbank_window(&p) == 400 && asgml_fbank_shift(&p) == 160 && asgml_fbank_nfft(&p) == 512,
       "16 kHz: window 400, shift 160, FFT 512");
    T = asgml_fbank_frames(&p, n);
    ok(T == 23 && asgml_fbank_frames(&p, 399) == 0 && asgml_fbank_frames(&p, 400) == 1 &&
       asgml_fbank_frames(&p, 160000) == 998,
       "snip_edges frames = 1 + (N - 400) / 160 (%lld for %lld samples)", (long long)T, (long long)n);
    ok(reflen == (size_t)T * 128 * sizeof(float) && normlen == reflen, "fixture shapes (23, 128)");
    out = calloc((size_t)T * 128, sizeof *out);
    ok(asgml_fbank(&p, sig, n, out) == ASGML_OK, "asgml_fbank 16 kHz, 128 bins");
    compare("16 kHz log-mel", out, ref, (size_t)T * 128);
    {
        const float fl = (float)log(FLT_EPSILON);
        int floored = 0;
        for (int64_t i = 0; i < T * 128; i++)
            floored += out[i] == fl;
        ok(floored >= 128, "a silent frame sits at the floor ln(FLT_EPSILON) (%d cells)", floored);
    }
    p.normalize = 1;
    ok(asgml_fbank(&p, sig, n, out) == ASGML_OK, "asgml_fbank normalised");
    {
        double md = 0;
        for (int64_t i = 0; i < T * 128; i++)
            if (fabs((double)out[i] - norm[i]) > md)
                md = fabs((double)out[i] - norm[i]);
        tap_diag("normalised: max abs diff %.3g", md);
        ok(md < 1e-4, "AST normalisation (x + 4.503877) / (2 * 5.141276) (max diff %.2g)", md);
    }
    p.normalize = 0;

    {   /* thread safety: 4 threads, identical results */
        pthread_t th[4];
        struct job jb[4];
        float *o4[4];
        int same = 1, st_ok = 1;
        for (int i = 0; i < 4; i++) {
            o4[i] = calloc((size_t)T * 128, sizeof(float));
            jb[i] = (struct job){&p, sig, n, o4[i], ASGML_OK};
            pthread_create(&th[i], NULL, run_job, &jb[i]);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            st_ok &= jb[i].st == ASGML_OK;
        }
        asgml_fbank(&p, sig, n, out);
        for (int i = 0; i < 4; i++) {
            same &= !memcmp(o4[i], out, (size_t)T * 128 * sizeof(float));
            free(o4[i]);
        }
        ok(st_ok && same, "4 threads x 20 calls give identical results");
    }
    free(out);

    {   /* 8 kHz, 40 bins: window 200, FFT 256 */
        asgml_fbank_params q;
        int64_t T8;
        asgml_fbank_defaults(&q, 8000);
        q.num_mel_bins = 40;
        T8 = asgml_fbank_frames(&q, n);
        out = calloc((size_t)T8 * 40, sizeof *out);
        ok(asgml_fbank_nfft(&q) == 256 && len8 == (size_t)T8 * 40 * sizeof(float) &&
               asgml_fbank(&q, sig, n, out) == ASGML_OK,
           "asgml_fbank 8 kHz, 40 bins (%lld frames)", (long long)T8);
        compare("8 kHz log-mel", out, ref8, (size_t)T8 * 40);
        free(out);
    }

    {   /* errors */
        asgml_fbank_params q;
        float one[8] = {0};
        asgml_fbank_defaults(&q, 16000);
        q.high_freq = 9000;
        ok(asgml_fbank(&p, one, 8, one) == ASGML_EINVAL && asgml_fbank(&q, sig, n, one) == ASGML_EINVAL,
           "short signal and a band above Nyquist are EINVAL");
    }

    {   /* AV-Digits clip end to end */
        char chk[1100];
        struct stat sb;
        snprintf(chk, sizeof chk, "%s/fsdd/7_jackson_32.wav", avd ? avd : "");
        if (!avd || stat(chk, &sb) != 0) {
            tap_skip(1, "ASGML_AVDIGITS not set or fsdd/7_jackson_32.wav absent");
        } else {
            asgml_audio a = {0};
            size_t jl;
            float *jref = slurp("fbank_7_jackson_32.f32", &jl);
            asgml_fbank_params q;
            asgml_fbank_defaults(&q, 8000);
            q.num_mel_bins = 64;
            if (jref && asgml_audio_load(chk, 0, &a) == ASGML_OK && a.sample_rate == 8000 &&
                (size_t)asgml_fbank_frames(&q, a.n) * 64 * sizeof(float) == jl) {
                int64_t TJ = asgml_fbank_frames(&q, a.n);
                out = calloc((size_t)TJ * 64, sizeof *out);
                if (asgml_fbank(&q, a.samples, a.n, out) == ASGML_OK)
                    compare("7_jackson_32.wav log-mel", out, jref, (size_t)TJ * 64);
                else
                    ok(0, "asgml_fbank on 7_jackson_32.wav: %s", asgml_last_error());
                free(out);
            } else {
                ok(0, "7_jackson_32.wav decodes at 8 kHz with the fixture's frame count");
            }
            asgml_audio_free(&a);
            free(jref);
        }
    }
    asgml_stft_cleanup();
    free(sig);
    free(ref);
    free(norm);
    free(ref8);
    return tap_done();
}
