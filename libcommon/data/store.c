/* SPDX-License-Identifier: MIT */
/* store.c - reader of the HDF5 feature store (asgml/store.h, asgml-store(5)).
 *
 * Everything small (ids, labels, class names, splits, root attributes,
 * frame offsets) is loaded at open; per-sample datasets stay open and are
 * read on demand.  The HDF5 library used here is the serial build, which is
 * not thread-safe, so every HDF5 call after open runs under one mutex. */
#include "asgml/store.h"
#include "data/store_write.h"
#include "core/h5util.h"
#include "core/text.h"

#include <hdf5.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_MODALITIES 8

typedef struct store_split {
    char scheme[64], part[32];
    int32_t *idx;              /* (n,) sorted indices into N, flagged samples excluded */
    int64_t n;
    int32_t *all;              /* (n_all,) as stored; idx == all when nothing is excluded */
    int64_t n_all;
} store_split;

typedef struct store_attr { char *name, *value; } store_attr;

typedef struct store_modality {
    asgml_modality_info info;
    hid_t dset, memtype;
    int64_t count;             /* first dimension of the dataset (N, or Ftot for frames) */
    int64_t *frame_offset;     /* (N+1,) for variable_count, else NULL */
    int64_t *row_offset;       /* (N+1,) fbank rows + fbank_offset, else NULL */
    float pad_value;           /* row layout: value of appended rows */
    size_t sample_bytes;
} store_modality;

struct asgml_store {
    hid_t file;
    pthread_mutex_t mu;
    char *path;
    uint64_t file_bytes;       /* the file's size at open, bounds what it can hold */
    int64_t n;
    size_t id_stride;          /* bytes per id in ids, NUL included */
    char *ids;                 /* (N, id_stride) NUL-terminated */
    int32_t *labels;           /* (N,) */
    uint32_t *status;          /* (N,) /meta/status or NULL */
    int nclass;
    char **class_names;        /* (C,) */
    store_attr *attrs;
    int nattrs;
    store_modality mod[MAX_MODALITIES];
    int nmod;
    store_split *splits;
    int nsplits;
};

/* ---- attribute helpers --------------------------------------------------- */

/* Appends s to a growing buffer with separator ','. */
static int append(char **buf, size_t *len, const char *s)
{
    size_t sl = strlen(s);
    char *nb = realloc(*buf, *len + sl + 2);
    if (!nb) return -1;
    if (*len) nb[(*len)++] = ',';
    memcpy(nb + *len, s, sl + 1);
    *len += sl;
    *buf = nb;
    return 0;
}

/* the memory type of variable-length C strings in the character set of
 * the file's type ft (HDF5 converts no string between character sets),
 * for reading and reclaiming them: a copy of a damaged file's type made
 * H5Dvlen_reclaim leave a string HDF5 had allocated (fuzz_store,
 * LeakSanitizer) */
static hid_t vstring_type(hid_t ft)
{
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5Tget_cset(ft) == H5T_CSET_UTF8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
    return mt;
}

/* Value of an attribute as text: strings as they are, numbers with %lld or
 * %.17g, arrays joined by ','. */
static char *attr_to_string(hid_t a)
{
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    H5T_class_t cls = H5Tget_class(t);
    char *out = NULL;
    size_t len = 0;
    if (n < 1) n = 1;
    if (cls == H5T_STRING && H5Tis_variable_str(t) > 0) {
        hid_t mt = vstring_type(t);   /* not the file's type (it may be damaged) */
        char **v = calloc((size_t)n, sizeof *v);
        if (v && H5Aread(a, mt, v) >= 0) {
            out = calloc(1, 1);
            for (hssize_t i = 0; out && i < n; i++)
                if (append(&out, &len, v[i] ? v[i] : "") != 0) { free(out); out = NULL; }
        }
        /* also after a failed read: HDF5 leaves the strings it had read
         * (v is zeroed, so the rest are NULL) */
        if (v)
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, v);
        free(v);
        H5Tclose(mt);
    } else if (cls == H5T_STRING) {
        size_t sz = H5Tget_size(t);
        char *v = calloc((size_t)n, sz + 1);
        hid_t mt = H5Tcopy(t);
        if (v && H5Aread(a, mt, v) >= 0) {
            out = calloc(1, 1);
            char *one = malloc(sz + 1);
            for (hssize_t i = 0; out && one && i < n; i++) {
                memcpy(one, v + (size_t)i * sz, sz);
                one[sz] = 0;
                if (append(&out, &len, one) != 0) { free(out); out = NULL; }
            }
            free(one);
        }
        free(v);
        H5Tclose(mt);
    } else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
        int isf = cls == H5T_FLOAT;
        void *v = malloc((size_t)n * 8);
        if (v && H5Aread(a, isf ? H5T_NATIVE_DOUBLE : H5T_NATIVE_LLONG, v) >= 0) {
            out = calloc(1, 1);
            for (hssize_t i = 0; out && i < n; i++) {
                char num[40];
                if (isf) snprintf(num, sizeof num, "%.17g", ((double *)v)[i]);
                else snprintf(num, sizeof num, "%lld", ((long long *)v)[i]);
                if (append(&out, &len, num) != 0) { free(out); out = NULL; }
            }
        }
        free(v);
    }
    H5Sclose(sp);
    H5Tclose(t);
    return out;
}

/* Object obj's header and the strings its attributes name, before any of
 * them is read (core/h5util.h: HDF5 1.10.8 does not survive some damage). */
static asgml_status check_obj(hid_t file, const char *obj)
{
    hid_t o = H5Oopen(file, obj, H5P_DEFAULT);
    asgml_status st = ASGML_OK;
    if (o >= 0) {
        st = asgml_h5_check_object(o);
        H5Oclose(o);
    }
    return st;
}

