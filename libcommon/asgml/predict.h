/* SPDX-License-Identifier: MIT */
/* asgml/predict.h - per-sample predictions of a trained model (the engine of
 * asgml-eval(1) and of asgml-report --confusion).
 *
 * asgml_predict runs the model of a checkpoint (asgml_probe_eval_load) in
 * inference mode (BN running statistics, dropout off) over one part of the
 * store's split, in evaluation order (sorted store indices, no
 * augmentation): the same pass, transforms and order as the test
 * evaluation of asgml-train, so the rows' accuracy is the run's test.acc.
 *
 * Files (asgml_predictions_write, chosen by the name's ending; written to a
 * temporary file and renamed, asgml/atomic_file.h):
 *   .tsv  header then one row per sample:
 *         sample id label label_name pred pred_name fused.0 .. fused.C-1
 *         <modality>.0 .. <modality>.C-1 (per modality with unimodal logits);
 *         logits printed with %.9g (float32 round trip)
 *   .h5   attrs format="asgml-predictions", format_version=1, checkpoint,
 *         split, method, epochs_completed;
 *         /sample int64 (n), /id string (n), /label int32 (n), /pred int32 (n),
 *         /class_names string (C), /modalities string (N'),
 *         /logits/fused float32 (n, C), /logits/<modality> float32 (n, C) */
#ifndef ASGML_PREDICT_H
#define ASGML_PREDICT_H

#include "asgml/probe_eval.h"

ASGML_BEGIN_DECLS

typedef struct asgml_predictions {
    int64_t n;
    int num_classes;
    int num_modalities;              /* modalities with unimodal logits (0: none) */
    char names[ASGML_MAX_MODALITIES][32];
    char **class_names;              /* (num_classes) */
    char **ids;                      /* (n) store sample ids */
    int64_t *samples;                /* (n) store indices */
    int32_t *labels, *pred;          /* (n); pred = argmax of fused (first maximum) */
    float *fused;                    /* (n, C) fused logits z */
    float *uni[ASGML_MAX_MODALITIES];   /* (n, C) unimodal logits u_m */
    char checkpoint[1024], split[16], method[64];
    int epochs_completed;            /* -1 when unknown (a TSV file) */
} asgml_predictions;

/* One inference pass of ps->model over part ("train", "val", "test") of
 * scheme (NULL = the run's data.scheme, else the store's default). */
asgml_status asgml_predict(asgml_backend *be, const asgml_probe_subject *ps, asgml_store *store,
                           const char *checkpoint, const char *scheme, const char *part,
                           int batch_size, asgml_predictions *out);
/* PATH ending in .tsv or .h5 (EINVAL otherwise). */
asgml_status asgml_predictions_write(const char *path, const asgml_predictions *p);
/* Reads a file asgml_predictions_write wrote (.tsv or .h5). */
asgml_status asgml_predictions_read(const char *path, asgml_predictions *p);
void asgml_predictions_free(asgml_predictions *p);

ASGML_END_DECLS
#endif
