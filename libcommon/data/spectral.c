/* SPDX-License-Identifier: MIT */
/* spectral.c - the two published audio features that are neither librosa's
 * log STFT (stft.c) nor Kaldi's fbank (fbank.c); FFTs are FFTW single
 * precision through the plan cache of stft.c, everything else in double.
 *
 * asgml_psd: preset ogmge-paper (datasets.md 2.6; asgml-prep(1), DATA SETS,
 * CREMA-D).  scipy.signal.spectrogram(x, fs, nperseg=N, noverlap=N-hop)
 * with scipy's defaults, then the per-clip normalisation of
 * fanyunfeng-bit/Modal-Imbalance-PMR data/AVE/video_preprocessing.py:
 *   frames T = (n - (N - hop)) / hop (no centring, no padding: boundary
 *   None, padded False); segment t = x[t*hop .. t*hop+N);
 *   detrend 'constant': seg -= mean(seg);
 *   window ('tukey', 0.25), periodic (get_window fftbins=True: the first N
 *   points of the symmetric Tukey window of N+1 points);
 *   X = rfft(w * seg) (N points); PSD_f = |X_f|^2 / (fs * sum w^2), bins
 *   0 < f < N/2 doubled (one-sided density; N even);
 *   v = ln(PSD + log_offset) (log_offset 1e-7);
 *   z-score over the whole (F, T) matrix: (v - mean) / (std + 1e-9), std the
 *   population standard deviation (numpy's default ddof 0).
 *   out: (N/2+1, T) float32 row-major, freq x time.
 *
 * asgml_melspec: preset af-mel (datasets.md 3, Audio variants; AF
 * src/datasets/kinetics_sounds.py):
 *   S = |librosa.stft(x, n_fft, hop, win_length, 'hann', center, pad_mode)|^2
 *   (asgml_stft, power 2: periodic Hann, centred frames T = 1 + n / hop);
 *   M = mel_basis @ S, librosa.filters.mel(sr, n_fft, n_mels, fmin 0,
 *   fmax sr/2, htk=False, norm='slaney'): Slaney's mel scale (linear below
 *   1 kHz, 200/3 Hz per mel; logarithmic above, step ln(6.4)/27), n_mels + 2
 *   points evenly spaced in mel, triangles over the FFT bin frequencies
 *   k*sr/n_fft, each scaled by 2 / (f[m+2] - f[m]);
 *   dB = librosa.power_to_db(M, ref=np.max, amin=1e-10, top_db=80):
 *   10 log10(max(amin, M)) - 10 log10(max(amin, max M)), floored at
 *   max(dB) - top_db;
 *   AF's scaling: (dB - min) / (max - min + 1e-8);
 *   resize (n_mels, T) -> (out_h, out_w) as torch.nn.functional.interpolate
 *   (mode='bilinear', align_corners=False, no antialiasing): source
 *   coordinate s = max(0, (o + 0.5) * in/out - 0.5), i0 = floor(s),
 *   i1 = min(i0 + 1, in - 1), weights 1 - (s - i0) and s - i0, per axis.
 *   out: (out_h, out_w) float32 row-major, mel x time ((n_mels, T) when
 *   out_h = 0). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "data/decode.h"

/* ---- scipy.signal.spectrogram PSD, PMR's normalisation ------------------------ */

int64_t asgml_psd_frames(const asgml_psd_params *p, int64_t n)
{
    if (!p || p->nperseg < 2 || p->hop < 1 || p->hop > p->nperseg || n < p->nperseg)
        return 0;
    return (n - (p->nperseg - p->hop)) / p->hop;
}

/* scipy.signal.windows.tukey(M, alpha, sym=False): the symmetric window of
 * M + 1 points, truncated to M (scipy's _extend/_truncate).  w: (M,). */
