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

/* ---- damaged files before HDF5 decodes them (asgml_h5_check_*) ---------------- */
/* HDF5 1.10.8 (Debian 12) trusts sizes and indices it reads from a file:
 * every check below answers a crash or hang the fuzzers found through it
 * (fuzz/known/README).  Each check understands the layouts asgml writes
 * (superblock 0/1, object header version 1, global heap collections) and
 * leaves anything else to HDF5, which reports it.  Layouts: HDF5 File
 * Format Specification 3.0. */

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* the file's superblock (version 0 or 1): sizes of offsets (so) and
 * lengths (sl), base address, the root group's object header address and
 * the group B-tree's K values (leaf, internal); 0 when not found or
 * another version */
static int read_superblock(int fd, uint64_t fsize, int *so, int *sl, uint64_t *base, uint64_t *root,
                           unsigned *leaf_k, unsigned *node_k)
{
    static const uint64_t at[] = { 0, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536 };
    unsigned char sb[96];
    for (size_t i = 0; i < sizeof at / sizeof *at && at[i] + sizeof sb <= fsize; i++) {
        if (pread(fd, sb, sizeof sb, (off_t)at[i]) != (ssize_t)sizeof sb ||
            memcmp(sb, "\211HDF\r\n\032\n", 8) != 0)
            continue;
        /* sizes of offsets and lengths at 13, 14; base address at 24 (v1:
         * 28), then free-space, end of file and driver addresses, then the
         * root group's symbol table entry (link name offset, header address) */
        int ver = sb[8];
        *so = sb[13];
        *sl = sb[14];
        *leaf_k = (unsigned)le(sb + 16, 2);   /* group leaf node K */
        *node_k = (unsigned)le(sb + 18, 2);   /* group internal node K */
        if ((ver != 0 && ver != 1) || (*so != 2 && *so != 4 && *so != 8) || (*sl != 2 && *sl != 4 && *sl != 8))
            return 0;
        size_t o = ver == 0 ? 24 : 28;
        *base = le(sb + o, *so);
        *root = le(sb + o + 5 * (size_t)*so, *so);
        return o + 6 * (size_t)*so <= sizeof sb && *base <= fsize;
    }
    return 0;
}

/* Variable-length elements seen in a file: length 4, global heap
 * collection address so, object index 4 (III.E). */
typedef struct vref {
    uint64_t addr;
    uint32_t idx, len;
    uint32_t base;   /* bytes per element of the sequence (1 for a string's characters) */
} vref;

typedef struct vrefs {
    vref *v;
    size_t n, cap;
} vrefs;

#define MAX_VREFS (1u << 22)

static int vrefs_add(vrefs *r, const unsigned char *e, int so, uint32_t base)
{
    uint32_t len = (uint32_t)le(e, 4);
    if (len == 0)
        return 0;   /* empty: HDF5 reads no heap object */
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        vref *v = cap <= MAX_VREFS ? realloc(r->v, cap * sizeof *v) : NULL;
        if (!v)
            return -1;
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = (vref){ le(e + 4, so), (uint32_t)le(e + 4 + so, 4), len, base };
    return 0;
}

/* A datatype message (IV.A.2.d) of len bytes at t, as HDF5 1.10.8 decodes
 * it (H5O_dtype_decode_helper): returns 1 with a description in why when a
 * compound or enum member's name has no zero byte before the end of the
 * message (HDF5 strdup()s it and reads past the object header, ASan:
 * heap-buffer-overflow in H5MM_xstrdup,
 * fuzz/known/store-hdf5-dtype-member-name-unterminated.h5) or when its
 * members, base types or values run past the message; else 0, with *used
 * its length.  Byte 0: class (low nibble) and version (high nibble); bytes
 * 1-3 class bits (compound, enum: bits 0-15 the number of members; opaque:
 * bits 0-7 the tag's length); bytes 4-7 the element size; then per class:
 * fixed-point 4, float 12, time 2, string and reference 0, bitfield 4,
 * opaque the tag, compound per member name (zero-terminated, padded to 8
 * before version 3), byte offset (4, version 3: the fewest bytes that hold
 * the size), 28 more bytes in version 1, member type; enum base type,
 * names, n x base size values; variable length its base type; array
 * rank 1, (3 reserved before version 3), dimensions 4 each, (permutation 4
 * each before version 3), base type.  Nesting deeper than 8 and unknown
 * classes are left to HDF5. */
