/* SPDX-License-Identifier: MIT */
/* asgml/prep.h - the asgml-prep pipeline: manifest -> decoded, fitted,
 * (optionally) degraded features -> HDF5 store (asgml-store(5)); the
 * AV-Digits manifest builder and the store verifier.
 *
 * Samples are decoded on `jobs` threads and written in store order (ids
 * sorted bytewise) by the calling thread, so the output does not depend on
 * the thread count.  The library prints nothing: progress goes through a
 * callback, problems into asgml_last_error() and the result struct. */
#ifndef ASGML_PREP_H
#define ASGML_PREP_H

#include "asgml/common.h"

ASGML_BEGIN_DECLS

#define ASGML_PREP_MAX_DSETS 32

/* Stages whose CPU time a profiled run reports (asgml_prep_result.stage_cpu):
 * decode (audio file, JPEG/PNG), resample, stft (STFT or fbank), image
 * (resize, degradations), compress (shuffle + deflate of the chunks, in the
 * decoding threads), write (HDF5 calls of the writing thread), checksum
 * (content_sha256: the chunks read back, inflated, hashed), other (fitting,
 * statistics, metadata, bookkeeping). */
enum {
    ASGML_PREP_STAGE_DECODE, ASGML_PREP_STAGE_RESAMPLE, ASGML_PREP_STAGE_STFT,
    ASGML_PREP_STAGE_IMAGE, ASGML_PREP_STAGE_COMPRESS, ASGML_PREP_STAGE_WRITE,
    ASGML_PREP_STAGE_CHECKSUM, ASGML_PREP_STAGE_OTHER, ASGML_PREP_NSTAGES
};
/* "decode", "resample", ... ("?" out of range) */
const char *asgml_prep_stage_name(int stage);

typedef struct asgml_prep_options {
    const char *manifest;       /* manifest path (asgml-prep(1), MANIFEST) */
    const char *classes;        /* class list file or NULL */
    const char *out;            /* store path */
    const char *dataset;        /* NULL: manifest's #@dataset, else "custom" */
    const char *preset;         /* recorded only ("custom" when NULL) */
    const char *command_line;   /* recorded only */
    const char *default_split;  /* scheme; NULL = first split column */
    int64_t created_utc;        /* seconds since 1970; < 0 = now */
    uint64_t seed;
    int jobs;                   /* decoding threads; <= 0 = all cores */
    int profile;                /* 1: per-thread CPU time of each stage into stage_cpu */
    const char *resampler;      /* "soxr" (libsoxr SOXR_HQ, default; NULL = soxr) | "src"
                                   (libsamplerate SRC_SINC_BEST_QUALITY) */
    int skip_bad;               /* skip bad samples instead of stopping */
    double max_bad;             /* with skip_bad: fail unless skipped/rows < max_bad */
    /* per-sample checks (datasets.md 10) and the report OUT.report.tsv */
    int keep_bad;               /* a sample whose media fail keeps zeros and its flags */
    int min_frames;             /* FEW_FRAMES below this many frames; 0 = off */
    double av_tolerance;        /* AV_DURATION_MISMATCH when |audio - video_seconds| > this */

    /* audio modalities: decode, fit to fit_seconds, clamp, STFT */
    int audio_rate;             /* Hz; 0 = the first clip's rate (all must match) */
    const char *fit;            /* "tile" | "pad_end" | "pad_center" | "none" (fbank only:
                                   the clip's own length, datasets.md 2.7) */
    double fit_seconds;         /* fit length L = round(fit_seconds * rate) samples */
    int n_fft, hop, win_length; /* samples */
    int center;                 /* pad n_fft/2 each side */
    const char *pad_mode;       /* "reflect" | "constant" */
    double log_offset;          /* spec = ln(|X| + log_offset) */
    int keep_wave;              /* also store the clean fitted wave as int16 (N,L) */
    int spec_deflate;           /* 0-9 for spectrograms (with shuffle); 0 = none */
    const char *audio_features; /* "spec" (STFT, /audio/spec) | "fbank" (Kaldi log-mel,
                                   /audio/fbank (R, mel_bins) rows + fbank_offset (N+1)) |
                                   "psd" (scipy.signal.spectrogram PSD, nperseg n_fft,
                                   noverlap n_fft - hop, ln(PSD + log_offset), per-clip
                                   z-score: preset ogmge-paper, datasets.md 2.6) |
                                   "mel" (librosa mel power spectrogram, dB re max with
                                   top 80 dB, min-max to [0,1], bilinear resize to
                                   mel_h x mel_w: preset af-mel, datasets.md 3) */
    int fbank_mel_bins;         /* 128; also the mel bins of "mel" */
    int mel_h, mel_w;           /* "mel": output size (torch bilinear, align_corners
                                   False); 0 x 0 = (mel bins, frames), no resize */
    int fbank_norm;             /* 1: (x + 4.503877) / (2 * 5.141276) (AST) */
    double audio_window;        /* > 0: seconds the loader cuts from the stored fitted
                                   wave and turns into the STFT (VGGSound 5 s, datasets.md 5);
                                   the wave is the sample dataset, no spectrogram stored */
    int fbank_rows;             /* rows a model sees (attribute target_rows; the loader
                                   appends rows of a zero log-mel frame or cuts); 0 = the
                                   frames of fit_seconds */

    /* image and frames modalities */
    int image_channels;         /* 1 grey (ITU-R 601 luma) or 3 RGB */
    int image_h, image_w;       /* output size; 0 = the first image's size */
    int short_side;             /* > 0: scale the first image's short side to this */
    int deflate;                /* 0-9 for integer data (images, frames, waves) */

    /* seq modalities: raw float32 LE (rows x seq_dim) or HDF5 file[:dataset] */
    int seq_dim;                /* features per step D (raw files need it) */
    const char *seq_dims;       /* per modality, "text=300,audio=74"; overrides seq_dim */
    int seq_len;                /* fixed length L: zero-pad or truncate */
    const char *seq_lens;       /* per modality, "text=50,audio=375"; overrides seq_len */
    const char *seq_dataset;    /* dataset in HDF5 inputs when the cell names none */

    /* degradations, applied once, seeded per sample */
    double img_mismatch;        /* probability; needs img_reserve */
    const char *img_reserve;    /* LABEL<TAB>PATH list, used in order */
    double img_noise;           /* sigma in 0-255 units; 0 = off */
    int img_down;               /* k x k average pool + nearest upsample; 0 = off */
    int img_occlude;            /* cells of a 4x4 grid zeroed, 0-16 */
    int aud_snr_on;             /* 1: add white noise at aud_snr_db */
    double aud_snr_db;
    int corrupt_train_only;     /* degrade only train samples of the default split */

    void (*progress)(void *ctx, int64_t done, int64_t total); /* from the calling thread */
    void *progress_ctx;
    /* Called with the temporary file's name once it exists, and with NULL
     * once it is renamed or removed (so a signal handler can unlink it). */
    void (*temp_file)(void *ctx, const char *path);
    void *temp_ctx;
} asgml_prep_options;

