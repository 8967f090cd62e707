/* SPDX-License-Identifier: MIT */
/* checkpoint.c - HDF5 checkpoints (layout in asgml/checkpoint.h).
 *
 * Parameters, buffers and optimiser state are copied to the host once per
 * buffer (one to_host each) and written view by view; loading reads every
 * view, checks names and shapes, and copies each buffer back in one
 * to_device.  Writes go to a temporary file beside PATH (asgml/atomic_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "asgml/atomic_file.h"
#include "asgml/checkpoint.h"
#include "core/h5util.h"

/* ---- attributes --------------------------------------------------------------- */

static int attr_string(hid_t loc, const char *name, const char *v)
{
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a;
    int ok;
    H5Tset_size(t, strlen(v ? v : "") + 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    H5Tset_cset(t, H5T_CSET_UTF8);
    a = H5Acreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    ok = a >= 0 && H5Awrite(a, t, v ? v : "") >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    return ok ? 0 : -1;
}

static int attr_scalar(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    int ok = a >= 0 && H5Awrite(a, mtype, v) >= 0;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    return ok ? 0 : -1;
}

/* Sizes in a checkpoint come from the file and are checked before anything
 * is allocated or read (issue 13, fuzz/fuzz_checkpoint): an attribute asgml
 * reads is one value (a dataspace of more elements made H5Aread write past
 * the variable), a string is no longer than the file, and a dataset's
 * elements times their stored size fit in the file (asgml writes
 * checkpoints uncompressed) and match the model's shapes where it has
 * them.  file_bytes is H5Fget_filesize of the open file. */
static int attr_is_one_value(hid_t a)
{
    hid_t sp = H5Aget_space(a);
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (sp >= 0)
        H5Sclose(sp);
    return n == 1;
}

/* malloc'd string value of a string attribute (fixed or variable length);
 * NULL if absent, not one string or longer than the file. */
static char *read_attr_string(hid_t loc, const char *name, hsize_t file_bytes)
{
    hid_t a, t, mt;
    char *out = NULL;
    if (H5Aexists(loc, name) <= 0)
        return NULL;
    a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0)
        return NULL;
    t = H5Aget_type(a);
    if (H5Tget_class(t) == H5T_STRING && attr_is_one_value(a)) {
        if (H5Tis_variable_str(t) > 0) {
            char *tmp = NULL;
            mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            if (H5Aread(a, mt, &tmp) >= 0 && tmp)
                out = strdup(tmp);
            H5free_memory(tmp);   /* also what a failed read left */
            H5Tclose(mt);
        } else {
            size_t n = H5Tget_size(t);
            out = n > 0 && n <= file_bytes ? calloc(n + 1, 1) : NULL;
            mt = H5Tcopy(t);     /* same size and character set: no conversion */
            if (out && H5Aread(a, mt, out) < 0) {
                free(out);
                out = NULL;
            }
            H5Tclose(mt);
        }
    }
    H5Tclose(t);
    H5Aclose(a);
    return out;
}

static int read_attr_scalar(hid_t loc, const char *name, hid_t mtype, void *v)
{
    hid_t a;
    int ok;
    if (H5Aexists(loc, name) <= 0)
        return -1;
    a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    ok = attr_is_one_value(a) && H5Aread(a, mtype, v) >= 0;
    H5Aclose(a);
    return ok ? 0 : -1;
}

/* Elements of dataset d if it is 1-D (rank <= max_rank) and its elements
 * at their stored size fit in the file; else -1 with an ASGML_EFORMAT
 * error naming it. */
static int64_t dataset_elements(hid_t d, const char *path, const char *name, int max_rank,
                                hsize_t file_bytes, asgml_status *st)
{
    hid_t sp = d >= 0 ? H5Dget_space(d) : -1, t = d >= 0 ? H5Dget_type(d) : -1;
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    size_t esize = t >= 0 ? H5Tget_size(t) : 0;
    int64_t out = -1;
    if (d < 0 || sp < 0 || t < 0 || rank < 0 || n < 0 || esize == 0)
        *st = asgml_error(ASGML_EFORMAT, "%s: %s: unreadable (damaged file?)", path, name);
    else if (rank > max_rank)
        *st = asgml_error(ASGML_EFORMAT, "%s: %s has %d dimensions, expected %d", path, name,
                          rank, max_rank);
    else if ((hsize_t)n > file_bytes / esize)
        *st = asgml_error(ASGML_EFORMAT,
                          "%s: %s claims %lld elements of %zu bytes, more than the file's %llu bytes hold",
                          path, name, (long long)n, esize, (unsigned long long)file_bytes);
    else
        out = (int64_t)n;
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    return out;
}

