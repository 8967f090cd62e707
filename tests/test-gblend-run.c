/* SPDX-License-Identifier: MIT */
/* test-gblend-run.c - gblend in real runs on the tiny tests/probe-mkstore
 * store (96 samples):
 *  - the copy services it uses (asgml/hooks.h): asgml_copy_evaluate of a
 *    fresh copy equals asgml_step_evaluate of the main model on "val";
 *    zeroing the visual input leaves the audio head's loss bit-identical and
 *    changes the fused and visual losses; asgml_copy_last_epoch_loss counts
 *    the epoch's batches;
 *  - an interrupt that arrives DURING a trial (the flag is raised inside
 *    gblend's epoch_begin of epoch 2, while the copies train, as SIGINT
 *    would): the run stops after that step, is resumed from the checkpoint
 *    of epoch 1, re-runs the trial and ends bit-identical to the
 *    uninterrupted run, with the same weights in every epoch.
 * The method is gblend's own ops under the name "t-gblend" with wrappers
 * that observe (asgml_method_add_extra). */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/config.h"
#include "asgml/hooks.h"
#include "asgml/train.h"
#include "tap.h"

#define NE 4
static char g_dir[256], g_store[320];
static asgml_method_ops t_ops;
static const asgml_method_ops *gb;
static volatile sig_atomic_t g_flag;
static int g_int_epoch = -1, g_svc;
static double g_w[NE][3];
static float *g_params;
static int64_t g_np;
/* service checks */
static double g_lv_main = NAN, g_l[3], g_lz[3], g_train_loss = NAN;
static int g_nb = -1, g_nb_expect = -2;

static asgml_status w_epoch_begin(void *st, asgml_step *s)
{
    asgml_status rc = gb->epoch_begin(st, s);
    if (s->epoch == g_int_epoch)
        g_flag = 1;            /* "SIGINT" while the copies trained */
    return rc;
}

static asgml_status w_before_backward(void *st, asgml_step *s)
{
    asgml_status rc = gb->before_backward(st, s);
    if (s->batch == 0 && s->epoch < NE) {
        g_w[s->epoch][0] = s->fused_weight;
        g_w[s->epoch][1] = s->uni_weight[0];
        g_w[s->epoch][2] = s->uni_weight[1];
    }
    return rc;
}

static asgml_status svc_checks(asgml_step *s)
{
    asgml_copy *c = NULL;
    int zero[2] = { 0, 1 };
    double acc;
    asgml_status rc = asgml_step_evaluate(s, NULL, "val", &g_lv_main, &acc);
    if (!rc) rc = asgml_step_copy_create(s, 77, &c);
    if (!rc) rc = asgml_copy_evaluate(c, "val", g_l, NULL, NULL);
    if (!rc) rc = asgml_copy_set_zero_input(c, zero);
    if (!rc) rc = asgml_copy_evaluate(c, "val", g_lz, NULL, NULL);
    if (!rc) rc = asgml_copy_set_zero_input(c, NULL);
    if (!rc) rc = asgml_copy_train_epochs(c, 1, 1.0f, NULL);
    if (!rc) {
        g_train_loss = asgml_copy_last_epoch_loss(c, &g_nb);
        g_nb_expect = asgml_step_train_batches(s);
    }
    asgml_copy_free(c);
    return rc;
}

static asgml_status w_epoch_end(void *st, asgml_step *s)
{
    asgml_status rc = gb->epoch_end(st, s);
    if (rc == ASGML_OK && g_svc && s->epoch == 0)
        rc = svc_checks(s);
    if (s->epoch == s->num_epochs - 1) {
        const float *p = asgml_model_params(s->model);
        g_np = asgml_model_num_params(s->model);
        free(g_params);
        g_params = malloc((size_t)g_np * sizeof(float));
        if (!g_params)
            return ASGML_ENOMEM;
        rc = s->be->ops->to_host(s->be, g_params, p, (size_t)g_np * sizeof(float));
    }
    return rc;
}