/* String attribute `name` of object obj as a malloc'd string, NULL if absent. */
static char *obj_attr_string(hid_t file, const char *obj, const char *name)
{
    char *v = NULL;
    if (H5Aexists_by_name(file, obj, name, H5P_DEFAULT) <= 0) return NULL;
    hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) { v = attr_to_string(a); H5Aclose(a); }
    return v;
}

/* Root attributes are read one by one, by name (H5Aexists_by_name,
 * H5Aopen_by_name), never by iterating over all of them: HDF5 1.10.8
 * (Debian 12) builds an attribute table for H5Aiterate2 and, when one
 * attribute message of a damaged file does not decode, frees the half-built
 * table including entries it never filled (H5A__attr_release_table ->
 * H5A__close on garbage; SEGV, found by fuzz/fuzz_store, input
 * fuzz/known/store-hdf5-attr-table-segv.h5).  The by-name calls walk the
 * header messages without that table.  These are the root attributes of
 * asgml-store(5); they are read and checked at open, any other name when
 * asgml_store_attr asks for it. */
static const char *const root_attr_names[] = {
    "format", "format_version", "dataset", "preset", "tool_version", "created_utc",
    "command_line", "manifest", "manifest_sha256", "source_root", "seed", "num_samples",
    "num_classes", "modalities", "default_split", "num_skipped", "skipped", "max_bad",
    "params_json", "content_sha256",
};

/* Reads root attribute `name` into the cache s->attrs (value NULL: absent).
 * Returns the entry, or NULL with *st set when the attribute exists but
 * cannot be read (damaged message, unsupported type) or memory runs out.
 * The caller holds s->mu or is asgml_store_open. */
static store_attr *root_attr_load(asgml_store *s, const char *name, asgml_status *st)
{
    for (int i = 0; i < s->nattrs; i++)
        if (strcmp(s->attrs[i].name, name) == 0) return &s->attrs[i];
    htri_t ex = H5Aexists_by_name(s->file, "/", name, H5P_DEFAULT);
    char *v = NULL;
    if (ex < 0) {
        *st = asgml_error(ASGML_EFORMAT, "%s: root attribute %s: unreadable (damaged file?)", s->path, name);
        return NULL;
    }
    if (ex > 0) {
        hid_t a = H5Aopen_by_name(s->file, "/", name, H5P_DEFAULT, H5P_DEFAULT);
        if (a >= 0) { v = attr_to_string(a); H5Aclose(a); }
        if (!v) {
            *st = asgml_error(ASGML_EFORMAT, "%s: root attribute %s: unreadable or of an unsupported type",
                              s->path, name);
            return NULL;
        }
    }
    store_attr *na = realloc(s->attrs, (size_t)(s->nattrs + 1) * sizeof *na);
    char *nm = strdup(name);
    if (na) s->attrs = na;
    if (!na || !nm) {
        free(v);
        free(nm);
        *st = asgml_error(ASGML_ENOMEM, "%s: out of memory", s->path);
        return NULL;
    }
    s->attrs[s->nattrs].name = nm;
    s->attrs[s->nattrs].value = v;
    return &s->attrs[s->nattrs++];
}

/* ---- dataset helpers ------------------------------------------------------ */

/* Whether n elements of esize bytes could come from this file even
 * compressed (deflate expands at most 1032:1): a damaged extent claiming
 * 2^60 elements was allocated as claimed (fuzz_store, ASan
 * allocation-size-too-big, tests/fixtures/fuzz/store/split-claims-2e60.h5). */
static int fits_file(const asgml_store *s, uint64_t n, uint64_t esize)
{
    uint64_t cap = (s->file_bytes ? s->file_bytes : 1) * 1100;
    return esize == 0 || n <= cap / esize;
}

static asgml_status too_many(const asgml_store *s, const char *path, uint64_t n)
{
    return asgml_error(ASGML_EFORMAT, "%s: %s claims %llu elements, more than its %llu bytes can hold",
                       s->path, path, (unsigned long long)n, (unsigned long long)s->file_bytes);
}

/* Reads a whole 1-D dataset of N elements with memory type mt into a
 * malloc'd buffer; *n gets the length. */
static asgml_status read_1d(asgml_store *s, const char *path, hid_t mt, size_t esize,
                            void **out, int64_t *n)
{
    *out = NULL;
    hid_t d = H5Dopen2(s->file, path, H5P_DEFAULT);
    if (d < 0) return asgml_error(ASGML_EFORMAT, "%s: %s: missing dataset", s->path, path);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2] = {0};
    int rank = H5Sget_simple_extent_ndims(sp);
    asgml_status st = ASGML_OK;
    /* integers of 1 to 8 bytes: HDF5 1.10.8 sizes its conversion buffer by
     * the stored element size (4 GB for a damaged one, fuzz_store,
     * tests/fixtures/fuzz/store/split-int-size-4g.h5) */
    hid_t ft = H5Dget_type(d);
    size_t fsz = ft >= 0 ? H5Tget_size(ft) : 0;
    int is_int = ft >= 0 && H5Tget_class(ft) == H5T_INTEGER && (fsz == 1 || fsz == 2 || fsz == 4 || fsz == 8);
    if (ft >= 0)
        H5Tclose(ft);
    if (rank != 1 || !is_int) {
        st = asgml_error(ASGML_EFORMAT, "%s: %s: expected a 1-D dataset of integers", s->path, path);
    } else {
        H5Sget_simple_extent_dims(sp, dims, NULL);
        if (!fits_file(s, dims[0], esize)) st = too_many(s, path, dims[0]);
        else if (!(*out = malloc((size_t)dims[0] * esize + 1)))
            st = asgml_error(ASGML_ENOMEM, "%s: out of memory", s->path);
        else if (dims[0] && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
            st = asgml_error(ASGML_EIO, "%s: %s: read error", s->path, path);
        *n = (int64_t)dims[0];
    }
    H5Sclose(sp);
    H5Dclose(d);
    if (st) { free(*out); *out = NULL; }
    return st;
}

