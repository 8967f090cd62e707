/* SPDX-License-Identifier: MIT */
/* asgml/config.h - run configuration: a flat map of dotted keys.
 *
 * Sources, later ones winning: built-in defaults (registered by the code
 * that reads a key), a YAML file (nested mappings become dotted keys:
 * "optim: {lr: 0.01}" -> "optim.lr"), then --set key=value overrides.
 * Every key read is recorded with its resolved value, so the run directory
 * can hold the full resolved configuration; a key that was set but never
 * read is an error (asgml_config_check_unused), which catches typos. */
#ifndef ASGML_CONFIG_H
#define ASGML_CONFIG_H

#include <stdio.h>
#include "asgml/common.h"

ASGML_BEGIN_DECLS

typedef struct asgml_config asgml_config;

asgml_status asgml_config_create(asgml_config **out);
void asgml_config_free(asgml_config *c);
/* "key=value" or key,value; source names where it came from for messages. */
asgml_status asgml_config_set(asgml_config *c, const char *key, const char *value,
                              const char *source);
asgml_status asgml_config_set_assignment(asgml_config *c, const char *assignment,
                                         const char *source);
asgml_status asgml_config_load_yaml(asgml_config *c, const char *path);
/* Load a resolved config.json written by asgml_config_write_json. */
asgml_status asgml_config_load_json(asgml_config *c, const char *path);

/* Typed reads: value if set, else def (recorded as resolved). A value that
 * does not parse gives ASGML_EINVAL: "SOURCE: key 'k': 'v' is not a number". */
asgml_status asgml_config_get_double(asgml_config *c, const char *key, double def, double *out);
asgml_status asgml_config_get_int(asgml_config *c, const char *key, long def, long *out);
asgml_status asgml_config_get_bool(asgml_config *c, const char *key, int def, int *out);
asgml_status asgml_config_get_string(asgml_config *c, const char *key, const char *def,
                                     const char **out);
int asgml_config_is_set(const asgml_config *c, const char *key);

asgml_status asgml_config_check_unused(const asgml_config *c);
/* Keys that are set, not read, and start with prefix (e.g. "asgml-boost.")
 * are exempt from asgml_config_check_unused: one configuration file can
 * hold the settings of every method of a study, and a run uses only those
 * of its own methods.  Returns how many keys it exempted. */
int asgml_config_ignore_prefix(asgml_config *c, const char *prefix);
/* Sorted resolved keys as one JSON object (values typed as read). */
asgml_status asgml_config_write_json(const asgml_config *c, FILE *f);
/* Iterate resolved keys in sorted order: returns count; key/value by index. */
int asgml_config_count(const asgml_config *c);
const char *asgml_config_key(const asgml_config *c, int i);
const char *asgml_config_value(const asgml_config *c, int i);

/* Shortest decimal text that strtod() reads back as exactly v ("%.Ng" with
 * the least N in 1..17); "nan", "inf", "-inf" for non-finite values.
 * Used for config.json and log.jsonl so identical runs give identical
 * bytes.  Returns the length as snprintf does. */
int asgml_format_double(char *buf, size_t size, double v);

ASGML_END_DECLS
#endif
