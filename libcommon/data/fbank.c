/* SPDX-License-Identifier: MIT */
/* fbank.c - Kaldi-compatible log-mel filterbank (asgml-prep(1), DATA SETS, CREMA-D, preset
 * fbank-ast; torchaudio.compliance.kaldi.fbank semantics with dither 0,
 * snip_edges, no energy, window "hanning", use_power, use_log_fbank).
 *
 * x: (n,) float32 waveform in [-1,1] scale at p->sample_rate Hz ->
 * out: (frames, num_mel_bins) float32 row-major (time x mel), where
 * L = (int)(rate * frame_length_ms * 0.001), S = (int)(rate * frame_shift_ms * 0.001),
 * frames = 1 + (n - L) / S (n >= L), padded FFT length = next power of two >= L.
 * Steps: x -= mean(x) (whole signal, when subtract_mean); per frame:
 * DC removal (frame mean), pre-emphasis y[i] = x[i] - 0.97 x[i-1]
 * (y[0] = x[0] - 0.97 x[0]), symmetric Hann 0.5 - 0.5 cos(2 pi i/(L-1)),
 * zero-pad, power spectrum |X_k|^2 (k in [0, nfft/2]), mel energies
 * E_m = sum_k |X_k|^2 W[m][k], out = ln(max(E_m, FLT_EPSILON)), then
 * (out - norm_mean) / (2 norm_std) when normalize.
 * Mel filters (Kaldi): mel(f) = 1127 ln(1 + f/700); points
 * mel_low + j * (mel_high - mel_low) / (M + 1); W[m][k] = max(0, min(up, down))
 * with up = (mel(k*rate/nfft) - left)/(center - left),
 * down = (right - mel(k*rate/nfft))/(right - center), k < nfft/2; the
 * Nyquist bin k = nfft/2 has weight 0.
 * Frame arithmetic is in double; the FFT is FFTW single precision through
 * the plan cache of stft.c.  Thread-safe. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "data/decode.h"

void asgml_fbank_defaults(asgml_fbank_params *p, int sample_rate)
{
    memset(p, 0, sizeof *p);
    p->sample_rate = sample_rate;
    p->frame_length_ms = 25.0;
    p->frame_shift_ms = 10.0;
    p->num_mel_bins = 128;
    p->low_freq = 20.0;
    p->high_freq = 0.0;
    p->preemph = 0.97;
    p->subtract_mean = 1;
    p->normalize = 0;
    p->norm_mean = -4.503877;
    p->norm_std = 5.141276;
}

int asgml_fbank_window(const asgml_fbank_params *p)
{
    return p ? (int)((double)p->sample_rate * p->frame_length_ms * 0.001) : 0;
}

int asgml_fbank_shift(const asgml_fbank_params *p)
{
    return p ? (int)((double)p->sample_rate * p->frame_shift_ms * 0.001) : 0;
}

int asgml_fbank_nfft(const asgml_fbank_params *p)
{
    int L = asgml_fbank_window(p), n = 1;
    while (n < L)
        n <<= 1;
    return n;
}

int64_t asgml_fbank_frames(const asgml_fbank_params *p, int64_t n)
{
    int L = asgml_fbank_window(p), S = asgml_fbank_shift(p);
    if (L < 1 || S < 1 || n < L)
        return 0;
    return 1 + (n - L) / S;
}

static double mel_scale(double f) { return 1127.0 * log(1.0 + f / 700.0); }

static asgml_status check(const asgml_fbank_params *p, double *hi)
{
    double nyq;
    int L;
    if (!p)
        return asgml_error(ASGML_EINVAL, "fbank: NULL parameters");
    L = asgml_fbank_window(p);
    if (p->sample_rate < 1 || L < 2 || asgml_fbank_shift(p) < 1 || L > (1 << 22))
        return asgml_error(ASGML_EINVAL, "fbank: bad rate %d or frame length/shift %g/%g ms",
                           p->sample_rate, p->frame_length_ms, p->frame_shift_ms);
    if (p->num_mel_bins < 3 || p->num_mel_bins > 4096)
        return asgml_error(ASGML_EINVAL, "fbank: num_mel_bins %d not in [3, 4096]", p->num_mel_bins);
    nyq = 0.5 * p->sample_rate;
    *hi = p->high_freq <= 0 ? nyq + p->high_freq : p->high_freq;
    if (!(p->low_freq >= 0 && p->low_freq < nyq && *hi > p->low_freq && *hi <= nyq))
        return asgml_error(ASGML_EINVAL, "fbank: bad band [%g, %g] Hz (Nyquist %g)",
                           p->low_freq, *hi, nyq);
    if (p->normalize && !(p->norm_std > 0))
        return asgml_error(ASGML_EINVAL, "fbank: norm_std must be > 0");
    return ASGML_OK;
}

asgml_status asgml_fbank(const asgml_fbank_params *p, const float *x, int64_t n, float *out)
{
    double hi = 0, mean = 0, mlo, mhi, delta;
    asgml_status st = check(p, &hi);
    int L, S, nfft, nbin, M, owned = 0;
    int64_t frames;
    double *win = NULL, *w = NULL, *fr = NULL, *pw = NULL;
    float *buf = NULL;
    fftwf_complex *spec = NULL;
    void *plan = NULL;

    if (st != ASGML_OK)
        return st;
    if (!out || !x || n <= 0)
        return asgml_error(ASGML_EINVAL, "fbank: NULL buffer or empty signal");
    L = asgml_fbank_window(p);
    S = asgml_fbank_shift(p);
    nfft = asgml_fbank_nfft(p);
    nbin = nfft / 2 + 1;
    M = p->num_mel_bins;
    frames = asgml_fbank_frames(p, n);
    if (frames <= 0)
        return asgml_error(ASGML_EINVAL, "fbank: signal of %lld samples shorter than one frame (%d)",
                           (long long)n, L);

    plan = asgml_fft_plan_r2c(nfft, &owned);
    win = malloc((size_t)L * sizeof *win);
    w = calloc((size_t)M * (size_t)nbin, sizeof *w);
    fr = malloc((size_t)L * sizeof *fr);
    pw = malloc((size_t)nbin * sizeof *pw);
    buf = fftwf_malloc((size_t)nfft * sizeof *buf);
    spec = fftwf_malloc((size_t)nbin * sizeof *spec);
    if (!plan || !win || !w || !fr || !pw || !buf || !spec) {
        st = asgml_error(plan ? ASGML_ENOMEM : ASGML_EINTERNAL,
                         "fbank: cannot allocate buffers or FFTW plan for %d points", nfft);
        goto done;
    }
    /* symmetric Hann (Kaldi "hanning", torch.hann_window(periodic=False)) */
    for (int i = 0; i < L; i++)
        win[i] = 0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)(L - 1));
    /* (M, nbin) triangular weights; column nfft/2 (Nyquist) stays 0 */
    mlo = mel_scale(p->low_freq);
    mhi = mel_scale(hi);
    delta = (mhi - mlo) / (double)(M + 1);
    for (int m = 0; m < M; m++) {
        double left = mlo + m * delta, center = mlo + (m + 1) * delta,
               right = mlo + (m + 2) * delta;
        for (int k = 0; k < nfft / 2; k++) {
            double mel = mel_scale((double)p->sample_rate / (double)nfft * (double)k);
            double up = (mel - left) / (center - left), down = (right - mel) / (right - center);
            double v = up < down ? up : down;
            w[(size_t)m * nbin + k] = v > 0 ? v : 0;
        }
    }
    if (p->subtract_mean) {
        for (int64_t i = 0; i < n; i++)
            mean += x[i];
        mean /= (double)n;
    }
    for (int64_t t = 0; t < frames; t++) {
        const float *s = x + t * S;
        double fm = 0, prev;
        for (int i = 0; i < L; i++) {
            fr[i] = (double)s[i] - mean;
            fm += fr[i];
        }
        fm /= L;
        for (int i = 0; i < L; i++)   /* DC removal */
            fr[i] -= fm;
        prev = fr[0];                 /* pre-emphasis, replicate-padded left edge */
        for (int i = 0; i < L; i++) {
            double cur = fr[i];
            buf[i] = (float)((cur - p->preemph * prev) * win[i]);
            prev = cur;
        }
        for (int i = L; i < nfft; i++)
            buf[i] = 0.0f;
        fftwf_execute_dft_r2c((fftwf_plan)plan, buf, spec);
        for (int k = 0; k < nbin; k++) {   /* power spectrum |X_k|^2 */
            double re = spec[k][0], im = spec[k][1];
            pw[k] = re * re + im * im;
        }
        for (int m = 0; m < M; m++) {
            const double *wm = w + (size_t)m * nbin;
            double e = 0, v;
            for (int k = 0; k < nbin; k++)
                if (wm[k] != 0)
                    e += wm[k] * pw[k];
            v = log(e > FLT_EPSILON ? e : FLT_EPSILON);
            if (p->normalize)
                v = (v - p->norm_mean) / (2.0 * p->norm_std);
            out[t * M + m] = (float)v;
        }
    }
done:
    if (plan)
        asgml_fft_plan_release(plan, owned);
    free(win);
    free(w);
    free(fr);
    free(pw);
    fftwf_free(buf);
    fftwf_free(spec);
    return st;
}