static asgml_status read_strings(asgml_store *s, const char *path, char ***out, int64_t *n)
{
    *out = NULL;
    hid_t d = H5Dopen2(s->file, path, H5P_DEFAULT);
    if (d < 0) return asgml_error(ASGML_EFORMAT, "%s: %s: missing dataset", s->path, path);
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
    hsize_t dim = 0;
    asgml_status st = ASGML_OK;
    if (H5Sget_simple_extent_ndims(sp) != 1 || H5Tget_class(t) != H5T_STRING) {
        st = asgml_error(ASGML_EFORMAT, "%s: %s: expected 1-D strings", s->path, path);
    } else {
        H5Sget_simple_extent_dims(sp, &dim, NULL);
        *n = (int64_t)dim;
        char **v = NULL;
        if (!fits_file(s, dim, 1)) st = too_many(s, path, dim);
        else if (!(v = calloc((size_t)dim + 1, sizeof *v)))
            st = asgml_error(ASGML_ENOMEM, "%s: out of memory", s->path);
        if (!st && H5Tis_variable_str(t) > 0)
            st = asgml_h5_check_strings(d);
        if (!st && H5Tis_variable_str(t) > 0) {
            char **tmp = calloc((size_t)dim + 1, sizeof *tmp);
            hid_t mt = vstring_type(t);   /* not the file's type (it may be damaged) */
            if (!tmp || H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp) < 0) {
                st = asgml_error(ASGML_EIO, "%s: %s: read error", s->path, path);
            } else {
                for (hsize_t i = 0; i < dim; i++) v[i] = strdup(tmp[i] ? tmp[i] : "");
            }
            if (tmp)   /* also the strings a failed read left (tmp is zeroed) */
                H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, tmp);
            free(tmp);
            H5Tclose(mt);
        } else if (!st) {
            size_t sz = H5Tget_size(t);
            char *raw = fits_file(s, dim, sz) ? malloc((size_t)dim * sz + 1) : NULL;
            hid_t mt = H5Tcopy(t);
            if (!raw || H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) {
                st = asgml_error(ASGML_EIO, "%s: %s: read error", s->path, path);
            } else {
                for (hsize_t i = 0; i < dim; i++) {
                    v[i] = calloc(sz + 1, 1);
                    if (v[i]) memcpy(v[i], raw + i * sz, sz);
                }
            }
            free(raw);
            H5Tclose(mt);
        }
        for (hsize_t i = 0; !st && i < dim; i++)
            if (!v[i]) st = asgml_error(ASGML_ENOMEM, "%s: out of memory", s->path);
        if (st && v) {
            for (hsize_t i = 0; i < dim; i++) free(v[i]);
            free(v);
            v = NULL;
        }
        *out = v;
    }
    H5Tclose(t);
    H5Sclose(sp);
    H5Dclose(d);
    return st;
}

static asgml_status load_ids(asgml_store *s)
{
    hid_t d = H5Dopen2(s->file, "/meta/id", H5P_DEFAULT);
    if (d < 0) return asgml_error(ASGML_EFORMAT, "%s: /meta/id: missing dataset", s->path);
    hid_t t = H5Dget_type(d), sp = H5Dget_space(d);
    hsize_t dim = 0;
    asgml_status st = ASGML_OK;
    if (H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) > 0 ||
        H5Sget_simple_extent_ndims(sp) != 1) {
        st = asgml_error(ASGML_EFORMAT, "%s: /meta/id: expected fixed-length strings", s->path);
    } else {
        H5Sget_simple_extent_dims(sp, &dim, NULL);
        size_t sz = H5Tget_size(t);
        if (!fits_file(s, dim, sz)) {
            H5Tclose(t);
            H5Sclose(sp);
            H5Dclose(d);
            return too_many(s, "/meta/id", dim);
        }
        s->n = (int64_t)dim;
        s->id_stride = sz + 1;
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, sz + 1); /* reading into size+1 NUL-terminates each id */
        H5Tset_strpad(mt, H5T_STR_NULLTERM);
        s->ids = calloc((size_t)dim + 1, sz + 1);
        if (!s->ids) st = asgml_error(ASGML_ENOMEM, "%s: out of memory", s->path);
        else if (dim && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, s->ids) < 0)
            st = asgml_error(ASGML_EIO, "%s: /meta/id: read error", s->path);
        H5Tclose(mt);
    }
    H5Tclose(t); H5Sclose(sp); H5Dclose(d);
    return st;
}

/* ---- splits ----------------------------------------------------------------- */

typedef struct split_iter { asgml_store *s; const char *scheme; asgml_status st; } split_iter;

