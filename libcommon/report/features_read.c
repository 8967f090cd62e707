/* SPDX-License-Identifier: MIT */
/* features_read.c - reading the features files of asgml-probe --features
 * (asgml-probe(1), FILES; written by asgml_features_writer in
 * probe_eval.c): root attributes format "asgml-features", class_names;
 * one group per checkpoint with attributes epochs_completed, method,
 * modalities and datasets <part>/labels (n) int32, <part>/<modality>
 * (n, D) float32. */
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "asgml/probe_eval.h"
#include "core/error.h"

/* Variable-length string attribute(s) of obj: n strings into out (strdup'd). */
static int read_strs(hid_t obj, const char *name, char ***out, int *n)
{
    hid_t a, t, sp, mt;
    hssize_t cnt;
    char **v;
    int ok = 0;
    *out = NULL;
    *n = 0;
    if (H5Aexists(obj, name) <= 0 || (a = H5Aopen(obj, name, H5P_DEFAULT)) < 0)
        return -1;
    t = H5Aget_type(a);
    sp = H5Aget_space(a);
    cnt = H5Sget_simple_extent_npoints(sp);
    v = calloc((size_t)(cnt > 0 ? cnt : 1), sizeof *v);
    if (v && cnt >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0) {
        mt = H5Tcopy(t);
        if (H5Aread(a, mt, v) >= 0) {
            char **copy = calloc((size_t)(cnt > 0 ? cnt : 1), sizeof *copy);
            ok = copy != NULL;
            for (hssize_t i = 0; ok && i < cnt; i++)
                ok = (copy[i] = strdup(v[i] ? v[i] : "")) != NULL;
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, v);
            if (ok) {
                *out = copy;
                *n = (int)cnt;
            } else if (copy) {
                for (hssize_t i = 0; i < cnt; i++)
                    free(copy[i]);
                free(copy);
            }
        }
        H5Tclose(mt);
    }
    free(v);
    H5Sclose(sp);
    H5Tclose(t);
    H5Aclose(a);
    return ok ? 0 : -1;
}

static void free_strs(char **v, int n)
{
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

typedef struct { asgml_features_index *ix; hid_t file; int bad; } walk;

static herr_t add_group(hid_t loc, const char *name, const H5L_info_t *info, void *data)
{
    walk *w = data;
    asgml_features_group *g, *grown;
    hid_t grp, a;
    char **v;
    int n;
    (void)loc;
    (void)info;
    if (H5Oexists_by_name(w->file, name, H5P_DEFAULT) <= 0 ||
        (grp = H5Gopen2(w->file, name, H5P_DEFAULT)) < 0)
        return 0;   /* not a group */
    grown = realloc(w->ix->groups, (size_t)(w->ix->num_groups + 1) * sizeof *grown);
    if (!grown) {
        H5Gclose(grp);
        w->bad = 1;
        return -1;
    }
    w->ix->groups = grown;
    g = &grown[w->ix->num_groups];
    memset(g, 0, sizeof *g);
    snprintf(g->name, sizeof g->name, "%s", name);
    g->epochs_completed = -1;
    if (H5Aexists(grp, "epochs_completed") > 0 &&
        (a = H5Aopen(grp, "epochs_completed", H5P_DEFAULT)) >= 0) {
        long long e;
        if (H5Aread(a, H5T_NATIVE_LLONG, &e) >= 0)
            g->epochs_completed = (int)e;
        H5Aclose(a);
    }
    if (H5Aexists(grp, "method") > 0 && (a = H5Aopen(grp, "method", H5P_DEFAULT)) >= 0) {
        hid_t t = H5Aget_type(a);
        char *s = NULL;
        if (H5Tis_variable_str(t) > 0 && H5Aread(a, t, &s) >= 0 && s) {
            snprintf(g->method, sizeof g->method, "%s", s);
            H5free_memory(s);
        }
        H5Tclose(t);
        H5Aclose(a);
    }
    if (read_strs(grp, "modalities", &v, &n) == 0) {
        for (int m = 0; m < n && m < ASGML_MAX_MODALITIES; m++)
            snprintf(g->modalities[m], sizeof g->modalities[m], "%s", v[m]);
        g->num_modalities = n < ASGML_MAX_MODALITIES ? n : ASGML_MAX_MODALITIES;
        free_strs(v, n);
    }
    H5Gclose(grp);
    if (g->num_modalities > 0)   /* a group of this format */
        w->ix->num_groups++;
    return 0;
}

static int cmp_group(const void *a, const void *b)
{
    const asgml_features_group *x = a, *y = b;
    if (x->epochs_completed != y->epochs_completed)
        return x->epochs_completed < y->epochs_completed ? -1 : 1;
    return strcmp(x->name, y->name);
}

asgml_status asgml_features_index_read(const char *path, asgml_features_index *out)
{
    hid_t f;
    char **fmt = NULL;
    int nfmt = 0;
    walk w;
    memset(out, 0, sizeof *out);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return asgml_error(ASGML_EIO, "%s: cannot open (missing, unreadable or not HDF5)", path);
    if (H5Aexists(f, "format") > 0) {   /* a scalar vlen string: read as one */
        hid_t a = H5Aopen(f, "format", H5P_DEFAULT), t = H5Aget_type(a);
        char *s = NULL;
        if (H5Tis_variable_str(t) > 0 && H5Aread(a, t, &s) >= 0 && s) {
            nfmt = strcmp(s, "asgml-features") == 0;
            H5free_memory(s);
        }
        H5Tclose(t);
        H5Aclose(a);
    }
    if (!nfmt) {
        H5Fclose(f);
        return asgml_error(ASGML_EFORMAT, "%s: not a features file (root attribute format "
                           "is not \"asgml-features\"; write one with asgml-probe --features)",
                           path);
    }
    if (read_strs(f, "class_names", &fmt, &nfmt) == 0) {
        out->class_names = fmt;
        out->num_classes = nfmt;
    }
    w.ix = out;
    w.file = f;
    w.bad = 0;
    H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, NULL, add_group, &w);
    H5Fclose(f);
    if (w.bad) {
        asgml_features_index_free(out);
        return ASGML_ERR(ASGML_ENOMEM, "out of memory");
    }
    if (out->num_groups == 0) {
        asgml_features_index_free(out);
        return asgml_error(ASGML_EFORMAT, "%s: no checkpoint group with features", path);
    }
    if ((size_t)out->num_groups > 1) qsort(out->groups, (size_t)out->num_groups, sizeof *out->groups, cmp_group);
    return ASGML_OK;
}