static int dtype_bad(const unsigned char *t, uint64_t len, uint64_t *used, int depth, char *why, size_t whyn)
{
    *used = len;
    if (depth > 8)
        return 0;
    if (len < 8) {
        snprintf(why, whyn, "a datatype runs past its message");
        return 1;
    }
    int cls = t[0] & 0x0f, ver = t[0] >> 4;
    uint64_t nm = le(t + 1, 2), size = le(t + 4, 4), p = 8, u;
    switch (cls) {
    case 0: case 4: p += 4; break;
    case 1: p += 12; break;
    case 2: p += 2; break;
    case 3: case 7: break;
    case 5: p += t[1]; break;
    case 6: case 8: {
        uint64_t bsize = 0;
        if (cls == 8) {   /* the base type first */
            if (dtype_bad(t + p, len - p, &u, depth + 1, why, whyn))
                return 1;
            bsize = len - p >= 8 ? le(t + p + 4, 4) : 0;
            p += u;
        }
        for (uint64_t i = 0; i < nm; i++) {
            const unsigned char *z = p < len ? memchr(t + p, 0, len - p) : NULL;
            if (!z) {
                snprintf(why, whyn, "a datatype's member name %llu of %llu has no terminating zero byte",
                         (unsigned long long)i, (unsigned long long)nm);
                return 1;
            }
            uint64_t nl = (uint64_t)(z - (t + p)) + 1;
            p += ver < 3 ? (nl + 7) / 8 * 8 : nl;
            if (cls == 8)
                continue;
            uint64_t ob = 4;
            if (ver >= 3)
                for (ob = 1; ob < 4 && (size >> (8 * ob)); ob++)
                    ;
            p += ob + (ver == 1 ? 28 : 0);
            if (p > len)
                break;
            if (dtype_bad(t + p, len - p, &u, depth + 1, why, whyn))
                return 1;
            p += u;
        }
        if (cls == 8 && p <= len && bsize && nm > (len - p) / bsize)
            p = len + 1;
        else if (cls == 8)
            p += nm * bsize;
        break;
    }
    case 9:
        if (dtype_bad(t + p, len - p, &u, depth + 1, why, whyn))
            return 1;
        p += u;
        break;
    case 10: {
        if (p >= len)
            break;
        uint64_t nd = t[p] < 33 ? t[p] : 33;
        p += (ver < 3 ? 4 : 1) + 4 * nd * (ver < 3 ? 2 : 1);
        if (p > len)
            break;
        if (dtype_bad(t + p, len - p, &u, depth + 1, why, whyn))
            return 1;
        p += u;
        break;
    }
    default:
        return 0;
    }
    if (p > len) {
        snprintf(why, whyn, "a datatype of class %d runs past its message of %llu bytes", cls, (unsigned long long)len);
        return 1;
    }
    *used = p;
    return 0;
}

/* The data an attribute message (type 0x0C) of size bytes at d declares,
 * checked against the message: returns 0 when it fits or when the message
 * is not one this check understands, else 1 with a description in why.
 * HDF5 1.10.8 copies the name, datatype, dataspace and nelmts x element
 * size bytes of data out of the message as declared, past its end when they
 * were damaged (ASan: heap-buffer-overflow in H5O_attr_decode,
 * fuzz/known/checkpoint-hdf5-attr-data-overflow.h5).  The variable-length
 * elements of the data are added to refs.
 * Layout (IV.A.2.m): version 1 byte, flags (v2, v3) or reserved (v1) 1,
 * name, datatype and dataspace sizes 2 each, encoding 1 (v3 only), then
 * name (nlen bytes with its terminating zero), datatype, dataspace (each
 * padded to 8 bytes in v1) and the data.
 * Datatype (IV.A.2.d): class in the low nibble of byte 0 (9: variable
 * length, its type in the low nibble of byte 1, 1 = string), element size
 * at byte 4 (4 bytes); a variable-length element is stored as length 4 +
 * collection address so + index 4.  Dataspace (IV.A.2.b): version 1 (rank
 * at 1, dimensions from 8) or 2 (rank at 1, type at 3 with 0 scalar, 1
 * simple, 2 null, dimensions from 4), sl bytes per dimension. */
