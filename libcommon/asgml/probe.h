/* SPDX-License-Identifier: MIT */
/* asgml/probe.h - decoupled probes on detached features (asgml-methods(7), PROBES).
 * Shared by asgml-boost (online) and asgml-probe (offline).
 * linear: Linear(D->C); mlp_1layer: Linear(D->256) -> ReLU -> Dropout(0.1)
 * -> Linear(256->C).  PyTorch default init U(-1/sqrt(fan_in), 1/sqrt(fan_in))
 * from a seeded generator; Adam (lr 1e-3, 0.9/0.999, eps 1e-8, no decay).
 * Features are read-only inputs: nothing flows back to an encoder. */
#ifndef ASGML_PROBE_H
#define ASGML_PROBE_H

#include "asgml/backend.h"

ASGML_BEGIN_DECLS

typedef enum { ASGML_PROBE_LINEAR = 0, ASGML_PROBE_MLP = 1 } asgml_probe_kind;

typedef struct asgml_probe asgml_probe;
asgml_status asgml_probe_create(asgml_backend *be, asgml_probe_kind kind, int in_dim,
                                int num_classes, int max_batch, uint64_t seed,
                                double lr, asgml_probe **out);
void asgml_probe_free(asgml_probe *p);
/* `steps` full-batch Adam steps on x (n, D) backend memory, labels (n)
 * backend memory; *last_loss = mean CE of the last step (may be NULL). */
asgml_status asgml_probe_train(asgml_probe *p, const float *x, const int32_t *labels_dev,
                               int n, int steps, double *last_loss);
/* Inference mode: predictions (n) on the host and accuracy vs labels (host). */
asgml_status asgml_probe_predict(asgml_probe *p, const float *x, int n, int32_t *pred_host);
asgml_status asgml_probe_accuracy(asgml_probe *p, const float *x, const int32_t *labels_host,
                                  int n, double *acc);
/* All parameters and Adam state as one float array (for checkpoints). */
int64_t asgml_probe_state_size(const asgml_probe *p);
float *asgml_probe_state(asgml_probe *p);     /* backend memory */
int64_t *asgml_probe_step_count(asgml_probe *p);
/* Philox counter of the MLP dropout masks (advances by ceil(n*256/4) per
 * training step); part of the state a checkpoint must restore. */
uint64_t *asgml_probe_dropout_offset(asgml_probe *p);
int asgml_probe_in_dim(const asgml_probe *p);
/* Copy of asgml_probe_state() into host memory (state_size floats). */
asgml_status asgml_probe_state_to_host(asgml_probe *p, float *host);
/* asgml_probe_state_size() of a probe that does not exist yet (3 * params). */
int64_t asgml_probe_state_size_for(asgml_probe_kind kind, int in_dim, int num_classes);
/* Split-batch probe step (asgml-methods(7), PROBES): h = floor(batch/2); `steps`
 * Adam steps on rows [0, h) of x (batch, D), then the inference-mode
 * accuracy on rows [h, batch) -> *acc; *train_loss = last step's mean CE
 * (may be NULL).  labels_dev / labels_host hold the same (batch) labels. */
asgml_status asgml_probe_split_step(asgml_probe *p, const float *x, const int32_t *labels_dev,
                                    const int32_t *labels_host, int batch, int steps,
                                    double *acc, double *train_loss);

ASGML_END_DECLS
#endif
