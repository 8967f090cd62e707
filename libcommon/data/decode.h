/* SPDX-License-Identifier: MIT */
/* decode.h - media decoding and signal processing used by asgml-prep
 * (private to libasgml; the store API is public).  Every function returns an
 * asgml_status and sets asgml_error() with "PATH: what is wrong" on failure.
 *
 * Owner: the "prep-dsp" work (audio.c, resample.c, stft.c, image.c,
 * resize.c, splitmix.c, corrupt.c). */
#ifndef ASGML_DECODE_H
#define ASGML_DECODE_H

#include "asgml/common.h"

/* Opens path for reading without blocking on a FIFO or device, and refuses
 * anything but a regular file ("PATH: not a regular file": a FIFO would
 * hang the decoder, /dev/zero would be read until memory runs out).
 * Returns the descriptor (blocking again), or -1 with the error set (*st). */
int asgml_open_regular(const char *path, const char *what, asgml_status *st);

/* ---- audio (libsndfile; libsoxr or libsamplerate) ------------------------- */
/* Resamplers (resample.c): soxr = libsoxr SOXR_HQ (librosa's "soxr_hq",
 * the default), src = libsamplerate SRC_SINC_BEST_QUALITY. */
typedef enum asgml_resampler { ASGML_RESAMPLER_SOXR, ASGML_RESAMPLER_SRC } asgml_resampler;

/* "soxr" | "src" (NULL = soxr); ASGML_EINVAL otherwise. */
asgml_status asgml_resampler_parse(const char *name, asgml_resampler *rs);
/* "soxr_hq" | "src_sinc_best" */
const char *asgml_resampler_name(asgml_resampler rs);
/* The library and its version, "libsoxr-0.1.3" | "libsamplerate-0.2.2". */
const char *asgml_resampler_version(asgml_resampler rs);
/* x: (n,) at rate_in -> *out: (ceil(n * rate_out / rate_in),) malloc'd. */
asgml_status asgml_resample(const char *path, const float *x, int64_t n, int rate_in, int rate_out,
                            asgml_resampler rs, float **out, int64_t *n_out);

typedef struct asgml_audio {
    float *samples;     /* mono, [-1,1] scale (PCM / 2^(bits-1)), malloc'd */
    int64_t n;          /* number of samples */
    int sample_rate;    /* Hz */
    int src_channels;   /* channels in the file before downmix */
    int src_rate;       /* rate in the file before resampling */
    int src_bits;       /* bits per sample if PCM, else 0 */
    uint32_t flags;     /* ASGML_FLAG_* bits, see store.h */
} asgml_audio;

/* Decode any libsndfile format, downmix by the channel mean, resample with
 * libsoxr SOXR_HQ to target_rate (0 = keep).  An empty clip (n == 0) is an
 * error (ASGML_EFORMAT, "empty audio").  _rs: with the given resampler. */
asgml_status asgml_audio_load(const char *path, int target_rate, asgml_audio *out);
asgml_status asgml_audio_load_rs(const char *path, int target_rate, asgml_resampler rs, asgml_audio *out);
void asgml_audio_free(asgml_audio *a);
/* Fit to exactly len samples: fit = "tile" (repeat until >= len, truncate),
 * "pad_end" (zeros after), "pad_center" (zeros both sides, extra at end).
 * Sets ASGML_FLAG_AUDIO_TILED / _TRUNCATED in *flags when they apply. */
asgml_status asgml_audio_fit(const float *x, int64_t n, const char *fit,
                             int64_t len, float *out, uint32_t *flags);

