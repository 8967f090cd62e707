/* SPDX-License-Identifier: MIT */
/* probe_set.h - one decoupled probe per modality and the EMA of its
 * accuracy (private).  Used by the v1 scheduler (signal source probe/both)
 * and by asgml-boost; reference: VuVoCodes/AsynchronousFunction
 * src/models/probes.py (ProbeManager).
 *
 * The probes live in backend memory and are created at the first hook,
 * the first time a backend and the run seed are known; state loaded
 * before that is kept on the host and uploaded at creation. */
#ifndef ASGML_METHODS_PROBE_SET_H
#define ASGML_METHODS_PROBE_SET_H

#include "asgml/method.h"
#include "asgml/probe.h"

typedef struct asgml_probe_set {
    int n, in_dim, num_classes, max_batch;
    asgml_probe_kind kind;
    double lr, ema_alpha;
    uint64_t tag;                              /* seed derivation tag */
    int split;                                 /* <prefix>.split-batch (1) */
    char prefix[32];                           /* of the keys and log keys */
    asgml_probe *p[ASGML_MAX_MODALITIES];      /* NULL until bound */
    double ema[ASGML_MAX_MODALITIES];          /* a_m, 0 initially */
    double acc[ASGML_MAX_MODALITIES], loss[ASGML_MAX_MODALITIES];  /* last probe step */
    int64_t evals;                             /* probe steps so far */
    /* state loaded before the probes existed (host copies) */
    float *pending[ASGML_MAX_MODALITIES];
    double pending_meta[ASGML_MAX_MODALITIES][2];  /* Adam step count, dropout offset */
} asgml_probe_set;

/* Reads "<prefix>.probe-type" (linear|mlp_1layer), "<prefix>.probe-lr",
 * "<prefix>.probe-ema", "<prefix>.split-batch" (on; off: the v2 section 8
 * ablation, probes train and are evaluated on the same B rows). */
asgml_status asgml_probe_set_config(asgml_probe_set *ps, asgml_config *cfg, const char *prefix,
                                    const asgml_model_config *mc, uint64_t tag);
void asgml_probe_set_free(asgml_probe_set *ps);
/* Creates the probes (seeded from the run seed) on the first call. */
asgml_status asgml_probe_set_bind(asgml_probe_set *ps, asgml_step *s);
/* One split-batch probe step per modality on this step's detached features
 * (K Adam steps on the first floor(B/2) rows, accuracy on the rest; with
 * split-batch off K steps on all B rows and accuracy on the same rows,
 * logged as "<prefix>.probe.rows" = B), then
 * a_m <- ema_alpha acc_m + (1 - ema_alpha) a_m. */
asgml_status asgml_probe_set_run(asgml_probe_set *ps, asgml_step *s, int steps);
/* [AF] evaluate() (scripts/train.py, ProbeManager.evaluate_probes): the
 * probes in inference mode on the inference-mode features of every sample
 * of `part` ("test"), accuracy acc_m over the whole part, and the same EMA
 * update a_m <- ema_alpha acc_m + (1 - ema_alpha) a_m; no probe training.
 * acc (n) receives acc_m. */
asgml_status asgml_probe_set_eval_part(asgml_probe_set *ps, asgml_step *s, const char *part,
                                       double *acc);
asgml_status asgml_probe_set_save(asgml_probe_set *ps, asgml_state_io *io, const char *prefix);
asgml_status asgml_probe_set_load(asgml_probe_set *ps, asgml_state_io *io, const char *prefix);

#endif