static int attr_message_bad(const unsigned char *d, uint64_t size, int so, int sl, vrefs *refs, char *why,
                            size_t whyn)
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
    if (nlen == 0 || !memchr(d + name_at, 0, nlen)) {
        /* HDF5 strdup()s the name, reading on to the next zero byte past
         * the message (ASan: heap-buffer-overflow in H5MM_strdup,
         * fuzz/known/store-hdf5-attr-name-unterminated.h5) */
        snprintf(why, whyn, "an attribute's name of %llu bytes has no terminating zero byte",
                 (unsigned long long)nlen);
        return 1;
    }
    if (ver > 1 && (d[1] & 3))
        return 0;   /* shared datatype or dataspace: stored elsewhere */
    uint64_t tused;
    if (tlen >= 8 && dtype_bad(d + type_at, tlen, &tused, 0, why, whyn))
        return 1;
    if (tlen < 8 || slen < 4)
        return 0;
    const unsigned char *t = d + type_at, *sp = d + space_at;
    int vlen = (t[0] & 0x0f) == 9;
    uint64_t esize = vlen ? 4 + (uint64_t)so + 4 : le(t + 4, 4);
    if (vlen && le(t + 4, 4) != esize) {
        /* HDF5 sizes the attribute's buffer by the declared size and copies
         * esize bytes per element into the reader's (heap overflow,
         * fuzz/known/store-hdf5-vlen-declared-size-1.h5) */
        snprintf(why, whyn, "a variable-length attribute declares elements of %llu bytes, not %llu",
                 (unsigned long long)le(t + 4, 4), (unsigned long long)esize);
        return 1;
    }
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
    if (nelem && esize > room / nelem) {
        snprintf(why, whyn,
                 "an attribute declares %llu elements of %llu bytes in a message with room for %llu bytes",
                 (unsigned long long)nelem, (unsigned long long)esize, (unsigned long long)room);
        return 1;
    }
    /* a variable-length type's base type follows its 8 bytes, with its
     * element size at its byte 4: HDF5 allocates length x that size */
    uint32_t base = tlen >= 16 ? (uint32_t)le(t + 12, 4) : 1;
    for (uint64_t i = 0; vlen && i < nelem; i++)
        if (vrefs_add(refs, d + data_at + i * esize, so, base) != 0)
            return 0;   /* out of memory: HDF5 judges the rest */
    return 0;
}

/* A dataset's dataspace and chunk shape as its object header states them. */
typedef struct shape_msgs {
    int srank, smax, crank;          /* -1: no such message (yet) */
    uint64_t sdims[32], smaxd[32], cdims[33];
} shape_msgs;

/* Records a dataspace message (IV.A.2.b: version 1 rank at 1, flags at 2,
 * dimensions from 8; version 2 from 4; sl bytes each, the maximum
 * dimensions after them when flags bit 0) or a chunked layout message
 * (IV.A.2.i: version 3: class at 1 = 2, rank + 1 at 2, address so bytes,
 * dimensions 4 bytes each, the last the element size; versions 1 and 2:
 * rank + 1 at 1, class at 2, address at 8, dimensions after it). */
static void shape_msg(shape_msgs *sm, unsigned type, const unsigned char *d, uint64_t size, int so, int sl)
{
    if (type == 0x01 && size >= 4 && (d[0] == 1 || d[0] == 2) && d[1] <= 32) {
        int rank = d[1], hasmax = d[2] & 1;
        uint64_t at = d[0] == 1 ? 8 : 4;
        if (at + (uint64_t)rank * sl * (hasmax ? 2 : 1) > size)
            return;
        for (int i = 0; i < rank; i++) {
            sm->sdims[i] = le(d + at + (uint64_t)i * sl, sl);
            sm->smaxd[i] = hasmax ? le(d + at + (uint64_t)(rank + i) * sl, sl) : sm->sdims[i];
        }
        sm->srank = rank;
        sm->smax = hasmax;
    } else if (type == 0x08 && size >= 3) {
        int ver = d[0], nd = ver == 3 ? d[2] : d[1], cls = ver == 3 ? d[1] : d[2];
        uint64_t at = ver == 3 ? 3 + (uint64_t)so : 8 + (uint64_t)so;
        if ((ver < 1 || ver > 3) || cls != 2 || nd < 1 || nd > 33 || at + 4u * (uint64_t)nd > size)
            return;
        for (int i = 0; i < nd; i++)
            sm->cdims[i] = le(d + at + 4u * (uint64_t)i, 4);
        sm->crank = nd;
    }
}

