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

/* The data an attribute message (type 0x0C) of size bytes at d declares,
 * checked against the message: returns 0 when it fits or when the message
 * is not one this check understands (HDF5 judges it), else 1 with a
 * description in why.  HDF5 1.10.8 copies nelmts x element size bytes of
 * data from the message as declared, past its end when the dataspace or
 * datatype was damaged (ASan: heap-buffer-overflow in H5O_attr_decode,
 * fuzz/known/checkpoint-hdf5-attr-data-overflow.h5).
 * Layout (HDF5 File Format Specification 3.0, IV.A.2.m): version 1 byte,
 * flags (v2, v3) or reserved (v1) 1, name, datatype and dataspace sizes 2
 * each, encoding 1 (v3 only), then name, datatype, dataspace (each padded
 * to 8 bytes in v1) and the data.  Datatype: class in the low nibble of
 * byte 0, element size at byte 4 (4 bytes); a variable-length element is
 * stored as length 4 + global heap address so + index 4.  Dataspace:
 * version 1 (rank at 1, flags at 2, dimensions from 8) or 2 (rank at 1,
 * flags at 2, type at 3 with 0 scalar, 1 simple, 2 null, dimensions from
 * 4), sl bytes per dimension. */
typedef struct heap_refs {   /* global heap collections named by vlen attributes */
    uint64_t addr[64];
    int n;
} heap_refs;

static int attr_message_bad(const unsigned char *d, uint64_t size, int so, int sl, heap_refs *refs,
                            char *why, size_t whyn)
{
    if (size < 8 || d[0] < 1 || d[0] > 3)
        return 0;
    int ver = d[0];
    uint64_t nlen = le(d + 2, 2), tlen = le(d + 4, 2), slen = le(d + 6, 2);
#define PAD8(x) (ver == 1 ? ((x) + 7) / 8 * 8 : (x))
    uint64_t name_at = ver == 3 ? 9 : 8, type_at = name_at + PAD8(nlen), space_at = type_at + PAD8(tlen),
             data_at = space_at + PAD8(slen);
#undef PAD8
    if (data_at > size) {
        snprintf(why, whyn, "an attribute message of %llu bytes declares %llu bytes of name, type and space",
                 (unsigned long long)size, (unsigned long long)data_at);
        return 1;
    }
    if (ver > 1 && (d[1] & 3))
        return 0;   /* shared datatype or dataspace: stored elsewhere */
    if (tlen < 8 || slen < 4)
        return 0;
    const unsigned char *t = d + type_at, *sp = d + space_at;
    uint64_t esize = (t[0] & 0x0f) == 9 ? 4 + (uint64_t)so + 4 : le(t + 4, 4);
    int sver = sp[0], rank = sp[1];
    uint64_t dims_at = sver == 1 ? 8 : 4, nelem = 1;
    if ((sver != 1 && sver != 2) || rank > 32 || dims_at + (uint64_t)rank * sl > slen)
        return 0;
    if (sver == 2 && sp[3] == 2)
        nelem = 0;   /* null dataspace */
    for (int i = 0; i < rank && nelem; i++) {
        uint64_t dim = le(sp + dims_at + (uint64_t)i * sl, sl);
        nelem = dim && nelem > UINT64_MAX / dim ? UINT64_MAX : nelem * dim;
    }
    uint64_t room = size - data_at;
    if (nelem && (esize > room / nelem)) {
        snprintf(why, whyn,
                 "an attribute declares %llu elements of %llu bytes in a message with room for %llu bytes",
                 (unsigned long long)nelem, (unsigned long long)esize, (unsigned long long)room);
        return 1;
    }
    if ((t[0] & 0x0f) == 9)   /* each element: length 4, collection address so, index 4 */
        for (uint64_t i = 0; i < nelem && refs->n < 64; i++) {
            uint64_t a = le(d + data_at + i * esize + 4, so);
            int seen = 0;
            for (int k = 0; k < refs->n && !seen; k++)
                seen = refs->addr[k] == a;
            if (!seen && a != 0)
                refs->addr[refs->n++] = a;
        }
    return 0;
}

/* The global heap collection at addr (HDF5 File Format Specification 3.0,
 * III.E): "GCOL", version 1, 3 reserved, collection size sl bytes, then
 * objects: index 2, references 2, reserved 4, size sl, data padded to 8;
 * index 0 is the free space, its size counting its own header.  HDF5
 * 1.10.8 (H5HG__cache_heap_deserialize) steps to the next object by the
 * size it reads: a free-space object of size 0 makes it loop forever
 * (fuzz/known/store-hdf5-gheap-free-size-0.h5), and an object that runs
 * past the collection's end is later copied from beyond it.  Returns 1
 * with a description in why for either; 0 for a sound collection and for
 * anything this check does not recognise (HDF5 judges it). */
