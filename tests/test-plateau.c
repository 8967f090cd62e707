/* SPDX-License-Identifier: MIT */
/* test-plateau.c - the plateau schedule (asgml-train(1) sched.name=plateau)
 * against torch.optim.lr_scheduler.ReduceLROnPlateau: for every case of
 * tests/fixtures/sched/plateau.h5 (tests/fixtures/make_plateau_fixtures.py:
 * defaults, relative and absolute thresholds, cooldown, min_lr clamping,
 * an eps that blocks a reduction, mode max, NaN metrics, factor 0) the
 * metric sequence is fed to asgml_plateau_step and the lr, best,
 * num_bad_epochs and cooldown_counter after every step must equal
 * PyTorch's exactly (the same double operations). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "asgml/optim.h"
#include "h5fixture.h"
#include "tap.h"

static const char *const cases[] = { "defaults", "noisy_patience3", "rel_threshold",
                                     "abs_threshold", "cooldown", "min_lr", "eps_blocks",
                                     "max_mode", "nan", "factor0" };
enum { NCASES = sizeof cases / sizeof cases[0] };

static hid_t file = -1;

static double attr(const char *grp, const char *name)
{
    double v = 0;
    hid_t g = H5Gopen2(file, grp, H5P_DEFAULT);
    hid_t a = g < 0 ? -1 : H5Aopen(g, name, H5P_DEFAULT);
    if (a < 0 || H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0) {
        printf("Bail out! attribute %s/%s\n", grp, name);
        exit(1);
    }
    H5Aclose(a);
    H5Gclose(g);
    return v;
}

static void *rd(const char *grp, const char *name, hid_t type, size_t *n)
{
    void *buf = h5fix_read(file, grp, name, type, n);
    if (!buf) {
        printf("Bail out! %s/%s missing from the fixture\n", grp, name);
        exit(1);
    }
    return buf;
}

/* same double, or both NaN / same infinity */
static int same(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char path[1024];
    int reductions = 0;

    tap_plan(NCASES + 1);
    snprintf(path, sizeof path, "%s/tests/fixtures/sched/plateau.h5", top ? top : ".");
    file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        printf("Bail out! cannot open %s\n", path);
        return 1;
    }
    for (int c = 0; c < NCASES; c++) {
        const char *g = cases[c];
        asgml_schedule s;
        asgml_plateau p;
        size_t n;
        memset(&s, 0, sizeof s);
        s.kind = ASGML_SCHED_PLATEAU;
        s.mode_max = (int)attr(g, "mode_max");
        s.threshold_abs = (int)attr(g, "threshold_abs");
        s.factor = attr(g, "factor");
        s.patience = (int)attr(g, "patience");
        s.threshold = attr(g, "threshold");
        s.cooldown = (int)attr(g, "cooldown");
        s.min_lr = attr(g, "min_lr");
        s.eps = attr(g, "eps");
        double *metric = rd(g, "metric", H5T_NATIVE_DOUBLE, &n);
        double *lr = rd(g, "lr", H5T_NATIVE_DOUBLE, NULL), *best = rd(g, "best", H5T_NATIVE_DOUBLE, NULL);
        int32_t *bad = rd(g, "num_bad_epochs", H5T_NATIVE_INT32, NULL);
        int32_t *cool = rd(g, "cooldown_counter", H5T_NATIVE_INT32, NULL);
        int good = 1, here = 0;
        asgml_plateau_init(&s, attr(g, "lr0"), &p);
        good &= p.lr == attr(g, "lr0") && isinf(p.best) && (p.best > 0) == !s.mode_max;
        for (size_t i = 0; i < n; i++) {
            double before = p.lr;
            int red = asgml_plateau_step(&s, &p, metric[i]);
            if (!same(p.lr, lr[i]) || !same(p.best, best[i]) || p.num_bad_epochs != bad[i] ||
                p.cooldown_counter != cool[i] || red != (p.lr != before) ||
                p.last_epoch != (int)i + 1) {
                tap_diag("%s step %zu: lr %.17g vs %.17g, best %.17g vs %.17g, bad %d vs %d, "
                         "cooldown %d vs %d", g, i, p.lr, lr[i], p.best, best[i],
                         p.num_bad_epochs, bad[i], p.cooldown_counter, cool[i]);
                good = 0;
            }
            here += red;
        }
        reductions += here;
        ok(good, "%s: %zu steps, lr / best / num_bad_epochs / cooldown_counter equal "
           "ReduceLROnPlateau's (%d reductions)", g, n, here);
        free(metric);
        free(lr);
        free(best);
        free(bad);
        free(cool);
    }
    ok(reductions >= 20, "the fixture exercises %d reductions", reductions);
    H5Fclose(file);
    return tap_done();
}
