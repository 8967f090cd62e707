/* SPDX-License-Identifier: MIT */
/* test-resample.c - the resamplers of asgml-prep (--resampler soxr|src,
 * libcommon/data/resample.c) against tests/fixtures/resample/ (written by
 * make_resample_fixtures.py with numpy): a band-limited signal resampled to
 * 22,050 Hz is the same function sampled at 22,050 Hz.  libsoxr SOXR_HQ
 * (soxr.h: 20-bit, linear phase, no delay) must match it to 2e-5 away from
 * the clip's ends (the filter sees the abrupt start and end there), with the
 * amplitude and frequency of each sine kept; the length is librosa's
 * ceil(n * out / in).  The resampler and its library version go into the
 * store (tests/prep-resampler.sh). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/store.h"
#include "data/decode.h"
#include "fixture.h"
#include "tap.h"

/* Amplitude of the component of angular frequency w (rad/sample) in
 * x[a..b): the projections on sin and cos.  Compared with the same estimate
 * of numpy's signal, so the window's leakage cancels. */
static double amp_at(const float *x, int64_t a, int64_t b, double w)
{
    double ss = 0, sc = 0, s2 = 0, c2 = 0;
    for (int64_t i = a; i < b; i++) {
        double s = sin(w * (double)i), c = cos(w * (double)i);
        ss += x[i] * s; sc += x[i] * c; s2 += s * s; c2 += c * c;
    }
    return sqrt((ss / s2) * (ss / s2) + (sc / c2) * (sc / c2));
}

static void check(const char *wav, const char *ref, asgml_resampler rs, double tol, int64_t edge,
                  const double *freqs, const double *amps, int nf)
{
    char p[1200];
    asgml_audio a;
    size_t len;
    const char *rn = asgml_resampler_name(rs);
    snprintf(p, sizeof p, "%s/%s", fixdir, wav);
    float *want = slurp(ref, &len);
    int64_t m = (int64_t)(len / 4);
    if (!want || asgml_audio_load_rs(p, 22050, rs, &a) != ASGML_OK) {
        ok(0, "%s %s: %s", rn, wav, want ? asgml_last_error() : "no fixture");
        ok(0, "%s %s: values", rn, wav);
        ok(0, "%s %s: sines", rn, wav);
        free(want);
        return;
    }
    ok(a.n == m && a.sample_rate == 22050 && (a.flags & ASGML_FLAG_RESAMPLED_OR_DOWNMIXED),
       "%s %s -> 22050 Hz: %lld samples (ceil(n * out / in) = %lld)", rn, wav, (long long)a.n, (long long)m);
    double worst = 0;
    int64_t at = -1;
    for (int64_t i = edge; i < m - edge && i < a.n; i++) {
        double d = fabs((double)a.samples[i] - (double)want[i]);
        if (d > worst) { worst = d; at = i; }
    }
    ok(worst < tol, "%s %s: |y - x(t)| <= %.2g over samples %lld..%lld (max %.3g at %lld)", rn, wav, tol,
       (long long)edge, (long long)(m - edge), worst, (long long)at);
    int good = 1;
    for (int f = 0; f < nf; f++) {
        double w = 2 * M_PI * freqs[f] / 22050.0, e = (double)((a.n < m ? a.n : m) - edge);
        double got = amp_at(a.samples, edge, (int64_t)e, w), r0 = amp_at(want, edge, (int64_t)e, w);
        if (fabs(got - r0) > tol || fabs(r0 - amps[f]) > 1e-3) good = 0;
        printf("# %s %s: %.0f Hz amplitude %.8f, numpy's %.8f (sine %.2f)\n", rn, wav, freqs[f], got, r0, amps[f]);
    }
    ok(good, "%s %s: every sine keeps its frequency and amplitude", rn, wav);
    asgml_audio_free(&a);
    free(want);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    asgml_resampler rs;
    snprintf(fixdir, sizeof fixdir, "%s/tests/fixtures/resample", top ? top : ".");
    tap_plan(16);
    static const double f44[] = {1000, 5000}, a44[] = {0.5, 0.25}, f8[] = {440}, a8[] = {0.4};
    check("sines44k.wav", "sines44k_22k.f32", ASGML_RESAMPLER_SOXR, 2e-5, 256, f44, a44, 2);
    check("sine8k.wav", "sine8k_22k.f32", ASGML_RESAMPLER_SOXR, 2e-5, 256, f8, a8, 1);
    /* libsamplerate's best sinc: 97 dB SNR (its documentation), a looser bound */
    check("sines44k.wav", "sines44k_22k.f32", ASGML_RESAMPLER_SRC, 1e-3, 256, f44, a44, 2);
    check("sine8k.wav", "sine8k_22k.f32", ASGML_RESAMPLER_SRC, 1e-3, 256, f8, a8, 1);
    ok(asgml_resampler_parse(NULL, &rs) == ASGML_OK && rs == ASGML_RESAMPLER_SOXR &&
       asgml_resampler_parse("src", &rs) == ASGML_OK && rs == ASGML_RESAMPLER_SRC,
       "soxr is the default, src selects libsamplerate");
    asgml_status st = asgml_resampler_parse("sinc", &rs);
    ok(st == ASGML_EINVAL && strstr(asgml_last_error(), "sinc"), "an unknown resampler is an error naming it: %s",
       asgml_last_error());
    ok(!strncmp(asgml_resampler_version(ASGML_RESAMPLER_SOXR), "libsoxr-", 8) &&
       !strncmp(asgml_resampler_version(ASGML_RESAMPLER_SRC), "libsamplerate-", 14),
       "versions: %s, %s", asgml_resampler_version(ASGML_RESAMPLER_SOXR),
       asgml_resampler_version(ASGML_RESAMPLER_SRC));
    /* the default of asgml_audio_load is soxr: same samples */
    {
        char p[1200];
        asgml_audio a, b;
        snprintf(p, sizeof p, "%s/sines44k.wav", fixdir);
        int same = asgml_audio_load(p, 22050, &a) == ASGML_OK &&
                   asgml_audio_load_rs(p, 22050, ASGML_RESAMPLER_SOXR, &b) == ASGML_OK && a.n == b.n &&
                   !memcmp(a.samples, b.samples, (size_t)a.n * sizeof *a.samples);
        ok(same, "asgml_audio_load resamples with soxr");
        asgml_audio_free(&a);
        asgml_audio_free(&b);
    }
    return tap_done();
}
