/* SPDX-License-Identifier: MIT */
/* asgml/store.h - the HDF5 feature store (layout: asgml-store(5)).
 *
 * Reader API used by asgml-train and asgml-probe, writer used by
 * asgml-prep.  A store holds N samples; each modality is an HDF5 group
 * /<name> whose attribute "sample_dataset" names the dataset the trainer
 * reads per sample (e.g. "spec", "image", "frames", "seq"). */
#ifndef ASGML_STORE_H
#define ASGML_STORE_H

#include "asgml/common.h"

ASGML_BEGIN_DECLS

/* /meta/status bits (asgml-store(5), Metadata (/meta/status)) */
enum {
    ASGML_FLAG_AUDIO_MISSING = 0x1,
    ASGML_FLAG_AUDIO_DECODE_ERROR = 0x2,
    ASGML_FLAG_AUDIO_SILENT = 0x4,
    ASGML_FLAG_AUDIO_CLIPPED_INPUT = 0x8,
    ASGML_FLAG_AUDIO_TILED = 0x10,
    ASGML_FLAG_AUDIO_TRUNCATED = 0x20,
    ASGML_FLAG_VIDEO_MISSING = 0x40,
    ASGML_FLAG_VIDEO_DECODE_ERROR = 0x80,
    ASGML_FLAG_FEW_FRAMES = 0x100,
    ASGML_FLAG_AV_DURATION_MISMATCH = 0x200,
    ASGML_FLAG_KNOWN_BAD = 0x400,
    ASGML_FLAG_DUP_CONFLICT = 0x800,
    ASGML_FLAG_RESAMPLED_OR_DOWNMIXED = 0x1000,
    ASGML_FLAG_NONFINITE_REPLACED = 0x2000
};

typedef enum asgml_dtype { ASGML_U8 = 1, ASGML_F32 = 2, ASGML_I16 = 3 } asgml_dtype;

/* What one sample of a modality looks like in the store. */
typedef struct asgml_modality_info {
    char name[32];          /* group name: "audio", "visual", "text", ... */
    char dataset[32];       /* sample dataset inside the group: "spec", "image", "frames", "seq" */
    asgml_dtype dtype;
    int ndim;               /* dims of one sample (frames: per frame) */
    int64_t shape[4];       /* e.g. spec (F,T); image (H,W) or (H,W,3); frames (H,W,3); seq (L,D) */
    int variable_count;     /* 1 for "frames": count per sample from frame_offset */
} asgml_modality_info;

typedef struct asgml_store asgml_store;

asgml_status asgml_store_open(const char *path, asgml_store **out);
void asgml_store_close(asgml_store *s);

int64_t asgml_store_num_samples(const asgml_store *s);
int asgml_store_num_classes(const asgml_store *s);
const char *asgml_store_class_name(const asgml_store *s, int c);
int asgml_store_num_modalities(const asgml_store *s);
const asgml_modality_info *asgml_store_modality(const asgml_store *s, int m);
int asgml_store_find_modality(const asgml_store *s, const char *name); /* -1 if absent */
const int32_t *asgml_store_labels(const asgml_store *s);              /* N labels */
const char *asgml_store_id(const asgml_store *s, int64_t i);
/* Hex SHA-256 of the store's content, as recorded at prep ("content_sha256"). */
const char *asgml_store_checksum(const asgml_store *s);
const char *asgml_store_dataset_name(const asgml_store *s);
/* The path the store was opened with (for messages). */
const char *asgml_store_path(const asgml_store *s);
/* Root attribute as a string (numbers formatted), NULL if absent. */
const char *asgml_store_attr(const asgml_store *s, const char *name);

/* Split membership: scheme NULL = the store's default scheme. part is
 * "train", "val" or "test".  *idx points into the store (do not free);
 * returns ASGML_EINVAL if the part does not exist (val is optional). */
asgml_status asgml_store_split(const asgml_store *s, const char *scheme, const char *part,
                               const int32_t **idx, int64_t *n);
int asgml_store_has_split(const asgml_store *s, const char *scheme, const char *part);
/* /meta/status (N) flag bits (ASGML_FLAG_*); NULL when the store has none. */
const uint32_t *asgml_store_status(const asgml_store *s);
/* From now on asgml_store_split serves only the samples whose status has
 * no bit of mask (the key data.exclude-flags of asgml-train(1)); 0 serves
 * every sample again.  *excluded (may be NULL) receives how many split
 * entries, over all schemes and parts, are left out. */
asgml_status asgml_store_exclude_flags(asgml_store *s, uint32_t mask, int64_t *excluded);

/* Frame count of sample i for variable-count modalities (1 otherwise). */
int64_t asgml_store_frame_count(const asgml_store *s, int m, int64_t i);
/* Reads samples idx[0..n) of modality m into buf (n * sample bytes, stored
 * dtype).  For "frames", reads frame `frame` (clamped to count-1) of each. */
asgml_status asgml_store_read(asgml_store *s, int m, const int64_t *idx, int64_t n,
                              int64_t frame, void *buf);
size_t asgml_store_sample_bytes(const asgml_store *s, int m);

ASGML_END_DECLS
#endif
