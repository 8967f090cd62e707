/* SPDX-License-Identifier: MIT */
/* test-spectral.c - asgml_psd (preset ogmge-paper: scipy.signal.spectrogram
 * + PMR's z-score) and asgml_melspec (preset af-mel: librosa mel, dB,
 * min-max, torch bilinear resize) against tests/fixtures/make_spectral_fixtures.py
 * (scipy itself; librosa's steps in numpy; torch's interpolate).
 *
 * Tolerances.  The C FFT is FFTW single precision, the references double
 * (scipy on the float64 signal; librosa's complex64 STFT of a double FFT).
 * psd: ln(PSD + 1e-7) keeps the float32 FFT's error (~1e-7 of a frame's
 * largest |X|) small against the 1e-7 offset: max |diff| < 2e-4 nats raw and
 * < 1e-4 after the z-score (std about 2.5 here); scipy's own float32 run
 * differs from its float64 one by 4.6e-6 (printed by the fixture script), so
 * the bound is 20x the float32 noise, while a wrong window (Hann instead of
 * Tukey), a missing detrend or a missing doubling of the one-sided bins moves
 * cells by more than 0.05.  mel: values in [0, 1] over an 80 dB range;
 * a relative error e in a mel energy moves its dB by 4.3 e, i.e. 5.4e-2 e
 * after the scaling; float32 STFT powers (e ~ 1e-6) give ~1e-7: max |diff|
 * < 1e-4 (slaney vs htk mel or a reflect/constant swap move the edge frames
 * by more than 1e-2; checked below). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/decode.h"
#include "fixture.h"
#include "tap.h"

static double maxdiff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m))
            m = isnan(d) ? INFINITY : d;
    }
    return m;
}

static asgml_psd_params psd_defaults(void)
{
    asgml_psd_params p = {16000, 512, 159, 0.25, 1e-7, 1, 1e-9};
    return p;
}

static asgml_mel_params mel_defaults(void)
{
    asgml_mel_params p = {16000, 2048, 512, 2048, 1, "constant", 128, 0, 0, 80, 1e-10, 128, 128};
    return p;
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    size_t ls, lp, lr, lm, ln, lsm;
    float *sig, *pref, *praw, *mref, *mnr, *msm, *out;
    int64_t n;

    tap_plan(17);
    snprintf(fixdir, sizeof fixdir, "%s/tests/fixtures/dsp", top ? top : ".");
    sig = slurp("spec_sig16k.f32", &ls);
    pref = slurp("psd_ref.f32", &lp);
    praw = slurp("psd_raw.f32", &lr);
    mref = slurp("mel_ref.f32", &lm);
    mnr = slurp("mel_noresize.f32", &ln);
    msm = slurp("mel_small.f32", &lsm);
    if (!sig || !pref || !praw || !mref || !mnr || !msm) {
        printf("Bail out! fixtures missing in %s\n", fixdir);
        return 1;
    }
    n = (int64_t)(ls / sizeof(float));
    out = calloc(257 * 1004, sizeof *out);

    /* ---- ogmge-paper --------------------------------------------------------- */
    asgml_psd_params p = psd_defaults();
    ok(asgml_psd_frames(&p, 48000) == 299 && asgml_psd_frames(&p, 160000) == 1004 &&
       asgml_psd_frames(&p, n) == 48 && asgml_psd_frames(&p, 511) == 0 && asgml_psd_frames(&p, 512) == 1,
       "frames floor((N - 353) / 159): 299 for 3 s, 1,004 for 10 s at 16 kHz");
    ok(lp == 257 * 48 * sizeof(float) && lr == lp, "psd fixtures (257, 48)");
    p.zscore = 0;
    ok(asgml_psd(&p, sig, n, out) == ASGML_OK, "asgml_psd without the z-score");
    {
        double d = maxdiff(out, praw, 257 * 48);
        tap_diag("ln(PSD + 1e-7): max |diff| %.3g", d);
        ok(d < 2e-4, "ln(PSD + 1e-7) matches scipy.signal.spectrogram (max diff %.2g)", d);
    }
    p.zscore = 1;
    ok(asgml_psd(&p, sig, n, out) == ASGML_OK, "asgml_psd with PMR's z-score");
    {
        double d = maxdiff(out, pref, 257 * 48), s = 0, q = 0;
        for (int i = 0; i < 257 * 48; i++) {
            s += out[i];
            q += (double)out[i] * out[i];
        }
        s /= 257 * 48;
        q = q / (257 * 48) - s * s;
        tap_diag("z-scored: max |diff| %.3g, mean %.3g, var %.6f", d, s, q);
        ok(d < 1e-4 && fabs(s) < 1e-5 && fabs(q - 1) < 1e-4,
           "z-scored PSD matches the reference, mean 0, population variance 1 (max diff %.2g)", d);
    }
    p.tukey_alpha = 1.0;   /* Hann: a wrong window must fail the comparison */
    asgml_psd(&p, sig, n, out);
    ok(maxdiff(out, pref, 257 * 48) > 0.05, "a Hann window instead of Tukey(0.25) is told apart");
    p = psd_defaults();
    {
        float *z = calloc(48000, sizeof *z);
        int allzero = 1;
        ok(z && asgml_psd(&p, z, 48000, out) == ASGML_OK, "a silent 3 s clip: (257, 299)");
        for (int i = 0; z && i < 257 * 299; i++)
            allzero &= out[i] == 0.0f;
        ok(allzero, "silence z-scores to 0 (std 0 + 1e-9)");
        free(z);
    }
    ok(asgml_psd(&p, sig, 400, out) == ASGML_EINVAL, "a clip shorter than nperseg is refused");

    /* ---- af-mel ------------------------------------------------------------- */
    asgml_mel_params m = mel_defaults();
    ok(asgml_melspec_frames(&m, n) == 16 && asgml_melspec_frames(&m, 160000) == 313 && lm == 128 * 128 * 4 &&
       ln == 128 * 16 * 4 && lsm == lm, "mel frames 1 + n / 512 (16; 313 for 10 s); fixture shapes");
    m.out_h = m.out_w = 0;
    ok(asgml_melspec(&m, sig, n, out) == ASGML_OK, "asgml_melspec without resize");
    {
        double d = maxdiff(out, mnr, 128 * 16);
        float lo = 1, hi = 0;
        for (int i = 0; i < 128 * 16; i++) {
            lo = out[i] < lo ? out[i] : lo;
            hi = out[i] > hi ? out[i] : hi;
        }
        tap_diag("mel (128, 16): max |diff| %.3g, range [%g, %g]", d, lo, hi);
        ok(d < 1e-4 && lo == 0.0f && hi > 0.9999f, "mel dB min-max (128, 16) matches librosa's steps (max diff %.2g)", d);
    }
    m = mel_defaults();
    ok(asgml_melspec(&m, sig, n, out) == ASGML_OK, "asgml_melspec 128 x 128");
    {
        double d = maxdiff(out, mref, 128 * 128);
        tap_diag("af-mel (128, 128): max |diff| %.3g", d);
        ok(d < 1e-4, "af-mel 128 x 128 matches torch's bilinear resize of the reference (max diff %.2g)", d);
    }
    m.pad_mode = "reflect";
    asgml_melspec(&m, sig, n, out);
    {
        double d = maxdiff(out, mref, 128 * 128);
        tap_diag("reflect padding instead of zeros: max |diff| %.3g", d);
        ok(d > 1e-2, "reflect padding is told apart from librosa's constant default (%.2g)", d);
    }
    m = mel_defaults();
    m.n_fft = m.win_length = 512;
    m.hop = 32;
    m.n_mels = 64;
    m.pad_mode = "reflect";
    {
        int rc = asgml_melspec(&m, sig, n, out);
        double d = maxdiff(out, msm, 128 * 128);
        ok(rc == ASGML_OK && d < 1e-4,
           "n_fft 512, hop 32, 64 mels, reflect: (64, 251) -> 128 x 128 (max diff %.2g)", d);
    }
    free(out);
    free(sig);
    free(pref);
    free(praw);
    free(mref);
    free(mnr);
    free(msm);
    asgml_stft_cleanup();
    return tap_done();
}
