/* SPDX-License-Identifier: MIT */
/* init_file.c - the initial weights of asgml-train --init FILE (key
 * train.init, asgml-train(1)): after the seeded initialisation and before
 * the first epoch, every parameter and BN buffer of the model found in FILE
 * by its PyTorch state_dict name replaces the fresh value.
 *
 * FILE is HDF5 with the checkpoint layout (asgml/checkpoint.h):
 *   /params/<name>   float (any HDF5 float type), the model's shape
 *   /buffers/<name>  BN running_mean / running_var
 * so an asgml checkpoint serves as well as the file python/asgml_torch.py
 * writes from a PyTorch state_dict (asgml-python(7)).  Other groups
 * (/optim, /method, /data) are ignored.  "....num_batches_tracked" entries
 * are skipped (asgml keeps no such counter).
 *
 * Checks, all before the model changes: a name of the file that the model
 * lacks ("unexpected key") or a shape that differs ("shape mismatch") is
 * an error; a tensor of the model that the file lacks ("missing key") is
 * an error when strict, else it keeps its fresh value (train.init-strict). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "core/error.h"
#include "core/sha256.h"
#include "train/train_internal.h"

static asgml_status file_sha256(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    unsigned char buf[65536];
    uint8_t dig[32];
    asgml_sha256 c;
    size_t n;
    if (!f)
        return asgml_error(ASGML_EIO, "%s: cannot open the init file", path);
    asgml_sha256_init(&c);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        asgml_sha256_update(&c, buf, n);
    if (ferror(f)) {
        fclose(f);
        return asgml_error(ASGML_EIO, "%s: read error", path);
    }
    fclose(f);
    asgml_sha256_final(&c, dig);
    asgml_sha256_hex(dig, hex);
    return ASGML_OK;
}

static int skipped_name(const char *name)
{
    size_t n = strlen(name), k = strlen(".num_batches_tracked");
    return n >= k && strcmp(name + n - k, ".num_batches_tracked") == 0;
}

static void shape_text(char *out, size_t cap, int nd, const int64_t *shape)
{
    size_t len = (size_t)snprintf(out, cap, "(");
    for (int k = 0; k < nd && len < cap; k++)
        len += (size_t)snprintf(out + len, cap - len, "%s%lld", k ? ", " : "",
                                (long long)shape[k]);
    if (len < cap)
        snprintf(out + len, cap - len, "%s)", nd == 1 ? "," : "");
}

typedef struct unexpected_ctx {
    const asgml_param_view *v;
    int nv;
    const char *path, *group;
    asgml_status st;
} unexpected_ctx;

static herr_t check_member(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    unexpected_ctx *u = data;
    (void)g;
    (void)info;
    if (skipped_name(name))
        return 0;
    for (int i = 0; i < u->nv; i++)
        if (strcmp(u->v[i].name, name) == 0)
            return 0;
    u->st = asgml_error(ASGML_EFORMAT, "%s: %s: unexpected key (%s/%s is no tensor of this "
                        "model: another architecture, width or number of classes?)",
                        u->path, name, u->group, name);
    return 1;
}

/* Reads the views of `group` present in f into host (which holds the
 * model's current values); counts loaded and missing ones. */