static void tukey_periodic(int M, double alpha, double *w)
{
    int Ms = M + 1;   /* symmetric length */
    if (alpha <= 0) {
        for (int i = 0; i < M; i++) w[i] = 1.0;
        return;
    }
    if (alpha >= 1) {   /* scipy: hann(M, sym) */
        for (int i = 0; i < M; i++) w[i] = 0.5 - 0.5 * cos(2.0 * M_PI * i / (double)(Ms - 1));
        return;
    }
    int width = (int)floor(alpha * (Ms - 1) / 2.0);
    for (int i = 0; i < M; i++) {
        if (i <= width)
            w[i] = 0.5 * (1.0 + cos(M_PI * (-1.0 + 2.0 * i / alpha / (double)(Ms - 1))));
        else if (i < Ms - width - 1)
            w[i] = 1.0;
        else
            w[i] = 0.5 * (1.0 + cos(M_PI * (-2.0 / alpha + 1.0 + 2.0 * i / alpha / (double)(Ms - 1))));
    }
}

asgml_status asgml_psd(const asgml_psd_params *p, const float *x, int64_t n, float *out)
{
    int64_t T;
    int N, nbin, owned = 0;
    double *win = NULL, wss = 0, scale, sum = 0, sq = 0, mean, sd;
    float *buf = NULL;
    fftwf_complex *spec = NULL;
    void *plan = NULL;
    asgml_status st = ASGML_OK;

    if (!p || !out || !x)
        return asgml_error(ASGML_EINVAL, "psd: NULL argument");
    if (p->nperseg < 2 || p->nperseg % 2 || p->nperseg > (1 << 22) || p->hop < 1 || p->hop > p->nperseg)
        return asgml_error(ASGML_EINVAL, "psd: nperseg %d must be even and >= 2, hop %d in [1, nperseg]",
                           p->nperseg, p->hop);
    if (p->sample_rate < 1 || !(p->tukey_alpha >= 0 && p->tukey_alpha <= 1) || !(p->log_offset > 0) ||
        !(p->zscore_eps >= 0))
        return asgml_error(ASGML_EINVAL, "psd: bad rate %d, Tukey alpha %g, log offset %g or eps %g",
                           p->sample_rate, p->tukey_alpha, p->log_offset, p->zscore_eps);
    T = asgml_psd_frames(p, n);
    if (T < 1)
        return asgml_error(ASGML_EINVAL, "psd: signal of %lld samples shorter than nperseg %d",
                           (long long)n, p->nperseg);
    N = p->nperseg;
    nbin = N / 2 + 1;
    plan = asgml_fft_plan_r2c(N, &owned);
    win = malloc((size_t)N * sizeof *win);
    buf = fftwf_malloc((size_t)N * sizeof *buf);
    spec = fftwf_malloc((size_t)nbin * sizeof *spec);
    if (!plan || !win || !buf || !spec) {
        st = asgml_error(plan ? ASGML_ENOMEM : ASGML_EINTERNAL, "psd: cannot allocate buffers or FFTW plan for %d points", N);
        goto done;
    }
    tukey_periodic(N, p->tukey_alpha, win);
    for (int i = 0; i < N; i++)
        wss += win[i] * win[i];
    scale = 1.0 / ((double)p->sample_rate * wss);   /* scaling='density' */
    for (int64_t t = 0; t < T; t++) {
        const float *s = x + t * p->hop;
        double m = 0;
        for (int i = 0; i < N; i++)
            m += s[i];
        m /= N;                                      /* detrend='constant' */
        for (int i = 0; i < N; i++)
            buf[i] = (float)(((double)s[i] - m) * win[i]);
        fftwf_execute_dft_r2c((fftwf_plan)plan, buf, spec);
        for (int f = 0; f < nbin; f++) {
            double re = spec[f][0], im = spec[f][1];
            double v = (re * re + im * im) * scale;
            if (f > 0 && f < N / 2)
                v *= 2.0;                            /* one-sided */
            float lv = (float)log(v + p->log_offset);
            out[(int64_t)f * T + t] = lv;
        }
    }
    if (p->zscore) {   /* over the stored float32 values, as numpy on PMR's float32 array */
        int64_t cnt = (int64_t)nbin * T;
        for (int64_t i = 0; i < cnt; i++)
            sum += out[i];
        mean = sum / (double)cnt;
        for (int64_t i = 0; i < cnt; i++)
            sq += ((double)out[i] - mean) * ((double)out[i] - mean);
        sd = sqrt(sq / (double)cnt);
        for (int64_t i = 0; i < cnt; i++)
            out[i] = (float)(((double)out[i] - mean) / (sd + p->zscore_eps));
    }
done:
    if (plan)
        asgml_fft_plan_release(plan, owned);
    free(win);
    fftwf_free(buf);
    fftwf_free(spec);
    return st;
}