void asgml_features_index_free(asgml_features_index *ix)
{
    if (!ix)
        return;
    free(ix->groups);
    free_strs(ix->class_names, ix->num_classes);
    memset(ix, 0, sizeof *ix);
}

/* dataset obj of f read as type into a new buffer of dims (rank 1 or 2) */
static asgml_status read_ds(hid_t f, const char *file, const char *obj, hid_t type, int rank,
                            hsize_t *dims, void **buf)
{
    hid_t ds, sp;
    int r;
    *buf = NULL;
    if (H5Lexists(f, obj, H5P_DEFAULT) <= 0 || (ds = H5Dopen2(f, obj, H5P_DEFAULT)) < 0)
        return asgml_error(ASGML_EFORMAT, "%s: no dataset %s", file, obj);
    sp = H5Dget_space(ds);
    r = H5Sget_simple_extent_ndims(sp);
    if (r != rank) {
        H5Sclose(sp);
        H5Dclose(ds);
        return asgml_error(ASGML_EFORMAT, "%s: %s has rank %d, not %d", file, obj, r, rank);
    }
    H5Sget_simple_extent_dims(sp, dims, NULL);
    *buf = malloc((size_t)(dims[0] * (rank == 2 ? dims[1] : 1)) * H5Tget_size(type) + 1);
    if (!*buf || H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *buf) < 0) {
        free(*buf);
        *buf = NULL;
        H5Sclose(sp);
        H5Dclose(ds);
        return asgml_error(ASGML_EIO, "%s: cannot read %s", file, obj);
    }
    H5Sclose(sp);
    H5Dclose(ds);
    return ASGML_OK;
}

asgml_status asgml_features_read(const char *path, const char *group, const char *part,
                                 const char *modality, float **x, int32_t **labels,
                                 int64_t *n, int64_t *d)
{
    char obj[512];
    hsize_t dx[2] = {0, 0}, dl[1] = {0};
    void *bx = NULL, *bl = NULL;
    asgml_status st;
    hid_t f;
    *x = NULL;
    *labels = NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if ((f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0)
        return asgml_error(ASGML_EIO, "%s: cannot open (missing, unreadable or not HDF5)", path);
    snprintf(obj, sizeof obj, "/%s/%s/%s", group, part, modality);
    st = read_ds(f, path, obj, H5T_NATIVE_FLOAT, 2, dx, &bx);
    snprintf(obj, sizeof obj, "/%s/%s/labels", group, part);
    if (st == ASGML_OK)
        st = read_ds(f, path, obj, H5T_NATIVE_INT32, 1, dl, &bl);
    if (st == ASGML_OK && dl[0] != dx[0])
        st = asgml_error(ASGML_EFORMAT, "%s: %s holds %llu labels for %llu feature rows", path,
                         obj, (unsigned long long)dl[0], (unsigned long long)dx[0]);
    H5Fclose(f);
    if (st != ASGML_OK) {
        free(bx);
        free(bl);
        return st;
    }
    *x = bx;
    *labels = bl;
    *n = (int64_t)dx[0];
    *d = (int64_t)dx[1];
    return ASGML_OK;
}
