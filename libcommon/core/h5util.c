/* SPDX-License-Identifier: MIT */
/* h5util.c - quiet HDF5, its innermost error message, closing a file so that
 * nothing stays registered (core/h5util.h). */
#define _GNU_SOURCE   /* memfd_create */
#include "config.h"
#include "core/h5util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* room reserved for the metadata HDF5 writes when it closes a file */
#define CLOSE_RESERVE (1 << 20)

void asgml_h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

typedef struct walk_ctx {
    char *buf;
    size_t n;
    int done;
} walk_ctx;

/* H5E_WALK_UPWARD starts at the innermost entry: keep the first one */
static herr_t walk_cb(unsigned k, const H5E_error2_t *e, void *data)
{
    walk_ctx *w = data;
    (void)k;
    if (!w->done && e->desc && *e->desc) {
        /* the sec2 driver's "file write failed: time = ..., error message =
         * 'No space left on device', ...": only the system's message */
        const char *m = strstr(e->desc, "error message = '");
        const char *end = m ? strchr(m + 17, '\'') : NULL;
        if (m && end)
            snprintf(w->buf, w->n, "%.*s", (int)(end - m - 17), m + 17);
        else
            snprintf(w->buf, w->n, "%s", e->desc);
        w->done = 1;
    }
    return 0;
}

const char *asgml_h5_message(char *buf, size_t n)
{
    walk_ctx w = { buf, n, 0 };
    if (!buf || n == 0)
        return "";
    buf[0] = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk_cb, &w);
    return buf;
}

/* HDF5's descriptor (sec2 driver) now refers to an anonymous memory file:
 * the writes of the closing flush succeed, and the file on disk is left as
 * it was (the caller removes it). */
static void redirect_to_memory(hid_t file)
{
    void *handle = NULL;
    int mfd = -1;
    if (H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) < 0 || !handle)
        return;
#ifdef HAVE_MEMFD_CREATE
    mfd = memfd_create("asgml-discard", 0);
#endif
    if (mfd >= 0) {
        dup2(mfd, *(int *)handle);
        close(mfd);
    } else {
        ftruncate(*(int *)handle, 0);   /* frees the file's own blocks at least */
    }
}

/* fallocate(KEEP_SIZE) of CLOSE_RESERVE bytes past the end of the file;
 * *fd: a duplicate of HDF5's descriptor, for the release after the close.
 * -1 when the file system has no room. */
static int reserve(hid_t file, int *fd, off_t *size, char *msg, size_t n)
{
    void *handle = NULL;
    struct stat sb;
    *fd = -1;
    if (H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) < 0 || !handle)
        return 0;
    if (fstat(*(int *)handle, &sb) != 0)
        return 0;
    *size = sb.st_size;
#ifdef FALLOC_FL_KEEP_SIZE
    if (fallocate(*(int *)handle, FALLOC_FL_KEEP_SIZE, sb.st_size, CLOSE_RESERVE) != 0) {
        if (errno == ENOSPC || errno == EDQUOT || errno == EFBIG) {
            if (msg && n)
                snprintf(msg, n, "%s", strerror(errno));
            return -1;
        }
        return 0;   /* not supported here: HDF5 writes as it would anyway */
    }
#endif
    *fd = dup(*(int *)handle);
    return 0;
}

int asgml_h5_close(hid_t file, int discard, char *msg, size_t n)
{
    int fd = -1;
    off_t size = 0;
    unsigned types = H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_DATATYPE | H5F_OBJ_ATTR |
                     H5F_OBJ_LOCAL;
    hid_t ids[64];
    int complete = !discard, redirected = 0;
    ssize_t nids;
    if (msg && n)
        msg[0] = 0;
    if (file < 0)
        return -1;
    asgml_h5_quiet();
    if (discard) {
        redirect_to_memory(file);
        redirected = 1;
    }
    /* objects left open (a failed write path) are closed first, so that the
     * file's own close is its last reference; an object whose close fails
     * (its data could not be written) is unregistered all the same */
    while ((nids = H5Fget_obj_ids(file, types, sizeof ids / sizeof ids[0], ids)) > 0) {
        ssize_t gone = 0;
        for (ssize_t i = 0; i < nids; i++) {
            herr_t e = H5Iget_type(ids[i]) == H5I_ATTR ? H5Aclose(ids[i]) : H5Oclose(ids[i]);
            if (e < 0 && complete) {
                complete = 0;
                asgml_h5_message(msg, n);
            }
            if (H5Iis_valid(ids[i]) <= 0)
                gone++;
        }
        if (gone == 0)
            break;
    }
    /* A failed H5Fflush leaves HDF5 1.10's cache unable to close the file,
     * so the room for the closing writes is reserved instead, past the end
     * of the file (the blocks are released below); no room is a failure. */
    if (complete && reserve(file, &fd, &size, msg, n) != 0)
        complete = 0;
    if (!complete && !redirected)
        redirect_to_memory(file);
    if (H5Fclose(file) < 0 && complete) {
        complete = 0;
        asgml_h5_message(msg, n);
    }
    if (fd >= 0) {   /* the reservation's unused blocks go back */
        struct stat sb;
        if (fstat(fd, &sb) == 0)
            ftruncate(fd, sb.st_size);
        close(fd);
    }
    return complete ? 0 : -1;
}
