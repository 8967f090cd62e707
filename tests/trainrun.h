/* SPDX-License-Identifier: MIT */
/* trainrun.h - one training run from C tests (test-hooks, test-svc,
 * test-opm): the method, then `sets`, then every default key that `sets`
 * left unset, trained on `store` into `out` (resumed when `resume`).
 * Failures are reported as a TAP diagnostic and returned. */
#ifndef ASGML_TESTS_TRAINRUN_H
#define ASGML_TESTS_TRAINRUN_H

#include <stdio.h>
#include <string.h>

#include "asgml/config.h"
#include "asgml/train.h"
#include "tap.h"

/* small runs: width 4, batch 16, one epoch, no checkpoints */
static const char *const trainrun_defaults[] = {
    "model.width=4", "data.batch-size=16", "train.epochs=1", "backend.threads=2",
    "train.checkpoint-every=0", "optim.lr=0.05", NULL
};

static inline asgml_status trainrun(const char *store, const char *out, int resume,
                                    const char *method, const char *const *sets)
{
    asgml_config *c;
    asgml_train *t = NULL;
    asgml_train_options o;
    asgml_run_status rs;
    asgml_status st;
    if ((st = asgml_config_create(&c)))
        return st;
    st = asgml_config_set(c, "method", method, "test");
    for (int i = 0; sets && sets[i] && st == ASGML_OK; i++)
        st = asgml_config_set_assignment(c, sets[i], "test");
    for (int i = 0; trainrun_defaults[i] && st == ASGML_OK; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s", trainrun_defaults[i]);
        *strchr(key, '=') = 0;
        if (!asgml_config_is_set(c, key))
            st = asgml_config_set_assignment(c, trainrun_defaults[i], "test");
    }
    memset(&o, 0, sizeof o);
    o.resume = resume;
    o.store_path = store;
    o.out_dir = out;
    if (st == ASGML_OK)
        st = asgml_train_create(c, &o, &t);
    if (st == ASGML_OK)
        st = asgml_train_run(t, &rs);
    if (st != ASGML_OK)
        tap_diag("%s: %s", method, asgml_last_error());
    asgml_train_free(t);
    asgml_config_free(c);
    return st;
}

#endif
