/* SPDX-License-Identifier: MIT */
/* stft.c - short-time Fourier transform with librosa.stft semantics, on
 * FFTW single precision (fftwf).
 *
 * x: (n,) float32 -> out: (n_fft/2+1, frames) float32 row-major, i.e.
 * out[f * frames + t] is bin f (f * sr / n_fft Hz) of frame t.  Frame t
 * starts at sample t*hop of the (optionally centred) padded signal, is
 * multiplied by a periodic Hann window of win_length zero-padded to n_fft
 * (centred, lpad = (n_fft - win_length) / 2), and transformed unscaled
 * (X_f = sum_k w_k x_k e^{-2 pi i f k / n_fft}, as numpy.fft.rfft).
 * Value: |X| (power 1) or |X|^2 (power 2), then ln(v + log_offset) when
 * log_offset > 0.
 *
 * Threads: plans are created once per n_fft under a mutex and cached;
 * execution uses fftwf_execute_dft_r2c on per-call fftwf_malloc'd buffers,
 * which FFTW documents as thread-safe. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "data/decode.h"

#define MAX_PLANS 16

static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { int n; fftwf_plan plan; } plans[MAX_PLANS];
static int n_plans;

/* r2c plan for size n (FFTW_ESTIMATE: deterministic, no timing).  Cached
 * plans live until asgml_stft_cleanup(); when the table is full the plan
 * is private to the caller (*owned = 1) and must go to drop_plan(). */
static fftwf_plan get_plan(int n, int *owned)
{
    fftwf_plan p = NULL;
    *owned = 0;
    pthread_mutex_lock(&plan_lock);
    for (int i = 0; i < n_plans; i++)
        if (plans[i].n == n) {
            p = plans[i].plan;
            break;
        }
    if (!p) {
        float *in = fftwf_malloc((size_t)n * sizeof *in);
        fftwf_complex *out = fftwf_malloc(((size_t)n / 2 + 1) * sizeof *out);
        if (in && out)
            p = fftwf_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE);
        if (p && n_plans < MAX_PLANS) {
            plans[n_plans].n = n;
            plans[n_plans].plan = p;
            n_plans++;
        } else if (p) {
            *owned = 1;
        }
        fftwf_free(in);
        fftwf_free(out);
    }
    pthread_mutex_unlock(&plan_lock);
    return p;
}

static void drop_plan(fftwf_plan p)
{
    pthread_mutex_lock(&plan_lock);
    fftwf_destroy_plan(p);
    pthread_mutex_unlock(&plan_lock);
}

void *asgml_fft_plan_r2c(int n, int *owned)
{
    if (n < 1)
        return NULL;
    return (void *)get_plan(n, owned);
}

void asgml_fft_plan_release(void *plan, int owned)
{
    if (plan && owned)
        drop_plan((fftwf_plan)plan);
}

void asgml_stft_cleanup(void)
{
    pthread_mutex_lock(&plan_lock);
    for (int i = 0; i < n_plans; i++)
        fftwf_destroy_plan(plans[i].plan);
    n_plans = 0;
    fftwf_cleanup();
    pthread_mutex_unlock(&plan_lock);
}

static int pad_is_reflect(const asgml_stft_params *p)
{
    return p->pad_mode && !strcmp(p->pad_mode, "reflect");
}

static asgml_status check_params(const asgml_stft_params *p)
{
    int wl;
    if (!p)
        return asgml_error(ASGML_EINVAL, "stft: NULL parameters");
    wl = p->win_length ? p->win_length : p->n_fft;
    if (p->n_fft < 2 || p->n_fft > (1 << 24) || p->hop < 1)
        return asgml_error(ASGML_EINVAL, "stft: bad n_fft %d or hop %d", p->n_fft, p->hop);
    if (wl < 1 || wl > p->n_fft)
        return asgml_error(ASGML_EINVAL, "stft: win_length %d not in [1, n_fft=%d]", wl, p->n_fft);
    if (p->pad_mode && strcmp(p->pad_mode, "reflect") && strcmp(p->pad_mode, "constant"))
        return asgml_error(ASGML_EINVAL, "stft: unknown pad_mode '%s' (reflect, constant)",
                           p->pad_mode);
    if (p->window && strcmp(p->window, "hann_periodic") && strcmp(p->window, "hann"))
        return asgml_error(ASGML_EINVAL, "stft: unknown window '%s' (hann_periodic)", p->window);
    if (p->power != 1 && p->power != 2)
        return asgml_error(ASGML_EINVAL, "stft: power must be 1 or 2, not %d", p->power);
    if (p->log_offset < 0 || !isfinite(p->log_offset))
        return asgml_error(ASGML_EINVAL, "stft: bad log_offset %g", p->log_offset);
    return ASGML_OK;
}

