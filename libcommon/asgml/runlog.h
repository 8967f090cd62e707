/* SPDX-License-Identifier: MIT */
/* asgml/runlog.h - log records: one JSON-lines record per step or epoch
 * (libcommon/train/runlog.c).  Training methods add their per-step
 * signals to the record of the step (asgml_step.log). */
#ifndef ASGML_RUNLOG_H
#define ASGML_RUNLOG_H

#include "asgml/common.h"

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

ASGML_END_DECLS
#endif