static int heap_collection_bad(int fd, uint64_t fsize, uint64_t addr, int sl, char *why, size_t whyn)
{
    unsigned char h[16];
    uint64_t hdr = 8 + (uint64_t)sl, objhdr = 8 + (uint64_t)sl;
    if (addr > fsize || hdr > fsize - addr || pread(fd, h, hdr, (off_t)addr) != (ssize_t)hdr ||
        memcmp(h, "GCOL", 4) != 0 || h[4] != 1)
        return 0;
    uint64_t size = le(h + 8, sl);
    if (size < hdr || size > fsize - addr || size > (64u << 20))
        return 0;
    unsigned char *c = malloc(size);
    if (!c || pread(fd, c, size, (off_t)addr) != (ssize_t)size) {
        free(c);
        return 0;
    }
    int bad = 0;
    for (uint64_t p = hdr; p < size && !bad;) {
        if (objhdr > size - p)
            break;   /* too small for an object: free space */
        unsigned idx = (unsigned)le(c + p, 2);
        uint64_t osize = le(c + p + 8, sl);
        uint64_t need = idx == 0 ? osize : osize > size ? UINT64_MAX : objhdr + (osize + 7) / 8 * 8;
        if (need == 0 || need > size - p) {
            snprintf(why, whyn,
                     "the global heap collection at byte %llu has object %u of %llu bytes at offset %llu "
                     "of its %llu",
                     (unsigned long long)addr, idx, (unsigned long long)osize, (unsigned long long)p,
                     (unsigned long long)size);
            bad = 1;
        }
        p += need;
    }
    free(c);
    return bad;
}

/* Walks the version-1 object header at addr (header, then every
 * continuation chunk it names, at most 64) of a file of fsize bytes held
 * in fd; returns 0, or 1 with a description in why for a chunk that lies
 * beyond the end of the file or an attribute message whose data do not
 * fit in it (attr_message_bad).  The global heap collections that its
 * variable-length attributes name are added to refs. */
static int walk_v1_header(int fd, uint64_t fsize, uint64_t base, uint64_t addr, int so, int sl,
                          heap_refs *refs, char *why, size_t whyn)
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
            snprintf(why, whyn, "the root group's header continues at byte %llu for %llu bytes, beyond the end of the file",
                     (unsigned long long)a, (unsigned long long)n);
            return 1;
        }
        unsigned char *c = malloc(n ? n : 1);
        if (!c || pread(fd, c, n, (off_t)a) != (ssize_t)n) {
            free(c);
            return 0;
        }
        while (p + 8 <= n) {   /* message: type 2, size 2, flags 1, reserved 3, data */
            unsigned type = (unsigned)le(c + p, 2), size = (unsigned)le(c + p + 2, 2), flags = c[p + 4];
            if (size > n - p - 8)
                break;
            if (type == 0x10 && size >= (unsigned)(so + sl) && nchunks < 64) {
                chunk_addr[nchunks] = base + le(c + p + 8, so);
                chunk_len[nchunks++] = le(c + p + 8 + so, sl);
                if (chunk_addr[nchunks - 1] < base) {   /* wrapped around */
                    snprintf(why, whyn, "the root group's header continues at byte %llu for %llu bytes, beyond the end of the file",
                             (unsigned long long)chunk_addr[nchunks - 1], (unsigned long long)chunk_len[nchunks - 1]);
                    free(c);
                    return 1;
                }
            }
            if (type == 0x0C && !(flags & 2) && attr_message_bad(c + p + 8, size, so, sl, refs, why, whyn)) {
                free(c);
                return 1;
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
    char why[160] = "";
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
                heap_refs refs = { .n = 0 };
                if (o + 6 * (size_t)so <= sizeof sb && base <= fsize && root < fsize - base)
                    bad = walk_v1_header(fd, fsize, base, root, so, sl, &refs, why, sizeof why);
                for (int k = 0; k < refs.n && !bad; k++)
                    bad = refs.addr[k] <= UINT64_MAX - base &&
                          heap_collection_bad(fd, fsize, base + refs.addr[k], sl, why, sizeof why);
            }
            break;
        }
    }
    close(fd);
    if (bad)
        return asgml_error(ASGML_EFORMAT, "%s: damaged HDF5 file: %s", path, why);
    return ASGML_OK;
}