/* frames = 1 + (n + (center ? 2*(n_fft/2) : 0) - n_fft) / hop; 0 when the
 * (padded) signal is shorter than one frame or the parameters are bad. */
int64_t asgml_stft_frames(const asgml_stft_params *p, int64_t n)
{
    int64_t padded;
    if (!p || p->n_fft < 1 || p->hop < 1 || n < 0)
        return 0;
    padded = n + (p->center ? 2 * (int64_t)(p->n_fft / 2) : 0);
    if (padded < p->n_fft)
        return 0;
    return 1 + (padded - p->n_fft) / p->hop;
}

/* Sample i (may be outside [0,n)) of the padded signal: numpy.pad
 * "reflect" (mirror without repeating the edge, folded with period
 * 2(n-1) for pads longer than the signal) or "constant" zeros. */
static float padded_sample(const float *x, int64_t n, int64_t i, int reflect)
{
    if (i >= 0 && i < n)
        return x[i];
    if (!reflect)
        return 0.0f;
    if (n == 1)
        return x[0];
    {
        int64_t period = 2 * (n - 1);
        int64_t j = i % period;
        if (j < 0)
            j += period;
        if (j >= n)
            j = period - j;
        return x[j];
    }
}

asgml_status asgml_stft(const asgml_stft_params *p, const float *x, int64_t n, float *out)
{
    asgml_status st = check_params(p);
    int64_t frames, off;
    int nfft, nbin, wl, lpad, reflect;
    float *win = NULL, *buf = NULL;
    fftwf_complex *spec = NULL;
    fftwf_plan plan;
    int owned = 0;

    if (st != ASGML_OK)
        return st;
    if (!out || (n > 0 && !x))
        return asgml_error(ASGML_EINVAL, "stft: NULL buffer");
    if (n <= 0)
        return asgml_error(ASGML_EINVAL, "stft: empty signal");
    frames = asgml_stft_frames(p, n);
    if (frames <= 0)
        return asgml_error(ASGML_EINVAL, "stft: signal of %lld samples shorter than n_fft %d",
                           (long long)n, p->n_fft);
    nfft = p->n_fft;
    nbin = nfft / 2 + 1;
    wl = p->win_length ? p->win_length : nfft;
    lpad = (nfft - wl) / 2;
    reflect = pad_is_reflect(p);
    off = p->center ? nfft / 2 : 0;

    plan = get_plan(nfft, &owned);
    win = calloc((size_t)nfft, sizeof *win);
    buf = fftwf_malloc((size_t)nfft * sizeof *buf);
    spec = fftwf_malloc((size_t)nbin * sizeof *spec);
    if (!plan || !win || !buf || !spec) {
        st = asgml_error(plan ? ASGML_ENOMEM : ASGML_EINTERNAL,
                         "stft: cannot allocate buffers or FFTW plan for n_fft %d", nfft);
        goto done;
    }
    /* periodic Hann: w[k] = 0.5 - 0.5 cos(2 pi k / wl), k in [0, wl) */
    for (int k = 0; k < wl; k++)
        win[lpad + k] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * (double)k / (double)wl));

    for (int64_t t = 0; t < frames; t++) {
        int64_t start = t * p->hop - off;   /* index into x of frame sample 0 */
        if (start >= 0 && start + nfft <= n) {
            for (int k = 0; k < nfft; k++)
                buf[k] = win[k] * x[start + k];
        } else {
            for (int k = 0; k < nfft; k++)
                buf[k] = win[k] * padded_sample(x, n, start + k, reflect);
        }
        fftwf_execute_dft_r2c(plan, buf, spec);
        for (int f = 0; f < nbin; f++) {
            double re = spec[f][0], im = spec[f][1];
            double v = re * re + im * im;
            if (p->power == 1)
                v = sqrt(v);
            if (p->log_offset > 0)
                v = log(v + p->log_offset);
            out[(int64_t)f * frames + t] = (float)v;
        }
    }
done:
    if (plan && owned)
        drop_plan(plan);
    free(win);
    fftwf_free(buf);
    fftwf_free(spec);
    return st;
}
