/* SPDX-License-Identifier: MIT */
/* loader.h - batches from an HDF5 store by index (private to libasgml).
 *
 * A loader serves one split part ("train", "val", "test") of a store in
 * batches of B samples (the last batch may be smaller unless drop_last).
 * Per epoch e the training order is the split's sorted index list shuffled
 * by Fisher-Yates with SplitMix64 stream (seed, tag 0x7368756600000000 + e)
 * (asgml_splitmix_shuffle); evaluation keeps the sorted order.
 *
 * Transforms per modality (asgml-train(1), CONFIGURATION KEYS, Data):
 *   spec  (F,T) float32        -> (1,F,T); optional z-score with /stats
 *   fbank (T,M) float32 rows   -> (1,M,T), T = the store's target_rows (rows
 *                                 of pad_value appended, longer cut; store.c);
 *                                 optional z-score per mel bin
 *   image (H,W) or (H,W,3) u8  -> (C,S,S): x/255, (x - mean)/std (zscore:
 *                                 mean, std per channel from /stats)
 *   frames (H,W,3) u8 per frame-> (T,3,S,S) per sample, T frames by policy
 *                                 "first" (0..T-1) or "uniform" (i*floor(n/T));
 *                                 a clip with fewer frames repeats its last
 *   seq   (L,D) float32        -> (L*D) flattened (MLP encoders)
 *   wave  (L) int16 with window attributes (asgml-prep --audio-window,
 *         datasets.md 5)    -> (1,F,T): x/32768 from start s, W samples,
 *                                 ln(|STFT| + log_offset) with the stored
 *                                 STFT parameters; training: s uniform in
 *                                 [0, L-W] from SplitMix64 stream (seed,
 *                                 0x77696e0000000000 ^ e << 32 ^ m << 28 ^ i);
 *                                 evaluation: s = window_test_start
 * Train-time augmentation (images and frames, when enabled): torchvision's
 * RandomResizedCrop (area scale U(s0,s1), log-uniform ratio, 10 tries, else
 * centre crop clamped to the ratio range; PIL bilinear resize to S x S),
 * then horizontal flip with p = 0.5.  The draws for sample i of modality m
 * in epoch e come from SplitMix64 stream (seed, tag
 * 0x6175670000000000 ^ e << 32 ^ m << 28 ^ i), frames of a clip in order
 * (crop per frame) or one draw per clip, so batches are identical whatever
 * the thread timing, and a resumed run sees the same data.
 *
 * A prefetch thread prepares batch k+1 while the caller uses batch k.
 * Only the loader's thread touches the store while an epoch is being
 * served; callers must not read the store concurrently. */
#ifndef ASGML_LOADER_H
#define ASGML_LOADER_H

#include "asgml/config.h"
#include "asgml/model.h"
#include "asgml/store.h"

typedef enum {
    ASGML_TF_SPEC = 0, ASGML_TF_IMAGE, ASGML_TF_FRAMES, ASGML_TF_SEQ, ASGML_TF_WAVE_WINDOW
} asgml_transform_kind;

typedef struct asgml_transform {
    asgml_transform_kind kind;
    int store_modality;          /* index in the store */
    char name[32];               /* modality name */
    int size;                    /* image/frames output S (S x S) */
    int channels;                /* 1 or 3 (images), 1 (spec) */
    int frames;                  /* T for frames, else 1 */
    int frame_uniform;           /* 0: first, 1: uniform, 2: random (training; else first) */
    int augment;                 /* random resized crop at train time */
    int hflip;                   /* horizontal flip at train time */
    int crop_per_clip;           /* frames: one crop/flip per clip */
    double scale[2], ratio[2];   /* RandomResizedCrop ranges */
    double mean[3], std[3];      /* image normalisation per channel */
    int transpose;               /* fbank: stored (T,M) fed as (1,M,T) */
    int zscore;                  /* z-score with /stats/<name>: spec/seq per value, images per channel */
    float *stats_mean, *stats_std;   /* (stats_len) when zscore */
    int64_t stats_len;
    int64_t win_len, win_test_start; /* wave window: W and the evaluation start */
    int n_fft, hop, win_length, center, pad_reflect;   /* wave window: its STFT */
    double log_offset;
} asgml_transform;

/* Reads data.<name>.* keys (every key registered with its default, listed
 * in asgml-train(1)) and the store layout of modality `name` into tf;
 * default_frames is the default of data.<name>.frames (model.frames). */
asgml_status asgml_transform_from_config(asgml_config *cfg, asgml_store *store,
                                         const char *store_path, const char *name,
                                         int default_frames, asgml_transform *tf);
void asgml_transform_release(asgml_transform *tf);
/* Per-sample output shape (C, H, W) and frame count; elements per sample. */
int64_t asgml_transform_sample_size(const asgml_transform *tf, asgml_store *store, int *c,
                                    int *h, int *w);
/* Fills an encoder configuration (kind, channels, size, frames, in_dim). */
void asgml_transform_encoder(const asgml_transform *tf, asgml_store *store,
                             asgml_encoder_config *enc);

/* data.exclude-flags (asgml-train(1)): status flag names joined by ',' or
 * '|', a number, or "none"; default the mask datasets.md 10 recommends for
 * new work, AUDIO_MISSING, AUDIO_DECODE_ERROR, AUDIO_SILENT, VIDEO_MISSING,
 * VIDEO_DECODE_ERROR and KNOWN_BAD (0x4c7).  Applied to the store
 * (asgml_store_exclude_flags): every split part the loaders, hold-outs and
 * feature passes serve leaves those samples out. */
#define ASGML_EXCLUDE_FLAGS_DEFAULT "0x4c7"
asgml_status asgml_loader_exclude_flags(asgml_config *cfg, asgml_store *store);

typedef struct asgml_loader_config {
    const char *scheme;          /* NULL = the store's default */
    const char *part;            /* "train", "val", "test" */
    int batch_size;
    int train;                   /* shuffle and augment */
    int drop_last;
    int prefetch;                /* 1: background thread */
    uint64_t seed;
    int num_modalities;
    const asgml_transform *tf;   /* (num_modalities), copied */
    const int32_t *indices;      /* non-NULL: serve these store indices (ascending) */
    int64_t num_indices;         /* instead of the split part (a hold-out subset) */
} asgml_loader_config;

typedef struct asgml_batch {
    int size;                    /* B of this batch */
    int index;                   /* batch index in the epoch */
    const int32_t *labels;       /* (B) host */
    const int64_t *samples;      /* (B) store indices */
    const float *x[ASGML_MAX_MODALITIES];  /* host, (B, per-sample size) */
} asgml_batch;

typedef struct asgml_loader asgml_loader;

asgml_status asgml_loader_create(asgml_store *store, const asgml_loader_config *cfg,
                                 asgml_loader **out);
void asgml_loader_free(asgml_loader *l);
int64_t asgml_loader_num_samples(const asgml_loader *l);
int asgml_loader_num_batches(const asgml_loader *l);
/* Labels of the part in sorted (evaluation) order. */
const int32_t *asgml_loader_labels(const asgml_loader *l);
/* Sets the order of epoch e and starts preparing batch 0. */
asgml_status asgml_loader_start_epoch(asgml_loader *l, int epoch);
/* Next batch of the epoch; *done = 1 (and no batch) after the last one.
 * The batch stays valid until the next call. */
asgml_status asgml_loader_next(asgml_loader *l, asgml_batch *b, int *done);
/* The order of the current epoch (store indices). */
const int64_t *asgml_loader_order(const asgml_loader *l, int64_t *n);

#endif