static asgml_status read_group(hid_t f, const char *path, const char *group,
                               const asgml_param_view *v, int nv, float *host, int strict,
                               int *loaded, int *missing)
{
    int has_group = H5Lexists(f, group, H5P_DEFAULT) > 0;
    if (has_group) {
        unexpected_ctx u = { v, nv, path, group + 1, ASGML_OK };
        hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
        if (g < 0)
            return asgml_error(ASGML_EFORMAT, "%s: %s is not a group", path, group);
        H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, check_member, &u);
        H5Gclose(g);
        if (u.st != ASGML_OK)
            return u.st;
    }
    for (int i = 0; i < nv; i++) {
        char name[300], want[128], got[128];
        hsize_t dims[8];
        int64_t shape[8];
        int nd, nd_expect = v[i].ndim > 0 ? v[i].ndim : 1, ok = 1;
        hid_t d, sp;
        snprintf(name, sizeof name, "%s/%s", group, v[i].name);
        if (!has_group || H5Lexists(f, name, H5P_DEFAULT) <= 0) {
            if (strict)
                return asgml_error(ASGML_EFORMAT, "%s: %s: missing key (the model has it; "
                                   "train.init-strict=false keeps its fresh value)", path,
                                   v[i].name);
            (*missing)++;
            continue;
        }
        d = H5Dopen2(f, name, H5P_DEFAULT);
        if (d < 0)
            return asgml_error(ASGML_EFORMAT, "%s: %s: not a dataset", path, v[i].name);
        sp = H5Dget_space(d);
        nd = H5Sget_simple_extent_ndims(sp);
        if (nd < 0 || nd > 8)
            nd = 0;
        H5Sget_simple_extent_dims(sp, dims, NULL);
        for (int k = 0; k < nd; k++)
            shape[k] = (int64_t)dims[k];
        if (nd != nd_expect)
            ok = 0;
        for (int k = 0; ok && k < nd; k++)
            if (shape[k] != (v[i].ndim > 0 ? v[i].shape[k] : v[i].numel))
                ok = 0;
        if (!ok) {
            int64_t ms[4];
            for (int k = 0; k < nd_expect; k++)
                ms[k] = v[i].ndim > 0 ? v[i].shape[k] : v[i].numel;
            shape_text(got, sizeof got, nd, shape);
            shape_text(want, sizeof want, nd_expect, ms);
            H5Sclose(sp);
            H5Dclose(d);
            return asgml_error(ASGML_EFORMAT, "%s: %s: shape mismatch: %s in the file, %s in "
                               "the model", path, v[i].name, got, want);
        }
        ok = H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                     host + v[i].offset) >= 0;
        H5Sclose(sp);
        H5Dclose(d);
        if (!ok)
            return asgml_error(ASGML_EFORMAT, "%s: %s: cannot read it as float32", path,
                               v[i].name);
        (*loaded)++;
    }
    return ASGML_OK;
}

asgml_status asgml_train_load_init(asgml_train *t, const char *path, int strict)
{
    int np, nb, loaded = 0, missing = 0;
    const asgml_param_view *pv = asgml_model_param_views(t->model, &np);
    const asgml_param_view *bv = asgml_model_buffer_views(t->model, &nb);
    int64_t n = asgml_model_num_params(t->model), nbuf = asgml_model_num_buffers(t->model);
    float *hp = NULL, *hb = NULL;
    asgml_status st;
    hid_t f;
    CK(file_sha256(path, t->init_sha256));
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return asgml_error(ASGML_EIO, "%s: cannot open (not HDF5?)", path);
    if (H5Lexists(f, "/params", H5P_DEFAULT) <= 0) {
        H5Fclose(f);
        return asgml_error(ASGML_EFORMAT, "%s: no /params group (not an asgml checkpoint or "
                           "init file; see asgml-python(7))", path);
    }
    hp = malloc((size_t)(n > 0 ? n : 1) * sizeof *hp);
    hb = malloc((size_t)(nbuf > 0 ? nbuf : 1) * sizeof *hb);
    if (!hp || !hb)
        st = asgml_error(ASGML_ENOMEM, "%s: out of memory", path);
    else
        st = t->be->ops->to_host(t->be, hp, asgml_model_params(t->model),
                                 (size_t)n * sizeof(float));
    if (st == ASGML_OK && nbuf > 0)
        st = t->be->ops->to_host(t->be, hb, asgml_model_buffers(t->model),
                                 (size_t)nbuf * sizeof(float));
    if (st == ASGML_OK)
        st = read_group(f, path, "/params", pv, np, hp, strict, &loaded, &missing);
    if (st == ASGML_OK)
        st = read_group(f, path, "/buffers", bv, nb, hb, strict, &loaded, &missing);
    H5Fclose(f);
    if (st == ASGML_OK && loaded == 0)
        st = asgml_error(ASGML_EFORMAT, "%s: no tensor of this model in the file", path);
    /* every check passed: now the model changes */
    if (st == ASGML_OK)
        st = t->be->ops->to_device(t->be, asgml_model_params(t->model), hp,
                                   (size_t)n * sizeof(float));
    if (st == ASGML_OK && nbuf > 0)
        st = t->be->ops->to_device(t->be, asgml_model_buffers(t->model), hb,
                                   (size_t)nbuf * sizeof(float));
    free(hp);
    free(hb);
    if (st == ASGML_OK) {
        t->init_loaded = loaded;
        t->init_missing = missing;
    }
    return st;
}
