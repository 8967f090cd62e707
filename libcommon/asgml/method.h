/* asgml/method.h - training methods as gradient hooks (methods.md 1.6).
 *
 * One interface; one file per method (libcommon/method_<name>.c); a
 * registry line in method_registry.c.  The training loop calls, per batch:
 *
 *   H5 epoch_begin (first batch of an epoch)
 *   forward
 *   H1 before_backward: choose loss terms (uni_weight) and the encoders that
 *      take part (encoder_active)
 *   loss + backward (loop)          -> grad_norm_pre filled by the loop
 *   H2 modulate: change encoder gradients in place (order: OGM-GE, ASGML,
 *      boost — methods are sorted by h2_rank, whatever the order on the
 *      command line)
 *   H3 optimiser step; encoder_active[m] == 0 leaves encoder m untouched
 *   H4 after_step: statistics, probes, auxiliary models
 *   H5 epoch_end (after the last batch and the evaluation of the epoch,
 *      before the LR schedule steps; test_acc is that evaluation)
 *
 * A composition "a+b" runs every hook of a, then of b (sorted by h2_rank).
 * Methods record their per-step signals with asgml_log_*(). */
#ifndef ASGML_METHOD_H
#define ASGML_METHOD_H

#include "asgml/config.h"
#include "asgml/model.h"

ASGML_BEGIN_DECLS

/* A JSON-lines record under construction (one per step or epoch). */
typedef struct asgml_log_record asgml_log_record;
void asgml_log_num(asgml_log_record *r, const char *key, double v);
void asgml_log_int(asgml_log_record *r, const char *key, int64_t v);
void asgml_log_str(asgml_log_record *r, const char *key, const char *v);
asgml_log_record *asgml_log_record_create(void);     /* NULL on allocation failure */
void asgml_log_record_free(asgml_log_record *r);
void asgml_log_record_clear(asgml_log_record *r);
/* The record as one JSON object (keys in insertion order), no newline;
 * valid until the next change; NULL on allocation failure. */
const char *asgml_log_record_json(asgml_log_record *r);
/* Value of a numeric key recorded so far (tests); 0 if present. */
int asgml_log_record_get(const asgml_log_record *r, const char *key, double *v);

/* Named arrays for checkpoints (method state, probe weights, buffers). */
typedef struct asgml_state_io asgml_state_io;
/* In-memory state container (checkpoint.c writes/reads it to HDF5). */
asgml_state_io *asgml_state_io_create(asgml_backend *be);
void asgml_state_io_free(asgml_state_io *io);
asgml_status asgml_state_put(asgml_state_io *io, const char *name, const double *v, int64_t n);
/* Fails with ASGML_EFORMAT if the name is absent or the length differs. */
asgml_status asgml_state_get(asgml_state_io *io, const char *name, double *v, int64_t n);
/* float data that lives in backend memory (probe weights, stale buffers) */
asgml_status asgml_state_put_f32(asgml_state_io *io, const char *name, const float *backend_ptr, int64_t n);
asgml_status asgml_state_get_f32(asgml_state_io *io, const char *name, float *backend_ptr, int64_t n);

typedef struct asgml_step {
    asgml_backend *be;
    asgml_model *model;
    int num_modalities, num_classes;
    const char *modality_names[ASGML_MAX_MODALITIES];
    int epoch, num_epochs;          /* 0-based */
    int batch, batches_per_epoch;   /* 0-based within the epoch */
    int64_t step;                   /* global optimiser step t, from 0 */
    int batch_size;                 /* B of this batch */
    const int32_t *labels;          /* host (B) */
    const int32_t *labels_dev;      /* backend memory (B) */
    uint64_t seed;                  /* run seed */
    uint64_t *noise_offset;         /* Philox counter, advance by what you draw */

    /* H1: set by methods (the loop pre-fills the defaults) */
    float uni_weight[ASGML_MAX_MODALITIES];   /* weight of CE(u_m); heads provider */
    int encoder_active[ASGML_MAX_MODALITIES]; /* 0: no gradient, no update this step */

    /* filled by the loop after forward / backward */
    double loss, ce_fused, ce_uni[ASGML_MAX_MODALITIES];
    double grad_norm_pre[ASGML_MAX_MODALITIES];  /* ||encoder-m grad||, before H2 */
    double batch_acc;

    /* epoch hooks: evaluation results of the finished epoch (epoch_end) */
    double test_acc, test_acc_uni[ASGML_MAX_MODALITIES];

    asgml_log_record *log;          /* this step's record */
} asgml_step;

enum { ASGML_NEEDS_UNI_SPLIT = 1u, ASGML_NEEDS_UNI_HEADS = 2u, ASGML_SINGLE_MODALITY = 4u };

typedef struct asgml_method_ops {
    const char *name;        /* "ogm-ge" */
    const char *summary;     /* one line for --help / --list-methods */
    unsigned needs;          /* ASGML_NEEDS_* : the loop configures the model */
    int h2_rank;             /* order of modulate() in a composition */
    /* Read hyper-parameters from cfg (keys "<name>.<param>", defaults
     * registered by reading them). */
    asgml_status (*create)(asgml_config *cfg, const asgml_model_config *mc, void **state);
    void (*destroy)(void *state);
    asgml_status (*epoch_begin)(void *state, asgml_step *s);
    asgml_status (*before_backward)(void *state, asgml_step *s);
    asgml_status (*modulate)(void *state, asgml_step *s);
    asgml_status (*after_step)(void *state, asgml_step *s);
    asgml_status (*epoch_end)(void *state, asgml_step *s);
    asgml_status (*save)(void *state, asgml_state_io *io);
    asgml_status (*load)(void *state, asgml_state_io *io);
} asgml_method_ops;

/* Every hook of a registered method is non-NULL (a method without an
 * action at a hook has a function that does nothing). */
const asgml_method_ops *asgml_method_find(const char *name);
int asgml_method_count(void);
const asgml_method_ops *asgml_method_at(int i);

/* The modality of the `unimodal` method: config key "unimodal.modality"
 * (default "audio").  The loop builds a one-encoder model for it. */
asgml_status asgml_unimodal_modality(asgml_config *cfg, const char **name);

ASGML_END_DECLS
#endif