static herr_t part_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)g; (void)info;
    split_iter *it = data;
    asgml_store *s = it->s;
    size_t nl = strlen(name);
    if (nl > 8 && strcmp(name + nl - 8, "_missing") == 0) return 0;
    char path[160];
    snprintf(path, sizeof path, "/splits/%s/%s", it->scheme, name);
    store_split *ns = realloc(s->splits, (size_t)(s->nsplits + 1) * sizeof *ns);
    if (!ns) { it->st = asgml_error(ASGML_ENOMEM, "%s: out of memory", s->path); return -1; }
    s->splits = ns;
    store_split *sp = &s->splits[s->nsplits];
    memset(sp, 0, sizeof *sp);
    snprintf(sp->scheme, sizeof sp->scheme, "%s", it->scheme);
    snprintf(sp->part, sizeof sp->part, "%s", name);
    void *buf;
    it->st = read_1d(s, path, H5T_NATIVE_INT32, 4, &buf, &sp->n);
    if (it->st) return -1;
    sp->idx = sp->all = buf;
    sp->n_all = sp->n;
    for (int64_t i = 0; i < sp->n; i++)
        if (sp->idx[i] < 0 || sp->idx[i] >= s->n) {
            int bad = (int)sp->idx[i];   /* read before the free (fuzz_store: heap-use-after-free) */
            free(buf);
            sp->idx = sp->all = NULL;
            it->st = asgml_error(ASGML_EFORMAT, "%s: %s: index %d out of range", s->path, path, bad);
            return -1;
        }
    s->nsplits++;
    return 0;
}

static herr_t scheme_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)info;
    split_iter *it = data;
    it->scheme = name;
    hsize_t pos = 0;
    if (H5Literate_by_name(g, name, H5_INDEX_NAME, H5_ITER_INC, &pos, part_cb, it, H5P_DEFAULT) < 0)
        return -1;
    return 0;
}

static asgml_status load_splits(asgml_store *s)
{
    if (H5Lexists(s->file, "/splits", H5P_DEFAULT) <= 0) return ASGML_OK;
    split_iter it = {s, NULL, ASGML_OK};
    hsize_t pos = 0;
    if (H5Literate_by_name(s->file, "/splits", H5_INDEX_NAME, H5_ITER_INC, &pos, scheme_cb, &it,
                           H5P_DEFAULT) < 0)
        return it.st ? it.st : asgml_error(ASGML_EFORMAT, "%s: /splits: unreadable", s->path);
    return ASGML_OK;
}

/* ---- modalities ------------------------------------------------------------ */

static asgml_status load_modality(asgml_store *s, const char *name)
{
    if (s->nmod >= MAX_MODALITIES) return asgml_error(ASGML_ENOTSUP, "%s: too many modalities", s->path);
    store_modality *m = &s->mod[s->nmod];
    memset(m, 0, sizeof *m);
    m->dset = H5I_INVALID_HID;
    char grp[80], path[160];
    snprintf(grp, sizeof grp, "/%s", name);
    asgml_status cst = check_obj(s->file, grp);
    if (cst) return cst;
    char *sd = obj_attr_string(s->file, grp, "sample_dataset");
    if (!sd) return asgml_error(ASGML_EFORMAT, "%s: %s: no attribute sample_dataset", s->path, grp);
    snprintf(m->info.name, sizeof m->info.name, "%s", name);
    snprintf(m->info.dataset, sizeof m->info.dataset, "%s", sd);
    free(sd);
    snprintf(path, sizeof path, "%s/%s", grp, m->info.dataset);
    m->dset = H5Dopen2(s->file, path, H5P_DEFAULT);
    if (m->dset < 0) return asgml_error(ASGML_EFORMAT, "%s: %s: missing dataset", s->path, path);
    hid_t t = H5Dget_type(m->dset), sp = H5Dget_space(m->dset);
    int rank = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[8] = {0};
    H5T_class_t cls = H5Tget_class(t);
    size_t sz = H5Tget_size(t);
    H5T_sign_t sign = cls == H5T_INTEGER ? H5Tget_sign(t) : H5T_SGN_ERROR;
    asgml_status st = ASGML_OK;
    int rows = rank == 2 && strcmp(m->info.dataset, "fbank") == 0;  /* (R, M) + fbank_offset */
    if (rank >= 2 && rank <= 5) H5Sget_simple_extent_dims(sp, dims, NULL);
    else st = asgml_error(ASGML_EFORMAT, "%s: %s: rank %d not supported", s->path, path, rank);
    H5Tclose(t);
    H5Sclose(sp);
    if (st) return st;
    if (cls == H5T_INTEGER && sz == 1 && sign == H5T_SGN_NONE) {
        m->info.dtype = ASGML_U8; m->memtype = H5T_NATIVE_UINT8;
    } else if (cls == H5T_INTEGER && sz == 2 && sign == H5T_SGN_2) {
        m->info.dtype = ASGML_I16; m->memtype = H5T_NATIVE_INT16;
    } else if (cls == H5T_FLOAT && sz == 4) {
        m->info.dtype = ASGML_F32; m->memtype = H5T_NATIVE_FLOAT;
    } else {
        return asgml_error(ASGML_ENOTSUP, "%s: %s: element type not supported", s->path, path);
    }
    m->count = (int64_t)dims[0];
    m->info.ndim = rank - 1;
    size_t elems = 1;
    for (int i = 1; i < rank; i++) { m->info.shape[i - 1] = (int64_t)dims[i]; elems *= dims[i]; }
    m->sample_bytes = elems * sz;
    m->info.variable_count = strcmp(m->info.dataset, "frames") == 0;
    if (rows) {   /* a sample is target_rows rows: its own, then pad_value rows (or cut) */
        if ((st = check_obj(s->file, path)) != ASGML_OK) return st;
        char *tr = obj_attr_string(s->file, path, "target_rows");
        char *pv = obj_attr_string(s->file, path, "pad_value");
        int64_t target = tr ? strtoll(tr, NULL, 10) : 0;
        m->pad_value = pv ? strtof(pv, NULL) : 0.0f;
        free(tr);
        free(pv);
        if (target < 1 || cls != H5T_FLOAT)
            return asgml_error(ASGML_EFORMAT, "%s: %s: float rows need an attribute target_rows >= 1",
                               s->path, path);
        m->info.ndim = 2;
        m->info.shape[0] = target;
        m->info.shape[1] = (int64_t)dims[1];
        m->sample_bytes = (size_t)target * (size_t)dims[1] * sz;
        snprintf(path, sizeof path, "%s/fbank_offset", grp);
        void *buf;
        int64_t n;
        st = read_1d(s, path, H5T_NATIVE_INT64, 8, &buf, &n);
        if (st) return st;
        m->row_offset = buf;
        if (n != s->n + 1 || m->row_offset[0] != 0 || m->row_offset[s->n] != m->count)
            return asgml_error(ASGML_EFORMAT, "%s: %s: inconsistent with N=%lld", s->path, path,
                               (long long)s->n);
        for (int64_t i = 0; i < s->n; i++)
            if (m->row_offset[i + 1] < m->row_offset[i])
                return asgml_error(ASGML_EFORMAT, "%s: %s: offsets decrease", s->path, path);
    } else if (m->info.variable_count) {
        snprintf(path, sizeof path, "%s/frame_offset", grp);
        void *buf;
        int64_t n;
        st = read_1d(s, path, H5T_NATIVE_INT64, 8, &buf, &n);
        if (st) return st;
        m->frame_offset = buf;
        if (n != s->n + 1 || m->frame_offset[0] != 0 || m->frame_offset[s->n] != m->count)
            return asgml_error(ASGML_EFORMAT, "%s: %s: inconsistent with N=%lld", s->path, path,
                               (long long)s->n);
        for (int64_t i = 0; i < s->n; i++)
            if (m->frame_offset[i + 1] < m->frame_offset[i])
                return asgml_error(ASGML_EFORMAT, "%s: %s: offsets decrease", s->path, path);
    } else if (m->count != s->n) {
        return asgml_error(ASGML_EFORMAT, "%s: %s: %lld samples, /meta/id has %lld", s->path,
                           path, (long long)m->count, (long long)s->n);
    }
    s->nmod++;
    return ASGML_OK;
}

