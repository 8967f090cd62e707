/* SPDX-License-Identifier: MIT */
/* test-checkpoint.c - HDF5 checkpoints: a save/load round trip restores
 * parameters, BN buffers, optimiser state, per-view step counts, method
 * state and the root attributes bit for bit; PyTorch names and shapes;
 * wrong files and other models are refused without touching the model;
 * no temporary file is left behind. */
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "asgml/checkpoint.h"
#include "tap.h"

static char dir[] = "/tmp/test-checkpoint-XXXXXX";

static asgml_status make_model(asgml_backend *be, int width, uint64_t seed, asgml_model **m,
                               asgml_optim **o)
{
    asgml_model_config mc;
    asgml_optim_config oc;
    asgml_status st;
    asgml_model_config_defaults(&mc);
    mc.num_modalities = 2;
    mc.enc[0].in_h = mc.enc[0].in_w = 8;
    mc.enc[1].in_channels = 1;
    mc.enc[1].in_h = mc.enc[1].in_w = 8;
    mc.width = width;
    mc.feature_dim = 8 * width;
    mc.num_classes = 3;
    mc.max_batch = 4;
    if ((st = asgml_model_create(be, &mc, m)) || (st = asgml_model_init_params(*m, seed)))
        return st;
    asgml_optim_config_defaults(&oc);
    return asgml_optim_create(*m, &oc, o);
}

/* A few optimiser steps on made-up gradients, so momentum and step counts
 * are not trivial. */
static asgml_status fake_steps(asgml_backend *be, asgml_model *m, asgml_optim *o, int n)
{
    int64_t np = asgml_model_num_params(m);
    int active[ASGML_MAX_MODALITIES] = { 1, 0 };
    for (int s = 0; s < n; s++) {
        asgml_status st = be->ops->fill(be, np, 0.01f * (float)(s + 1), asgml_model_grads(m));
        if (st == ASGML_OK)
            st = asgml_optim_step(o, s % 2 ? active : NULL);
        if (st != ASGML_OK)
            return st;
    }
    return ASGML_OK;
}

static herr_t first_link(hid_t g, const char *name, const H5L_info_t *info, void *out)
{
    (void)g;
    (void)info;
    snprintf(out, 256, "%s", name);
    return 1;   /* stop at the first */
}

static int same_floats(asgml_backend *be, const float *a, const float *b, int64_t n)
{
    float *ha = malloc((size_t)n * sizeof *ha), *hb = malloc((size_t)n * sizeof *hb);
    int same = ha && hb && be->ops->to_host(be, ha, a, (size_t)n * 4) == ASGML_OK &&
               be->ops->to_host(be, hb, b, (size_t)n * 4) == ASGML_OK &&
               memcmp(ha, hb, (size_t)n * 4) == 0;
    free(ha);
    free(hb);
    return same;
}

