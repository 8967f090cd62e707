/* SPDX-License-Identifier: MIT */
/* predict.c - per-sample predictions of a checkpoint's model and their
 * files (asgml/predict.h; asgml-eval(1), asgml-report --confusion). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "asgml/atomic_file.h"
#include "asgml/predict.h"
#include "core/error.h"
#include "data/loader.h"
#include "train/metrics.h"

static void *xcalloc(size_t n, size_t k) { return calloc(n ? n : 1, k ? k : 1); }

void asgml_predictions_free(asgml_predictions *p)
{
    if (!p)
        return;
    for (int c = 0; p->class_names && c < p->num_classes; c++)
        free(p->class_names[c]);
    for (int64_t i = 0; p->ids && i < p->n; i++)
        free(p->ids[i]);
    free(p->class_names);
    free(p->ids);
    free(p->samples);
    free(p->labels);
    free(p->pred);
    free(p->fused);
    for (int m = 0; m < ASGML_MAX_MODALITIES; m++)
        free(p->uni[m]);
    memset(p, 0, sizeof *p);
}

/* Allocates the arrays for n rows of C classes and nuni unimodal sets. */
static asgml_status alloc_rows(asgml_predictions *p, int64_t n, int C, int nuni)
{
    size_t nc = (size_t)n * (size_t)C;
    p->n = n;
    p->num_classes = C;
    p->num_modalities = nuni;
    p->class_names = xcalloc((size_t)C, sizeof *p->class_names);
    p->ids = xcalloc((size_t)n, sizeof *p->ids);
    p->samples = xcalloc((size_t)n, sizeof *p->samples);
    p->labels = xcalloc((size_t)n, sizeof *p->labels);
    p->pred = xcalloc((size_t)n, sizeof *p->pred);
    p->fused = xcalloc(nc, sizeof *p->fused);
    if (!p->class_names || !p->ids || !p->samples || !p->labels || !p->pred || !p->fused)
        return ASGML_ERR(ASGML_ENOMEM, "predictions: out of memory");
    for (int m = 0; m < nuni; m++)
        if (!(p->uni[m] = xcalloc(nc, sizeof(float))))
            return ASGML_ERR(ASGML_ENOMEM, "predictions: out of memory");
    return ASGML_OK;
}

/* ---- the inference pass ------------------------------------------------------- */

