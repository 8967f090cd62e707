/* SPDX-License-Identifier: MIT */
/* test-model-torch.c - asgml_model against PyTorch.
 *
 * tests/fixtures/model/model.h5 (make_model_fixtures.py, torch float32 on
 * the CPU) holds, per case, the parameters and BN buffers under their
 * state_dict names, the inputs, the fused and unimodal logits, the loss,
 * every parameter gradient, the BN running statistics after the forward
 * and (ResNet case) the parameters after one SGD step.  The model is
 * loaded BY NAME: every view must be found with the right size and the
 * file must hold no parameter the model lacks.  Normwise relative error
 * ||c - t|| / ||t|| per tensor: < 1e-4 forward values (logits, loss, BN
 * statistics, SGD step), < 1e-3 gradients; the maximum is reported.
 *
 * Usage: test-model-torch [cpu|cuda]   (cuda skips without a device) */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/model.h"
#include "asgml/optim.h"
#include "h5fixture.h"
#include "tap.h"

#define TOL_FWD 1e-4
#define TOL_GRAD 1e-3

static asgml_backend *be;
static hid_t file = -1;

static hsize_t group_size(const char *group)
{
    H5G_info_t info;
    if (H5Lexists(file, group, H5P_DEFAULT) <= 0) return 0;
    hid_t g = H5Gopen2(file, group, H5P_DEFAULT);
    if (g < 0) return 0;
    herr_t e = H5Gget_info(g, &info);
    H5Gclose(g);
    return e < 0 ? 0 : info.nlinks;
}

static int read_int_attr(const char *group, const char *attr, int *v, int count)
{
    hid_t g = H5Gopen2(file, group, H5P_DEFAULT);
    hid_t a = H5Aopen(g, attr, H5P_DEFAULT);
    int good = a >= 0 && H5Aread(a, H5T_NATIVE_INT, v) >= 0;
    hid_t sp = a >= 0 ? H5Aget_space(a) : -1;
    good = good && H5Sget_simple_extent_npoints(sp) == count;
    if (sp >= 0) H5Sclose(sp);
    if (a >= 0) H5Aclose(a);
    H5Gclose(g);
    return good;
}

static double read_double_attr(const char *group, const char *attr)
{
    double v = NAN;
    hid_t g = H5Gopen2(file, group, H5P_DEFAULT);
    hid_t a = H5Aopen(g, attr, H5P_DEFAULT);
    if (a >= 0) {
        H5Aread(a, H5T_NATIVE_DOUBLE, &v);
        H5Aclose(a);
    }
    H5Gclose(g);
    return v;
}

/* normwise relative error of n floats, in double */
static double rel_err(const float *c, const float *t, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)c[i] - (double)t[i];
        num += d * d;
        den += (double)t[i] * t[i];
    }
    return sqrt(num) / (den > 0 ? sqrt(den) : 1e-30);
}

static float *to_host(const float *dev, size_t n)
{
    float *h = malloc(n * sizeof *h);
    if (h && be->ops->to_host(be, h, dev, n * sizeof *h) != ASGML_OK) {
        free(h);
        return NULL;
    }
    return h;
}

static float *dev_copy(const void *host, size_t bytes)
{
    void *d = NULL;
    if (be->ops->alloc(be, bytes, &d) != ASGML_OK) return NULL;
    be->ops->to_device(be, d, host, bytes);
    return d;
}

/* Loads every view of `views` from group/<name>; 1 if all present, sized
 * right, and the group holds exactly that many datasets. */
static int load_views(const char *group, const asgml_param_view *views, int count, float *dst)
{
    int good = (hsize_t)count == group_size(group);
    if (!good) tap_diag("%s: file has %llu tensors, model %d", group,
                        (unsigned long long)group_size(group), count);
    for (int i = 0; i < count; i++) {
        size_t n = 0;
        float *h = h5fix_read(file, group, views[i].name, H5T_NATIVE_FLOAT, &n);
        if (!h || (int64_t)n != views[i].numel) {
            tap_diag("%s/%s: %s", group, views[i].name, h ? "size differs" : "missing");
            good = 0;
        } else {
            be->ops->to_device(be, dst + views[i].offset, h, n * sizeof(float));
        }
        free(h);
    }
    return good;
}