/* ---- STFT (FFTW single precision), librosa.stft semantics ----------------- */
typedef struct asgml_stft_params {
    int n_fft, hop, win_length;  /* win_length <= n_fft, centred in the frame */
    int center;                  /* 1: pad n_fft/2 each side (librosa center=True) */
    const char *pad_mode;        /* "reflect" | "constant" (zeros) */
    const char *window;          /* "hann_periodic" */
    int power;                   /* 1 = magnitude, 2 = power */
    double log_offset;           /* >0: out = ln(v + log_offset); 0 = linear */
} asgml_stft_params;
/* Output layout (freq, time) = (n_fft/2+1, frames) row-major, float32.
 * frames = 1 + (n + (center? 2*(n_fft/2) : 0) - n_fft) / hop. */
int64_t asgml_stft_frames(const asgml_stft_params *p, int64_t n);
/* Thread-safe; plan creation is serialised internally.  win_length 0 means
 * n_fft; pad_mode NULL means "constant"; window NULL means hann_periodic
 * ("hann" is accepted as a synonym, as librosa's default is periodic). */
asgml_status asgml_stft(const asgml_stft_params *p, const float *x, int64_t n, float *out);
/* Frees the cached FFTW plans and FFTW's own state (optional, at exit, when
 * no asgml_stft call is running; a later asgml_stft re-creates them). */
void asgml_stft_cleanup(void);
/* The plan cache above, for other FFTW users in libasgml (fbank.c): an
 * fftwf_plan (as void *) for a single-precision r2c transform of n points,
 * created under the shared planner lock; give it back with
 * asgml_fft_plan_release(plan, owned).  NULL on failure. */
void *asgml_fft_plan_r2c(int n, int *owned);
void asgml_fft_plan_release(void *plan, int owned);

/* ---- Kaldi log-mel filterbank (fbank.c), asgml-prep(1), DATA SETS, CREMA-D ------------------ */
typedef struct asgml_fbank_params {
    int sample_rate;                 /* Hz (the waveform's native rate) */
    double frame_length_ms;          /* 25: L = (int)(rate * ms * 0.001) samples */
    double frame_shift_ms;           /* 10: S samples */
    int num_mel_bins;                /* 128 */
    double low_freq, high_freq;      /* 20 Hz; high <= 0 means Nyquist + high */
    double preemph;                  /* 0.97 */
    int subtract_mean;               /* 1: subtract the whole signal's mean first */
    int normalize;                   /* 1: out = (v - norm_mean) / (2 norm_std) */
    double norm_mean, norm_std;      /* AST: -4.503877, 5.141276 */
} asgml_fbank_params;
/* Defaults of torchaudio.compliance.kaldi.fbank as used by preset fbank-ast
 * (128 bins, 20 Hz..Nyquist, subtract_mean 1), normalize 0. */
void asgml_fbank_defaults(asgml_fbank_params *p, int sample_rate);
int asgml_fbank_window(const asgml_fbank_params *p);   /* L samples */
int asgml_fbank_shift(const asgml_fbank_params *p);    /* S samples */
int asgml_fbank_nfft(const asgml_fbank_params *p);     /* next power of two >= L */
/* snip_edges: 1 + (n - L) / S, 0 when n < L or the parameters are bad. */
int64_t asgml_fbank_frames(const asgml_fbank_params *p, int64_t n);
/* out: (frames, num_mel_bins) float32 row-major, time x mel.  Thread-safe. */
asgml_status asgml_fbank(const asgml_fbank_params *p, const float *x, int64_t n, float *out);

/* ---- scipy PSD spectrogram and librosa mel (spectral.c) ---------------------------- */
/* scipy.signal.spectrogram(x, fs, nperseg, noverlap = nperseg - hop) with
 * its defaults (Tukey(0.25) periodic window, detrend 'constant', one-sided
 * density), ln(PSD + log_offset), then PMR's per-clip z-score
 * (asgml-prep(1), DATA SETS, CREMA-D, preset ogmge-paper). */