static asgml_status run(const char *out, int resume, const char *const *sets,
                        asgml_run_status *rs)
{
    static const char *const defaults[] = {
        "model.width=4", "data.batch-size=16", "backend.threads=2", "optim.lr=0.05",
        "train.checkpoint-every=1", "gblend.epochs=1", "gblend.every=2", NULL
    };
    char path[600];
    asgml_config *c;
    asgml_train *t = NULL;
    asgml_train_options o;
    asgml_status st;
    snprintf(path, sizeof path, "%s/%s", g_dir, out);
    if ((st = asgml_config_create(&c)))
        return st;
    st = asgml_config_set(c, "method", "t-gblend", "test");
    if (!st) st = asgml_config_set(c, "train.epochs", "4", "test");    /* NE */
    for (int i = 0; defaults[i] && !st; i++)
        st = asgml_config_set_assignment(c, defaults[i], "test");
    for (int i = 0; sets && sets[i] && !st; i++)
        st = asgml_config_set_assignment(c, sets[i], "test");
    memset(&o, 0, sizeof o);
    o.resume = resume;
    o.store_path = g_store;
    o.out_dir = path;
    o.interrupt = &g_flag;
    g_flag = 0;
    if (!st) st = asgml_train_create(c, &o, &t);
    if (!st) st = asgml_train_run(t, rs);
    if (st)
        tap_diag("%s: %s", out, asgml_last_error());
    asgml_train_free(t);
    asgml_config_free(c);
    return st;
}

int main(void)
{
    const char *bd = getenv("top_builddir");
    char cmd[800];
    asgml_run_status rs;
    asgml_status st;
    double w_ref[NE][3];
    float *p_ref = NULL;
    int64_t np_ref;

    tap_plan(9);
    snprintf(g_dir, sizeof g_dir, "/tmp/test-gblend-run.XXXXXX");
    if (!mkdtemp(g_dir))
        tap_skip_all("no temporary directory");
    snprintf(g_store, sizeof g_store, "%s/tiny.h5", g_dir);
    snprintf(cmd, sizeof cmd, "'%s/tests/probe-mkstore' '%s' 96 >/dev/null 2>&1",
             bd ? bd : ".", g_store);
    if (system(cmd) != 0) {
        tap_diag("tests/probe-mkstore failed");
        ok(0, "tiny store");
        return tap_done();
    }
    if (!(gb = asgml_method_find("gblend"))) {
        ok(0, "gblend is registered");
        return tap_done();
    }
    t_ops = *gb;
    t_ops.name = "t-gblend";
    t_ops.epoch_begin = w_epoch_begin;
    t_ops.before_backward = w_before_backward;
    t_ops.epoch_end = w_epoch_end;
    asgml_method_add_extra(&t_ops);

    /* ---- services, and the uninterrupted reference run ---- */
    g_svc = 1;
    st = run("ref", 0, NULL, &rs);
    g_svc = 0;
    ok(st == ASGML_OK && rs == ASGML_RUN_COMPLETE, "reference run (4 epochs, n = 1, every 2)");
    ok(g_lv_main == g_l[0] && isfinite(g_l[1]) && isfinite(g_l[2]),
       "copy: CE(z) on val equals the main model's (%.9g, %.9g)", g_l[0], g_lv_main);
    ok(g_lz[1] == g_l[1] && g_lz[0] != g_l[0] && g_lz[2] != g_l[2],
       "copy, visual input zeroed: audio head loss identical, fused and visual changed");
    ok(g_nb == g_nb_expect && g_nb > 0 && g_train_loss > 0 && isfinite(g_train_loss),
       "copy: last epoch's running loss over %d batches (%.4g)", g_nb, g_train_loss);
    ok(g_w[2][0] != g_w[0][0] && g_w[1][0] == g_w[0][0] && g_w[3][0] == g_w[2][0],
       "weights re-estimated at epochs 0 and 2 only");
    memcpy(w_ref, g_w, sizeof w_ref);
    p_ref = g_params;
    np_ref = g_np;
    g_params = NULL;

    /* ---- interrupt during the trial of epoch 2, then resume ---- */
    memset(g_w, 0, sizeof g_w);
    g_int_epoch = 2;
    st = run("int", 0, NULL, &rs);
    g_int_epoch = -1;
    ok(st == ASGML_OK && rs == ASGML_RUN_INTERRUPTED,
       "interrupted while the copies of epoch 2 trained");
    st = run("int", 1, NULL, &rs);
    ok(st == ASGML_OK && rs == ASGML_RUN_COMPLETE, "resumed");
    ok(memcmp(g_w[2], w_ref[2], sizeof w_ref[2]) == 0 &&
       memcmp(g_w[3], w_ref[3], sizeof w_ref[3]) == 0,
       "re-run trial: the same weights in epochs 2 and 3");
    ok(g_params && p_ref && g_np == np_ref &&
       memcmp(g_params, p_ref, (size_t)np_ref * sizeof(float)) == 0,
       "resumed run's final parameters bit-identical to the uninterrupted run");
    free(p_ref);
    free(g_params);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", g_dir);
    return tap_done();
}