/* max normwise error of the views against group/<name>; worst name in *worst */
static double compare_views(const char *group, const asgml_param_view *views, int count,
                            const float *dev, int64_t total, char *worst, size_t wsize)
{
    float *h = to_host(dev, (size_t)total);
    double mx = 0;
    for (int i = 0; i < count; i++) {
        size_t n = 0;
        float *t = h5fix_read(file, group, views[i].name, H5T_NATIVE_FLOAT, &n);
        double e = (!t || (int64_t)n != views[i].numel) ? INFINITY
                   : rel_err(h + views[i].offset, t, n);
        if (e > mx || isnan(e)) {
            mx = isnan(e) ? INFINITY : e;
            snprintf(worst, wsize, "%s", views[i].name);
        }
        free(t);
    }
    free(h);
    return mx;
}

static double compare_dev(const char *group, const char *name, const float *dev, size_t n)
{
    size_t nt = 0;
    float *t = h5fix_read(file, group, name, H5T_NATIVE_FLOAT, &nt);
    float *h = to_host(dev, n);
    double e = (t && h && nt == n) ? rel_err(h, t, n) : INFINITY;
    free(t);
    free(h);
    return e;
}

static void run_case(const char *name)
{
    int cfgv[16];
    char grp[128], worst[128] = "";
    if (!read_int_attr(name, "config", cfgv, 16)) {
        ok(0, "%s: config attribute", name);
        return;
    }
    asgml_model_config c;
    asgml_model_config_defaults(&c);
    c.fusion = (asgml_fusion_kind)cfgv[0];
    c.uni = (asgml_uni_kind)cfgv[1];
    c.head_two_layer = cfgv[2];
    c.width = cfgv[4];
    int B = cfgv[5];
    c.max_batch = B;
    c.num_classes = cfgv[6];
    c.feature_dim = cfgv[7];
    int C = c.num_classes;
    for (int m = 0; m < 2; m++) {
        asgml_encoder_config *e = &c.enc[m];
        const int *v = cfgv + 8 + 4 * m;
        e->kind = cfgv[3] ? ASGML_ENC_MLP : ASGML_ENC_RESNET18;
        if (e->kind == ASGML_ENC_RESNET18) {
            e->in_channels = v[0];
            e->in_h = v[1];
            e->in_w = v[2];
            e->frames = v[3];
        } else {
            e->in_dim = v[0];
            e->hidden = v[1];
        }
    }
    asgml_model *model = NULL;
    asgml_status st = asgml_model_create(be, &c, &model);
    if (!ok(st == ASGML_OK, "%s: model created", name)) {
        tap_diag("%s", asgml_last_error());
        return;
    }
    int nv, nb;
    const asgml_param_view *views = asgml_model_param_views(model, &nv);
    const asgml_param_view *bviews = asgml_model_buffer_views(model, &nb);
    snprintf(grp, sizeof grp, "%s/params", name);
    ok(load_views(grp, views, nv, asgml_model_params(model)),
       "%s: %d parameters (%lld floats) loaded by state_dict name", name, nv,
       (long long)asgml_model_num_params(model));
    snprintf(grp, sizeof grp, "%s/buffers", name);
    if (nb) ok(load_views(grp, bviews, nb, asgml_model_buffers(model)),
               "%s: %d BN buffers loaded by name", name, nb);

    /* inputs */
    const char *mods[2] = { "audio", "visual" };
    float *in_dev[2] = { NULL, NULL };
    snprintf(grp, sizeof grp, "%s/inputs", name);
    for (int m = 0; m < 2; m++) {
        size_t n = 0;
        float *h = h5fix_read(file, grp, mods[m], H5T_NATIVE_FLOAT, &n);
        in_dev[m] = h ? dev_copy(h, n * sizeof(float)) : NULL;
        free(h);
    }
    size_t nl = 0;
    int32_t *labels = h5fix_read(file, name, "labels", H5T_NATIVE_INT32, &nl);
    int32_t *labels_dev = labels ? (int32_t *)dev_copy(labels, nl * sizeof(int32_t)) : NULL;

    const float *inputs[2] = { in_dev[0], in_dev[1] };
    st = asgml_model_forward(model, inputs, B, 1, NULL);
    if (!ok(st == ASGML_OK, "%s: forward", name)) tap_diag("%s", asgml_last_error());
    double e = compare_dev(name, "logits", asgml_model_logits(model), (size_t)B * C);
    ok(e < TOL_FWD, "%s: fused logits, rel err %.2e", name, e);
    snprintf(grp, sizeof grp, "%s/uni", name);
    double eu = 0;
    for (int m = 0; m < 2; m++) {
        double x = compare_dev(grp, mods[m], asgml_model_unimodal_logits(model, m), (size_t)B * C);
        if (x > eu) eu = x;
    }
    ok(eu < TOL_FWD, "%s: unimodal logits (%s), max rel err %.2e", name,
       c.uni == ASGML_UNI_HEADS ? "heads" : "split", eu);
    if (nb) {
        snprintf(grp, sizeof grp, "%s/buffers_after", name);
        e = compare_views(grp, bviews, nb, asgml_model_buffers(model),
                          asgml_model_num_buffers(model), worst, sizeof worst);
        ok(e < TOL_FWD, "%s: BN running stats after forward, max rel err %.2e (%s)", name, e, worst);
    }

    /* loss: CE(z) [+ CE(u_1) + CE(u_2)], batch means */
    int uni_loss = 0;
    read_int_attr(name, "uni_loss", &uni_loss, 1);
    float *dz = NULL, *du[2] = { NULL, NULL };
    be->ops->alloc(be, (size_t)B * C * sizeof(float), (void **)&dz);
    be->ops->fill(be, (int64_t)B * C, 0.0f, dz);
    double sum = 0, part = 0;
    be->ops->softmax_ce(be, B, C, asgml_model_logits(model), labels_dev, 1.0f / B, NULL, NULL, dz,
                        &sum);
    if (uni_loss)
        for (int m = 0; m < 2; m++) {
            be->ops->alloc(be, (size_t)B * C * sizeof(float), (void **)&du[m]);
            be->ops->fill(be, (int64_t)B * C, 0.0f, du[m]);
            be->ops->softmax_ce(be, B, C, asgml_model_unimodal_logits(model, m), labels_dev,
                                1.0f / B, NULL, NULL, du[m], &part);
            sum += part;
        }
    double loss_ref = read_double_attr(name, "loss");
    double el = fabs(sum / B - loss_ref) / fabs(loss_ref);
    ok(el < TOL_FWD, "%s: loss %.6f vs torch %.6f, rel err %.2e", name, sum / B, loss_ref, el);

    asgml_model_zero_grad(model);
    const float *duni[2] = { du[0], du[1] };
    st = asgml_model_backward(model, dz, uni_loss ? duni : NULL, NULL);
    if (!ok(st == ASGML_OK, "%s: backward", name)) tap_diag("%s", asgml_last_error());
    snprintf(grp, sizeof grp, "%s/grads", name);
    e = compare_views(grp, views, nv, asgml_model_grads(model), asgml_model_num_params(model),
                      worst, sizeof worst);
    ok(e < TOL_GRAD, "%s: all %d parameter gradients, max rel err %.2e (%s)", name, nv, e, worst);

    snprintf(grp, sizeof grp, "%s/params_after", name);
    if (group_size(grp)) {
        asgml_optim_config oc;
        asgml_optim_config_defaults(&oc);
        oc.lr = 0.1;
        oc.momentum = 0.9;
        oc.weight_decay = 1e-4;
        asgml_optim *opt = NULL;
        st = asgml_optim_create(model, &oc, &opt);
        if (st == ASGML_OK) st = asgml_optim_step(opt, NULL);
        ok(st == ASGML_OK, "%s: SGD step", name);
        e = compare_views(grp, views, nv, asgml_model_params(model), asgml_model_num_params(model),
                          worst, sizeof worst);
        ok(e < TOL_FWD, "%s: parameters after SGD(lr 0.1, momentum 0.9, wd 1e-4), max rel err "
           "%.2e (%s)", name, e, worst);
        asgml_optim_free(opt);
    }
    for (int m = 0; m < 2; m++) {
        if (in_dev[m]) be->ops->free(be, in_dev[m]);
        if (du[m]) be->ops->free(be, du[m]);
    }
    if (labels_dev) be->ops->free(be, labels_dev);
    be->ops->free(be, dz);
    free(labels);
    asgml_model_free(model);
}

int main(int argc, char **argv)
{
    const char *bname = argc > 1 ? argv[1] : "cpu";
    asgml_status st = asgml_backend_create(bname, NULL, &be);
    if (st != ASGML_OK) {
        if (strcmp(bname, "cpu")) tap_skip_all("no such backend here");
        printf("Bail out! %s\n", asgml_last_error());
        return 1;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);   /* absence is reported through TAP */
    const char *top = getenv("top_srcdir");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fixtures/model/model.h5", top ? top : ".");
    file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        printf("Bail out! cannot open %s\n", path);
        return 1;
    }
    tap_diag("backend %s", be->ops->name);
    run_case("resnet");
    run_case("heads2");
    run_case("sum");
    run_case("film");
    run_case("gated");
    H5Fclose(file);
    asgml_backend_destroy(be);
    return tap_done();
}
