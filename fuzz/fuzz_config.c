/* SPDX-License-Identifier: MIT */
/* fuzz_config.c - libFuzzer harness: the YAML configuration reader.
 *
 * Reaches asgml_config_load_yaml (libcommon/core/config.c) as asgml-train
 * and asgml-probe call it for --config FILE: libyaml's parser, the event
 * walk that turns nested mappings into dotted keys and lists into
 * comma-joined values, key checks, duplicate keys, line numbers.  Then the
 * typed reads a run does (double, int, bool, string: the parsers of
 * core/config.c), the unused-key check with its edit-distance hint, and
 * config.json output.  The input is a file (fuzz_util.h): the reader takes
 * a path. */
#include <stdint.h>
#include <stdio.h>

#include "asgml/config.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_input(data, size, ".yaml");
    asgml_config *c = NULL;

    if (asgml_config_create(&c) != ASGML_OK)
        __builtin_trap();
    if (asgml_config_load_yaml(c, path) == ASGML_OK) {
        double d;
        long l;
        int b;
        const char *s;
        /* keys of every type, as the YAML files of data-recipes/ set them */
        (void)asgml_config_get_double(c, "optim.lr", 0.01, &d);
        (void)asgml_config_get_int(c, "train.epochs", 6, &l);
        (void)asgml_config_get_int(c, "data.batch-size", 64, &l);
        (void)asgml_config_get_bool(c, "data.drop-last", 0, &b);
        (void)asgml_config_get_string(c, "sched.name", "none", &s);
        (void)asgml_config_get_string(c, "data.modalities", "audio,visual", &s);
        (void)asgml_config_ignore_prefix(c, "asgml-boost.");
        (void)asgml_config_check_unused(c);
        FILE *f = fopen("/dev/null", "w");
        if (f) {
            (void)asgml_config_write_json(c, f);
            fclose(f);
        }
        for (int i = 0; i < asgml_config_count(c); i++)
            if (!asgml_config_key(c, i) || !asgml_config_value(c, i))
                __builtin_trap();
    }
    asgml_config_free(c);
    fuzz_remove_input(path);
    return 0;
}
