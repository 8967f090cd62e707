/* SPDX-License-Identifier: MIT */
/* test-init.c - asgml-train --init FILE (key train.init, init_file.c) on the
 * tiny tests/probe-mkstore store, without Python: the init file is written
 * here from a run's checkpoint (its /params and /buffers only, as float64,
 * the layout python/asgml_torch.py writes).
 *
 *  - with optim.lr=1e-30 (updates far below a float's ulp) a run started
 *    from the file ends with the file's parameters (and a run without it
 *    does not);
 *  - summary.json records the file's path, SHA-256 and tensor counts;
 *  - missing key (strict), shape mismatch and unexpected key are EFORMAT
 *    errors naming the file and the tensor; train.init-strict=false keeps
 *    the fresh value of a missing tensor;
 *  - a resumed run ignores train.init (the checkpoint wins). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>
#include <jansson.h>

#include "asgml/model.h"
#include "core/sha256.h"
#include "tap.h"
#include "trainrun.h"

static char g_dir[256], g_store[300];

/* n floats of dataset name in file path (malloc'd), NULL if absent. */
static float *read_ds(const char *path, const char *name, int64_t *n)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), d, sp;
    float *x = NULL;
    if (f < 0)
        return NULL;
    if (H5Lexists(f, name, H5P_DEFAULT) > 0 && (d = H5Dopen2(f, name, H5P_DEFAULT)) >= 0) {
        sp = H5Dget_space(d);
        *n = H5Sget_simple_extent_npoints(sp);
        x = malloc((size_t)*n * sizeof *x + 4);
        if (x && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) < 0) {
            free(x);
            x = NULL;
        }
        H5Sclose(sp);
        H5Dclose(d);
    }
    H5Fclose(f);
    return x;
}

typedef struct copy_ctx {
    hid_t dst;
    const char *group, *skip;
} copy_ctx;

static herr_t copy_one(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    copy_ctx *c = data;
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT), sp = H5Dget_space(d), o;
    int64_t n = H5Sget_simple_extent_npoints(sp);
    double *x = malloc((size_t)n * sizeof *x + 8);
    char full[300];
    (void)info;
    snprintf(full, sizeof full, "%s/%s", c->group, name);
    H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x);
    if (!c->skip || strcmp(c->skip, full) != 0) {
        o = H5Dcreate2(c->dst, full, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5Dwrite(o, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x);
        H5Dclose(o);
    }
    free(x);
    H5Sclose(sp);
    H5Dclose(d);
    return 0;
}

/* out: /params and /buffers of ckpt as float64, without `skip`
 * ("/params/NAME", may be NULL); extra (may be NULL): one more dataset
 * "/params/NAME" of shape (2, 3). */
