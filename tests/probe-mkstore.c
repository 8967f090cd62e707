/* SPDX-License-Identifier: MIT */
/* probe-mkstore.c - writes a tiny synthetic store for the asgml-probe and
 * grid tests (make check never runs Python).
 *
 *   probe-mkstore OUT.h5 [N [M [I:K:V]]]
 *
 * N samples (default 160, a multiple of 4), 4 classes (label = i % 4),
 * split "main": train = the first 3/4 of the indices, test = the rest.
 *   audio/spec  (8, 8) float32: row 2c+1 of class c carries +3, plus
 *               N(0, 0.5^2) noise everywhere - the strong modality;
 *   visual/image (8, 8) uint8: column block of a class chosen as the true
 *               class with probability 1/2, else uniformly among all 4
 *               (a "mismatched" image), plus noise - the weak modality.
 * M = 3 (default 2) adds depth/spec (8, 8) float32: row 2c of class c
 *               carries +1, plus N(0, 1) noise - a third, weaker modality
 *               (its own generator, so the first two are the same as with
 *               M = 2).
 * I:K:V (issue 13, tests/nonfinite-data.sh) sets element K of sample I's
 *               audio/spec to V (nan, inf or -inf) after the draws, so the
 *               rest of the store is unchanged.
 * Deterministic (xorshift64*, fixed seed): the same file every time. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/store_write.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static double uniform01(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

static double gauss(void)
{
    double u = uniform01(), v = uniform01();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

/* the third modality's stream (M = 3) */
static uint64_t rng3 = 0x9e3779b97f4a7c15ull;

static double gauss3(void)
{
    uint64_t save = rng;
    double g;
    rng = rng3;
    g = gauss();
    rng3 = rng;
    rng = save;
    return g;
}

int main(int argc, char **argv)
{
    enum { C = 4, F = 8, T = 8 };
    const char *classes[C] = {"zero", "one", "two", "three"};
    const char *mods[3] = {"audio", "visual", "depth"};
    int n = argc > 2 ? atoi(argv[2]) : 160, nmod = argc > 3 ? atoi(argv[3]) : 2;
    asgml_store_writer *w = NULL;
    asgml_status st;
    int32_t *labels, *train, *test;
    char **ids;
    int hs = -1, hi = -1, hd = -1, ntr, nte, bad_i = -1, bad_k = 0;
    float bad_v = 0;
    int64_t dn, dtr, dte, sshape[2] = {F, T}, ishape[2] = {F, T};

    if (argc > 4) {
        char v[8];
        if (sscanf(argv[4], "%d:%d:%7s", &bad_i, &bad_k, v) != 3 || bad_i < 0 || bad_i >= n ||
            bad_k < 0 || bad_k >= F * T)
            bad_i = -2;
        else if (!strcmp(v, "nan"))
            bad_v = NAN;
        else if (!strcmp(v, "inf") || !strcmp(v, "-inf"))
            bad_v = *v == '-' ? -INFINITY : INFINITY;
        else
            bad_i = -2;
    }
    if (argc < 2 || n < 8 || n % 4 != 0 || nmod < 2 || nmod > 3 || bad_i == -2) {
        fprintf(stderr, "usage: probe-mkstore OUT.h5 [N, a multiple of 4 >= 8 [M, 2 or 3 "
                        "[I:K:nan|inf|-inf]]]\n");
        return 2;
    }
    ntr = n / 4 * 3;
    nte = n - ntr;
    dn = n;
    dtr = ntr;
    dte = nte;
    labels = malloc((size_t)n * sizeof *labels);
    train = malloc((size_t)ntr * sizeof *train);
    test = malloc((size_t)nte * sizeof *test);
    ids = malloc((size_t)n * sizeof *ids);
    if (!labels || !train || !test || !ids)
        return 1;
    for (int i = 0; i < n; i++) {
        labels[i] = i % C;
        ids[i] = malloc(16);
        if (!ids[i])
            return 1;
        snprintf(ids[i], 16, "s%05d", i);
        if (i < ntr)
            train[i] = i;
        else
            test[i - ntr] = i;
    }
    st = asgml_sw_create(argv[1], &w);
    if (!st) st = asgml_sw_attr_str(w, "/", "format", "asgml-store");
    if (!st) st = asgml_sw_attr_i64(w, "/", "format_version", 1);
    if (!st) st = asgml_sw_attr_str(w, "/", "dataset", "probe-toy");
    if (!st) st = asgml_sw_attr_str(w, "/", "default_split", "main");
    if (!st) st = asgml_sw_attr_strs(w, "/", "modalities", mods, nmod);
    if (!st) st = asgml_sw_write_strings(w, "/meta/id", (const char *const *)ids, n, 1);
    if (!st) st = asgml_sw_write_array(w, "/meta/label", ASGML_SW_I32, 1, &dn, labels);
    if (!st) st = asgml_sw_write_strings(w, "/meta/class_names", classes, C, 0);
    if (!st) st = asgml_sw_write_array(w, "/splits/main/train", ASGML_SW_I32, 1, &dtr, train);
    if (!st) st = asgml_sw_write_array(w, "/splits/main/test", ASGML_SW_I32, 1, &dte, test);
    if (!st) st = asgml_sw_attr_str(w, "/audio", "sample_dataset", "spec");
    if (!st) st = asgml_sw_attr_str(w, "/visual", "sample_dataset", "image");
    if (!st) st = asgml_sw_sample_dataset(w, "/audio/spec", ASGML_SW_F32, 2, sshape, n, 0, 0, &hs);
    if (!st) st = asgml_sw_sample_dataset(w, "/visual/image", ASGML_SW_U8, 2, ishape, n, 0, 0, &hi);
    if (!st && nmod == 3) st = asgml_sw_attr_str(w, "/depth", "sample_dataset", "spec");
    if (!st && nmod == 3)
        st = asgml_sw_sample_dataset(w, "/depth/spec", ASGML_SW_F32, 2, sshape, n, 0, 0, &hd);
    for (int i = 0; !st && i < n; i++) {
        float spec[F * T];
        uint8_t img[F * T];
        int c = labels[i], shown = uniform01() < 0.5 ? c : (int)(uniform01() * C) % C;
        for (int k = 0; k < F * T; k++) {
            spec[k] = (float)(0.5 * gauss() + (k / T == 2 * c + 1 ? 3.0 : 0.0));
            double px = 40.0 + 30.0 * gauss() + ((k % T) / 2 == shown ? 150.0 : 0.0);
            img[k] = (uint8_t)(px < 0 ? 0 : px > 255 ? 255 : px);
        }
        if (i == bad_i)
            spec[bad_k] = bad_v;
        st = asgml_sw_write_sample(w, hs, i, spec);
        if (!st) st = asgml_sw_write_sample(w, hi, i, img);
        if (!st && nmod == 3) {
            float dep[F * T];
            for (int k = 0; k < F * T; k++)
                dep[k] = (float)(gauss3() + (k / T == 2 * c ? 1.0 : 0.0));
            st = asgml_sw_write_sample(w, hd, i, dep);
        }
    }
    if (st) {
        asgml_sw_abort(w);
    } else {
        st = asgml_sw_commit(w, NULL);
    }
    for (int i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    free(labels);
    free(train);
    free(test);
    if (st) {
        fprintf(stderr, "probe-mkstore: %s\n", asgml_last_error());
        return 1;
    }
    return 0;
}