typedef struct asgml_prep_result {
    int64_t rows;               /* manifest data rows */
    int64_t kept;               /* samples in the store */
    int64_t skipped;            /* rows skipped (skip_bad) */
    int64_t kept_bad;           /* samples kept with zeros (keep_bad) */
    char **skipped_msgs;        /* (skipped,) "MANIFEST:LINE: FILE: what is wrong" */
    int64_t flag_counts[16];    /* samples with status bit 1<<i */
    int64_t mismatched;         /* images replaced by --img-mismatch */
    char sha256[65];            /* content checksum of the store */
    int ndsets;
    struct { char path[96]; int64_t raw_bytes, stored_bytes; } dsets[ASGML_PREP_MAX_DSETS];
    double stage_cpu[ASGML_PREP_NSTAGES]; /* options.profile: CPU seconds per stage, all threads */
} asgml_prep_result;

/* Defaults: audio_features "spec" (fbank: 128 bins, normalised), fit tile
 * 1 s, n_fft 512, hop 128, win n_fft, centred, reflect, log offset 1e-7,
 * keep_wave, spec deflate 1, grey images at native size, deflate 4,
 * seq_len 0 (= longest seen is not possible: must be set for seq),
 * max_bad 0.05, jobs 0, seed 0. */
void asgml_prep_defaults(asgml_prep_options *o);
/* Applies a named preset over the current options: "avdigits" (=
 * "avdigits-clean"), "avdigits-vweak", "avdigits-aweak", "ogmge-stft",
 * "ogmge-paper", "fbank-ast", "af-mel", "vggsound-ogm".
 * ASGML_EINVAL for an unknown name. */
asgml_status asgml_prep_preset(asgml_prep_options *o, const char *name);
asgml_status asgml_prep_run(const asgml_prep_options *o, asgml_prep_result *r);
void asgml_prep_result_free(asgml_prep_result *r);


/* Re-reads a store (asgml-prep verify): content checksum against the
 * attribute, split indices sorted, in range and disjoint within a scheme,
 * labels in range, num_samples, frame offsets, no NaN/Inf in float samples. */
asgml_status asgml_store_verify(const char *path);

/* AV-Digits: writes a manifest for SRC/fsdd + SRC/mnist pairing every clip
 * with a distinct MNIST image of its digit (shuffle stream tag 100 + digit)
 * and a reserve file with the unused images in shuffled order.  Columns: id
 * label split:fsdd split:fsdd_val group:speaker meta:take:int
 * meta:mnist_file audio visual.  Files are written through a temporary name
 * and renamed. */
asgml_status asgml_avdigits_manifest(const char *src, uint64_t seed, const char *manifest_out,
                                     const char *reserve_out);

ASGML_END_DECLS
#endif