static asgml_status load_modalities(asgml_store *s)
{
    if (H5Aexists(s->file, "modalities") <= 0)
        return asgml_error(ASGML_EFORMAT, "%s: no root attribute 'modalities'", s->path);
    hid_t a = H5Aopen(s->file, "modalities", H5P_DEFAULT);
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    asgml_status st = ASGML_OK;
    if (H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) <= 0) {
        st = asgml_error(ASGML_EFORMAT, "%s: attribute 'modalities' is not a string list", s->path);
    } else {
        char **v = calloc((size_t)n + 1, sizeof *v);
        hid_t mt = vstring_type(t);
        if (!v || H5Aread(a, mt, v) < 0) {
            st = asgml_error(ASGML_EIO, "%s: cannot read attribute 'modalities'", s->path);
            if (v)   /* what a failed read left (v is zeroed) */
                H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, v);
        } else {
            for (hssize_t i = 0; !st && i < n; i++) st = load_modality(s, v[i] ? v[i] : "");
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, v);
        }
        free(v);
        H5Tclose(mt);
    }
    H5Tclose(t); H5Sclose(sp); H5Aclose(a);
    return st;
}

/* ---- open / close ------------------------------------------------------------ */

asgml_status asgml_store_open(const char *path, asgml_store **out)
{
    *out = NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* the library never prints */
    asgml_store *s = calloc(1, sizeof *s);
    if (!s) return asgml_error(ASGML_ENOMEM, "%s: out of memory", path);
    pthread_mutex_init(&s->mu, NULL);
    s->path = strdup(path);
    asgml_status st = asgml_h5_check_file(path);   /* before H5Fopen (core/h5util.h) */
    if (st) {
        s->file = -1;
        asgml_store_close(s);
        return st;
    }
    struct stat fst;
    s->file_bytes = stat(path, &fst) == 0 ? (uint64_t)fst.st_size : 0;
    s->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (s->file < 0) {
        st = asgml_error(ASGML_EIO, "%s: cannot open (missing, unreadable or not HDF5)", path);
        asgml_store_close(s);
        return st;
    }
    char *fmt = obj_attr_string(s->file, "/", "format");
    if (!fmt || strcmp(fmt, "asgml-store") != 0)
        st = asgml_error(ASGML_EFORMAT, "%s: not an asgml store (attribute format)", path);
    free(fmt);
    char *ver = st ? NULL : obj_attr_string(s->file, "/", "format_version");
    if (!st && (!ver || strcmp(ver, "1") != 0))
        st = asgml_error(ASGML_ENOTSUP, "%s: store format_version %s not supported (want 1)",
                         path, ver ? ver : "(none)");
    free(ver);
    for (size_t a = 0; !st && a < sizeof root_attr_names / sizeof *root_attr_names; a++)
        (void)root_attr_load(s, root_attr_names[a], &st);
    if (!st) st = load_ids(s);
    if (!st) {
        void *buf;
        int64_t n;
        st = read_1d(s, "/meta/label", H5T_NATIVE_INT32, 4, &buf, &n);
        s->labels = buf;
        if (!st && n != s->n)
            st = asgml_error(ASGML_EFORMAT, "%s: /meta/label has %lld entries, /meta/id %lld",
                             path, (long long)n, (long long)s->n);
    }
    if (!st) {
        int64_t c = 0;
        st = read_strings(s, "/meta/class_names", &s->class_names, &c);
        s->nclass = (int)c;
    }
    for (int64_t i = 0; !st && i < s->n; i++)
        if (s->labels[i] < -1 || s->labels[i] >= s->nclass)
            st = asgml_error(ASGML_EFORMAT, "%s: /meta/label[%lld] = %d out of range", path,
                             (long long)i, (int)s->labels[i]);
    if (!st && H5Lexists(s->file, "/meta/status", H5P_DEFAULT) > 0) {
        void *buf;
        int64_t n;
        st = read_1d(s, "/meta/status", H5T_NATIVE_UINT32, 4, &buf, &n);
        s->status = buf;
        if (!st && n != s->n)
            st = asgml_error(ASGML_EFORMAT, "%s: /meta/status has %lld entries, /meta/id %lld",
                             path, (long long)n, (long long)s->n);
    }
    if (!st) st = load_splits(s);
    if (!st) st = load_modalities(s);
    if (st) { asgml_store_close(s); return st; }
    *out = s;
    return ASGML_OK;
}