/* ---- librosa mel spectrogram, AF's scaling and resize --------------------------- */

/* librosa.hz_to_mel / mel_to_hz with htk=False (Slaney) */
static double slaney_mel(double f)
{
    const double fsp = 200.0 / 3.0, min_log_hz = 1000.0, min_log_mel = min_log_hz / fsp,
                 logstep = log(6.4) / 27.0;
    return f >= min_log_hz ? min_log_mel + log(f / min_log_hz) / logstep : f / fsp;
}

static double slaney_hz(double m)
{
    const double fsp = 200.0 / 3.0, min_log_hz = 1000.0, min_log_mel = min_log_hz / fsp,
                 logstep = log(6.4) / 27.0;
    return m >= min_log_mel ? min_log_hz * exp(logstep * (m - min_log_mel)) : fsp * m;
}

int64_t asgml_melspec_frames(const asgml_mel_params *p, int64_t n)
{
    asgml_stft_params s = {0};
    if (!p)
        return 0;
    s.n_fft = p->n_fft;
    s.hop = p->hop;
    s.center = p->center;
    return asgml_stft_frames(&s, n);
}

/* w: (n_mels, nbin) librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax,
 * htk=False, norm='slaney') */
static int mel_basis(const asgml_mel_params *p, double fmax, double *w)
{
    int M = p->n_mels, nbin = p->n_fft / 2 + 1;
    double *mf = malloc((size_t)(M + 2) * sizeof *mf);
    double lo = slaney_mel(p->fmin), hi = slaney_mel(fmax);
    if (!mf)
        return -1;
    for (int i = 0; i < M + 2; i++)   /* np.linspace(lo, hi, M + 2) */
        mf[i] = slaney_hz(lo + (hi - lo) * (double)i / (double)(M + 1));
    for (int m = 0; m < M; m++) {
        double d0 = mf[m + 1] - mf[m], d1 = mf[m + 2] - mf[m + 1], enorm = 2.0 / (mf[m + 2] - mf[m]);
        for (int k = 0; k < nbin; k++) {
            double fk = (double)k * p->sample_rate / (double)p->n_fft;
            double lower = (fk - mf[m]) / d0, upper = (mf[m + 2] - fk) / d1;
            double v = lower < upper ? lower : upper;
            w[(size_t)m * nbin + k] = (v > 0 ? v : 0) * enorm;
        }
    }
    free(mf);
    return 0;
}

/* torch F.interpolate(bilinear, align_corners=False) source index and weight */
static void lin_src(int o, int in, int out, int *i0, int *i1, double *l1)
{
    double s = ((double)o + 0.5) * (double)in / (double)out - 0.5;
    if (s < 0)
        s = 0;
    *i0 = (int)s;
    if (*i0 > in - 1)
        *i0 = in - 1;
    *i1 = *i0 + (*i0 < in - 1 ? 1 : 0);
    *l1 = s - *i0;
}

