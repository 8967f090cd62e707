/* SPDX-License-Identifier: MIT */
/* asgml/atomic_file.h - whole-file outputs that appear complete or not at all.
 *
 * asgml_atomic_open (or _reserve) creates a unique temporary file
 * "<dir>/.<base>.XXXXXX" beside PATH, mode 0666 & ~umask.  The caller
 * writes it; asgml_atomic_commit then flushes, fsyncs and closes it, renames
 * it to PATH and fsyncs the directory.  Until the rename an existing PATH is
 * untouched; after any failure (and after asgml_atomic_abort) the temporary
 * file is gone.  Every failure is reported through asgml_error() with the
 * path and strerror. */
#ifndef ASGML_ATOMIC_FILE_H
#define ASGML_ATOMIC_FILE_H

#include <stdio.h>

#include "asgml/common.h"

ASGML_BEGIN_DECLS

typedef struct asgml_atomic_file {
    char *path;   /* final name (a copy of PATH) */
    char *tmp;    /* the temporary file's name */
    FILE *f;      /* open for writing after asgml_atomic_open; NULL after _reserve */
} asgml_atomic_file;

/* Creates the temporary file and opens it as af->f ("w"). */
asgml_status asgml_atomic_open(const char *path, asgml_atomic_file *af);
/* Creates the temporary file and closes it: for writers that create their
 * file by name (HDF5's H5Fcreate(af->tmp, H5F_ACC_TRUNC, ...)).  The
 * writer closes its handle before the commit, which fsyncs by name. */
asgml_status asgml_atomic_reserve(const char *path, asgml_atomic_file *af);
/* fflush + fsync + fclose (or open + fsync by name when af->f is NULL),
 * rename to the final name, fsync of the directory.  Releases af in every
 * case; on failure no temporary file remains. */
asgml_status asgml_atomic_commit(asgml_atomic_file *af);
/* Closes and removes the temporary file and releases af; safe on a zeroed
 * or already released af. */
void asgml_atomic_abort(asgml_atomic_file *af);

ASGML_END_DECLS
#endif