asgml_status asgml_predict(asgml_backend *be, const asgml_probe_subject *ps, asgml_store *store,
                           const char *checkpoint, const char *scheme, const char *part,
                           int batch_size, asgml_predictions *out)
{
    asgml_model *model = ps->model;
    const asgml_model_config *mc = asgml_model_get_config(model);
    int nm = mc->num_modalities, C = mc->num_classes;
    int nuni = mc->uni == ASGML_UNI_NONE ? 0 : nm;
    asgml_loader_config lc;
    asgml_loader *ld = NULL;
    float *dev_in[ASGML_MAX_MODALITIES] = {0};
    int64_t per_sample[ASGML_MAX_MODALITIES], n, row = 0;
    asgml_status st;

    memset(out, 0, sizeof *out);
    if (batch_size < 1 || batch_size > mc->max_batch)
        return ASGML_ERR(ASGML_EINVAL, "batch %d (model max %d)", batch_size, mc->max_batch);
    memset(&lc, 0, sizeof lc);
    lc.scheme = scheme ? scheme : ps->scheme[0] ? ps->scheme : NULL;
    lc.part = part;
    lc.batch_size = batch_size;
    lc.prefetch = 1;
    lc.num_modalities = nm;
    lc.tf = ps->tf;
    CK(asgml_loader_create(store, &lc, &ld));
    n = asgml_loader_num_samples(ld);
    st = alloc_rows(out, n, C, nuni);
    snprintf(out->checkpoint, sizeof out->checkpoint, "%s", checkpoint ? checkpoint : "");
    snprintf(out->split, sizeof out->split, "%s", part);
    snprintf(out->method, sizeof out->method, "%s", ps->method);
    out->epochs_completed = ps->epochs_completed;
    for (int m = 0; m < nuni; m++)
        snprintf(out->names[m], sizeof out->names[m], "%s", mc->enc[m].name);
    for (int c = 0; st == ASGML_OK && c < C; c++) {
        const char *name = asgml_store_class_name(store, c);
        char num[16];
        snprintf(num, sizeof num, "%d", c);
        if (!(out->class_names[c] = strdup(name ? name : num)))
            st = ASGML_ERR(ASGML_ENOMEM, "predictions: out of memory");
    }
    for (int m = 0; st == ASGML_OK && m < nm; m++) {
        void *p = NULL;
        per_sample[m] = asgml_transform_sample_size(&ps->tf[m], store, NULL, NULL, NULL);
        st = be->ops->alloc(be, (size_t)batch_size * (size_t)per_sample[m] * sizeof(float), &p);
        dev_in[m] = p;
    }
    if (st == ASGML_OK)
        st = asgml_loader_start_epoch(ld, 0);
    while (st == ASGML_OK) {
        asgml_batch b;
        int done = 0, B;
        const float *inputs[ASGML_MAX_MODALITIES];
        if ((st = asgml_loader_next(ld, &b, &done)) != ASGML_OK || done)
            break;
        B = b.size;
        if (row + B > n) {
            st = ASGML_ERR(ASGML_EINTERNAL, "loader served more than %lld samples", (long long)n);
            break;
        }
        for (int m = 0; m < nm && st == ASGML_OK; m++) {
            st = be->ops->to_device(be, dev_in[m], b.x[m],
                                    (size_t)B * (size_t)per_sample[m] * sizeof(float));
            inputs[m] = dev_in[m];
        }
        if (st == ASGML_OK)
            st = asgml_model_forward(model, inputs, B, 0, NULL);
        if (st == ASGML_OK)
            st = be->ops->to_host(be, out->fused + (size_t)row * (size_t)C,
                                  asgml_model_logits(model), (size_t)B * (size_t)C * sizeof(float));
        for (int m = 0; m < nuni && st == ASGML_OK; m++)
            st = be->ops->to_host(be, out->uni[m] + (size_t)row * (size_t)C,
                                  asgml_model_unimodal_logits(model, m),
                                  (size_t)B * (size_t)C * sizeof(float));
        if (st != ASGML_OK)
            break;
        asgml_argmax_rows(out->fused + (size_t)row * (size_t)C, B, C, out->pred + row);
        for (int i = 0; i < B; i++) {
            const char *id = asgml_store_id(store, b.samples[i]);
            char num[24];
            snprintf(num, sizeof num, "%lld", (long long)b.samples[i]);
            out->samples[row + i] = b.samples[i];
            out->labels[row + i] = b.labels[i];
            if (!(out->ids[row + i] = strdup(id ? id : num)))
                st = ASGML_ERR(ASGML_ENOMEM, "predictions: out of memory");
        }
        row += B;
    }
    if (st == ASGML_OK && row != n)
        st = ASGML_ERR(ASGML_EINTERNAL, "loader served %lld of %lld samples", (long long)row,
                       (long long)n);
    for (int m = 0; m < nm; m++)
        if (dev_in[m])
            be->ops->free(be, dev_in[m]);
    asgml_loader_free(ld);
    if (st != ASGML_OK)
        asgml_predictions_free(out);
    return st;
}