void asgml_store_close(asgml_store *s)
{
    if (!s) return;
    for (int m = 0; m < s->nmod; m++) {
        if (s->mod[m].dset >= 0) H5Dclose(s->mod[m].dset);
        free(s->mod[m].frame_offset);
        free(s->mod[m].row_offset);
    }
    if (s->nmod < MAX_MODALITIES) { /* a modality whose loading failed half-way */
        if (s->mod[s->nmod].dset > 0) H5Dclose(s->mod[s->nmod].dset);
        free(s->mod[s->nmod].frame_offset);
        free(s->mod[s->nmod].row_offset);
    }
    for (int i = 0; i < s->nsplits; i++) {
        if (s->splits[i].idx != s->splits[i].all) free(s->splits[i].idx);
        free(s->splits[i].all);
    }
    free(s->status);
    free(s->splits);
    for (int i = 0; i < s->nattrs; i++) { free(s->attrs[i].name); free(s->attrs[i].value); }
    free(s->attrs);
    if (s->class_names) for (int i = 0; i < s->nclass; i++) free(s->class_names[i]);
    free(s->class_names);
    free(s->labels);
    free(s->ids);
    if (s->file >= 0) H5Fclose(s->file);
    pthread_mutex_destroy(&s->mu);
    free(s->path);
    free(s);
}

/* ---- accessors ---------------------------------------------------------------- */

int64_t asgml_store_num_samples(const asgml_store *s) { return s->n; }
int asgml_store_num_classes(const asgml_store *s) { return s->nclass; }
const char *asgml_store_class_name(const asgml_store *s, int c)
{
    return c >= 0 && c < s->nclass ? s->class_names[c] : NULL;
}
int asgml_store_num_modalities(const asgml_store *s) { return s->nmod; }
const asgml_modality_info *asgml_store_modality(const asgml_store *s, int m)
{
    return m >= 0 && m < s->nmod ? &s->mod[m].info : NULL;
}
int asgml_store_find_modality(const asgml_store *s, const char *name)
{
    for (int m = 0; m < s->nmod; m++)
        if (strcmp(s->mod[m].info.name, name) == 0) return m;
    return -1;
}
const int32_t *asgml_store_labels(const asgml_store *s) { return s->labels; }
const char *asgml_store_id(const asgml_store *s, int64_t i)
{
    return i >= 0 && i < s->n ? s->ids + (size_t)i * s->id_stride : NULL;
}
const char *asgml_store_attr(const asgml_store *cs, const char *name)
{
    /* the cache of root attributes grows on a name not read at open; the
     * store was allocated non-const by asgml_store_open */
    asgml_store *s = (asgml_store *)cs;
    asgml_status st = ASGML_OK;
    pthread_mutex_lock(&s->mu);
    store_attr *a = root_attr_load(s, name, &st);
    pthread_mutex_unlock(&s->mu);
    return a ? a->value : NULL;
}
const char *asgml_store_checksum(const asgml_store *s) { return asgml_store_attr(s, "content_sha256"); }
const char *asgml_store_dataset_name(const asgml_store *s) { return asgml_store_attr(s, "dataset"); }
const char *asgml_store_path(const asgml_store *s) { return s->path; }

asgml_status asgml_store_split(const asgml_store *s, const char *scheme, const char *part,
                               const int32_t **idx, int64_t *n)
{
    if (!scheme) scheme = asgml_store_attr(s, "default_split");
    if (!scheme) return asgml_error(ASGML_EINVAL, "%s: no default split scheme", s->path);
    for (int i = 0; i < s->nsplits; i++)
        if (strcmp(s->splits[i].scheme, scheme) == 0 && strcmp(s->splits[i].part, part) == 0) {
            *idx = s->splits[i].idx;
            *n = s->splits[i].n;
            return ASGML_OK;
        }
    return asgml_error(ASGML_EINVAL, "%s: no split /splits/%s/%s", s->path, scheme, part);
}

int asgml_store_has_split(const asgml_store *s, const char *scheme, const char *part)
{
    if (!scheme) scheme = asgml_store_attr(s, "default_split");
    if (!scheme) return 0;
    for (int i = 0; i < s->nsplits; i++)
        if (strcmp(s->splits[i].scheme, scheme) == 0 && strcmp(s->splits[i].part, part) == 0)
            return 1;
    return 0;
}

const uint32_t *asgml_store_status(const asgml_store *s) { return s->status; }

