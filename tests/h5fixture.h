/* SPDX-License-Identifier: MIT */
/* h5fixture.h - reading the datasets of the PyTorch-written HDF5 fixtures
 * (tests/fixtures/STAR/STAR.h5) in the C tests.
 *
 * h5fix_read(file, group, name, type, &n) reads /group/name (or name
 * itself, a full path, when group is NULL) into a new buffer of the
 * element type type (H5T_NATIVE_FLOAT, _INT32, _DOUBLE, ...); n (may be
 * NULL) gets the element count.  NULL when the dataset is absent or cannot
 * be read.
 *
 * h5fix_need(file, path, type, &n): the same for a full path, but a dataset
 * that is missing or unreadable ends the test ("Bail out!", exit 1).
 * h5fix_rel_err(a, b, n): max |a - b| / max(max |b|, 1e-12) of n floats,
 * b the reference - the error the fixture tests report and bound.
 * h5fix_keep(p) returns p and remembers it; h5fix_release() frees every
 * buffer kept, for tests that read fixtures inline as arguments (the
 * sanitizer build's leak check runs over the tests too). */
#ifndef ASGML_TEST_H5FIXTURE_H
#define ASGML_TEST_H5FIXTURE_H
#include <hdf5.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>

__attribute__((unused))
static void *h5fix_read(hid_t file, const char *group, const char *name, hid_t type, size_t *n)
{
    char path[256];
    if (group)
        snprintf(path, sizeof path, "/%s/%s", group, name);
    else
        snprintf(path, sizeof path, "%s", name);
    if (H5Lexists(file, path, H5P_DEFAULT) <= 0) return NULL;
    hid_t ds = H5Dopen2(file, path, H5P_DEFAULT);
    if (ds < 0) return NULL;
    hid_t sp = H5Dget_space(ds);
    hssize_t count = H5Sget_simple_extent_npoints(sp);
    void *buf = malloc((size_t)(count > 0 ? count : 1) * H5Tget_size(type));
    if (buf && H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        free(buf);
        buf = NULL;
    }
    H5Sclose(sp);
    H5Dclose(ds);
    if (n) *n = (size_t)count;
    return buf;
}

static void **h5fix_kept_;
static size_t h5fix_nkept_;

__attribute__((unused))
static void *h5fix_keep(void *p)
{
    void **k = realloc(h5fix_kept_, (h5fix_nkept_ + 1) * sizeof *k);
    if (!k) {
        printf("Bail out! out of memory\n");
        exit(1);
    }
    h5fix_kept_ = k;
    h5fix_kept_[h5fix_nkept_++] = p;
    return p;
}

__attribute__((unused))
static void h5fix_release(void)
{
    for (size_t i = 0; i < h5fix_nkept_; i++)
        free(h5fix_kept_[i]);
    free(h5fix_kept_);
    h5fix_kept_ = NULL;
    h5fix_nkept_ = 0;
}

__attribute__((unused))
static void *h5fix_need(hid_t file, const char *path, hid_t type, size_t *n)
{
    void *buf = h5fix_read(file, NULL, path, type, n);
    if (!buf) {
        printf("Bail out! %s missing from the fixture or unreadable\n", path);
        exit(1);
    }
    return buf;
}

__attribute__((unused))
static double h5fix_rel_err(const float *a, const float *b, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        num = d > num ? d : num;
        den = fabs((double)b[i]) > den ? fabs((double)b[i]) : den;
    }
    return num / (den > 1e-12 ? den : 1e-12);
}
#endif