/* ---- files -------------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* TSV fields hold no tabs or newlines: those become spaces. */
static void tsv_put(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

static void write_tsv(FILE *f, const asgml_predictions *p)
{
    int C = p->num_classes;
    fputs("sample\tid\tlabel\tlabel_name\tpred\tpred_name", f);
    for (int c = 0; c < C; c++)
        fprintf(f, "\tfused.%d", c);
    for (int m = 0; m < p->num_modalities; m++)
        for (int c = 0; c < C; c++) {
            fputc('\t', f);
            tsv_put(f, p->names[m]);
            fprintf(f, ".%d", c);
        }
    fputc('\n', f);
    for (int64_t i = 0; i < p->n; i++) {
        fprintf(f, "%lld\t", (long long)p->samples[i]);
        tsv_put(f, p->ids[i]);
        fprintf(f, "\t%d\t", p->labels[i]);
        tsv_put(f, p->class_names[p->labels[i]]);
        fprintf(f, "\t%d\t", p->pred[i]);
        tsv_put(f, p->class_names[p->pred[i]]);
        for (int c = 0; c < C; c++)
            fprintf(f, "\t%.9g", (double)p->fused[i * C + c]);
        for (int m = 0; m < p->num_modalities; m++)
            for (int c = 0; c < C; c++)
                fprintf(f, "\t%.9g", (double)p->uni[m][i * C + c]);
        fputc('\n', f);
    }
}

static int h5_attr_string(hid_t loc, const char *name, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a;
    int ok;
    H5Tset_size(t, strlen(v) + 1);
    H5Tset_cset(t, H5T_CSET_UTF8);
    a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    ok = a >= 0 && H5Awrite(a, t, v) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return ok ? 0 : -1;
}

static int h5_attr_int(hid_t loc, const char *name, int v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    int ok = a >= 0 && H5Awrite(a, H5T_NATIVE_INT, &v) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    return ok ? 0 : -1;
}

static int h5_data(hid_t loc, const char *name, hid_t ft, hid_t mt, int nd, hsize_t d0,
                   hsize_t d1, const void *buf)
{
    hsize_t dims[2] = { d0, d1 };
    hid_t sp = H5Screate_simple(nd, dims, NULL), lcpl = H5Pcreate(H5P_LINK_CREATE), d;
    int ok;
    H5Pset_create_intermediate_group(lcpl, 1);
    d = H5Dcreate2(loc, name, ft, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    ok = d >= 0 && (d0 == 0 || H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    if (d >= 0)
        H5Dclose(d);
    H5Pclose(lcpl);
    H5Sclose(sp);
    return ok ? 0 : -1;
}

/* n strings as one fixed-length UTF-8 string dataset. */
static int h5_strings(hid_t loc, const char *name, char *const *s, int64_t n)
{
    size_t w = 1;
    char *buf;
    hid_t t;
    int rc;
    for (int64_t i = 0; i < n; i++)
        if (strlen(s[i]) + 1 > w)
            w = strlen(s[i]) + 1;
    if (!(buf = xcalloc((size_t)n, w)))
        return -1;
    for (int64_t i = 0; i < n; i++)
        memcpy(buf + (size_t)i * w, s[i], strlen(s[i]));
    t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, w);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    H5Tset_cset(t, H5T_CSET_UTF8);
    rc = h5_data(loc, name, t, t, 1, (hsize_t)n, 0, buf);
    H5Tclose(t);
    free(buf);
    return rc;
}

static int write_h5(hid_t f, const asgml_predictions *p)
{
    hsize_t n = (hsize_t)p->n, C = (hsize_t)p->num_classes;
    char *mods[ASGML_MAX_MODALITIES];
    int bad = h5_attr_string(f, "format", "asgml-predictions") ||
              h5_attr_int(f, "format_version", 1) ||
              h5_attr_string(f, "checkpoint", p->checkpoint) ||
              h5_attr_string(f, "split", p->split) || h5_attr_string(f, "method", p->method) ||
              h5_attr_int(f, "epochs_completed", p->epochs_completed) ||
              h5_data(f, "sample", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, n, 0, p->samples) ||
              h5_strings(f, "id", p->ids, p->n) ||
              h5_data(f, "label", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, n, 0, p->labels) ||
              h5_data(f, "pred", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, n, 0, p->pred) ||
              h5_strings(f, "class_names", p->class_names, p->num_classes) ||
              h5_data(f, "logits/fused", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, n, C, p->fused);
    for (int m = 0; m < p->num_modalities; m++) {
        char name[64];
        mods[m] = (char *)p->names[m];
        snprintf(name, sizeof name, "logits/%s", p->names[m]);
        bad = bad || h5_data(f, name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, n, C, p->uni[m]);
    }
    return bad || h5_strings(f, "modalities", mods, p->num_modalities);
}

asgml_status asgml_predictions_write(const char *path, const asgml_predictions *p)
{
    asgml_atomic_file af;
    asgml_status st;
    if (ends_with(path, ".tsv")) {
        CK(asgml_atomic_open(path, &af));
        write_tsv(af.f, p);
        if (ferror(af.f)) {
            st = asgml_error(ASGML_EIO, "%s: write error", af.tmp);
            asgml_atomic_abort(&af);
            return st;
        }
        return asgml_atomic_commit(&af);
    }
    if (ends_with(path, ".h5")) {
        hid_t f;
        int bad;
        CK(asgml_atomic_reserve(path, &af));
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        f = H5Fcreate(af.tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        if (f < 0) {
            st = asgml_error(ASGML_EIO, "%s: cannot create", af.tmp);
            asgml_atomic_abort(&af);
            return st;
        }
        bad = write_h5(f, p);
        bad |= H5Fclose(f) < 0;
        if (bad) {
            st = asgml_error(ASGML_EIO, "%s: cannot write", af.tmp);
            asgml_atomic_abort(&af);
            return st;
        }
        return asgml_atomic_commit(&af);
    }
    return asgml_error(ASGML_EINVAL, "%s: predictions files end in .tsv or .h5", path);
}

/* ---- reading ------------------------------------------------------------------ */

static char *h5_read_attr(hid_t loc, const char *name)
{
    hid_t a, t, mt;
    char *out = NULL;
    if (H5Aexists(loc, name) <= 0)
        return NULL;
    a = H5Aopen(loc, name, H5P_DEFAULT);
    t = H5Aget_type(a);
    if (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) <= 0) {
        out = xcalloc(H5Tget_size(t) + 1, 1);
        mt = H5Tcopy(t);
        if (out && H5Aread(a, mt, out) < 0) {
            free(out);
            out = NULL;
        }
        H5Tclose(mt);
    }
    H5Tclose(t);
    H5Aclose(a);
    return out;
}

/* A 1-D fixed-length string dataset as n malloc'd strings; -1 on error. */
static int h5_read_strings(hid_t f, const char *name, char **out, int64_t n)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT), t, sp;
    size_t w;
    char *buf;
    int rc = -1;
    if (d < 0)
        return -1;
    t = H5Dget_type(d);
    sp = H5Dget_space(d);
    w = H5Tget_size(t);
    if (H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) <= 0 &&
        H5Sget_simple_extent_npoints(sp) == n && (buf = xcalloc((size_t)n, w))) {
        if (n == 0 || H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0) {
            rc = 0;
            for (int64_t i = 0; i < n && rc == 0; i++) {
                if (!(out[i] = xcalloc(w + 1, 1)))
                    rc = -1;
                else
                    memcpy(out[i], buf + (size_t)i * w, w);
            }
        }
        free(buf);
    }
    H5Sclose(sp);
    H5Tclose(t);
    H5Dclose(d);
    return rc;
}

