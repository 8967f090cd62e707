/* SPDX-License-Identifier: MIT */
/* test-h5-check.c - asgml_h5_check_file (core/h5util.h), the walk of the
 * root group's object header that runs before every H5Fopen of a store or
 * checkpoint: files HDF5 writes with every kind of attribute asgml uses
 * (and a few it does not) pass; the damaged inputs of fuzz/known/, an
 * attribute whose dataspace was enlarged in place and a global heap
 * collection whose free space was given size 0 are refused with
 * ASGML_EFORMAT before HDF5 decodes them (HDF5 1.10.8 copies an attribute's
 * declared data size out of its message, a heap overflow under ASan, and
 * loops forever on a free-space object of size 0); so are a string of a
 * dataset that names an absent heap object or one of another length
 * (asgml_h5_check_strings: HDF5 read past its object table, SEGV) and a
 * group whose own attribute was enlarged (asgml_h5_check_object, and the
 * whole file's walk from the root), and a group whose local heap claims
 * 4.3 GB (HDF5 allocated it). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "core/h5util.h"
#include "tap.h"

static char dir[] = "/tmp/asgml-h5-check.XXXXXX";

/* a file with root attributes of the kinds asgml writes: scalars, arrays,
 * fixed and variable-length strings, a 2-D array, an empty (null) one, and
 * "zzzattr" (4 x uint8) that the damage test enlarges */
static int write_file(const char *path)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        return -1;
    int rc = 0;
    hsize_t d7 = 7, d23[2] = { 2, 3 }, d4 = 4;
    double v7[7] = { 1, 2, 3, 4, 5, 6, 7 }, v23[6] = { 0 };
    int64_t one = 42;
    uint8_t four[4] = { 1, 2, 3, 4 };
    const char *vs = "a variable-length string", *fs = "fixed";
    struct { const char *name; hid_t type, space; const void *data; } a[7];
    hid_t fixed = H5Tcopy(H5T_C_S1), vlen = H5Tcopy(H5T_C_S1);
    H5Tset_size(fixed, 5);
    H5Tset_size(vlen, H5T_VARIABLE);
    a[0] = (typeof(a[0])){ "scalar", H5T_NATIVE_INT64, H5Screate(H5S_SCALAR), &one };
    a[1] = (typeof(a[0])){ "array7", H5T_NATIVE_DOUBLE, H5Screate_simple(1, &d7, NULL), v7 };
    a[2] = (typeof(a[0])){ "matrix", H5T_NATIVE_DOUBLE, H5Screate_simple(2, d23, NULL), v23 };
    a[3] = (typeof(a[0])){ "vlen", vlen, H5Screate(H5S_SCALAR), &vs };
    a[4] = (typeof(a[0])){ "fixed", fixed, H5Screate(H5S_SCALAR), fs };
    a[5] = (typeof(a[0])){ "empty", H5T_NATIVE_INT, H5Screate(H5S_NULL), NULL };
    a[6] = (typeof(a[0])){ "zzzattr", H5T_NATIVE_UINT8, H5Screate_simple(1, &d4, NULL), four };
    for (int i = 0; i < 7; i++) {
        hid_t at = H5Acreate2(f, a[i].name, a[i].type, a[i].space, H5P_DEFAULT, H5P_DEFAULT);
        if (at < 0 || (a[i].data && H5Awrite(at, a[i].type, a[i].data) < 0))
            rc = -1;
        if (at >= 0)
            H5Aclose(at);
        H5Sclose(a[i].space);
    }
    /* a group with an attribute of its own, and a dataset of strings */
    hid_t g = H5Gcreate2(f, "g", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), gs = H5Screate_simple(1, &d4, NULL);
    hid_t ga = g >= 0 ? H5Acreate2(g, "zzzgatt", H5T_NATIVE_UINT8, gs, H5P_DEFAULT, H5P_DEFAULT) : -1;
    if (ga < 0 || H5Awrite(ga, H5T_NATIVE_UINT8, four) < 0)
        rc = -1;
    const char *names[3] = { "alpha", "beta", "gamma" };
    hsize_t d3 = 3;
    hid_t ns = H5Screate_simple(1, &d3, NULL);
    hid_t nd = H5Dcreate2(f, "names", vlen, ns, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (nd < 0 || H5Dwrite(nd, vlen, H5S_ALL, H5S_ALL, H5P_DEFAULT, names) < 0)
        rc = -1;
    if (ga >= 0)
        H5Aclose(ga);
    if (g >= 0)
        H5Gclose(g);
    if (nd >= 0)
        H5Dclose(nd);
    H5Sclose(gs);
    H5Sclose(ns);
    H5Tclose(fixed);
    H5Tclose(vlen);
    if (H5Fclose(f) < 0)
        rc = -1;
    return rc;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *b = NULL;
    long len;
    if (fp && fseek(fp, 0, SEEK_END) == 0 && (len = ftell(fp)) > 0 && fseek(fp, 0, SEEK_SET) == 0 &&
        (b = malloc((size_t)len)) && fread(b, 1, (size_t)len, fp) != (size_t)len) {
        free(b);
        b = NULL;
    }
    if (fp)
        fclose(fp);
    *n = b ? (size_t)len : 0;
    return b;
}

