/* SPDX-License-Identifier: MIT */
/* train_internal.h - state of a training run, shared by train.c (setup,
 * step, evaluation) and train_rundir.c (run directory, checkpoints,
 * resume, summary).  Private to libasgml. */
#ifndef ASGML_TRAIN_INTERNAL_H
#define ASGML_TRAIN_INTERNAL_H

#include <stdio.h>

#include "asgml/method.h"
#include "asgml/optim.h"
#include "asgml/store.h"
#include "asgml/train.h"
#include "data/loader.h"
#include "nn/model_ops.h"

#define ASGML_TRAIN_MAX_METHODS 8

struct asgml_train {
    asgml_config *cfg;
    asgml_train_options opt;
    const char *store_path;

    /* configuration (values point into cfg) */
    const asgml_method_ops *meth[ASGML_TRAIN_MAX_METHODS];   /* sorted by h2_rank */
    void *mstate[ASGML_TRAIN_MAX_METHODS];
    int nmeth, ncreated;
    unsigned needs;
    unsigned cfg_needs;             /* the part of needs from config_needs hooks */
    char method_spec[256];
    const char *composition;   /* "sources" | "planned" | "untested"; NULL: one method */
    uint64_t seed;
    long epochs, batch, log_every, ckpt_every, keep_ckpt, interrupt_after, threads;
    const char *device, *scheme;
    const char *conv_algo;          /* backend.conv-algo: the mode for new conv shapes */
    int deterministic, drop_last, prefetch;
    /* train.log-grad-energy: per epoch, the mean over the (sub-)steps of
     * ||g_m||^2 before H2 (grad_energy.<m>) and after it (grad_energy_post.<m>);
     * sums of the current epoch (reset at every epoch start) */
    int log_grad_energy;
    double ge_pre[ASGML_MAX_MODALITIES], ge_post[ASGML_MAX_MODALITIES], ge_steps;
    /* train.init (asgml-train --init, init_file.c): FILE, strictness, and
     * what the load did (init_sha256 "" when no file was read) */
    const char *init_path;
    int init_strict, init_loaded, init_missing;
    char init_sha256[65];
    int nmod, ntf;
    char mod_names[ASGML_MAX_MODALITIES][32];
    asgml_transform tf[ASGML_MAX_MODALITIES];
    int64_t per_sample[ASGML_MAX_MODALITIES];   /* floats per sample */
    asgml_model_config mc;
    double uni_gamma;
    float uni_default[ASGML_MAX_MODALITIES];    /* H1 default of uni_weight */
    asgml_optim_config oc;
    asgml_schedule sched;
    asgml_plateau plateau;            /* sched.name=plateau: its state (checkpointed) */

    /* objects */
    asgml_store *store;
    asgml_backend *be;
    asgml_model *model;
    asgml_optim *optim;
    asgml_loader *train_ld, *test_ld, *val_ld;

    /* buffers: backend memory (B = batch, C = classes) */
    float *x_dev[ASGML_MAX_MODALITIES];      /* (B, per_sample[m]) */
    float *duni[ASGML_MAX_MODALITIES];       /* (B, C) */
    float *dlogits;                          /* (B, C) */
    int32_t *labels_dev;                     /* (B) */
    /* host */
    float *logits_host, *uni_host[ASGML_MAX_MODALITIES];   /* (B, C) */
    int32_t *pred;                                          /* (B) */

    /* training state (saved in checkpoints) */
    asgml_step step_info;
    uint64_t noise_offset;
    int64_t step;
    double lr;
    int epochs_completed;
    asgml_log_record *rec, *epoch_rec, *best_rec, *last_rec;
    int best_epoch;
    double best_metric;
    /* the epoch of highest test.acc (methods.md 1.7, the sources'
     * best-over-epochs protocol), kept also when best_* is selected on
     * val; best_test_epoch -2: unknown (resumed from a checkpoint written
     * before it was kept), never reported */
    asgml_log_record *best_test_rec;
    int best_test_epoch;
    double best_test_metric;

    /* method services (train/services.c, train/validation.c) */
    model_shadow *shadow[4];                      /* extra forward passes */
    float *zero_x[ASGML_MAX_MODALITIES];          /* (B, per_sample[m]) zeros */
    float *term_buf[ASGML_MAX_MODALITIES + 1];    /* separate-term gradients */
    float *pre_grad;                              /* gradient before the terms */
    float *fmask[ASGML_MAX_MODALITIES];           /* (B, D) feature masks */
    int fmask_on;
    double group_mult[ASGML_GROUP_HEADS + 1];     /* lr multiplier; 0 = schedule */
    int group_lr_set;
    int32_t *hold_train, *hold_val;               /* hold-out (store indices) */
    int64_t n_hold_train, n_hold_val;
    double val_fraction;
    long val_seed;
    asgml_loader *train_eval_ld;                  /* train split, sorted order */
    uint64_t ncopies;
    float *fgrad[ASGML_MAX_MODALITIES];           /* (B, D) extra dL/df_m */
    int fgrad_on;
    asgml_loader *feat_ld;                        /* asgml_step_train_features */
    model_shadow *feat_shadow;
    uint64_t feat_stream;
    float *feat_x[ASGML_MAX_MODALITIES], *feat_host[ASGML_MAX_MODALITIES];

    /* run directory */
    FILE *log;
    int lock_fd;           /* DIR/lock, flock'd for the whole run; 0 without --out */
    long log_bytes;
    double train_seconds, wall_seconds;
    int64_t samples_seen;
};

double asgml_train_now(void);
/* train.c */
asgml_status asgml_train_evaluate(asgml_train *t, asgml_model *model, asgml_loader *ld,
                                  const char *part, asgml_log_record *r, double *acc,
                                  double *loss);
/* services.c */
const asgml_method_ops *asgml_train_find_method(const char *name);
asgml_status asgml_train_services_begin_step(asgml_train *t);
asgml_status asgml_train_services_end_step(asgml_train *t);
asgml_status asgml_train_apply_group_lr(asgml_train *t);
void asgml_train_log_group_lr(asgml_train *t, asgml_log_record *r);
asgml_status asgml_train_term_buffers(asgml_train *t);
asgml_status asgml_train_clear_feature_grad(asgml_train *t);
void asgml_train_services_free(asgml_train *t);
/* train_config.c: the configuration read into t before setup */
asgml_status asgml_train_read_run_config(asgml_train *t);
asgml_status asgml_train_parse_modalities(asgml_train *t, const char *list);
asgml_status asgml_train_read_model_config(asgml_train *t);
asgml_status asgml_train_read_optim_config(asgml_train *t);
/* validation.c */
asgml_status asgml_train_make_holdout(asgml_train *t, const char *scheme);
/* train.init: loads FILE's /params and /buffers into the fresh model by
 * name (init_file.c); sets init_sha256, init_loaded, init_missing. */
asgml_status asgml_train_load_init(asgml_train *t, const char *path, int strict);
/* train_rundir.c */
asgml_status asgml_train_open_rundir(asgml_train *t);
asgml_status asgml_train_log_write(asgml_train *t, asgml_log_record *r);
asgml_status asgml_train_copy_record(asgml_log_record *dst, asgml_log_record *src);
asgml_status asgml_train_save_checkpoint(asgml_train *t);
asgml_status asgml_train_write_summary(asgml_train *t, asgml_run_status status,
                                       const char *error);

#endif