typedef struct asgml_psd_params {
    int sample_rate;       /* fs, Hz (the density scaling) */
    int nperseg;           /* N, even (512) */
    int hop;               /* N - noverlap (159) */
    double tukey_alpha;    /* 0.25 */
    double log_offset;     /* > 0: v = ln(PSD + log_offset) (1e-7) */
    int zscore;            /* 1: (v - mean) / (std + zscore_eps) over the matrix */
    double zscore_eps;     /* 1e-9 */
} asgml_psd_params;
/* (n - (N - hop)) / hop; 0 when n < N or the parameters are bad. */
int64_t asgml_psd_frames(const asgml_psd_params *p, int64_t n);
/* out: (N/2+1, frames) float32 row-major, freq x time.  Thread-safe. */
asgml_status asgml_psd(const asgml_psd_params *p, const float *x, int64_t n, float *out);

/* librosa.feature.melspectrogram (power 2, Slaney mel filters with slaney
 * norm), power_to_db(ref=max, amin, top_db), AF's min-max scaling to [0,1]
 * and torch bilinear resize (align_corners=False) (asgml-prep(1), DATA SETS,
 * Kinetics-Sounds, preset af-mel). */
typedef struct asgml_mel_params {
    int sample_rate;            /* Hz */
    int n_fft, hop, win_length; /* 2048, 512, 2048 (0 = n_fft) */
    int center;                 /* 1: librosa center=True */
    const char *pad_mode;       /* "constant" (librosa >= 0.9) | "reflect" */
    int n_mels;                 /* 128 */
    double fmin, fmax;          /* 0; fmax <= 0 means sr/2 */
    double top_db, amin;        /* 80, 1e-10 */
    int out_h, out_w;           /* 128 x 128; 0 x 0 = no resize: (n_mels, frames) */
} asgml_mel_params;
/* STFT frames 1 + (n + (center ? 2*(n_fft/2) : 0) - n_fft) / hop. */
int64_t asgml_melspec_frames(const asgml_mel_params *p, int64_t n);
/* out: (out_h, out_w) or (n_mels, frames) float32 row-major, mel x time,
 * values in [0, 1].  Thread-safe. */
asgml_status asgml_melspec(const asgml_mel_params *p, const float *x, int64_t n, float *out);

/* ---- images (libpng, libjpeg-turbo) --------------------------------------- */
typedef struct asgml_image {
    uint8_t *pixels;  /* H*W*C row-major, interleaved, malloc'd */
    int h, w, c;      /* c = 1 (grey) or 3 (RGB) after conversion */
} asgml_image;
/* Decode PNG (grey/RGB/RGBA/palette/1-16 bit) or JPEG (grey/RGB/CMYK,
 * baseline/progressive) by content (magic bytes), converted to `channels`
 * (1 = ITU-R 601 luma like PIL "L", 3 = RGB; alpha is dropped). */
asgml_status asgml_image_load(const char *path, int channels, asgml_image *out);
void asgml_image_free(asgml_image *im);
/* Antialiased bilinear resize as PIL Image.resize(BILINEAR) (triangle filter,
 * support scaled by max(1, in/out), centres at (o+0.5)*in/out - 0.5). */
asgml_status asgml_image_resize(const uint8_t *in, int h, int w, int c,
                                uint8_t *out, int oh, int ow);

/* ---- SplitMix64 (asgml-prep(1), DATA SETS, Common rules (SplitMix64)) --------------------------- */
typedef struct asgml_splitmix { uint64_t s; } asgml_splitmix;
void asgml_splitmix_init(asgml_splitmix *r, uint64_t seed, uint64_t tag);
uint64_t asgml_splitmix_next(asgml_splitmix *r);
uint64_t asgml_splitmix_below(asgml_splitmix *r, uint64_t n);  /* [0,n) unbiased */
double asgml_splitmix_real(asgml_splitmix *r);                  /* (0,1] */
double asgml_splitmix_gauss(asgml_splitmix *r);                 /* Box-Muller */
void asgml_splitmix_shuffle(asgml_splitmix *r, int64_t *a, int64_t n);

#endif
