/* SPDX-License-Identifier: MIT */
/* core/h5util.h - HDF5 helpers shared by the store writer, the store reader
 * and the checkpoints (private to libasgml).
 *
 *   asgml_h5_quiet()          HDF5 never prints its error stack (the
 *                             automatic printer is per thread in a
 *                             thread-safe HDF5: call it in every thread that
 *                             calls HDF5)
 *   asgml_h5_message(buf, n)  the innermost message of this thread's HDF5
 *                             error stack ("" when empty), for our one-line
 *                             errors: "...: cannot read X (HDF5: <msg>)"
 *   asgml_h5_close(f, discard, msg, n)
 *                             closes every object still open in file f, then
 *                             f itself, leaving nothing registered with HDF5.
 *                             HDF5 1.10 frees a file whose H5Fclose failed
 *                             (a full disk at the last flush) but keeps its
 *                             id, and its exit handler then reads freed
 *                             memory.  So the file is flushed first; when
 *                             that fails, or with discard = 1 (the caller
 *                             removes the file anyway), HDF5's descriptor is
 *                             pointed at an anonymous memory file, where the
 *                             closing writes cannot fail.  Returns 0 when the
 *                             file on disk is complete, -1 otherwise (the
 *                             caller reports the error, with HDF5's message
 *                             left in msg, and removes the file).
 *   asgml_h5_check_file(path) before H5Fopen of a file asgml reads:
 *                             ASGML_EFORMAT (and the error) when the root
 *                             group's object header is damaged in a way
 *                             HDF5 1.10.8 does not survive: a continuation
 *                             chunk beyond the end of the file (HDF5
 *                             allocated its length, 2^62 bytes), an
 *                             attribute message that declares more than it
 *                             holds (HDF5 copies past it), or a string
 *                             of its attributes that names a missing,
 *                             shorter or longer object of a global heap
 *                             collection, or a collection whose objects do
 *                             not add up (HDF5 looped forever, read past
 *                             its tables).  fuzz/known/README has an input
 *                             for each.  Superblock 0/1 and header version
 *                             1, as asgml writes them; anything else is
 *                             left to HDF5 (ASGML_OK).
 *   asgml_h5_check_object(obj) the same for the header of an open object
 *                             (group, dataset), before its attributes are
 *                             read.
 *   asgml_h5_check_strings(dset) before H5Dread of a contiguous dataset of
 *                             variable-length strings: every element names
 *                             an existing object of its length.
 *   asgml_h5_check_extent(dset, name)
 *                             before a buffer is sized by a dataset's
 *                             extent: ASGML_EFORMAT when its elements
 *                             (extent x stored element size) could not come
 *                             from the file even deflated (1032:1; the
 *                             bound is 1100 x the file's size), or the
 *                             product overflows.  A damaged extent claimed
 *                             2^52 bytes and was allocated as claimed
 *                             (fuzz_store, asgml_store_verify's hash). */
#ifndef ASGML_CORE_H5UTIL_H
#define ASGML_CORE_H5UTIL_H

#include <stddef.h>

#include <hdf5.h>

#include "asgml/common.h"

void asgml_h5_quiet(void);
const char *asgml_h5_message(char *buf, size_t n);
int asgml_h5_close(hid_t file, int discard, char *msg, size_t n);
asgml_status asgml_h5_check_file(const char *path);
asgml_status asgml_h5_check_object(hid_t obj);
asgml_status asgml_h5_check_strings(hid_t dset);
asgml_status asgml_h5_check_extent(hid_t dset, const char *name);

#endif