int main(void)
{
    asgml_backend *be;
    asgml_backend_options bo = { 1, 1, -1, 0 };
    asgml_model *m1, *m2, *m3;
    asgml_optim *o1, *o2, *o3;
    asgml_state_io *io, *io2;
    asgml_checkpoint_info info;
    asgml_checkpoint_loaded li;
    char path[256], bad[256];
    const double ema[3] = { 1.5, -2.25, 1e-300 };
    double ema2[3] = { 0 };
    float probe[5] = { 1, 2, 3, 4, 5 }, probe2[5] = { 0 };
    int64_t order[4] = { 3, 0, 2, 1 };
    int np;
    asgml_status st;

    if (!mkdtemp(dir))
        return 99;
    if (asgml_backend_create("cpu", &bo, &be) != ASGML_OK)
        tap_skip_all("no CPU backend");
    ok(make_model(be, 2, 1, &m1, &o1) == ASGML_OK && fake_steps(be, m1, o1, 3) == ASGML_OK,
       "model A trained a little: %s", asgml_last_error());
    io = asgml_state_io_create(be);
    ok(io && asgml_state_put(io, "ema", ema, 3) == ASGML_OK &&
           asgml_state_put_f32(io, "probe/audio", probe, 5) == ASGML_OK,
       "method state put (float64 and backend float32)");
    memset(&info, 0, sizeof info);
    info.method = "asgml-boost+ogm-ge";
    info.seed = 42;
    info.epochs_completed = 7;
    info.step = 123456789012LL;
    info.noise_offset = UINT64_C(0xfedcba9876543210);
    info.store_checksum = "abc123";
    info.config_json = "{\"seed\": 42}";
    info.train_state_json = "{\"best_epoch\":5}";
    info.order = order;
    info.order_len = 4;
    snprintf(path, sizeof path, "%s/ckpt.h5", dir);
    st = asgml_checkpoint_save(path, be, m1, o1, io, &info);
    ok(st == ASGML_OK, "save: %s", asgml_last_error());
    glob_t left;
    snprintf(bad, sizeof bad, "%s/.ckpt.h5.*", dir);
    ok(glob(bad, GLOB_PERIOD, NULL, &left) == GLOB_NOMATCH && access(path, F_OK) == 0,
       "renamed into place, no temporary file left");
    globfree(&left);

    ok(make_model(be, 2, 99, &m2, &o2) == ASGML_OK, "model B (another seed)");
    ok(!same_floats(be, asgml_model_params(m1), asgml_model_params(m2),
                    asgml_model_num_params(m1)), "A and B differ before loading");
    io2 = asgml_state_io_create(be);
    st = asgml_checkpoint_load(path, be, m2, o2, io2, &li);
    ok(st == ASGML_OK, "load: %s", asgml_last_error());
    ok(same_floats(be, asgml_model_params(m1), asgml_model_params(m2), asgml_model_num_params(m1)),
       "parameters restored bit for bit");
    ok(same_floats(be, asgml_model_buffers(m1), asgml_model_buffers(m2),
                   asgml_model_num_buffers(m1)), "BN buffers restored");
    ok(same_floats(be, asgml_optim_state_buffer(o1, 0), asgml_optim_state_buffer(o2, 0),
                   asgml_model_num_params(m1)), "momentum restored");
    asgml_model_param_views(m1, &np);
    ok(memcmp(asgml_optim_view_steps(o1), asgml_optim_view_steps(o2), (size_t)np * 8) == 0 &&
           asgml_optim_view_steps(o1)[0] == 3 && asgml_optim_view_steps(o1)[np - 1] == 3,
       "per-view step counts restored");
    {
        /* encoder 1 was inactive on step 1: its first view has 2 steps */
        const asgml_param_view *pv = asgml_model_param_views(m1, &np);
        int k = 0;
        while (k < np && pv[k].group != 1)
            k++;
        ok(k < np && asgml_optim_view_steps(o2)[k] == 2, "inactive encoder kept its step count");
    }
    ok(asgml_state_get(io2, "ema", ema2, 3) == ASGML_OK && memcmp(ema, ema2, sizeof ema) == 0,
       "float64 method state restored");
    ok(asgml_state_get_f32(io2, "probe/audio", probe2, 5) == ASGML_OK &&
           memcmp(probe, probe2, sizeof probe) == 0, "float32 method state (nested name) restored");
    ok(asgml_state_get(io2, "ema", ema2, 2) == ASGML_EFORMAT &&
           asgml_state_get(io2, "missing", ema2, 1) == ASGML_EFORMAT,
       "wrong length or missing name: EFORMAT");
    ok(st == ASGML_OK && strcmp(li.method, "asgml-boost+ogm-ge") == 0 && li.seed == 42 &&
           li.epochs_completed == 7 && li.step == 123456789012LL &&
           li.noise_offset == UINT64_C(0xfedcba9876543210) &&
           strcmp(li.store_checksum, "abc123") == 0 && strcmp(li.config_json, "{\"seed\": 42}") == 0 &&
           strcmp(li.asgml_version, asgml_version()) == 0,
       "root attributes restored");
    ok(li.order_len == 4 && li.order[0] == 3 && li.order[3] == 1, "data order restored");
    asgml_checkpoint_loaded_free(&li);
    ok(asgml_checkpoint_read_info(path, &li) == ASGML_OK && li.epochs_completed == 7,
       "read_info without a model");
    asgml_checkpoint_loaded_free(&li);

    /* a model of another width: refused, nothing changed */
    ok(make_model(be, 4, 5, &m3, &o3) == ASGML_OK, "model C (width 4)");
    {
        int64_t n3 = asgml_model_num_params(m3);
        float *before = malloc((size_t)n3 * 4), *after = malloc((size_t)n3 * 4);
        be->ops->to_host(be, before, asgml_model_params(m3), (size_t)n3 * 4);
        st = asgml_checkpoint_load(path, be, m3, o3, NULL, NULL);
        be->ops->to_host(be, after, asgml_model_params(m3), (size_t)n3 * 4);
        ok(st == ASGML_EFORMAT && strstr(asgml_last_error(), "another shape"),
           "other model refused: %s", asgml_last_error());
        ok(memcmp(before, after, (size_t)n3 * 4) == 0, "refused load left the model untouched");
        free(before);
        free(after);
    }
    {
        FILE *f;
        snprintf(bad, sizeof bad, "%s/garbage.h5", dir);
        f = fopen(bad, "w");
        fputs("not hdf5", f);
        fclose(f);
        ok(asgml_checkpoint_load(bad, be, m2, o2, NULL, NULL) == ASGML_EIO, "garbage: EIO");
        snprintf(bad, sizeof bad, "%s/none.h5", dir);
        ok(asgml_checkpoint_load(bad, be, m2, o2, NULL, NULL) == ASGML_EIO, "missing file: EIO");
    }
    snprintf(bad, sizeof bad, "%s/nodir/x.h5", dir);
    ok(asgml_checkpoint_save(bad, be, m1, o1, io, &info) == ASGML_EIO, "unwritable path: EIO");

    /* a parameter stored as float64 instead of float32: refused by type
     * (HDF5 would convert it; a damaged element size made it allocate
     * 4.2 GB, fuzz/known/checkpoint-hdf5-float-size-4g.h5) */
    {
        char cmd[4200], pname[256] = "";
        snprintf(bad, sizeof bad, "%s/f64.h5", dir);
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path, bad);
        int made = system(cmd) == 0;
        hid_t f = made ? H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT) : -1;
        hid_t g = f >= 0 ? H5Gopen2(f, "/params", H5P_DEFAULT) : -1;
        made = g >= 0 && H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, first_link, pname) >= 0 && pname[0];
        hid_t d = made ? H5Dopen2(g, pname, H5P_DEFAULT) : -1, sp = d >= 0 ? H5Dget_space(d) : -1;
        hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : 0;
        double *v = n > 0 ? malloc((size_t)n * sizeof *v) : NULL;
        made = v && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
        if (d >= 0)
            H5Dclose(d);
        made = made && H5Ldelete(g, pname, H5P_DEFAULT) >= 0;
        d = made ? H5Dcreate2(g, pname, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
        made = d >= 0 && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
        if (d >= 0)
            H5Dclose(d);
        if (sp >= 0)
            H5Sclose(sp);
        if (g >= 0)
            H5Gclose(g);
        if (f >= 0 && H5Fclose(f) < 0)
            made = 0;
        free(v);
        st = made ? asgml_checkpoint_load(bad, be, m2, o2, NULL, NULL) : ASGML_OK;
        ok(made && st == ASGML_EFORMAT && strstr(asgml_last_error(), "another shape or type"),
           "a float64 parameter is refused: %s", st == ASGML_OK ? "(accepted)" : asgml_last_error());
    }

    asgml_state_io_free(io);
    asgml_state_io_free(io2);
    asgml_optim_free(o1);
    asgml_optim_free(o2);
    asgml_optim_free(o3);
    asgml_model_free(m1);
    asgml_model_free(m2);
    asgml_model_free(m3);
    asgml_backend_destroy(be);
    snprintf(bad, sizeof bad, "rm -rf '%s'", dir);
    if (system(bad) != 0)
        tap_diag("could not remove %s", dir);
    return tap_done();
}