static int make_init(const char *ckpt, const char *out, const char *skip, const char *extra)
{
    hid_t src = H5Fopen(ckpt, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t dst = H5Fcreate(out, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    static const char *const groups[] = { "/params", "/buffers" };
    if (src < 0 || dst < 0)
        return -1;
    for (int k = 0; k < 2; k++) {
        copy_ctx c = { dst, groups[k], skip };
        hid_t g = H5Gopen2(src, groups[k], H5P_DEFAULT);
        H5Gclose(H5Gcreate2(dst, groups[k], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
        H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, copy_one, &c);
        H5Gclose(g);
    }
    if (extra) {
        hsize_t dims[2] = { 2, 3 };
        double x[6] = { 0 };
        hid_t sp = H5Screate_simple(2, dims, NULL);
        hid_t d = H5Dcreate2(dst, extra, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT,
                             H5P_DEFAULT);
        H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x);
        H5Dclose(d);
        H5Sclose(sp);
    }
    H5Fclose(src);
    H5Fclose(dst);
    return 0;
}

/* Max |a - b| over dataset name of two files; -1 when unreadable. */
static double ds_diff(const char *a, const char *b, const char *name)
{
    int64_t na = 0, nb = 0;
    float *x = read_ds(a, name, &na), *y = read_ds(b, name, &nb);
    double m = -1;
    if (x && y && na == nb) {
        m = 0;
        for (int64_t i = 0; i < na; i++)
            if (fabs((double)x[i] - y[i]) > m)
                m = fabs((double)x[i] - y[i]);
    }
    free(x);
    free(y);
    return m;
}

/* Max |diff| over every /params dataset. */
typedef struct diff_ctx {
    const char *a, *b;
    double max;
} diff_ctx;

static herr_t diff_one(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    diff_ctx *c = data;
    double d;
    char full[300];
    (void)g;
    (void)info;
    snprintf(full, sizeof full, "/params/%s", name);
    d = ds_diff(c->a, c->b, full);
    if (d < 0 || d > c->max)
        c->max = d < 0 ? 1e30 : d;
    return 0;
}

static double params_diff(const char *a, const char *b)
{
    diff_ctx c = { a, b, 0.0 };
    hid_t f = H5Fopen(a, H5F_ACC_RDONLY, H5P_DEFAULT), g;
    if (f < 0)
        return 1e30;
    g = H5Gopen2(f, "/params", H5P_DEFAULT);
    H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, diff_one, &c);
    H5Gclose(g);
    H5Fclose(f);
    return c.max;
}

static void file_hex(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    unsigned char buf[4096];
    uint8_t dig[32];
    asgml_sha256 c;
    size_t n;
    asgml_sha256_init(&c);
    while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
        asgml_sha256_update(&c, buf, n);
    if (f)
        fclose(f);
    asgml_sha256_final(&c, dig);
    asgml_sha256_hex(dig, hex);
}

static asgml_status run(const char *out, int resume, const char *init, const char *const *more)
{
    const char *sets[16];
    char initset[600];
    int k = 0;
    sets[k++] = "train.checkpoint-every=1";
    sets[k++] = "train.keep-checkpoints=0";
    if (init) {
        snprintf(initset, sizeof initset, "train.init=%s", init);
        sets[k++] = initset;
    }
    for (int i = 0; more && more[i]; i++)
        sets[k++] = more[i];
    sets[k] = NULL;
    return trainrun(g_store, out, resume, "baseline", sets);
}

int main(void)
{
    const char *bd = getenv("top_builddir");
    char cmd[900], p[12][400], hex[65];
    static const char *const lr0[] = { "optim.lr=1e-30", NULL };
    static const char *const lr0_lax[] = { "optim.lr=1e-30", "train.init-strict=false", NULL };
    static const char *const two[] = { "train.epochs=2", "train.interrupt-after-epochs=1", NULL };
    static const char *const two_resume[] = { "train.epochs=2", NULL };
    const char *skip = "/params/fusion_module.fc_out.bias";
    json_t *js, *in;
    asgml_status st;

    snprintf(g_dir, sizeof g_dir, "/tmp/test-init.XXXXXX");
    if (!mkdtemp(g_dir))
        tap_skip_all("no temporary directory");
    snprintf(g_store, sizeof g_store, "%s/tiny.h5", g_dir);
    snprintf(cmd, sizeof cmd, "'%s/tests/probe-mkstore' '%s' 64 >/dev/null 2>&1", bd ? bd : ".",
             g_store);
    if (system(cmd) != 0)
        tap_skip_all("tests/probe-mkstore failed");
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    for (int i = 0; i < 12; i++)
        snprintf(p[i], sizeof p[i], "%s/f%d", g_dir, i);
    tap_plan(14);

    /* the source: one trained epoch; its weights as an init file */
    ok(run(p[0], 0, NULL, NULL) == ASGML_OK, "source run");
    snprintf(p[1], sizeof p[1], "%s/init.h5", g_dir);
    snprintf(p[0] + strlen(p[0]), sizeof p[0] - strlen(p[0]), "/ckpt/last.h5");
    ok(make_init(p[0], p[1], NULL, NULL) == 0, "init file written (float64, params and buffers)");

    /* lr 1e-30: the run ends with the file's parameters (zero entries may
     * move by ~1e-30, hence the 1e-12 bound) */
    st = run(p[2], 0, p[1], lr0);
    strcat(p[2], "/ckpt/last.h5");
    ok(st == ASGML_OK && params_diff(p[0], p[2]) <= 1e-12,
       "optim.lr=1e-30 from the init file: every parameter equals the file's (max diff %g)",
       params_diff(p[0], p[2]));
    st = run(p[3], 0, NULL, lr0);
    strcat(p[3], "/ckpt/last.h5");
    ok(st == ASGML_OK && params_diff(p[0], p[3]) > 1e-3,
       "without --init the same run ends elsewhere (max diff %g)", params_diff(p[0], p[3]));

    /* summary.json: path, sha256, counts */
    snprintf(cmd, sizeof cmd, "%s/f2/summary.json", g_dir);
    js = json_load_file(cmd, 0, NULL);
    in = json_object_get(js, "init");
    file_hex(p[1], hex);
    ok(in && !strcmp(json_string_value(json_object_get(in, "path")), p[1]) &&
       !strcmp(json_string_value(json_object_get(in, "sha256")), hex) &&
       json_integer_value(json_object_get(in, "missing")) == 0 &&
       json_integer_value(json_object_get(in, "loaded")) > 10,
       "summary.json: init {path, sha256 %.12s..., loaded, missing 0}", hex);
    json_decref(js);

    /* missing key: an error when strict, the fresh value otherwise */
    snprintf(p[4], sizeof p[4], "%s/missing.h5", g_dir);
    make_init(p[0], p[4], skip, NULL);
    st = run(p[5], 0, p[4], lr0);
    ok(st == ASGML_EFORMAT && strstr(asgml_last_error(), p[4]) &&
       strstr(asgml_last_error(), "fusion_module.fc_out.bias: missing key"),
       "missing key: EFORMAT naming file and tensor (%s)", asgml_last_error());
    st = run(p[6], 0, p[4], lr0_lax);
    strcat(p[6], "/ckpt/last.h5");
    ok(st == ASGML_OK && ds_diff(p[6], p[3], skip) <= 1e-12 &&
       ds_diff(p[0], p[3], skip) > 0 &&
       ds_diff(p[6], p[0], "/params/fusion_module.fc_out.weight") <= 1e-12,
       "train.init-strict=false: the missing tensor keeps its fresh value, the others load");

    /* shape mismatch and unexpected key */
    snprintf(p[7], sizeof p[7], "%s/shape.h5", g_dir);
    make_init(p[0], p[7], skip, skip);
    st = run(p[8], 0, p[7], lr0);
    ok(st == ASGML_EFORMAT &&
       strstr(asgml_last_error(), "fusion_module.fc_out.bias: shape mismatch: (2, 3) in the file"),
       "shape mismatch: EFORMAT with both shapes (%s)", asgml_last_error());
    snprintf(p[9], sizeof p[9], "%s/extra.h5", g_dir);
    make_init(p[0], p[9], NULL, "/params/audio_net.fc.weight");
    st = run(p[10], 0, p[9], lr0);
    ok(st == ASGML_EFORMAT && strstr(asgml_last_error(), "audio_net.fc.weight: unexpected key"),
       "unexpected key: EFORMAT (%s)", asgml_last_error());
    st = run(p[10], 0, g_store, lr0);
    ok(st == ASGML_EFORMAT && strstr(asgml_last_error(), "no /params group"),
       "a file without /params (the store itself): EFORMAT (%s)", asgml_last_error());
    snprintf(cmd, sizeof cmd, "%s/none.h5", g_dir);
    st = run(p[10], 0, cmd, lr0);
    ok(st == ASGML_EIO, "a missing file: EIO (%s)", asgml_last_error());

    /* resume: the checkpoint wins, train.init is not even opened */
    snprintf(p[11], sizeof p[11], "%s/resumed", g_dir);
    st = run(p[11], 0, p[1], two);
    ok(st == ASGML_OK, "an interrupted run from the init file");
    st = run(p[11], 1, cmd, two_resume);
    ok(st == ASGML_OK, "its resume with train.init naming a missing file works");
    snprintf(cmd, sizeof cmd, "%s/summary.json", p[11]);
    js = json_load_file(cmd, 0, NULL);
    in = json_object_get(js, "init");
    ok(in && !strcmp(json_string_value(json_object_get(in, "sha256")), hex) &&
       json_integer_value(json_object_get(js, "epochs_completed")) == 2,
       "the resumed run's summary keeps the sha256 of the file it started from");
    json_decref(js);

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", g_dir);
    return tap_done();
}