static int spit(const char *path, const unsigned char *b, size_t n)
{
    FILE *fp = fopen(path, "wb");
    int rc = fp && fwrite(b, 1, n, fp) == n ? 0 : -1;
    if (fp && fclose(fp) != 0)
        rc = -1;
    return rc;
}

/* enlarges the first dimension of "zzzattr" to dim: the attribute message
 * (version 1) holds the name at its data + 8, then the datatype and the
 * dataspace, each padded to 8 bytes; a version-1 dataspace keeps its
 * dimensions from its byte 8 (8 bytes each here) */
static int damage_attr(const char *in, const char *out, const char *attr, uint64_t dim)
{
    size_t n, at;
    unsigned char *b = slurp(in, &n);
    int rc = -1;
    for (at = 8; b && at + 8 <= n; at++)
        if (memcmp(b + at, attr, 8) == 0)
            break;
    if (b && at + 8 <= n && b[at - 8] == 1) {
        size_t data = at - 8, tlen = (size_t)(b[data + 4] | b[data + 5] << 8);
        size_t space = data + 8 + 8 + (tlen + 7) / 8 * 8;
        if (space + 16 <= n && b[space] == 1 && b[space + 1] == 1) {
            for (int i = 0; i < 8; i++)
                b[space + 8 + i] = (unsigned char)(dim >> (8 * i));
            rc = spit(out, b, n);
        }
    }
    free(b);
    return rc;
}

/* sets the size of the free-space object (index 0) of the file's first
 * global heap collection to 0: "GCOL", version, 3 reserved, size 8, then
 * objects of index 2, references 2, reserved 4, size 8, data padded to 8 */
static int empty_free_space(const char *in, const char *out)
{
    size_t n, at;
    unsigned char *b = slurp(in, &n);
    int rc = -1;
    for (at = 0; b && at + 16 <= n; at++)
        if (memcmp(b + at, "GCOL", 4) == 0)
            break;
    if (b && at + 16 <= n) {
        uint64_t size = 0, p = 16;
        for (int i = 7; i >= 0; i--)
            size = size << 8 | b[at + 8 + i];
        while (p + 16 <= size && at + p + 16 <= n) {
            uint64_t osize = 0;
            for (int i = 7; i >= 0; i--)
                osize = osize << 8 | b[at + p + 8 + i];
            if (b[at + p] == 0 && b[at + p + 1] == 0) {
                memset(b + at + p + 8, 0, 8);
                rc = spit(out, b, n);
                break;
            }
            p += 16 + (osize + 7) / 8 * 8;
        }
    }
    free(b);
    return rc;
}

/* sets a field of element k of the contiguous string dataset "names":
 * length (4 bytes at 0) or object index (4 bytes at 12) */