static int64_t h5_len(hid_t f, const char *name, int dim)
{
    hsize_t dims[2] = { 0, 0 };
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT), sp;
    int nd;
    if (d < 0)
        return -1;
    sp = H5Dget_space(d);
    nd = H5Sget_simple_extent_ndims(sp);
    H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    H5Dclose(d);
    return nd > dim ? (int64_t)dims[dim] : -1;
}

static int h5_read(hid_t f, const char *name, hid_t mt, void *buf)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    int ok = d >= 0 && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
    if (d >= 0)
        H5Dclose(d);
    return ok ? 0 : -1;
}

static asgml_status read_h5(const char *path, asgml_predictions *p)
{
    hid_t f;
    char *fmt, *s;
    int64_t n, C, nm;
    char *mods[ASGML_MAX_MODALITIES] = {0};
    asgml_status st = ASGML_OK;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if ((f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0)
        return asgml_error(ASGML_EIO, "%s: cannot open (missing or not HDF5)", path);
    fmt = h5_read_attr(f, "format");
    if (!fmt || strcmp(fmt, "asgml-predictions") != 0) {
        free(fmt);
        H5Fclose(f);
        return asgml_error(ASGML_EFORMAT, "%s: not an asgml predictions file", path);
    }
    free(fmt);
    n = h5_len(f, "label", 0);
    C = h5_len(f, "class_names", 0);
    nm = h5_len(f, "modalities", 0);
    if (n < 0 || C < 1 || nm < 0 || nm > ASGML_MAX_MODALITIES ||
        h5_len(f, "logits/fused", 0) != n || h5_len(f, "logits/fused", 1) != C) {
        H5Fclose(f);
        return asgml_error(ASGML_EFORMAT, "%s: datasets missing or of inconsistent sizes", path);
    }
    st = alloc_rows(p, n, (int)C, (int)nm);
    if (st == ASGML_OK &&
        (h5_read(f, "sample", H5T_NATIVE_INT64, p->samples) ||
         h5_read(f, "label", H5T_NATIVE_INT32, p->labels) ||
         h5_read(f, "pred", H5T_NATIVE_INT32, p->pred) ||
         (n > 0 && h5_read(f, "logits/fused", H5T_NATIVE_FLOAT, p->fused)) ||
         h5_read_strings(f, "id", p->ids, n) ||
         h5_read_strings(f, "class_names", p->class_names, C) ||
         h5_read_strings(f, "modalities", mods, nm)))
        st = asgml_error(ASGML_EFORMAT, "%s: cannot read the datasets", path);
    for (int m = 0; st == ASGML_OK && m < nm; m++) {
        char name[64];
        snprintf(p->names[m], sizeof p->names[m], "%s", mods[m]);
        snprintf(name, sizeof name, "logits/%s", p->names[m]);
        if (n > 0 && h5_read(f, name, H5T_NATIVE_FLOAT, p->uni[m]))
            st = asgml_error(ASGML_EFORMAT, "%s: cannot read %s", path, name);
    }
    for (int m = 0; m < nm; m++)
        free(mods[m]);
    if (st == ASGML_OK) {
        if ((s = h5_read_attr(f, "checkpoint")))
            snprintf(p->checkpoint, sizeof p->checkpoint, "%s", s);
        free(s);
        if ((s = h5_read_attr(f, "split")))
            snprintf(p->split, sizeof p->split, "%s", s);
        free(s);
        if ((s = h5_read_attr(f, "method")))
            snprintf(p->method, sizeof p->method, "%s", s);
        free(s);
        p->epochs_completed = -1;
        if (H5Aexists(f, "epochs_completed") > 0) {
            hid_t a = H5Aopen(f, "epochs_completed", H5P_DEFAULT);
            H5Aread(a, H5T_NATIVE_INT, &p->epochs_completed);
            H5Aclose(a);
        }
    }
    H5Fclose(f);
    return st;
}

/* Splits line (modified in place) at tabs; returns the field count. */
static int split_tabs(char *line, char **f, int max)
{
    int k = 0;
    char *s = line;
    line[strcspn(line, "\r\n")] = '\0';
    while (k < max) {
        f[k++] = s;
        if (!(s = strchr(s, '\t')))
            break;
        *s++ = '\0';
    }
    return k;
}

static int parse_long(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno || end == s || *end || *out < lo || *out > hi ? -1 : 0;
}

static asgml_status read_tsv(const char *path, asgml_predictions *p)
{
    enum { MAXF = 6 + 9 * 4096 };
    FILE *f = fopen(path, "r");
    char *line = NULL, **fl = NULL;
    size_t cap = 0;
    int nf, C = 0, nm = 0;
    int64_t n = 0, lineno = 1;
    asgml_status st = ASGML_OK;
    if (!f)
        return asgml_error(ASGML_EIO, "%s: %s", path, strerror(errno));
    fl = malloc(MAXF * sizeof *fl);
    if (!fl || getline(&line, &cap, f) < 0) {
        st = asgml_error(fl ? ASGML_EFORMAT : ASGML_ENOMEM, "%s: empty file", path);
        goto out;
    }
    nf = split_tabs(line, fl, MAXF);
    if (nf < 7 || strcmp(fl[0], "sample") || strcmp(fl[1], "id") || strcmp(fl[2], "label") ||
        strcmp(fl[3], "label_name") || strcmp(fl[4], "pred") || strcmp(fl[5], "pred_name")) {
        st = asgml_error(ASGML_EFORMAT, "%s: not a predictions file (header: sample id label "
                         "label_name pred pred_name fused.0 ...)", path);
        goto out;
    }
    while (6 + C < nf && strncmp(fl[6 + C], "fused.", 6) == 0)
        C++;
    if (C < 1 || (nf - 6) % C) {
        st = asgml_error(ASGML_EFORMAT, "%s: header: %d logit columns for %d classes", path,
                         nf - 6, C);
        goto out;
    }
    nm = (nf - 6) / C - 1;
    if (nm > ASGML_MAX_MODALITIES) {
        st = asgml_error(ASGML_EFORMAT, "%s: more than %d modalities", path, ASGML_MAX_MODALITIES);
        goto out;
    }
    for (int m = 0; m < nm; m++) {
        const char *h = fl[6 + (m + 1) * C];
        size_t len = strlen(h) - (strrchr(h, '.') ? strlen(strrchr(h, '.')) : 0);
        snprintf(p->names[m], sizeof p->names[m], "%.*s", (int)len, h);
    }
    /* count the rows, then read them */
    {
        long start = ftell(f);
        while (getline(&line, &cap, f) >= 0)
            if (line[0] && line[0] != '\n')
                n++;
        fseek(f, start, SEEK_SET);
    }
    if ((st = alloc_rows(p, n, C, nm)) != ASGML_OK)
        goto out;
    for (int64_t i = 0; i < n && st == ASGML_OK;) {
        long long v[3];
        if (getline(&line, &cap, f) < 0)
            break;
        lineno++;
        if (!line[0] || line[0] == '\n')
            continue;
        if (split_tabs(line, fl, MAXF) != nf || parse_long(fl[0], 0, INT64_MAX, &v[0]) ||
            parse_long(fl[2], 0, C - 1, &v[1]) || parse_long(fl[4], 0, C - 1, &v[2])) {
            st = asgml_error(ASGML_EFORMAT, "%s:%lld: expected %d fields with sample, label "
                             "and pred in range (%d classes)", path, (long long)lineno, nf, C);
            break;
        }
        p->samples[i] = v[0];
        p->labels[i] = (int32_t)v[1];
        p->pred[i] = (int32_t)v[2];
        if (!(p->ids[i] = strdup(fl[1])))
            st = ASGML_ERR(ASGML_ENOMEM, "predictions: out of memory");
        /* class names from the label_name and pred_name columns */
        for (int k = 0; k < 2 && st == ASGML_OK; k++) {
            int c = k ? p->pred[i] : p->labels[i];
            if (!p->class_names[c] && !(p->class_names[c] = strdup(fl[k ? 5 : 3])))
                st = ASGML_ERR(ASGML_ENOMEM, "predictions: out of memory");
        }
        for (int c = 0; c < C; c++)
            p->fused[i * C + c] = strtof(fl[6 + c], NULL);
        for (int m = 0; m < nm; m++)
            for (int c = 0; c < C; c++)
                p->uni[m][i * C + c] = strtof(fl[6 + (m + 1) * C + c], NULL);
        i++;
    }
    for (int c = 0; st == ASGML_OK && c < C; c++)
        if (!p->class_names[c]) {
            char num[16];
            snprintf(num, sizeof num, "%d", c);
            if (!(p->class_names[c] = strdup(num)))
                st = ASGML_ERR(ASGML_ENOMEM, "predictions: out of memory");
        }
    p->epochs_completed = -1;
out:
    free(line);
    free(fl);
    fclose(f);
    return st;
}

asgml_status asgml_predictions_read(const char *path, asgml_predictions *p)
{
    asgml_status st;
    memset(p, 0, sizeof *p);
    if (ends_with(path, ".h5"))
        st = read_h5(path, p);
    else if (ends_with(path, ".tsv"))
        st = read_tsv(path, p);
    else
        return asgml_error(ASGML_EINVAL, "%s: predictions files end in .tsv or .h5", path);
    if (st != ASGML_OK)
        asgml_predictions_free(p);
    return st;
}