/* HDF5 creates no chunk larger than a fixed dimension's maximum, none of
 * size 0 and none of 4 GB or more (H5D__chunk_construct), but 1.10.8 reads
 * a damaged file that has one: a chunk of (1, 8, 8, 50331649) for frames of
 * (3, 8, 8, 1) made H5Dread copy from outside its buffer (SEGV,
 * fuzz/known/store-hdf5-chunk-beyond-extent.h5). */
static int chunk_shape_bad(const shape_msgs *sm, int sl, char *why, size_t whyn)
{
    if (sm->srank < 0 || sm->crank != sm->srank + 1)
        return 0;
    uint64_t unlimited = sl >= 8 ? UINT64_MAX : ((uint64_t)1 << (8 * sl)) - 1, bytes = 1;
    for (int i = 0; i < sm->crank; i++) {
        uint64_t c = sm->cdims[i];
        if (c == 0 || (i < sm->srank && sm->smaxd[i] != unlimited && c > sm->smaxd[i])) {
            snprintf(why, whyn, "a dataset's chunk is %llu in dimension %d, whose maximum is %llu",
                     (unsigned long long)c, i, (unsigned long long)(i < sm->srank ? sm->smaxd[i] : 0));
            return 1;
        }
        bytes = c > (UINT64_MAX >> 1) / bytes ? UINT64_MAX >> 1 : bytes * c;
    }
    if (bytes >= ((uint64_t)1 << 32)) {
        snprintf(why, whyn, "a dataset's chunk of %llu bytes is 4 GB or more", (unsigned long long)bytes);
        return 1;
    }
    return 0;
}

/* Walks the version-1 object header at addr (header, then every
 * continuation chunk it names, at most 64) of a file of fsize bytes held
 * in fd; returns 0, or 1 with a description in why for a chunk that lies
 * beyond the end of the file or an attribute message whose data do not
 * fit in it (attr_message_bad).  The variable-length elements of its
 * attributes are added to refs; a group's symbol table message (IV.A.2.r)
 * sets stab to its B-tree and local heap addresses. */
static int walk_v1_header(int fd, uint64_t fsize, uint64_t base, uint64_t addr, int so, int sl, vrefs *refs,
                          uint64_t stab[2], uint32_t *vbase, char *why, size_t whyn)
{
    uint64_t chunk_addr[64], chunk_len[64];
    int nchunks = 0, next = 0;
    unsigned char h[16];
    /* the dataspace (0x01) and a chunked layout (0x08) of a dataset, checked
     * against each other after the walk (chunk_shape_bad) */
    shape_msgs sm = { .srank = -1, .crank = -1 };
    if (addr > UINT64_MAX - base - 16 || pread(fd, h, 16, (off_t)(base + addr)) != 16 || h[0] != 1)
        return 0;   /* not a version-1 header: HDF5 judges it */
    chunk_addr[nchunks] = base + addr + 16;
    chunk_len[nchunks++] = le(h + 8, 4);
    while (next < nchunks) {
        uint64_t a = chunk_addr[next], n = chunk_len[next++], p = 0;
        if (a > fsize || n > fsize - a) {
            snprintf(why, whyn, "an object header continues at byte %llu for %llu bytes, beyond the end of the file",
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
                    snprintf(why, whyn, "an object header continues at byte %llu for %llu bytes, beyond the end of the file",
                             (unsigned long long)chunk_addr[nchunks - 1], (unsigned long long)chunk_len[nchunks - 1]);
                    free(c);
                    return 1;
                }
            }
            if (type == 0x03 && vbase && size >= 16 && (c[p + 8] & 0x0f) == 9)   /* a dataset's vlen type */
                *vbase = (uint32_t)le(c + p + 8 + 12, 4);
            if (type == 0x11 && size >= 2u * (unsigned)so && stab) {   /* symbol table: B-tree, local heap */
                stab[0] = le(c + p + 8, so);
                stab[1] = le(c + p + 8 + so, so);
            }
            if (!(flags & 2))
                shape_msg(&sm, type, c + p + 8, size, so, sl);
            uint64_t tused;
            if (type == 0x03 && !(flags & 2) && dtype_bad(c + p + 8, size, &tused, 0, why, whyn)) {
                free(c);
                return 1;
            }
            if (type == 0x0C && !(flags & 2) && attr_message_bad(c + p + 8, size, so, sl, refs, why, whyn)) {
                free(c);
                return 1;
            }
            p += 8 + size;
        }
        free(c);
    }
    return chunk_shape_bad(&sm, sl, why, whyn);
}

