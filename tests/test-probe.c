/* SPDX-License-Identifier: MIT */
/* test-probe.c - decoupled probes (asgml/probe.h, asgml-methods(7), PROBES) on the
 * CPU backend: a linear and an MLP probe learn a linearly separable toy
 * problem (held-out accuracy > 95 %), the checkpoint state round-trips
 * (a probe re-created with the same seed, as on resume)
 * bit-exactly, and the split-batch step trains on rows [0, B/2) only and
 * scores rows [B/2, B) only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/backend.h"
#include "asgml/probe.h"
#include "tap.h"

#define D 8
#define C 3
#define N 600

static asgml_backend *be;
static uint64_t rng_state = 0x1234567u;

static double urand(void)   /* (0, 1) */
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return ((rng_state >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* labels = argmax of a fixed linear map with a margin; x ~ U(-1, 1)^D */
static void make_data(float *x, int32_t *y, int n)
{
    static const float W[C][D] = {
        { 1.0f, -0.5f, 0.3f, 0.0f, 0.8f, -0.2f, 0.1f, 0.4f },
        { -0.7f, 0.9f, 0.2f, -0.4f, 0.0f, 0.6f, -0.3f, 0.1f },
        { 0.1f, -0.2f, -0.9f, 0.7f, -0.5f, 0.0f, 0.6f, -0.6f },
    };
    for (int i = 0; i < n;) {
        float v[D], z[C];
        for (int j = 0; j < D; j++)
            v[j] = (float)(2.0 * urand() - 1.0);
        int best = 0;
        for (int c = 0; c < C; c++) {
            z[c] = 0;
            for (int j = 0; j < D; j++)
                z[c] += W[c][j] * v[j];
            if (z[c] > z[best])
                best = c;
        }
        float second = -1e30f;
        for (int c = 0; c < C; c++)
            if (c != best && z[c] > second)
                second = z[c];
        if (z[best] - second < 0.15f)
            continue;   /* keep a margin: the problem is separable */
        memcpy(x + (size_t)i * D, v, sizeof v);
        y[i] = best;
        i++;
    }
}

static void die(asgml_status st, const char *what)
{
    if (st != ASGML_OK) {
        printf("Bail out! %s: %s\n", what, asgml_last_error());
        exit(1);
    }
}

static void learn(asgml_probe_kind kind, const char *name, const float *xtr, const int32_t *ytr,
                  const float *xte, const int32_t *yte)
{
    asgml_probe *p;
    double loss0, loss, acc;
    die(asgml_probe_create(be, kind, D, C, N, 42, 1e-2, &p), "create");
    die(asgml_probe_train(p, xtr, ytr, N, 1, &loss0), "train");
    die(asgml_probe_train(p, xtr, ytr, N, 400, &loss), "train");
    die(asgml_probe_accuracy(p, xte, yte, N, &acc), "accuracy");
    ok(acc > 0.95 && loss < loss0, "%s probe: held-out accuracy %.3f > 0.95, loss %.3f -> %.3f",
       name, acc, loss0, loss);
    ok(*asgml_probe_step_count(p) == 401, "%s probe: Adam step count %lld", name,
       (long long)*asgml_probe_step_count(p));
    asgml_probe_free(p);
}

static void round_trip(asgml_probe_kind kind, const char *name, const float *x, const int32_t *y)
{
    asgml_probe *a, *b;
    die(asgml_probe_create(be, kind, D, C, N, 7, 1e-3, &a), "create a");
    die(asgml_probe_create(be, kind, D, C, N, 7, 1e-3, &b), "create b");
    die(asgml_probe_train(a, x, y, N, 5, NULL), "train a");
    int64_t n = asgml_probe_state_size(a);
    float *host = malloc((size_t)n * sizeof(float));
    die(asgml_probe_state_to_host(a, host), "state to host");
    die(be->ops->to_device(be, asgml_probe_state(b), host, (size_t)n * sizeof(float)), "upload");
    *asgml_probe_step_count(b) = *asgml_probe_step_count(a);
    *asgml_probe_dropout_offset(b) = *asgml_probe_dropout_offset(a);
    die(asgml_probe_train(a, x, y, N, 3, NULL), "train a more");
    die(asgml_probe_train(b, x, y, N, 3, NULL), "train b more");
    float *ha = malloc((size_t)n * sizeof(float)), *hb = malloc((size_t)n * sizeof(float));
    asgml_probe_state_to_host(a, ha);
    asgml_probe_state_to_host(b, hb);
    ok(n == asgml_probe_state_size_for(kind, D, C) && memcmp(ha, hb, (size_t)n * sizeof(float)) == 0,
       "%s probe: restored state (%lld floats, step count, dropout offset) continues bit-identically",
       name, (long long)n);
    free(host);
    free(ha);
    free(hb);
    asgml_probe_free(a);
    asgml_probe_free(b);
}

static void split_batch(const float *x, const int32_t *y)
{
    enum { B = 21 };   /* odd: h = 10 train rows, 11 eval rows */
    float xb[B * D];
    int32_t yb[B], yflip[B];
    asgml_probe *p;
    double acc_ok, acc_flip, loss;
    int64_t bad = -1;

    memcpy(xb, x, sizeof xb);
    memcpy(yb, y, sizeof yb);
    /* rows [h, B): NaN features; training must never read them */
    for (int i = B / 2; i < B; i++)
        for (int j = 0; j < D; j++)
            xb[i * D + j] = NAN;
    die(asgml_probe_create(be, ASGML_PROBE_LINEAR, D, C, B, 3, 1e-2, &p), "create");
    die(asgml_probe_split_step(p, xb, yb, yb, B, 10, &acc_ok, &loss), "split step");
    be->ops->nonfinite_count(be, asgml_probe_state_size(p), asgml_probe_state(p), &bad);
    ok(bad == 0 && isfinite(loss), "split batch B = 21: training reads rows [0, 10) only "
       "(NaN rows [10, 21) leave the weights finite)");
    asgml_probe_free(p);

    /* evaluation reads rows [h, B) and labels [h, B) only: a trained probe
     * scores the true labels there; labels flipped only in [0, h) change
     * nothing, flipped in [h, B) drop the accuracy */
    die(asgml_probe_create(be, ASGML_PROBE_LINEAR, D, C, N, 5, 1e-2, &p), "create");
    die(asgml_probe_train(p, x + B * D, y + B, N - B, 300, NULL), "pre-train");
    memcpy(xb, x, sizeof xb);
    for (int i = 0; i < B; i++)
        yflip[i] = i < B / 2 ? (y[i] + 1) % C : y[i];
    die(asgml_probe_split_step(p, xb, yflip, yflip, B, 0, &acc_ok, NULL), "split eval");
    for (int i = 0; i < B; i++)
        yflip[i] = i < B / 2 ? y[i] : (y[i] + 1) % C;
    die(asgml_probe_split_step(p, xb, yflip, yflip, B, 0, &acc_flip, NULL), "split eval 2");
    ok(acc_ok > 0.9 && acc_flip < 0.1,
       "split batch: accuracy on rows [10, 21) only (%.3f with their true labels, %.3f flipped)",
       acc_ok, acc_flip);
    asgml_probe_free(p);
}

int main(void)
{
    asgml_backend_options bo = { 1, 1, -1, 0 };
    float *xtr = malloc(N * D * sizeof(float)), *xte = malloc(N * D * sizeof(float));
    int32_t ytr[N], yte[N];

    die(asgml_backend_create("cpu", &bo, &be), "cpu backend");
    make_data(xtr, ytr, N);
    make_data(xte, yte, N);
    learn(ASGML_PROBE_LINEAR, "linear", xtr, ytr, xte, yte);
    learn(ASGML_PROBE_MLP, "mlp_1layer", xtr, ytr, xte, yte);
    round_trip(ASGML_PROBE_LINEAR, "linear", xtr, ytr);
    round_trip(ASGML_PROBE_MLP, "mlp_1layer", xtr, ytr);
    split_batch(xtr, ytr);
    asgml_probe *p = NULL;
    ok(asgml_probe_create(be, ASGML_PROBE_LINEAR, 0, C, 4, 1, 1e-3, &p) == ASGML_EINVAL && !p,
       "zero input dimension is EINVAL");
    free(xtr);
    free(xte);
    asgml_backend_destroy(be);
    return tap_done();
}
