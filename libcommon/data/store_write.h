/* SPDX-License-Identifier: MIT */
/* store_write.h - writer side of the HDF5 feature store (asgml-store(5)).
 * Private to libasgml; used by prep.c.  The reader is asgml/store.h.
 *
 * A writer creates a temporary file ".NAME.XXXXXX" in the target directory;
 * asgml_sw_commit() computes the content checksum, writes it as the root
 * attribute content_sha256, closes, fsyncs and renames the file into place.
 * asgml_sw_abort() removes the temporary file.  Objects are created without
 * time stamps, so the same calls give a byte-identical file.
 *
 * Paths name HDF5 objects: "/" is the root, "/audio/spec" a dataset; the
 * groups on the way are created on demand.  All numbers are stored
 * little-endian (H5T_STD_*LE, H5T_IEEE_F*LE). */
#ifndef ASGML_STORE_WRITE_H
#define ASGML_STORE_WRITE_H

#include "asgml/common.h"
#include "asgml/prep.h"

typedef enum asgml_sw_type {
    ASGML_SW_U8, ASGML_SW_I16, ASGML_SW_U32, ASGML_SW_I32, ASGML_SW_I64,
    ASGML_SW_F32, ASGML_SW_F64
} asgml_sw_type;

size_t asgml_sw_type_size(asgml_sw_type t);

typedef struct asgml_store_writer asgml_store_writer;

asgml_status asgml_sw_create(const char *path, asgml_store_writer **out);
/* The temporary file's name (for a signal handler that must unlink it). */
const char *asgml_sw_temp_path(const asgml_store_writer *w);

/* Attributes on the object at obj (a group is created if obj is absent).
 * An attribute of the same name is replaced.  Strings are variable-length
 * UTF-8 (h5py reads them as str). */
asgml_status asgml_sw_attr_str(asgml_store_writer *w, const char *obj, const char *name,
                               const char *value);
asgml_status asgml_sw_attr_strs(asgml_store_writer *w, const char *obj, const char *name,
                                const char *const *v, int n);
asgml_status asgml_sw_attr_i64(asgml_store_writer *w, const char *obj, const char *name,
                               int64_t v);
asgml_status asgml_sw_attr_f64(asgml_store_writer *w, const char *obj, const char *name,
                               double v);
asgml_status asgml_sw_attr_f64s(asgml_store_writer *w, const char *obj, const char *name,
                                const double *v, int n);

/* The same, and recorded in the root attribute params_json (one JSON object,
 * keys "name" for the root and "group/dataset.name" elsewhere, in call
 * order), which asgml_sw_commit() writes. */
asgml_status asgml_sw_param_str(asgml_store_writer *w, const char *obj, const char *name,
                                const char *v);
asgml_status asgml_sw_param_i64(asgml_store_writer *w, const char *obj, const char *name,
                                int64_t v);
asgml_status asgml_sw_param_f64(asgml_store_writer *w, const char *obj, const char *name,
                                double v);

/* asgml_store_verify() (asgml-prep verify): asgml/prep.h. */

/* A whole (small) dataset, contiguous, dims[0..ndim) row-major, data in
 * native byte order of type t. */
asgml_status asgml_sw_write_array(asgml_store_writer *w, const char *path, asgml_sw_type t,
                                  int ndim, const int64_t *dims, const void *data);
/* (n,) strings: fixed = 1 gives fixed-length NUL-padded ASCII of the longest
 * string's length (e.g. /meta/id), fixed = 0 variable-length UTF-8. */
asgml_status asgml_sw_write_strings(asgml_store_writer *w, const char *path,
                                    const char *const *s, int64_t n, int fixed);

/* A per-sample dataset of shape (n, shape[0..ndim)) chunked one sample per
 * chunk; deflate 0-9 (0 = none), shuffle 0/1.  *handle identifies it for
 * asgml_sw_write_sample().  Unwritten samples read as zeros.  The first
 * dimension is extendible: writing past n grows it; asgml_sw_set_count()
 * fixes the final count (shrinking drops samples). */
asgml_status asgml_sw_sample_dataset(asgml_store_writer *w, const char *path, asgml_sw_type t,
                                     int ndim, const int64_t *shape, int64_t n, int deflate,
                                     int shuffle, int *handle);
/* Writes sample i (native byte order).  Not thread-safe: call from one thread. */
asgml_status asgml_sw_write_sample(asgml_store_writer *w, int handle, int64_t i,
                                   const void *data);
asgml_status asgml_sw_set_count(asgml_store_writer *w, int handle, int64_t n);
/* Direct chunk write (store_chunk.h): the codec of a per-sample dataset
 * (one sample a chunk), so that any thread can encode its samples with
 * asgml_sw_encode(), and the write of such an encoded sample i by
 * H5Dwrite_chunk (the chunk goes to the file as it is, no filter runs in
 * the writer).  Not thread-safe: call from one thread. */
struct asgml_sw_codec;
struct asgml_sw_chunk;
asgml_status asgml_sw_sample_codec(asgml_store_writer *w, int handle, struct asgml_sw_codec *codec);
asgml_status asgml_sw_write_chunk(asgml_store_writer *w, int handle, int64_t i,
                                  const struct asgml_sw_chunk *c);
/* A flat row dataset for variable-length data stored as rows plus an
 * offset array (datasets.md 7.2): shape (0, ncols), or (0,) when ncols = 0,
 * extendible, chunked chunk_rows rows per chunk.  asgml_sw_append_rows()
 * appends n rows (native byte order) at the end; the writer keeps the
 * count. */
asgml_status asgml_sw_rows_dataset(asgml_store_writer *w, const char *path, asgml_sw_type t,
                                   int64_t ncols, int64_t chunk_rows, int deflate, int shuffle,
                                   int *handle);
asgml_status asgml_sw_append_rows(asgml_store_writer *w, int handle, int64_t n, const void *data);
/* Bytes stored for a dataset so far (after compression), for the summary. */
int64_t asgml_sw_storage_bytes(asgml_store_writer *w, const char *path);

/* Finishes the file: content_sha256 (hex written to sha_hex if not NULL),
 * close, fsync, rename, fsync of the directory.  Frees w in every case; on
 * failure the temporary file is removed. */
asgml_status asgml_sw_commit(asgml_store_writer *w, char sha_hex[65]);
/* Closes and removes the temporary file; frees w.  NULL is ignored. */
void asgml_sw_abort(asgml_store_writer *w);

/* Content checksum of an open HDF5 file (hid_t passed as int64_t so this
 * header needs no hdf5.h) or of a file by name: SHA-256 over every dataset
 * in bytewise order of its full path; per dataset the path, one NUL byte,
 * then the elements in row-major order as little-endian bytes of the stored
 * type (fixed-length strings as stored, NUL padding included;
 * variable-length strings as their bytes plus one NUL each).  Attributes are
 * not covered. */
asgml_status asgml_store_content_sha256_file(int64_t file_id, char hex[65]);
asgml_status asgml_store_content_sha256(const char *path, char hex[65]);

#endif
