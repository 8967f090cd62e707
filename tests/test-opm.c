/* SPDX-License-Identifier: MIT */
/* test-opm.c - OPM (asgml-methods(7), OPM; Wei et al. TPAMI 2024, BML_TPAMI2024
 * code/models/Classifier.py calcu_q, Modality_drop) in the training loop on
 * the tiny tests/probe-mkstore store (72 training samples, batch 16: 5 steps, the last of 8):
 *   - drop probabilities from hand-computed scores;
 *   - warm-up covering the run: no drop, bit-identical to baseline;
 *   - forced all-zero masks: every step is skipped (opm.skipped, kept 0, no
 *     encoder gradient, encoders not updated);
 *   - forced masks with some samples dropped in every modality: opm.kept;
 *   - p-exe 0: never executed; opm+ogm-ge: OGM window starts after warm-up. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgml/config.h"
#include "asgml/train.h"
#include "methods/method_opm.h"
#include "tap.h"
#include "trainrun.h"

static char g_dir[256], g_store[320], g_out[400];
static int g_runs;

static asgml_status train(const char *method, const char *const *sets)
{
    snprintf(g_out, sizeof g_out, "%s/run%d", g_dir, g_runs++);
    return trainrun(g_store, g_out, 0, method, sets);
}

static char *slurp(const char *name)
{
    char path[512];
    FILE *f;
    char *buf;
    long n;
    snprintf(path, sizeof path, "%s/%s", g_out, name);
    if (!(f = fopen(path, "rb"))) return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = calloc((size_t)n + 1, 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) buf[0] = 0;
    fclose(f);
    return buf;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* the "ce" values of the step records, concatenated */
static void ce_values(const char *log, char *out, size_t size)
{
    out[0] = 0;
    for (const char *p = log; (p = strstr(p, "\"ce\":")); p++) {
        const char *e = strchr(p, ',');
        size_t len = strlen(out), k = e ? (size_t)(e - p) : 0;
        if (len + k + 1 < size) {
            memcpy(out + len, p, k);
            out[len + k] = 0;
        }
    }
}

int main(void)
{
    const char *bd = getenv("top_builddir");
    char cmd[800], ce_a[8192], ce_b[8192];
    double s[2] = { 3.0, 1.0 }, rho[2], q[2];
    char *log;

    tap_plan(14);
    asgml_opm_drop_probs(2, s, 0.5, 0.5, rho, q);
    ok(rho[0] == 3.0 && fabs(rho[1] - 1.0 / 3.0) < 1e-15, "rho_m = s_m / s_j (N = 2)");
    ok(fabs(q[0] - 0.5 * (1.0 + 0.5 * tanh(2.0))) < 1e-15 && q[1] == 0.0,
       "q = q_base (1 + lambda tanh(rho - 1)) for rho > 1, else 0");
    asgml_opm_drop_probs(2, s, 0.9, 1.0, rho, q);
    ok(q[0] == 1.0, "q clipped to 1");

    snprintf(g_dir, sizeof g_dir, "/tmp/test-opm.XXXXXX");
    if (!mkdtemp(g_dir))
        tap_skip_all("no temporary directory");
    snprintf(g_store, sizeof g_store, "%s/tiny.h5", g_dir);
    snprintf(cmd, sizeof cmd, "'%s/tests/probe-mkstore' '%s' 96 >/dev/null 2>&1", bd ? bd : ".",
             g_store);
    if (system(cmd) != 0)
        tap_skip_all("tests/probe-mkstore failed");

    /* warm-up over the whole run (e <= 5) = baseline */
    ok(train("baseline", NULL) == ASGML_OK, "baseline trains");
    log = slurp("log.jsonl");
    ce_values(log, ce_a, sizeof ce_a);
    free(log);
    ok(train("opm", NULL) == ASGML_OK, "opm trains (warm-up)");
    log = slurp("log.jsonl");
    ce_values(log, ce_b, sizeof ce_b);
    ok(ce_a[0] && strcmp(ce_a, ce_b) == 0 && count(log, "\"opm.executed\":0") == 5 &&
       count(log, "\"opm.q.audio\"") == 5,
       "in the warm-up nothing is dropped, the losses equal baseline's; q logged every step");
    free(log);

    /* every mask 0: the step is skipped and logged */
    static float zeros[6 * 2 * 16];
    const char *const w[] = { "opm.warmup=-1", NULL };
    asgml_opm_force_masks(zeros, 2, 16, 6);
    ok(train("opm", w) == ASGML_OK, "opm trains with all-dropped batches");
    log = slurp("log.jsonl");
    ok(count(log, "\"opm.skipped\":1") == 5 && count(log, "\"opm.kept\":0") == 5,
       "an all-dropped batch skips the step and logs opm.skipped, opm.kept 0");
    ok(count(log, "\"updated.audio\":0") == 5 && count(log, "\"updated.visual\":0") == 5 &&
       count(log, "\"grad_norm.audio\":0,") == 5,
       "skipped steps: no encoder gradient, no encoder update");
    free(log);

    /* masks: sample i dropped in audio when i % 2, in visual when i % 4 == 1 */
    static float some[6 * 2 * 16];
    for (int k = 0; k < 6; k++)
        for (int i = 0; i < 16; i++) {
            some[(k * 2 + 0) * 16 + i] = (float)(i % 2 == 0);
            some[(k * 2 + 1) * 16 + i] = (float)(i % 4 != 1);
        }
    asgml_opm_force_masks(some, 2, 16, 6);
    ok(train("opm", w) == ASGML_OK, "opm trains with forced masks");
    log = slurp("log.jsonl");
    ok(count(log, "\"opm.kept\":12") == 4 && count(log, "\"opm.kept\":6") == 1 && count(log, "\"opm.executed\":1") == 5 &&
       count(log, "\"opm.loss\"") == 5, "kept = samples with any mask 1 (12 of 16, 6 of 8)");
    free(log);
    asgml_opm_force_masks(NULL, 0, 0, 0);

    const char *const p0[] = { "opm.warmup=-1", "opm.p-exe=0", NULL };
    ok(train("opm", p0) == ASGML_OK && (log = slurp("log.jsonl")) &&
       count(log, "\"opm.executed\":0") == 5, "p-exe 0: never executed");
    free(log);

    const char *const og[] = { "opm.warmup=0", NULL };
    ok(train("opm+ogm-ge", og) == ASGML_OK, "opm+ogm-ge trains");
    log = slurp("config.json");
    ok(strstr(log, "\"ogm-ge.start\": 1") && strstr(log, "\"ogm-ge.end\": 60"),
       "opm+ogm-ge: OGM window [warm-up + 1, 60]");
    free(log);

    if (!getenv("OPM_KEEP")) snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", g_dir);
    return tap_done();
}