static int damage_string(const char *in, const char *out, int k, int field_at, uint32_t value)
{
    hid_t f = H5Fopen(in, H5F_ACC_RDONLY, H5P_DEFAULT), d = f >= 0 ? H5Dopen2(f, "names", H5P_DEFAULT) : -1;
    haddr_t off = d >= 0 ? H5Dget_offset(d) : HADDR_UNDEF;
    if (d >= 0)
        H5Dclose(d);
    if (f >= 0)
        H5Fclose(f);
    size_t n;
    unsigned char *b = slurp(in, &n);
    int rc = -1;
    if (b && off != HADDR_UNDEF && off + 16 * (size_t)(k + 1) <= n) {
        for (int i = 0; i < 4; i++)
            b[off + 16 * (size_t)k + (size_t)field_at + (size_t)i] = (unsigned char)(value >> (8 * i));
        rc = spit(out, b, n);
    }
    free(b);
    return rc;
}

/* asgml_h5_check_strings, or _check_object, on dataset or object name of file */
static asgml_status check_in(const char *file, const char *name, int strings)
{
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT), o = f >= 0 ? H5Oopen(f, name, H5P_DEFAULT) : -1;
    asgml_status st = o < 0 ? ASGML_EIO : strings ? asgml_h5_check_strings(o) : asgml_h5_check_object(o);
    if (o >= 0)
        H5Oclose(o);
    if (f >= 0)
        H5Fclose(f);
    return st;
}

static void check_known(const char *srcdir, const char *name, const char *want)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/fuzz/known/%s", srcdir, name);
    asgml_status st = asgml_h5_check_file(path);
    const char *e = st == ASGML_OK ? "(accepted)" : asgml_last_error();
    ok(st == ASGML_EFORMAT && strstr(asgml_last_error(), want) != NULL, "fuzz/known/%s refused: %s", name, e);
}

