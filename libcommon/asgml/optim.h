/* SPDX-License-Identifier: MIT */
/* asgml/optim.h - optimisers (exact PyTorch semantics) and LR schedules.
 * One flat loop over the model's parameter buffer, per named view, so a
 * view whose group is inactive in a step is left entirely untouched (no
 * decay, no momentum), as asgml-methods(7), OPTIMISER AND SCHEDULE requires. */
#ifndef ASGML_OPTIM_H
#define ASGML_OPTIM_H

#include "asgml/model.h"

ASGML_BEGIN_DECLS

typedef enum { ASGML_OPTIM_SGD = 0, ASGML_OPTIM_ADAM, ASGML_OPTIM_ADAMW } asgml_optim_kind;

typedef struct asgml_optim_config {
    asgml_optim_kind kind;
    double lr;                 /* base learning rate */
    double momentum, dampening, weight_decay;
    int nesterov;
    double beta1, beta2, eps;
    /* per-group multiplier of the lr: [0..N-1] encoders, [ASGML_GROUP_FUSION],
     * [ASGML_GROUP_HEADS]; 0 means 1.0 */
    double group_lr_mult[ASGML_GROUP_HEADS + 1];
} asgml_optim_config;

void asgml_optim_config_defaults(asgml_optim_config *c); /* SGD 1e-3, 0.9, wd 1e-4 */

typedef struct asgml_optim asgml_optim;
asgml_status asgml_optim_create(asgml_model *model, const asgml_optim_config *cfg,
                                asgml_optim **out);
void asgml_optim_free(asgml_optim *o);
/* One step over every parameter view.  active[m] (NULL = all) == 0 skips
 * encoder m and modality m's unimodal head this step. */
asgml_status asgml_optim_step(asgml_optim *o, const int *active);
/* The same with separate masks: enc_active[m] == 0 skips encoder m,
 * head_active[m] == 0 modality m's unimodal head (a head without gradient
 * this step is not touched at all: no momentum, no weight decay;
 * methods.md 1.5).  Either may be NULL (none skipped). */
asgml_status asgml_optim_step_groups(asgml_optim *o, const int *enc_active,
                                     const int *head_active);
void asgml_optim_set_lr(asgml_optim *o, double base_lr);   /* group multipliers apply */
double asgml_optim_group_lr(const asgml_optim *o, int group);
/* State for checkpoints: momentum / Adam moments (backend memory, same
 * layout as the parameters; NULL when unused) and per-view step counts. */
float *asgml_optim_state_buffer(asgml_optim *o, int which /* 0: momentum or m, 1: v */);
int64_t *asgml_optim_view_steps(asgml_optim *o);   /* host, one per param view */

typedef enum { ASGML_SCHED_CONSTANT = 0, ASGML_SCHED_STEP, ASGML_SCHED_MULTISTEP, ASGML_SCHED_COSINE,
               ASGML_SCHED_PLATEAU } asgml_sched_kind;
typedef struct asgml_schedule {
    asgml_sched_kind kind;
    int step_size;             /* StepLR */
    double gamma;              /* StepLR / MultiStepLR factor */
    int milestones[16];        /* MultiStepLR, epochs, ascending */
    int num_milestones;
    int t_max;                 /* cosine: epochs */
    double eta_min;
    /* ReduceLROnPlateau (torch.optim.lr_scheduler): mode max (else min),
     * threshold mode abs (else rel), factor, patience, threshold, cooldown,
     * min_lr, eps */
    int mode_max, threshold_abs, patience, cooldown;
    double factor, threshold, min_lr, eps;
} asgml_schedule;
/* Learning rate for 0-based epoch e (PyTorch closed forms, stepped once per
 * epoch); plateau has no closed form: base_lr (use asgml_plateau). */
double asgml_schedule_lr(const asgml_schedule *s, double base_lr, int epoch);

/* State of a ReduceLROnPlateau schedule (one parameter group). */
typedef struct asgml_plateau {
    double lr;                 /* the lr from now on */
    double best;               /* best metric so far; +-inf before the first step */
    int num_bad_epochs, cooldown_counter;
    int last_epoch;            /* steps taken */
} asgml_plateau;
/* PyTorch's __init__ / _reset: best = mode_worse (inf for min, -inf for max). */
void asgml_plateau_init(const asgml_schedule *s, double lr, asgml_plateau *p);
/* One ReduceLROnPlateau.step(metric) (a NaN metric is never better);
 * returns 1 when it reduced p->lr. */
int asgml_plateau_step(const asgml_schedule *s, asgml_plateau *p, double metric);

ASGML_END_DECLS
#endif