asgml_status asgml_store_exclude_flags(asgml_store *s, uint32_t mask, int64_t *excluded)
{
    int64_t out = 0;
    for (int i = 0; i < s->nsplits; i++) {
        store_split *sp = &s->splits[i];
        if (sp->idx != sp->all) free(sp->idx);
        sp->idx = sp->all;
        sp->n = sp->n_all;
        if (!mask || !s->status) continue;
        int32_t *keep = malloc((size_t)(sp->n_all > 0 ? sp->n_all : 1) * sizeof *keep);
        if (!keep) return asgml_error(ASGML_ENOMEM, "%s: out of memory", s->path);
        int64_t k = 0;
        for (int64_t j = 0; j < sp->n_all; j++)
            if (!(s->status[sp->all[j]] & mask)) keep[k++] = sp->all[j];
        out += sp->n_all - k;
        sp->idx = keep;
        sp->n = k;
    }
    if (excluded) *excluded = out;
    return ASGML_OK;
}

int64_t asgml_store_frame_count(const asgml_store *s, int m, int64_t i)
{
    if (m < 0 || m >= s->nmod || i < 0 || i >= s->n) return 0;
    const store_modality *mm = &s->mod[m];
    if (!mm->info.variable_count) return 1;
    return mm->frame_offset[i + 1] - mm->frame_offset[i];
}

size_t asgml_store_sample_bytes(const asgml_store *s, int m)
{
    return m >= 0 && m < s->nmod ? s->mod[m].sample_bytes : 0;
}

asgml_status asgml_store_read(asgml_store *s, int m, const int64_t *idx, int64_t n,
                              int64_t frame, void *buf)
{
    if (m < 0 || m >= s->nmod) return asgml_error(ASGML_EINVAL, "%s: no modality %d", s->path, m);
    store_modality *mm = &s->mod[m];
    int rank = mm->info.ndim + 1;
    hsize_t start[8] = {0}, count[8] = {1};
    for (int k = 1; k < rank; k++) count[k] = (hsize_t)mm->info.shape[k - 1];
    asgml_status st = ASGML_OK;
    pthread_mutex_lock(&s->mu);
    hid_t fs = H5Dget_space(mm->dset), ms = H5Screate_simple(rank, count, NULL);
    for (int64_t j = 0; j < n && !st; j++) {
        int64_t i = idx[j], row = i;
        if (i < 0 || i >= s->n) {
            st = asgml_error(ASGML_EINVAL, "%s: sample index %lld out of range [0,%lld)", s->path,
                             (long long)i, (long long)s->n);
            break;
        }
        if (mm->row_offset) {   /* own rows, then pad_value rows up to shape[0] */
            int64_t have = mm->row_offset[i + 1] - mm->row_offset[i], T = mm->info.shape[0];
            int64_t keep = have < T ? have : T, M = mm->info.shape[1];
            float *out = (float *)((char *)buf + (size_t)j * mm->sample_bytes);
            for (int64_t e = keep * M; e < T * M; e++) out[e] = mm->pad_value;
            if (keep == 0) continue;
            hsize_t rs[2] = {(hsize_t)mm->row_offset[i], 0}, rc[2] = {(hsize_t)keep, (hsize_t)M};
            hid_t rms = H5Screate_simple(2, rc, NULL);
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, rs, NULL, rc, NULL);
            if (H5Dread(mm->dset, mm->memtype, rms, fs, H5P_DEFAULT, out) < 0)
                st = asgml_error(ASGML_EIO, "%s: /%s/%s: read error at sample %lld", s->path,
                                 mm->info.name, mm->info.dataset, (long long)i);
            H5Sclose(rms);
            continue;
        }
        if (mm->info.variable_count) {
            int64_t c = mm->frame_offset[i + 1] - mm->frame_offset[i];
            if (c == 0) { /* no frame at all: zeros */
                memset((char *)buf + (size_t)j * mm->sample_bytes, 0, mm->sample_bytes);
                continue;
            }
            int64_t f = frame < 0 ? 0 : frame >= c ? c - 1 : frame;
            row = mm->frame_offset[i] + f;
        }
        start[0] = (hsize_t)row;
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
        if (H5Dread(mm->dset, mm->memtype, ms, fs, H5P_DEFAULT,
                    (char *)buf + (size_t)j * mm->sample_bytes) < 0) {
            char why[256];
            asgml_h5_quiet();   /* in case this thread never said so */
            asgml_h5_message(why, sizeof why);
            st = asgml_error(ASGML_EIO, "%s: /%s/%s: read error at sample %lld%s%s%s", s->path,
                             mm->info.name, mm->info.dataset, (long long)i,
                             *why ? " (HDF5: " : "", why, *why ? ")" : "");
        }
    }
    H5Sclose(ms);
    H5Sclose(fs);
    pthread_mutex_unlock(&s->mu);
    return st;
}

/* ---- verify (asgml-prep verify) ------------------------------------------------ */

/* The strings' encodings (asgml-store(5)): /meta/id ASCII; every other string
 * dataset under /meta (class_names, group_names, meta:NAME:str values) and
 * every string root attribute UTF-8 (h5py decodes them as str and raises
 * on anything else).  An older asgml-prep stored a manifest's bytes as they
 * were (issue 13, item 6). */
typedef struct text_iter { asgml_store *s; asgml_status st; } text_iter;

static herr_t meta_text_cb(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    text_iter *it = data;
    asgml_store *s = it->s;
    char path[160], **v = NULL;
    int64_t n = 0;
    (void)info;
    if (!strcmp(name, "id")) return 0;   /* checked as ASCII */
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0) return 0;                 /* a group, not a dataset */
    hid_t t = H5Dget_type(d);
    int is_str = H5Tget_class(t) == H5T_STRING;
    H5Tclose(t);
    H5Dclose(d);
    if (!is_str) return 0;
    snprintf(path, sizeof path, "/meta/%s", name);
    it->st = read_strings(s, path, &v, &n);
    for (int64_t i = 0; !it->st && i < n; i++) {
        long bad = asgml_utf8_bad(v[i]);
        if (bad >= 0)
            it->st = asgml_error(ASGML_EFORMAT, "%s: %s[%lld]: invalid UTF-8 at byte %ld", s->path, path,
                                 (long long)i, bad + 1);
    }
    for (int64_t i = 0; v && i < n; i++) free(v[i]);
    free(v);
    return it->st ? 1 : 0;
}