int main(void)
{
    const char *srcdir = getenv("top_srcdir") ? getenv("top_srcdir") : ".";
    char good[4096], bad[4096], path[4096];
    tap_plan(24);
    asgml_h5_quiet();
    if (!mkdtemp(dir)) {
        printf("Bail out! mkdtemp: cannot make %s\n", dir);
        return 1;
    }
    snprintf(good, sizeof good, "%s/good.h5", dir);
    snprintf(bad, sizeof bad, "%s/bad.h5", dir);

    int made = write_file(good) == 0;
    asgml_status st = made ? asgml_h5_check_file(good) : ASGML_EIO;
    ok(made && st == ASGML_OK, "a file with scalar, array, 2-D, string, vlen and null attributes passes%s%s",
       st == ASGML_OK ? "" : ": ", st == ASGML_OK ? "" : asgml_last_error());
    made = damage_attr(good, bad, "zzzattr", 4) == 0;
    st = made ? asgml_h5_check_file(bad) : ASGML_EIO;
    ok(made && st == ASGML_OK, "the same file rewritten with the attribute's own size passes (the damage helper finds it)");
    made = damage_attr(good, bad, "zzzattr", 1u << 20) == 0;
    st = made ? asgml_h5_check_file(bad) : ASGML_OK;
    ok(made && st == ASGML_EFORMAT &&
           strstr(asgml_last_error(), "damaged HDF5 file: an attribute declares 1048576 elements of 1 bytes"),
       "an attribute enlarged to 2^20 elements in place is refused: %s", st == ASGML_OK ? "(accepted)" : asgml_last_error());
    made = damage_attr(good, bad, "zzzattr", UINT64_MAX) == 0;
    st = made ? asgml_h5_check_file(bad) : ASGML_OK;
    ok(made && st == ASGML_EFORMAT, "an attribute of 2^64 - 1 elements is refused (no overflow in the product): %s",
       st == ASGML_OK ? "(accepted)" : asgml_last_error());
    made = empty_free_space(good, bad) == 0;
    st = made ? asgml_h5_check_file(bad) : ASGML_OK;
    ok(made && st == ASGML_EFORMAT && strstr(asgml_last_error(), "global heap collection"),
       "a global heap collection whose free space has size 0 is refused: %s",
       st == ASGML_OK ? "(accepted)" : asgml_last_error());
    check_known(srcdir, "store-hdf5-gheap-free-size-0.h5", "has object 0 of 0 bytes");
    st = check_in(good, "names", 1);
    ok(st == ASGML_OK, "a dataset of strings HDF5 wrote passes%s%s", st ? ": " : "", st ? asgml_last_error() : "");
    made = damage_string(good, bad, 1, 12, 999) == 0;
    st = made ? check_in(bad, "names", 1) : ASGML_OK;
    ok(made && st == ASGML_EFORMAT && strstr(asgml_last_error(), "a string names object 999, absent"),
       "a string naming an absent heap object is refused: %s", st == ASGML_OK ? "(accepted)" : asgml_last_error());
    made = damage_string(good, bad, 1, 0, 7) == 0;
    st = made ? check_in(bad, "names", 1) : ASGML_OK;
    ok(made && st == ASGML_EFORMAT && strstr(asgml_last_error(), "a string of 7 bytes names object"),
       "a string longer than its heap object is refused: %s", st == ASGML_OK ? "(accepted)" : asgml_last_error());
    made = damage_string(good, bad, 1, 4, 8) == 0;   /* the address: into the superblock */
    st = made ? check_in(bad, "names", 1) : ASGML_OK;
    ok(made && st == ASGML_EFORMAT && strstr(asgml_last_error(), "which is not one"),
       "a string naming no heap collection is refused: %s", st == ASGML_OK ? "(accepted)" : asgml_last_error());
    check_known(srcdir, "store-hdf5-vlen-declared-size-1.h5", "declares elements of 1 bytes, not 16");
    check_known(srcdir, "store-hdf5-vlen-length-4g.h5", "a sequence of 7 elements of 587202561 bytes");
    snprintf(path, sizeof path, "%s/fuzz/known/store-hdf5-gheap-index-absent.h5", srcdir);
    st = check_in(path, "/meta/class_names", 1);
    ok(st == ASGML_EFORMAT && strstr(asgml_last_error(), "absent from the global heap collection"),
       "fuzz/known/store-hdf5-gheap-index-absent.h5 refused: %s", st == ASGML_OK ? "(accepted)" : asgml_last_error());
    made = damage_attr(good, bad, "zzzgatt", 1u << 20) == 0;
    asgml_status root_st = made ? asgml_h5_check_file(bad) : ASGML_EIO;
    st = made ? check_in(bad, "g", 0) : ASGML_OK;
    ok(made && root_st == ASGML_EFORMAT && st == ASGML_EFORMAT && strstr(asgml_last_error(), "an attribute declares 1048576"),
       "a group's enlarged attribute: the file (walked from the root) and the group are refused: %s",
       st == ASGML_OK ? "(accepted)" : asgml_last_error());
    check_known(srcdir, "checkpoint-hdf5-local-heap-4g.h5", "local heap at byte 12016 declares 4328587352 bytes");
    check_known(srcdir, "checkpoint-hdf5-attr-data-overflow.h5", "damaged HDF5 file: an attribute message of 72 bytes");
    check_known(srcdir, "checkpoint-hdf5-ohdr-size-4e18.h5", "beyond the end of the file");
    check_known(srcdir, "store-hdf5-attr-name-unterminated.h5", "an attribute's name of 5 bytes has no terminating zero");
    check_known(srcdir, "store-hdf5-dtype-member-name-unterminated.h5",
                "a datatype's member name 0 of 257 has no terminating zero byte");
    check_known(srcdir, "store-hdf5-chunk-beyond-extent.h5", "a dataset's chunk is 50331649 in dimension 3, whose maximum is 1");
    /* no false alarm on the types asgml does not write (h5py, independent) */
    snprintf(path, sizeof path, "%s/tests/fixtures/h5-types-h5py.h5", srcdir);
    st = asgml_h5_check_file(path);
    ok(st == ASGML_OK, "h5py's bool, compound, nested, enum, array and opaque attributes and datasets, chunks beyond an unlimited extent pass%s%s",
       st ? ": " : "", st ? asgml_last_error() : "");
    static const char *seeds[] = { "checkpoint/ckpt_mlp.h5", "store/store_av_nowave.h5", "store/store_frames.h5" };
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/fuzz/corpus/%s", srcdir, seeds[i]);
        st = asgml_h5_check_file(path);
        ok(st == ASGML_OK, "the fuzz seed %s passes%s%s", seeds[i], st == ASGML_OK ? "" : ": ",
           st == ASGML_OK ? "" : asgml_last_error());
    }

    remove(good);
    remove(bad);
    remove(dir);
    return tap_done();
}