static int by_addr(const void *a, const void *b)
{
    const vref *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Each element of refs against its global heap collection (III.E): "GCOL",
 * version 1, 3 reserved, collection size sl bytes, then objects: index 2,
 * references 2, reserved 4, size sl, data padded to 8; index 0 is the free
 * space, its size counting its own header.  HDF5 1.10.8 steps from object
 * to object by the size it reads (a free-space object of size 0: an
 * endless loop, fuzz/known/store-hdf5-gheap-free-size-0.h5), copies an
 * object as long as it says into a buffer as long as the element says,
 * and looks an element's index up without checking that the object exists
 * (SEGV in H5HG_read, fuzz/known/store-hdf5-gheap-index-absent.h5).
 * Returns 1 with a description in why for any of these, and for an
 * element that names no collection at all (HDF5 refuses it, but only
 * after allocating the element's declared length). */
static int vrefs_bad(int fd, uint64_t fsize, uint64_t base, int sl, vrefs *refs, char *why, size_t whyn)
{
    uint64_t hdr = 8 + (uint64_t)sl, objhdr = 8 + (uint64_t)sl;
    uint64_t *sizes = NULL;   /* by object index: size + 1, 0 when absent */
    int bad = 0;
    if (refs->n > 1)   /* qsort(NULL, 0) is undefined */
        qsort(refs->v, refs->n, sizeof *refs->v, by_addr);
    for (size_t i = 0; i < refs->n && !bad;) {
        uint64_t addr = refs->v[i].addr, size = 0;
        size_t j = i;
        while (j < refs->n && refs->v[j].addr == addr)
            j++;
        unsigned char h[16], *c = NULL;
        uint64_t at = addr <= UINT64_MAX - base ? base + addr : UINT64_MAX;
        if (at <= fsize && hdr <= fsize - at && pread(fd, h, hdr, (off_t)at) == (ssize_t)hdr &&
            memcmp(h, "GCOL", 4) == 0 && h[4] == 1 && (size = le(h + 8, sl)) >= hdr && size <= fsize - at &&
            size <= (64u << 20) && (c = malloc(size)) && pread(fd, c, size, (off_t)at) == (ssize_t)size &&
            (sizes || (sizes = malloc(65536 * sizeof *sizes)))) {
            memset(sizes, 0, 65536 * sizeof *sizes);
            for (uint64_t p = hdr; p < size && !bad;) {
                if (objhdr > size - p)
                    break;   /* too small for an object: free space */
                unsigned idx = (unsigned)le(c + p, 2);
                uint64_t osize = le(c + p + 8, sl);
                uint64_t need = idx == 0 ? osize : osize > size ? UINT64_MAX : objhdr + (osize + 7) / 8 * 8;
                if (need == 0 || need > size - p) {
                    snprintf(why, whyn,
                             "the global heap collection at byte %llu has object %u of %llu bytes at offset "
                             "%llu of its %llu",
                             (unsigned long long)at, idx, (unsigned long long)osize, (unsigned long long)p,
                             (unsigned long long)size);
                    bad = 1;
                }
                if (idx)
                    sizes[idx] = osize + 1;
                p += need;
            }
            for (size_t k = i; k < j && !bad; k++) {
                const vref *r = &refs->v[k];
                if (r->idx == 0 || r->idx > 65535 || !sizes[r->idx]) {
                    snprintf(why, whyn, "a string names object %u, absent from the global heap collection at byte %llu",
                             (unsigned)r->idx, (unsigned long long)at);
                    bad = 1;
                } else if (sizes[r->idx] - 1 != (uint64_t)r->len * r->base) {
                    /* HDF5 allocates length x base bytes and copies the object into them */
                    if (r->base == 1)
                        snprintf(why, whyn,
                                 "a string of %u bytes names object %u of %llu bytes in the global heap "
                                 "collection at byte %llu",
                                 (unsigned)r->len, (unsigned)r->idx, (unsigned long long)(sizes[r->idx] - 1),
                                 (unsigned long long)at);
                    else
                        snprintf(why, whyn,
                                 "a sequence of %u elements of %u bytes names object %u of %llu bytes in the "
                                 "global heap collection at byte %llu",
                                 (unsigned)r->len, (unsigned)r->base, (unsigned)r->idx,
                                 (unsigned long long)(sizes[r->idx] - 1), (unsigned long long)at);
                    bad = 1;
                }
            }
        }
        else if (!bad) {
            /* not a collection: HDF5 would refuse it, but only after
             * allocating the element's declared length (4.1 GB,
             * fuzz/known/store-hdf5-vlen-length-4g.h5) */
            snprintf(why, whyn, "a string of %u bytes names a global heap collection at byte %llu, which is not one",
                     (unsigned)refs->v[i].len, (unsigned long long)at);
            bad = 1;
        }
        free(c);
        i = j;
    }
    free(sizes);
    return bad;
}

/* A walk over the objects of a file, from a group down through its
 * symbol table: the group's B-tree (III.A.1: "TREE", node type 0 for
 * groups, level, entries used 2, left and right siblings so each, then
 * entries + 1 keys of sl bytes (name offsets into the local heap)
 * interleaved with entries children of so bytes), its symbol nodes
 * (III.B: "SNOD", version 1, reserved, symbols used 2, then entries of
 * 2 so + 24 bytes: name offset so, object header address so, cache type
 * and scratch pad) and its local heap (III.D: "HEAP", version 0, 3
 * reserved, data size sl, free-list offset sl, data address so), and every
 * object header it reaches (walk_v1_header).  HDF5 1.10.8 allocates a
 * local heap's declared data size before any check (4.3 GB for a 23 kB
 * checkpoint, fuzz/known/checkpoint-hdf5-local-heap-4g.h5). */
typedef struct walk {
    int fd, so, sl;
    uint64_t fsize, base;
    unsigned leaf_k, node_k;
    vrefs refs;
    uint64_t seen[512];   /* object headers and B-tree nodes visited */
    int nseen;
    char *why;
    size_t whyn;
} walk;

static int visit(walk *w, uint64_t addr)   /* 1: already seen, or too many */
{
    if (w->nseen >= (int)(sizeof w->seen / sizeof *w->seen))
        return 1;
    for (int i = 0; i < w->nseen; i++)
        if (w->seen[i] == addr)
            return 1;
    w->seen[w->nseen++] = addr;
    return 0;
}

/* n bytes at address addr (relative to the base) into a new buffer, or NULL */
static unsigned char *read_at(const walk *w, uint64_t addr, uint64_t n)
{
    if (addr > UINT64_MAX - w->base || w->base + addr > w->fsize || n > w->fsize - w->base - addr ||
        n > (64u << 20))
        return NULL;
    unsigned char *b = malloc(n ? n : 1);
    if (b && pread(w->fd, b, n, (off_t)(w->base + addr)) != (ssize_t)n) {
        free(b);
        b = NULL;
    }
    return b;
}

static int walk_object(walk *w, uint64_t addr, int depth);

static int walk_group_node(walk *w, uint64_t addr, uint64_t heap_size, int depth)
{
    int so = w->so, sl = w->sl, bad = 0;
    uint64_t head = 8 + 2 * (uint64_t)so;
    unsigned char *h;
    if (depth > 32 || visit(w, addr) || !(h = read_at(w, addr, head)))
        return 0;
    if (memcmp(h, "TREE", 4) == 0 && h[4] == 0) {
        unsigned used = (unsigned)le(h + 6, 2);
        free(h);
        if (used > 2 * w->node_k) {
            snprintf(w->why, w->whyn, "a group B-tree node at byte %llu holds %u entries, more than its %u",
                     (unsigned long long)(w->base + addr), used, 2 * w->node_k);
            return 1;
        }
        unsigned char *e = read_at(w, addr + head, (uint64_t)used * (uint64_t)(sl + so) + (uint64_t)sl);
        for (unsigned i = 0; e && i <= used && !bad; i++) {
            uint64_t key = le(e + (uint64_t)i * (uint64_t)(sl + so), sl);
            if (key >= heap_size && heap_size) {
                snprintf(w->why, w->whyn, "a group B-tree node at byte %llu has a name at offset %llu of a "
                         "local heap of %llu bytes", (unsigned long long)(w->base + addr),
                         (unsigned long long)key, (unsigned long long)heap_size);
                bad = 1;
            } else if (i < used) {
                uint64_t child = le(e + (uint64_t)i * (uint64_t)(sl + so) + (uint64_t)sl, so);
                bad = walk_group_node(w, child, heap_size, depth + 1);
            }
        }
        free(e);
        return bad;
    }
    if (memcmp(h, "SNOD", 4) == 0 && h[4] == 1) {
        unsigned nsyms = (unsigned)le(h + 6, 2);
        uint64_t esize = 2 * (uint64_t)so + 24;
        free(h);
        if (nsyms > 2 * w->leaf_k) {
            snprintf(w->why, w->whyn, "a group symbol node at byte %llu holds %u entries, more than its %u",
                     (unsigned long long)(w->base + addr), nsyms, 2 * w->leaf_k);
            return 1;
        }
        unsigned char *e = read_at(w, addr + 8, (uint64_t)nsyms * esize);
        for (unsigned i = 0; e && i < nsyms && !bad; i++) {
            uint64_t name = le(e + i * esize, so), obj = le(e + i * esize + so, so);
            if (heap_size && name >= heap_size) {
                snprintf(w->why, w->whyn, "a link at byte %llu has its name at offset %llu of a local heap "
                         "of %llu bytes", (unsigned long long)(w->base + addr + 8 + i * esize),
                         (unsigned long long)name, (unsigned long long)heap_size);
                bad = 1;
            } else {
                bad = walk_object(w, obj, depth + 1);
            }
        }
        free(e);
        return bad;
    }
    free(h);
    return 0;   /* another signature: HDF5 refuses it */
}

static int walk_object(walk *w, uint64_t addr, int depth)
{
    uint64_t stab[2] = { UINT64_MAX, UINT64_MAX };
    if (depth > 32 || visit(w, addr) || addr >= w->fsize - w->base)
        return 0;
    if (walk_v1_header(w->fd, w->fsize, w->base, addr, w->so, w->sl, &w->refs, stab, NULL, w->why, w->whyn))
        return 1;
    if (stab[0] == UINT64_MAX)
        return 0;   /* not a group */
    /* the local heap first: its size bounds the names */
    uint64_t hh = 8 + 2 * (uint64_t)w->sl + (uint64_t)w->so, size = 0;
    unsigned char *h = read_at(w, stab[1], hh);
    if (h && memcmp(h, "HEAP", 4) == 0 && h[4] == 0) {
        size = le(h + 8, w->sl);
        uint64_t data = le(h + 8 + 2 * w->sl, w->so);
        if (data > w->fsize - w->base || size > w->fsize - w->base - data) {
            snprintf(w->why, w->whyn, "a group's local heap at byte %llu declares %llu bytes at byte %llu, "
                     "beyond the end of the file", (unsigned long long)(w->base + stab[1]),
                     (unsigned long long)size, (unsigned long long)(w->base + data));
            free(h);
            return 1;
        }
    }
    free(h);
    return walk_group_node(w, stab[0], size, depth + 1);
}

/* Opens path for a walk: its descriptor, size and superblock into w (the
 * root group's header address into *root); 0 when the file cannot be read
 * or is not a layout this check knows (HDF5 then judges it).  walk_close
 * releases what either gathered. */
static int walk_open(walk *w, const char *path, char *why, size_t whyn, uint64_t *root)
{
    struct stat stt;
    memset(w, 0, sizeof *w);
    w->why = why;
    w->whyn = whyn;
    w->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (w->fd < 0 || fstat(w->fd, &stt) != 0)
        return 0;
    w->fsize = (uint64_t)stt.st_size;
    return read_superblock(w->fd, w->fsize, &w->so, &w->sl, &w->base, root, &w->leaf_k, &w->node_k);
}

static void walk_close(walk *w)
{
    if (w->fd >= 0)
        close(w->fd);
    free(w->refs.v);
    free(w);
}

/* the header of the object at addr (relative to the base), the objects
 * below it when it is a group, and the strings their attributes name, in
 * the file path (from the root group when root) */
static asgml_status check_header(const char *path, int root, uint64_t addr)
{
    char why[200] = "";
    walk *w = malloc(sizeof *w);
    uint64_t root_addr;
    int bad = 0;
    if (!w)
        return ASGML_OK;   /* out of memory: HDF5 judges the file */
    if (walk_open(w, path, why, sizeof why, &root_addr))
        bad = walk_object(w, root ? root_addr : addr, 0) ||
              vrefs_bad(w->fd, w->fsize, w->base, w->sl, &w->refs, why, sizeof why);
    walk_close(w);
    if (bad)
        return asgml_error(ASGML_EFORMAT, "%s: damaged HDF5 file: %s", path, why);
    return ASGML_OK;
}

asgml_status asgml_h5_check_file(const char *path)
{
    return check_header(path, 1, 0);
}

/* the name of the file that holds obj, as it was opened */
static char *file_name(hid_t obj)
{
    ssize_t n = H5Fget_name(obj, NULL, 0);
    char *name = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (name && H5Fget_name(obj, name, (size_t)n + 1) != n) {
        free(name);
        name = NULL;
    }
    return name;
}

asgml_status asgml_h5_check_object(hid_t obj)
{
    H5O_info_t info;
    char *path = file_name(obj);
    asgml_status st = ASGML_OK;
    if (path && H5Oget_info2(obj, &info, H5O_INFO_BASIC) >= 0 && info.addr != HADDR_UNDEF)
        st = check_header(path, 0, (uint64_t)info.addr);
    free(path);
    return st;
}

asgml_status asgml_h5_check_strings(hid_t dset)
{
    hid_t t = H5Dget_type(dset), sp = H5Dget_space(dset);
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    haddr_t off = H5Dget_offset(dset);   /* HADDR_UNDEF unless contiguous and allocated */
    int vstr = t >= 0 && H5Tis_variable_str(t) > 0;
    char *path = vstr && n > 0 && off != HADDR_UNDEF ? file_name(dset) : NULL;
    asgml_status st = ASGML_OK;
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    if (!path)
        return ASGML_OK;
    char why[200] = "";
    walk *w = malloc(sizeof *w);
    uint64_t root;
    int bad = 0;
    if (w && walk_open(w, path, why, sizeof why, &root)) {
        /* H5Dget_offset is absolute (it counts the user block) */
        uint64_t esize = 4 + (uint64_t)w->so + 4, at = (uint64_t)off;
        uint64_t bytes = (uint64_t)n <= (64u << 20) / esize ? (uint64_t)n * esize : 0;
        unsigned char *raw = bytes && at <= w->fsize && bytes <= w->fsize - at ? malloc(bytes) : NULL;
        uint32_t vbase = 1;   /* the element size of the string's base type, from its header */
        H5O_info_t info;
        if (H5Oget_info2(dset, &info, H5O_INFO_BASIC) >= 0 && info.addr != HADDR_UNDEF &&
            (uint64_t)info.addr < w->fsize - w->base)
            bad = walk_v1_header(w->fd, w->fsize, w->base, (uint64_t)info.addr, w->so, w->sl, &w->refs, NULL,
                                 &vbase, why, sizeof why);
        if (!bad && raw && pread(w->fd, raw, bytes, (off_t)at) == (ssize_t)bytes)
            for (uint64_t i = 0; i < (uint64_t)n; i++)
                if (vrefs_add(&w->refs, raw + i * esize, w->so, vbase) != 0)
                    break;
        if (!bad)
            bad = vrefs_bad(w->fd, w->fsize, w->base, w->sl, &w->refs, why, sizeof why);
        free(raw);
    }
    if (w)
        walk_close(w);
    if (bad)
        st = asgml_error(ASGML_EFORMAT, "%s: damaged HDF5 file: %s", path, why);
    free(path);
    return st;
}

asgml_status asgml_h5_check_extent(hid_t dset, const char *name)
{
    hid_t t = H5Dget_type(dset), sp = H5Dget_space(dset), f = H5Iget_file_id(dset);
    hsize_t fbytes = 0;
    hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    size_t es = t >= 0 ? H5Tget_size(t) : 0;
    int ok = f >= 0 && H5Fget_filesize(f, &fbytes) >= 0 && n >= 0 && es > 0;
    uint64_t cap = (fbytes ? (uint64_t)fbytes : 1) * 1100;
    /* npoints is the product of the dimensions; HDF5 does not check it for
     * overflow, so the dimensions are multiplied here too */
    if (ok && sp >= 0) {
        int rank = H5Sget_simple_extent_ndims(sp);
        hsize_t dims[H5S_MAX_RANK];
        uint64_t prod = es;
        int empty = 0;
        ok = rank >= 0 && rank <= H5S_MAX_RANK && H5Sget_simple_extent_dims(sp, dims, NULL) == rank;
        for (int i = 0; ok && i < rank; i++)
            empty |= dims[i] == 0;
        for (int i = 0; ok && !empty && i < rank; i++) {
            if (dims[i] > cap / prod) ok = 0;
            else prod *= dims[i];
        }
        ok = ok && (empty || prod <= cap);
    }
    if (t >= 0) H5Tclose(t);
    if (sp >= 0) H5Sclose(sp);
    if (f >= 0) H5Fclose(f);
    if (ok) return ASGML_OK;
    return asgml_error(ASGML_EFORMAT, "%s: damaged dataset: its extent claims more than a file of %llu bytes can hold",
                       name, (unsigned long long)fbytes);
}
