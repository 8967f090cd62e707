/* SPDX-License-Identifier: MIT */
/* asgml/probe_eval.h - offline evaluation of a trained model's encoders (the
 * engine of asgml-probe(1)).
 *
 * For one model (weights loaded from a checkpoint):
 *  1. features: every encoder's pooled feature f_m (n, D) over the train
 *     and test parts of the store's split, model in inference mode (BN
 *     running statistics, dropout off), loader in evaluation order (sorted
 *     store indices, no augmentation);
 *  2. probes: per modality a fresh probe (asgml/probe.h, the code the
 *     asgml-boost method runs online) on standardised features - each
 *     dimension centred and divided by its train-part standard deviation
 *     (unbiased; a constant dimension is only centred) - trained with a
 *     fixed budget of full-batch Adam steps on the whole train part, seeded
 *     (probe of modality m: seed + m; the same for every checkpoint), then
 *     accuracy and macro-F1 on the test part;
 *  3. modality removal and Shapley: the fused model's test accuracy with
 *     the features of the absent modalities replaced by zeros (the
 *     `present` argument of asgml_model_forward), for the full set, for the
 *     set without each modality and - when N <= shapley_max - for every
 *     coalition; the exact Shapley value of each modality with the
 *     coalition's test accuracy as worth.
 *
 * Budget and defaults (asgml-probe(1) documents them): linear probe,
 * 300 full-batch Adam steps, lr 1e-2 (betas 0.9/0.999, eps 1e-8, no
 * decay), seed 0, extraction batch 64, shapley_max 4. */
#ifndef ASGML_PROBE_EVAL_H
#define ASGML_PROBE_EVAL_H

#include "asgml/backend.h"
#include "asgml/model.h"
#include "asgml/probe.h"
#include "asgml/store.h"

ASGML_BEGIN_DECLS

/* A modality's input transform (data.<name>.* keys); opaque here. */
typedef struct asgml_transform asgml_transform;

#define ASGML_PROBE_EVAL_MAX_SHAPLEY 8    /* 2^8 coalition passes at most */

typedef struct asgml_probe_eval_options {
    asgml_probe_kind kind;       /* linear (default) or mlp (one hidden layer) */
    int steps;                   /* full-batch Adam steps per probe (300) */
    double lr;                   /* probe Adam learning rate (1e-2) */
    uint64_t seed;               /* probe m is initialised from seed + m (0) */
    int standardise;             /* 1: z-score features with train statistics */
    int shapley_max;             /* exact Shapley when N <= this (4); 0 = never */
    int batch_size;              /* extraction batch (64) */
    const char *scheme;          /* split scheme; NULL = the store's default */
} asgml_probe_eval_options;

void asgml_probe_eval_defaults(asgml_probe_eval_options *o);

/* Encoder features of one split part, host memory, in evaluation order. */
typedef struct asgml_feature_set {
    int num_modalities, dim;
    int64_t n;
    float *x[ASGML_MAX_MODALITIES];   /* (n, dim) raw (not standardised) */
    int32_t *labels;                  /* (n) */
    int64_t *samples;                 /* (n) store indices */
} asgml_feature_set;
/* Frees the arrays of fs (not fs itself) and zeroes it; NULL is a no-op. */
void asgml_feature_set_free(asgml_feature_set *fs);

typedef struct asgml_probe_fit {
    double train_acc, test_acc, test_f1;
    double train_loss;           /* mean CE of the last training step */
} asgml_probe_fit;

typedef struct asgml_probe_eval_result {
    int num_modalities, num_classes, dim;
    char names[ASGML_MAX_MODALITIES][32];
    int64_t n_train, n_test;
    asgml_probe_fit probe[ASGML_MAX_MODALITIES];
    double fused_acc, fused_f1;           /* all modalities present, test */
    double removed_acc[ASGML_MAX_MODALITIES];  /* modality m zeroed, test */
    int has_shapley;
    double coalition_acc[1u << ASGML_PROBE_EVAL_MAX_SHAPLEY];  /* v(S), test */
    double shapley[ASGML_MAX_MODALITIES];
    asgml_feature_set train, test;        /* raw features (kept on request) */
} asgml_probe_eval_result;

/* Steps 1-3 for a model with loaded weights.  keep_features: leave the raw
 * features in res->train / res->test (free with asgml_probe_eval_result_free). */
asgml_status asgml_probe_eval_model(asgml_backend *be, asgml_model *model, asgml_store *store,
                                    const asgml_transform *tf,
                                    const asgml_probe_eval_options *o, int keep_features,
                                    asgml_probe_eval_result *res);
void asgml_probe_eval_result_free(asgml_probe_eval_result *res);

/* A model and its transforms rebuilt from a checkpoint's resolved
 * configuration (config_json), with the checkpoint's weights loaded. */
typedef struct asgml_probe_subject {
    asgml_model *model;
    int num_modalities;
    asgml_transform *tf;         /* (ASGML_MAX_MODALITIES) transforms, num_modalities used */
    int epochs_completed;
    char method[64];
    char store_checksum[72];
    char scheme[64];             /* data.scheme of the run ("" = store default) */
} asgml_probe_subject;

asgml_status asgml_probe_eval_load(asgml_backend *be, const char *checkpoint,
                                   asgml_store *store, const char *store_path, int max_batch,
                                   asgml_probe_subject *out);
void asgml_probe_eval_unload(asgml_probe_subject *pm);

/* Features export (asgml-probe --features): one HDF5 file written to a
 * temporary name and renamed at commit.  Layout:
 *   /                      attrs format="asgml-features", format_version=1,
 *                          store_checksum, class_names (strings)
 *   /<group>/              attrs checkpoint (path), epochs_completed, method,
 *                          modalities (strings)
 *   /<group>/<part>/labels int32 (n);  /<group>/<part>/sample int64 (n)
 *   /<group>/<part>/<modality>  float32 (n, D) raw encoder features
 * with part "train" and "test". */
typedef struct asgml_features_writer asgml_features_writer;
asgml_status asgml_features_writer_create(const char *path, asgml_store *store,
                                          asgml_features_writer **out);
asgml_status asgml_features_writer_add(asgml_features_writer *w, const char *group,
                                       const char *checkpoint, const asgml_probe_subject *pm,
                                       const asgml_probe_eval_result *res);
asgml_status asgml_features_writer_commit(asgml_features_writer *w);
void asgml_features_writer_abort(asgml_features_writer *w);

/* Reading a features file (report/features_read.c; asgml-report --tsne).
 * asgml_features_index: its class names and groups, the groups ordered by
 * epochs_completed, then name.  asgml_features_read: /group/part/modality
 * as x (n, d) float32 and /group/part/labels (n); free both with free().
 * A missing object or a shape that does not fit is ASGML_EFORMAT naming
 * the file and the object. */
typedef struct asgml_features_group {
    char name[128], method[64];
    int epochs_completed;                               /* -1 when absent */
    int num_modalities;
    char modalities[ASGML_MAX_MODALITIES][32];
} asgml_features_group;

typedef struct asgml_features_index {
    int num_groups, num_classes;
    asgml_features_group *groups;
    char **class_names;                                 /* num_classes strings */
} asgml_features_index;

asgml_status asgml_features_index_read(const char *path, asgml_features_index *out);
void asgml_features_index_free(asgml_features_index *ix);
asgml_status asgml_features_read(const char *path, const char *group, const char *part,
                                 const char *modality, float **x, int32_t **labels,
                                 int64_t *n, int64_t *d);

ASGML_END_DECLS
#endif