static asgml_status verify_text(asgml_store *s)
{
    for (int64_t i = 0; i < s->n; i++) {
        long bad = asgml_ascii_bad(asgml_store_id(s, i));
        if (bad >= 0)
            return asgml_error(ASGML_EFORMAT, "%s: /meta/id[%lld]: byte %ld (0x%02X) is not ASCII", s->path,
                               (long long)i, bad + 1, (unsigned)(unsigned char)asgml_store_id(s, i)[bad]);
    }
    for (int a = 0; a < s->nattrs; a++) {   /* root_attr_names, read at open */
        long bad = s->attrs[a].value ? asgml_utf8_bad(s->attrs[a].value) : -1;
        if (bad >= 0)
            return asgml_error(ASGML_EFORMAT, "%s: root attribute %s: invalid UTF-8 at byte %ld", s->path,
                               s->attrs[a].name, bad + 1);
    }
    text_iter it = {s, ASGML_OK};
    hsize_t pos = 0;
    pthread_mutex_lock(&s->mu);
    if (H5Literate_by_name(s->file, "/meta", H5_INDEX_NAME, H5_ITER_INC, &pos, meta_text_cb, &it,
                           H5P_DEFAULT) < 0 && !it.st)
        it.st = asgml_error(ASGML_EFORMAT, "%s: /meta: unreadable", s->path);
    pthread_mutex_unlock(&s->mu);
    return it.st;
}

asgml_status asgml_store_verify(const char *path)
{
    asgml_store *s;
    asgml_status st = asgml_store_open(path, &s); /* labels, split ranges, frame offsets */
    if (st) return st;
    char hex[65];
    const char *want = asgml_store_checksum(s);
    pthread_mutex_lock(&s->mu);
    st = asgml_store_content_sha256_file((int64_t)s->file, hex);
    pthread_mutex_unlock(&s->mu);
    if (st && strncmp(asgml_last_error(), path, strlen(path)) != 0)   /* the HDF5 checks name the file */
        st = asgml_error_prefix(st, "%s", path);
    if (!st && (!want || strcmp(want, hex) != 0))
        st = asgml_error(ASGML_EFORMAT, "%s: content checksum %s does not match the recorded %s", path, hex,
                         want ? want : "(none)");
    const char *ns = asgml_store_attr(s, "num_samples");
    if (!st && (!ns || strtoll(ns, NULL, 10) != s->n))
        st = asgml_error(ASGML_EFORMAT, "%s: num_samples %s, /meta/id has %lld", path, ns ? ns : "(none)", (long long)s->n);
    for (int64_t i = 1; !st && i < s->n; i++)
        if (strcmp(asgml_store_id(s, i - 1), asgml_store_id(s, i)) >= 0)
            st = asgml_error(ASGML_EFORMAT, "%s: /meta/id not strictly ascending at %lld", path, (long long)i);
    if (!st)
        st = verify_text(s);
    unsigned char *seen = st ? NULL : calloc((size_t)s->n + 1, 1);
    if (!st && !seen) st = asgml_error(ASGML_ENOMEM, "out of memory");
    for (int a = 0; !st && a < s->nsplits; a++) {
        const store_split *sp = &s->splits[a];
        for (int64_t i = 1; !st && i < sp->n; i++)
            if (sp->idx[i] <= sp->idx[i - 1])
                st = asgml_error(ASGML_EFORMAT, "%s: /splits/%s/%s not sorted", path, sp->scheme, sp->part);
        for (int b = a + 1; !st && b < s->nsplits; b++) { /* disjoint within a scheme */
            const store_split *sq = &s->splits[b];
            if (strcmp(sp->scheme, sq->scheme)) continue;
            memset(seen, 0, (size_t)s->n);
            for (int64_t i = 0; i < sp->n; i++) seen[sp->idx[i]] = 1;
            for (int64_t i = 0; !st && i < sq->n; i++)
                if (seen[sq->idx[i]])
                    st = asgml_error(ASGML_EFORMAT, "%s: sample %d is in /splits/%s/%s and /%s", path,
                                     (int)sq->idx[i], sp->scheme, sp->part, sq->part);
        }
    }
    free(seen);
    for (int m = 0; !st && m < s->nmod; m++) {
        if (s->mod[m].info.dtype != ASGML_F32) continue;
        size_t nf = s->mod[m].sample_bytes / sizeof(float);
        float *buf = malloc(s->mod[m].sample_bytes);
        if (!buf) { st = asgml_error(ASGML_ENOMEM, "out of memory"); break; }
        for (int64_t i = 0; !st && i < s->n; i++) {
            int64_t fc = asgml_store_frame_count(s, m, i);
            for (int64_t f = 0; !st && f < fc; f++) {
                st = asgml_store_read(s, m, &i, 1, f, buf);
                for (size_t k = 0; !st && k < nf; k++)
                    if (!isfinite(buf[k]))
                        st = asgml_error(ASGML_ENUMERIC, "%s: /%s/%s: non-finite value in sample %lld", path,
                                         s->mod[m].info.name, s->mod[m].info.dataset, (long long)i);
            }
        }
        free(buf);
    }
    asgml_store_close(s);
    return st;
}