asgml_status asgml_melspec(const asgml_mel_params *p, const float *x, int64_t n, float *out)
{
    asgml_stft_params s = {0};
    int nbin, M;
    int64_t T;
    double fmax, mx = -INFINITY, top, lo = INFINITY, hi = -INFINITY;
    float *pw = NULL;
    double *w = NULL, *db = NULL;
    asgml_status st;

    if (!p || !x || !out || n < 1)
        return asgml_error(ASGML_EINVAL, "melspec: NULL argument or empty signal");
    fmax = p->fmax > 0 ? p->fmax : 0.5 * p->sample_rate;
    if (p->sample_rate < 1 || p->n_mels < 1 || p->n_mels > 4096 || !(p->fmin >= 0 && p->fmin < fmax) ||
        !(p->top_db >= 0) || !(p->amin > 0) || p->out_h < 0 || p->out_w < 0 || (p->out_h > 0) != (p->out_w > 0) ||
        p->out_h > 16384 || p->out_w > 16384)
        return asgml_error(ASGML_EINVAL, "melspec: bad rate %d, n_mels %d, band [%g, %g], top_db %g, amin %g "
                           "or size %dx%d", p->sample_rate, p->n_mels, p->fmin, fmax, p->top_db, p->amin,
                           p->out_h, p->out_w);
    s.n_fft = p->n_fft;
    s.hop = p->hop;
    s.win_length = p->win_length;
    s.center = p->center;
    s.pad_mode = p->pad_mode;
    s.window = "hann_periodic";
    s.power = 2;
    s.log_offset = 0;
    T = asgml_stft_frames(&s, n);
    if (T < 1)
        return asgml_error(ASGML_EINVAL, "melspec: signal of %lld samples shorter than n_fft %d",
                           (long long)n, p->n_fft);
    nbin = p->n_fft / 2 + 1;
    M = p->n_mels;
    pw = malloc((size_t)nbin * (size_t)T * sizeof *pw);
    w = malloc((size_t)M * (size_t)nbin * sizeof *w);
    db = malloc((size_t)M * (size_t)T * sizeof *db);
    if (!pw || !w || !db) {
        st = asgml_error(ASGML_ENOMEM, "melspec: out of memory for (%d, %lld)", nbin, (long long)T);
        goto done;
    }
    if ((st = asgml_stft(&s, x, n, pw)) != ASGML_OK)   /* (nbin, T) |X|^2 */
        goto done;
    if (mel_basis(p, fmax, w)) {
        st = asgml_error(ASGML_ENOMEM, "melspec: out of memory");
        goto done;
    }
    for (int m = 0; m < M; m++) {
        const double *wm = w + (size_t)m * nbin;
        double *dm = db + (size_t)m * T;
        for (int64_t t = 0; t < T; t++)
            dm[t] = 0;
        for (int k = 0; k < nbin; k++) {
            const float *pk = pw + (size_t)k * T;
            if (wm[k] == 0)
                continue;
            for (int64_t t = 0; t < T; t++)
                dm[t] += wm[k] * pk[t];
        }
    }
    for (int64_t i = 0; i < (int64_t)M * T; i++)   /* ref = np.max(S) */
        if (db[i] > mx)
            mx = db[i];
    {
        double ref = 10.0 * log10(mx > p->amin ? mx : p->amin), dmax = -INFINITY;
        for (int64_t i = 0; i < (int64_t)M * T; i++) {
            db[i] = 10.0 * log10(db[i] > p->amin ? db[i] : p->amin) - ref;
            if (db[i] > dmax)
                dmax = db[i];
        }
        top = dmax - p->top_db;
    }
    for (int64_t i = 0; i < (int64_t)M * T; i++) {
        if (db[i] < top)
            db[i] = top;
        if (db[i] < lo)
            lo = db[i];
        if (db[i] > hi)
            hi = db[i];
    }
    for (int64_t i = 0; i < (int64_t)M * T; i++)   /* AF: (x - min) / (max - min + 1e-8) */
        db[i] = (db[i] - lo) / (hi - lo + 1e-8);
    if (p->out_h == 0) {
        for (int64_t i = 0; i < (int64_t)M * T; i++)
            out[i] = (float)db[i];
        goto done;
    }
    for (int oy = 0; oy < p->out_h; oy++) {
        int y0, y1;
        double ly;
        lin_src(oy, M, p->out_h, &y0, &y1, &ly);
        for (int ox = 0; ox < p->out_w; ox++) {
            int x0, x1;
            double lx;
            lin_src(ox, (int)T, p->out_w, &x0, &x1, &lx);
            const double *r0 = db + (size_t)y0 * T, *r1 = db + (size_t)y1 * T;
            double v = (1 - ly) * ((1 - lx) * r0[x0] + lx * r0[x1]) + ly * ((1 - lx) * r1[x0] + lx * r1[x1]);
            out[(size_t)oy * p->out_w + ox] = (float)v;
        }
    }
done:
    free(pw);
    free(w);
    free(db);
    return st;
}