static hsize_t file_size(hid_t f)
{
    hsize_t n = 0;
    return H5Fget_filesize(f, &n) >= 0 ? n : 0;
}

/* ---- datasets ------------------------------------------------------------------- */

static int write_dataset(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int ndim,
                         const int64_t *shape, const void *data)
{
    hsize_t dims[8];
    hid_t sp, d, lcpl = H5Pcreate(H5P_LINK_CREATE), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    int ok;
    for (int i = 0; i < ndim; i++)
        dims[i] = (hsize_t)shape[i];
    H5Pset_create_intermediate_group(lcpl, 1);
    H5Pset_obj_track_times(dcpl, 0);
    sp = H5Screate_simple(ndim, dims, NULL);
    d = H5Dcreate2(loc, name, ftype, sp, lcpl, dcpl, H5P_DEFAULT);
    ok = d >= 0 && (shape[0] == 0 || H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(sp);
    H5Pclose(lcpl);
    H5Pclose(dcpl);
    return ok ? 0 : -1;
}

static asgml_status write_views(hid_t f, const char *path, const char *group,
                                const asgml_param_view *v, int nv, const float *host)
{
    hid_t g = H5Gcreate2(f, group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return asgml_error(ASGML_EIO, "%s: cannot create %s", path, group);
    for (int i = 0; i < nv; i++) {
        int64_t shape[4];
        int nd = v[i].ndim > 0 ? v[i].ndim : 1;
        for (int k = 0; k < nd; k++)
            shape[k] = v[i].ndim > 0 ? v[i].shape[k] : v[i].numel;
        if (write_dataset(g, v[i].name, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, nd, shape,
                          host + v[i].offset) != 0) {
            H5Gclose(g);
            return asgml_error(ASGML_EIO, "%s: cannot write %s/%s", path, group, v[i].name);
        }
    }
    H5Gclose(g);
    return ASGML_OK;
}

static asgml_status read_views(hid_t f, const char *path, const char *group,
                               const asgml_param_view *v, int nv, float *host)
{
    for (int i = 0; i < nv; i++) {
        char name[256];
        hid_t d, sp;
        hsize_t dims[8];
        int nd, nd_expect = v[i].ndim > 0 ? v[i].ndim : 1, ok = 1;
        snprintf(name, sizeof name, "%s/%s", group, v[i].name);
        if (H5Lexists(f, group, H5P_DEFAULT) <= 0 || H5Lexists(f, name, H5P_DEFAULT) <= 0)
            return asgml_error(ASGML_EFORMAT, "%s: %s is missing (a checkpoint of another model?)",
                               path, name);
        d = H5Dopen2(f, name, H5P_DEFAULT);
        sp = H5Dget_space(d);
        nd = H5Sget_simple_extent_ndims(sp);
        /* float32, as written: HDF5 1.10.8 sizes its conversion buffer by
         * the stored element size, 4.2 GB for a damaged one
         * (fuzz/known/checkpoint-hdf5-float-size-4g.h5) */
        hid_t t = H5Dget_type(d);
        if (t < 0 || H5Tget_class(t) != H5T_FLOAT || H5Tget_size(t) != sizeof(float))
            ok = 0;
        if (t >= 0)
            H5Tclose(t);
        if (nd != nd_expect)
            ok = 0;
        else {
            H5Sget_simple_extent_dims(sp, dims, NULL);
            for (int k = 0; k < nd; k++)
                if ((int64_t)dims[k] != (v[i].ndim > 0 ? v[i].shape[k] : v[i].numel))
                    ok = 0;
        }
        if (ok && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                          host + v[i].offset) < 0) {
            H5Sclose(sp);
            H5Dclose(d);
            return asgml_error(ASGML_EIO, "%s: cannot read %s", path, name);
        }
        H5Sclose(sp);
        H5Dclose(d);
        if (!ok)
            return asgml_error(ASGML_EFORMAT, "%s: %s has another shape or type than the model's "
                               "float32", path, name);
    }
    return ASGML_OK;
}

/* ---- save -------------------------------------------------------------------------- */

static asgml_status save_body(hid_t f, const char *path, asgml_backend *be, asgml_model *model,
                              asgml_optim *optim, const asgml_state_io *ms,
                              const asgml_checkpoint_info *info)
{
    int np, nb, fmt = ASGML_CHECKPOINT_FORMAT, ec = info->epochs_completed;
    const asgml_param_view *pv = asgml_model_param_views(model, &np);
    const asgml_param_view *bv = asgml_model_buffer_views(model, &nb);
    int64_t n = asgml_model_num_params(model), nbuf = asgml_model_num_buffers(model);
    float *host = malloc((size_t)(n > nbuf ? n : nbuf) * sizeof(float) + 4);
    asgml_status st = ASGML_OK;
    uint64_t dropout_seed, dropout_offset;   /* the model's dropout stream */
    if (!host)
        return asgml_error(ASGML_ENOMEM, "%s: out of memory", path);
    asgml_model_dropout_state(model, &dropout_seed, &dropout_offset);
    if (attr_string(f, "magic", ASGML_CHECKPOINT_MAGIC) ||
        attr_scalar(f, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &fmt) ||
        attr_string(f, "asgml_version", asgml_version()) ||
        attr_string(f, "store_checksum", info->store_checksum ? info->store_checksum : "") ||
        attr_string(f, "method", info->method ? info->method : "") ||
        attr_scalar(f, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &info->seed) ||
        attr_scalar(f, "epochs_completed", H5T_STD_I32LE, H5T_NATIVE_INT, &ec) ||
        attr_scalar(f, "step", H5T_STD_I64LE, H5T_NATIVE_INT64, &info->step) ||
        attr_scalar(f, "noise_offset", H5T_STD_U64LE, H5T_NATIVE_UINT64, &info->noise_offset) ||
        attr_string(f, "config_json", info->config_json ? info->config_json : "{}") ||
        attr_string(f, "train_state_json",
                    info->train_state_json ? info->train_state_json : "{}") ||
        attr_scalar(f, "dropout_seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &dropout_seed) ||
        attr_scalar(f, "dropout_offset", H5T_STD_U64LE, H5T_NATIVE_UINT64, &dropout_offset))
        st = asgml_error(ASGML_EIO, "%s: cannot write attributes", path);
    if (st == ASGML_OK)
        st = be->ops->to_host(be, host, asgml_model_params(model), (size_t)n * sizeof(float));
    if (st == ASGML_OK)
        st = write_views(f, path, "/params", pv, np, host);
    if (st == ASGML_OK && nbuf > 0)
        st = be->ops->to_host(be, host, asgml_model_buffers(model), (size_t)nbuf * sizeof(float));
    if (st == ASGML_OK)
        st = write_views(f, path, "/buffers", bv, nb, host);
    if (st == ASGML_OK && optim) {
        hid_t g = H5Gcreate2(f, "/optim", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        int64_t shape[1] = { np };
        if (g < 0)
            st = asgml_error(ASGML_EIO, "%s: cannot create /optim", path);
        else
            H5Gclose(g);
        for (int which = 0; which < 2 && st == ASGML_OK; which++) {
            float *buf = asgml_optim_state_buffer(optim, which);
            char group[32];
            if (!buf)
                continue;
            snprintf(group, sizeof group, "/optim/state%d", which);
            st = be->ops->to_host(be, host, buf, (size_t)n * sizeof(float));
            if (st == ASGML_OK)
                st = write_views(f, path, group, pv, np, host);
        }
        if (st == ASGML_OK && write_dataset(f, "/optim/view_steps", H5T_STD_I64LE,
                                            H5T_NATIVE_INT64, 1, shape,
                                            asgml_optim_view_steps(optim)) != 0)
            st = asgml_error(ASGML_EIO, "%s: cannot write /optim/view_steps", path);
    }
    if (st == ASGML_OK && info->order && info->order_len > 0 &&
        write_dataset(f, "/data/order", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &info->order_len,
                      info->order) != 0)
        st = asgml_error(ASGML_EIO, "%s: cannot write /data/order", path);
    if (st == ASGML_OK) {   /* always present, empty for methods without state */
        hid_t g = H5Gcreate2(f, "/method", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (g < 0)
            st = asgml_error(ASGML_EIO, "%s: cannot create /method", path);
        else
            H5Gclose(g);
    }
    for (int i = 0; ms && i < asgml_state_io_count(ms) && st == ASGML_OK; i++) {
        char name[300];
        int64_t len = asgml_state_io_length(ms, i);
        int f32 = asgml_state_io_is_f32(ms, i);
        snprintf(name, sizeof name, "/method/%s", asgml_state_io_name(ms, i));
        if (write_dataset(f, name, f32 ? H5T_IEEE_F32LE : H5T_IEEE_F64LE,
                          f32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE, 1, &len,
                          asgml_state_io_data(ms, i)) != 0)
            st = asgml_error(ASGML_EIO, "%s: cannot write %s", path, name);
    }
    free(host);
    return st;
}

asgml_status asgml_checkpoint_save(const char *path, asgml_backend *be, asgml_model *model,
                                   asgml_optim *optim, const asgml_state_io *method_state,
                                   const asgml_checkpoint_info *info)
{
    asgml_atomic_file af;
    hid_t f, fcpl;
    asgml_status st = asgml_atomic_reserve(path, &af);
    if (st != ASGML_OK)
        return st;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);   /* the library never prints */
    fcpl = H5Pcreate(H5P_FILE_CREATE);
    f = H5Fcreate(af.tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    H5Pclose(fcpl);
    if (f < 0) {
        char why[256];
        asgml_h5_message(why, sizeof why);
        st = asgml_error(ASGML_EIO, "%s: cannot create%s%s", af.tmp, *why ? ": " : "", why);
        asgml_atomic_abort(&af);
        return st;
    }
    st = save_body(f, af.tmp, be, model, optim, method_state, info);
    {
        char why[256];
        /* closes everything: a failed close must leave nothing registered */
        if (asgml_h5_close(f, st != ASGML_OK, why, sizeof why) != 0 && st == ASGML_OK)
            st = asgml_error(ASGML_EIO, "%s: cannot write: %s", af.tmp,
                             *why ? why : "HDF5 close failed");
    }
    if (st != ASGML_OK) {
        asgml_atomic_abort(&af);
        return st;
    }
    return asgml_atomic_commit(&af);
}

/* ---- load -------------------------------------------------------------------------- */

void asgml_checkpoint_loaded_free(asgml_checkpoint_loaded *l)
{
    if (!l)
        return;
    free(l->asgml_version);
    free(l->method);
    free(l->store_checksum);
    free(l->config_json);
    free(l->train_state_json);
    free(l->order);
    memset(l, 0, sizeof *l);
}

static asgml_status read_info(hid_t f, const char *path, asgml_checkpoint_loaded *l)
{
    hsize_t fb = file_size(f);
    char *magic = read_attr_string(f, "magic", fb);
    int fmt = 0;
    memset(l, 0, sizeof *l);
    if (!magic || strcmp(magic, ASGML_CHECKPOINT_MAGIC) != 0) {
        free(magic);
        return asgml_error(ASGML_EFORMAT, "%s: not an asgml checkpoint (no magic '%s')", path,
                           ASGML_CHECKPOINT_MAGIC);
    }
    free(magic);
    if (read_attr_scalar(f, "format_version", H5T_NATIVE_INT, &fmt) != 0 ||
        fmt != ASGML_CHECKPOINT_FORMAT)
        return asgml_error(ASGML_EFORMAT, "%s: checkpoint format %d, this asgml reads %d", path,
                           fmt, ASGML_CHECKPOINT_FORMAT);
    l->asgml_version = read_attr_string(f, "asgml_version", fb);
    l->method = read_attr_string(f, "method", fb);
    l->store_checksum = read_attr_string(f, "store_checksum", fb);
    l->config_json = read_attr_string(f, "config_json", fb);
    l->train_state_json = read_attr_string(f, "train_state_json", fb);
    if (read_attr_scalar(f, "seed", H5T_NATIVE_UINT64, &l->seed) ||
        read_attr_scalar(f, "epochs_completed", H5T_NATIVE_INT, &l->epochs_completed) ||
        read_attr_scalar(f, "step", H5T_NATIVE_INT64, &l->step) ||
        read_attr_scalar(f, "noise_offset", H5T_NATIVE_UINT64, &l->noise_offset) ||
        !l->method || !l->config_json || !l->train_state_json) {
        asgml_checkpoint_loaded_free(l);
        return asgml_error(ASGML_EFORMAT, "%s: checkpoint attributes are incomplete", path);
    }
    if (H5Lexists(f, "/data", H5P_DEFAULT) > 0 && H5Lexists(f, "/data/order", H5P_DEFAULT) > 0) {
        asgml_status st = ASGML_OK;
        hid_t d = H5Dopen2(f, "/data/order", H5P_DEFAULT);
        int64_t n = dataset_elements(d, path, "/data/order", 1, fb, &st);
        if (st == ASGML_OK && !(l->order = malloc((size_t)(n > 0 ? n : 1) * sizeof *l->order)))
            st = asgml_error(ASGML_ENOMEM, "%s: out of memory", path);
        if (st == ASGML_OK && n > 0 &&
            H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, l->order) < 0)
            st = asgml_error(ASGML_EFORMAT, "%s: cannot read /data/order", path);
        if (st == ASGML_OK)
            l->order_len = n;
        if (d >= 0)
            H5Dclose(d);
        if (st != ASGML_OK) {
            asgml_checkpoint_loaded_free(l);
            return st;
        }
    }
    return ASGML_OK;
}

typedef struct visit_ctx {
    asgml_state_io *io;
    const char *path;
    hsize_t file_bytes;
    asgml_status st;
} visit_ctx;

static herr_t visit_method(hid_t g, const char *name, const H5O_info_t *oi, void *data)
{
    visit_ctx *v = data;
    char what[300];
    hid_t d, t;
    int64_t n;
    int f32;
    void *buf;
    if (oi->type != H5O_TYPE_DATASET)
        return 0;
    snprintf(what, sizeof what, "/method/%s", name);
    d = H5Dopen2(g, name, H5P_DEFAULT);
    n = dataset_elements(d, v->path, what, 1, v->file_bytes, &v->st);
    t = d >= 0 ? H5Dget_type(d) : -1;
    if (v->st == ASGML_OK && H5Tget_class(t) != H5T_FLOAT)
        v->st = asgml_error(ASGML_EFORMAT, "%s: %s is not floating-point", v->path, what);
    f32 = H5Tget_size(t) == 4;
    buf = v->st == ASGML_OK ? malloc((size_t)(n > 0 ? n : 1) * (f32 ? sizeof(float) : sizeof(double)))
                            : NULL;
    if (v->st == ASGML_OK && !buf)
        v->st = asgml_error(ASGML_ENOMEM, "%s: out of memory", v->path);
    else if (v->st == ASGML_OK && n > 0 &&
             H5Dread(d, f32 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                     H5P_DEFAULT, buf) < 0)
        v->st = asgml_error(ASGML_EIO, "%s: cannot read %s", v->path, what);
    else if (v->st == ASGML_OK)
        v->st = asgml_state_io_put_host(v->io, name, f32, buf, n);
    free(buf);
    if (t >= 0)
        H5Tclose(t);
    if (d >= 0)
        H5Dclose(d);
    return v->st == ASGML_OK ? 0 : -1;
}

asgml_status asgml_checkpoint_read_info(const char *path, asgml_checkpoint_loaded *info)
{
    hid_t f;
    asgml_status st;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if ((st = asgml_h5_check_file(path)) != ASGML_OK)
        return st;
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return asgml_error(ASGML_EIO, "%s: cannot open (missing, unreadable or not HDF5)", path);
    st = read_info(f, path, info);
    H5Fclose(f);
    return st;
}

asgml_status asgml_checkpoint_load(const char *path, asgml_backend *be, asgml_model *model,
                                   asgml_optim *optim, asgml_state_io *method_state,
                                   asgml_checkpoint_loaded *info)
{
    asgml_checkpoint_loaded local;
    asgml_checkpoint_loaded *l = info ? info : &local;
    int np, nb;
    const asgml_param_view *pv = asgml_model_param_views(model, &np);
    const asgml_param_view *bv = asgml_model_buffer_views(model, &nb);
    int64_t n = asgml_model_num_params(model), nbuf = asgml_model_num_buffers(model);
    float *host = NULL;
    asgml_status st;
    hid_t f;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if ((st = asgml_h5_check_file(path)) != ASGML_OK)
        return st;
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return asgml_error(ASGML_EIO, "%s: cannot open (missing, unreadable or not HDF5)", path);
    st = read_info(f, path, l);
    if (st == ASGML_OK) {
        host = malloc((size_t)(n > nbuf ? n : nbuf) * sizeof(float) + 4);
        if (!host)
            st = asgml_error(ASGML_ENOMEM, "%s: out of memory", path);
    }
    /* everything is read into host memory and checked before the model changes */
    if (st == ASGML_OK)
        st = read_views(f, path, "/params", pv, np, host);
    if (st == ASGML_OK) {
        /* dropout stream position, so a resumed run draws the same masks
         * (absent in checkpoints written before it was recorded) */
        uint64_t dseed, doff;
        if (H5Aexists(f, "dropout_seed") > 0 && H5Aexists(f, "dropout_offset") > 0) {
            if (read_attr_scalar(f, "dropout_seed", H5T_NATIVE_UINT64, &dseed) ||
                read_attr_scalar(f, "dropout_offset", H5T_NATIVE_UINT64, &doff))
                st = asgml_error(ASGML_EFORMAT, "%s: cannot read the dropout state", path);
            else
                asgml_model_set_dropout_state(model, dseed, doff);
        }
    }
    if (st == ASGML_OK)
        st = be->ops->to_device(be, asgml_model_params(model), host, (size_t)n * sizeof(float));
    if (st == ASGML_OK && nbuf > 0) {
        st = read_views(f, path, "/buffers", bv, nb, host);
        if (st == ASGML_OK)
            st = be->ops->to_device(be, asgml_model_buffers(model), host,
                                    (size_t)nbuf * sizeof(float));
    }
    for (int which = 0; optim && which < 2 && st == ASGML_OK; which++) {
        float *buf = asgml_optim_state_buffer(optim, which);
        char group[32];
        if (!buf)
            continue;
        snprintf(group, sizeof group, "/optim/state%d", which);
        st = read_views(f, path, group, pv, np, host);
        if (st == ASGML_OK)
            st = be->ops->to_device(be, buf, host, (size_t)n * sizeof(float));
    }
    if (optim && st == ASGML_OK) {
        hid_t d, sp;
        if (H5Lexists(f, "/optim", H5P_DEFAULT) <= 0 ||
            H5Lexists(f, "/optim/view_steps", H5P_DEFAULT) <= 0)
            st = asgml_error(ASGML_EFORMAT, "%s: /optim/view_steps is missing", path);
        else {
            d = H5Dopen2(f, "/optim/view_steps", H5P_DEFAULT);
            sp = H5Dget_space(d);
            if (H5Sget_simple_extent_npoints(sp) != np)
                st = asgml_error(ASGML_EFORMAT, "%s: /optim/view_steps has the wrong length",
                                 path);
            else if (H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                             asgml_optim_view_steps(optim)) < 0)
                st = asgml_error(ASGML_EIO, "%s: cannot read /optim/view_steps", path);
            H5Sclose(sp);
            H5Dclose(d);
        }
    }
    if (method_state && st == ASGML_OK && H5Lexists(f, "/method", H5P_DEFAULT) > 0) {
        visit_ctx v = { method_state, path, file_size(f), ASGML_OK };
        hid_t g = H5Gopen2(f, "/method", H5P_DEFAULT);
        if (H5Ovisit(g, H5_INDEX_NAME, H5_ITER_INC, visit_method, &v) < 0 && v.st == ASGML_OK)
            v.st = asgml_error(ASGML_EIO, "%s: cannot read /method", path);
        st = v.st;
        H5Gclose(g);
    }
    free(host);
    H5Fclose(f);
    if (!info || st != ASGML_OK)
        asgml_checkpoint_loaded_free(l);
    return st;
}
