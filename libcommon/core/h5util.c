/* SPDX-License-Identifier: MIT */
/* h5util.c - quiet HDF5, its innermost error message, closing a file so that
 * nothing stays registered (core/h5util.h). */
#define _GNU_SOURCE   /* memfd_create */
#include "config.h"
#include "core/h5util.h"
#include "asgml/common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---- continuation lengths before H5Fopen (asgml_h5_check_file) ---------------- */

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Walks the version-1 object header at addr (header, then every
 * continuation chunk it names, at most 64) of a file of fsize bytes held
 * in fd; returns 0, or 1 with *bad_addr / *bad_len set for a chunk that
 * lies beyond the end of the file. */
static int walk_v1_header(int fd, uint64_t fsize, uint64_t base, uint64_t addr, int so, int sl,
                          uint64_t *bad_addr, uint64_t *bad_len)
{
    uint64_t chunk_addr[64], chunk_len[64];
    int nchunks = 0, next = 0;
    unsigned char h[16];
    if (pread(fd, h, 16, (off_t)(base + addr)) != 16 || h[0] != 1)
        return 0;   /* not a version-1 header: HDF5 judges it */
    chunk_addr[nchunks] = base + addr + 16;
    chunk_len[nchunks++] = le(h + 8, 4);
    while (next < nchunks) {
        uint64_t a = chunk_addr[next], n = chunk_len[next++], p = 0;
        if (a > fsize || n > fsize - a) {
            *bad_addr = a;
            *bad_len = n;
            return 1;
        }
        unsigned char *c = malloc(n ? n : 1);
        if (!c || pread(fd, c, n, (off_t)a) != (ssize_t)n) {
            free(c);
            return 0;
        }
        while (p + 8 <= n) {   /* message: type 2, size 2, flags 1, reserved 3, data */
            unsigned type = (unsigned)le(c + p, 2), size = (unsigned)le(c + p + 2, 2);
            if (size > n - p - 8)
                break;
            if (type == 0x10 && size >= (unsigned)(so + sl) && nchunks < 64) {
                chunk_addr[nchunks] = base + le(c + p + 8, so);
                chunk_len[nchunks++] = le(c + p + 8 + so, sl);
                if (chunk_addr[nchunks - 1] < base) {   /* wrapped around */
                    *bad_addr = chunk_addr[nchunks - 1];
                    *bad_len = chunk_len[nchunks - 1];
                    free(c);
                    return 1;
                }
            }
            p += 8 + size;
        }
        free(c);
    }
    return 0;
}

asgml_status asgml_h5_check_file(const char *path)
{
    static const uint64_t at[] = { 0, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536 };
    unsigned char sb[96];
    struct stat stt;
    uint64_t bad_addr = 0, bad_len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC), bad = 0;
    if (fd < 0)
        return ASGML_OK;   /* H5Fopen reports it */
    if (fstat(fd, &stt) == 0) {
        uint64_t fsize = (uint64_t)stt.st_size;
        for (size_t i = 0; i < sizeof at / sizeof *at && at[i] + sizeof sb <= fsize; i++) {
            if (pread(fd, sb, sizeof sb, (off_t)at[i]) != (ssize_t)sizeof sb ||
                memcmp(sb, "\211HDF\r\n\032\n", 8) != 0)
                continue;
            /* superblock version 0 or 1: sizes of offsets and lengths at
             * 13, 14; base address at 24 (v1: 28), then free-space, end of
             * file and driver addresses, then the root group's symbol
             * table entry (link name offset, object header address) */
            int ver = sb[8], so = sb[13], sl = sb[14];
            if ((ver == 0 || ver == 1) && (so == 2 || so == 4 || so == 8) &&
                (sl == 2 || sl == 4 || sl == 8)) {
                size_t o = ver == 0 ? 24 : 28;
                uint64_t base = le(sb + o, so), root = le(sb + o + 5 * so, so);
                if (o + 6 * (size_t)so <= sizeof sb && base <= fsize && root < fsize - base)
                    bad = walk_v1_header(fd, fsize, base, root, so, sl, &bad_addr, &bad_len);
            }
            break;
        }
    }
    close(fd);
    if (bad)
        return asgml_error(ASGML_EFORMAT,
                           "%s: damaged HDF5 file: the root group's header continues at byte %llu "
                           "for %llu bytes, beyond the end of the file",
                           path, (unsigned long long)bad_addr, (unsigned long long)bad_len);
    return ASGML_OK;
}
