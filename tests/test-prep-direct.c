/* SPDX-License-Identifier: MIT */
/* test-prep-direct.c - asgml-prep's chunks compressed in the decoding
 * threads and written by H5Dwrite_chunk (libcommon/data/store_chunk.c,
 * asgml-store(5) Compression):
 *   - the store is byte-identical for jobs 1 and 2 (same options);
 *   - HDF5 itself (H5Dread through its shuffle and deflate filters) reads
 *     every sample dataset exactly as the same store written without
 *     compression;
 *   - a chunk deflate does not shrink (white noise) is stored raw with its
 *     filter mask set, and still reads back; other chunks are deflated;
 *   - the content checksum is that of the uncompressed store.
 * Inputs: a 22.05 kHz white-noise WAV and a 44.1 kHz sine written here, RGB
 * JPEG and PNG fixtures (tests/fixtures/dsp). */
#define _GNU_SOURCE
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgml/prep.h"
#include "tap.h"

static char dir[256];

static const char *path(const char *name)
{
    static char p[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void put_le(FILE *f, uint32_t v, int n)
{
    for (int i = 0; i < n; i++) fputc((int)((v >> (8 * i)) & 255), f);
}

/* 16-bit mono PCM WAV of n samples from gen(i) in [-1, 1) */
static void wav16(const char *name, int rate, int n, int noise)
{
    FILE *f = fopen(path(name), "wb");
    uint32_t bytes = (uint32_t)n * 2, s = 12345;
    fputs("RIFF", f); put_le(f, 36 + bytes, 4); fputs("WAVEfmt ", f); put_le(f, 16, 4);
    put_le(f, 1, 2); put_le(f, 1, 2); put_le(f, (uint32_t)rate, 4); put_le(f, (uint32_t)rate * 2, 4);
    put_le(f, 2, 2); put_le(f, 16, 2); fputs("data", f); put_le(f, bytes, 4);
    for (int i = 0; i < n; i++) {
        int v;
        if (noise) { s = s * 1103515245u + 12345u; v = (int)((s >> 8) & 0xffff) - 32768; }
        else v = (int)lrint(12000.0 * sin(2 * M_PI * 440.0 * i / rate));
        put_le(f, (uint32_t)(uint16_t)(int16_t)v, 2);
    }
    fclose(f);
}

static asgml_status run(const char *out, int jobs, int deflate)
{
    asgml_prep_options o;
    asgml_prep_result r;
    asgml_prep_defaults(&o);
    o.manifest = path("m.tsv");
    o.out = path(out);
    o.command_line = "test-prep-direct";
    o.created_utc = 0;
    o.jobs = jobs;
    o.audio_rate = 22050;
    o.fit_seconds = 0.5;
    o.n_fft = 512;
    o.hop = 353;
    o.image_channels = 3;
    o.image_h = 32;
    o.image_w = 40;
    if (!deflate) o.deflate = o.spec_deflate = 0;
    asgml_status st = asgml_prep_run(&o, &r);
    asgml_prep_result_free(&r);
    return st;
}

/* string attribute name of obj, or "" */
static void str_attr(hid_t f, const char *obj, const char *name, char *out, size_t n)
{
    *out = 0;
    hid_t a = f < 0 ? -1 : H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return;
    hid_t t = H5Aget_type(a);
    char *s = NULL;
    if (H5Aread(a, t, &s) >= 0 && s) snprintf(out, n, "%s", s);
    H5free_memory(s);
    H5Tclose(t);
    H5Aclose(a);
}

static int same_file(const char *a, const char *b)
{
    FILE *fa = fopen(path(a), "rb"), *fb = fopen(path(b), "rb");
    int same = fa && fb, ca, cb;
    while (same && (ca = fgetc(fa)) == (cb = fgetc(fb)) && ca != EOF) {}
    if (same) same = ca == cb;
    if (fa) fclose(fa);
    if (fb) fclose(fb);
    return same;
}

/* H5Dread of the whole dataset (native bytes), malloc'd; *n bytes. */
static void *read_all(hid_t f, const char *ds, size_t *n)
{
    hid_t d = H5Dopen2(f, ds, H5P_DEFAULT);
    if (d < 0) return NULL;
    hid_t t = H5Dget_type(d), mt = H5Tget_native_type(t, H5T_DIR_ASCEND), sp = H5Dget_space(d);
    *n = (size_t)H5Sget_simple_extent_npoints(sp) * H5Tget_size(mt);
    void *buf = malloc(*n ? *n : 1);
    if (buf && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) { free(buf); buf = NULL; }
    H5Sclose(sp); H5Tclose(mt); H5Tclose(t); H5Dclose(d);
    return buf;
}

/* chunks of a (N, ...) one-sample-a-chunk dataset: raw (mask != 0), deflated (mask 0, smaller) */
static void chunk_kinds(hid_t f, const char *ds, int *raw, int *deflated)
{
    *raw = *deflated = 0;
    hid_t d = H5Dopen2(f, ds, H5P_DEFAULT), sp = H5Dget_space(d), t = H5Dget_type(d);
    hsize_t dims[4] = {0}, off[4] = {0};
    int rank = H5Sget_simple_extent_dims(sp, dims, NULL);
    size_t bytes = H5Tget_size(t);
    for (int i = 1; i < rank; i++) bytes *= dims[i];
    void *buf = malloc(bytes + 64);
    for (hsize_t i = 0; i < dims[0]; i++) {
        hsize_t sz = 0;
        uint32_t mask = 0;
        off[0] = i;
        if (H5Dget_chunk_storage_size(d, off, &sz) < 0 || sz > bytes + 64 || H5Dread_chunk(d, H5P_DEFAULT, off, &mask, buf) < 0)
            continue;
        if (mask) *raw += sz == bytes;
        else *deflated += sz < bytes;
    }
    free(buf);
    H5Tclose(t); H5Sclose(sp); H5Dclose(d);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    char fx[400], sha[2][80] = {"", ""};
    snprintf(dir, sizeof dir, "%s", "/tmp/test-prep-direct.XXXXXX");
    if (!mkdtemp(dir)) { printf("1..0 # SKIP no temporary directory\n"); return 0; }
    char rel[400];
    snprintf(rel, sizeof rel, "%s/tests/fixtures/dsp", top ? top : ".");
    if (!realpath(rel, fx)) snprintf(fx, sizeof fx, "%s", rel);   /* the manifest's paths: absolute */
    tap_plan(10);
    wav16("noise22k.wav", 22050, 11025, 1);
    wav16("sine44k.wav", 44100, 22050, 0);
    FILE *m = fopen(path("m.tsv"), "w");
    fprintf(m, "id\tlabel\tsplit\taudio\tvisual\n");
    for (int i = 0; i < 6; i++)
        fprintf(m, "s%d\tc%d\t%s\t%s\t%s/%s\n", i, i % 2, i < 4 ? "train" : "test",
                path(i % 2 ? "sine44k.wav" : "noise22k.wav"), fx, i % 3 ? "jpg_rgb.jpg" : "png_rgb.png");
    fclose(m);

    asgml_status st = run("j1.h5", 1, 1);
    ok(st == ASGML_OK, "jobs 1 (%s)", st ? asgml_last_error() : "ok");
    st = run("j2.h5", 2, 1);
    ok(st == ASGML_OK, "jobs 2 (%s)", st ? asgml_last_error() : "ok");
    ok(same_file("j1.h5", "j2.h5"), "byte-identical store for jobs 1 and 2");
    st = run("raw.h5", 2, 0);
    ok(st == ASGML_OK, "uncompressed (%s)", st ? asgml_last_error() : "ok");

    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t fa = H5Fopen(path("j2.h5"), H5F_ACC_RDONLY, H5P_DEFAULT), fr = H5Fopen(path("raw.h5"), H5F_ACC_RDONLY, H5P_DEFAULT);
    static const char *ds[] = {"/audio/spec", "/audio/wave", "/visual/image"};
    int same = fa >= 0 && fr >= 0;
    for (int k = 0; k < 3 && same; k++) {
        size_t na = 0, nr = 0;
        void *a = read_all(fa, ds[k], &na), *r = read_all(fr, ds[k], &nr);
        if (!a || !r || na != nr || !na || memcmp(a, r, na)) {
            same = 0;
            printf("# %s differs (%zu vs %zu bytes)\n", ds[k], na, nr);
        }
        free(a);
        free(r);
    }
    ok(same, "HDF5 reads spec, wave and image of the compressed store as the uncompressed one");
    int raw = 0, defl = 0, raw2 = 0, defl2 = 0;
    if (fa >= 0) {
        chunk_kinds(fa, "/audio/wave", &raw, &defl);
        chunk_kinds(fa, "/audio/spec", &raw2, &defl2);
    }
    ok(raw >= 3, "noise waves stored raw with the filter mask set (%d of 6)", raw);
    ok(defl >= 3 && defl2 >= 1, "the sines' waves and spectrograms deflated (%d, %d)", defl, defl2);
    for (int k = 0; k < 2; k++) str_attr(k ? fr : fa, "/", "content_sha256", sha[k], sizeof sha[k]);
    char rs[80], lib[80];
    str_attr(fa, "/audio/spec", "resampler", rs, sizeof rs);
    str_attr(fa, "/audio/spec", "resampler_library", lib, sizeof lib);
    ok(!strcmp(rs, "soxr_hq") && !strncmp(lib, "libsoxr-", 8), "the store records the resampler: %s, %s", rs, lib);
    ok(sha[0][0] && !strcmp(sha[0], sha[1]), "content_sha256 equals the uncompressed store's (%s)", sha[0]);
    st = fa >= 0 ? asgml_store_verify(path("j2.h5")) : ASGML_EIO;
    ok(st == ASGML_OK, "verify passes (%s)", st ? asgml_last_error() : "ok");
    if (fa >= 0) H5Fclose(fa);
    if (fr >= 0) H5Fclose(fr);
    static const char *files[] = {"m.tsv", "noise22k.wav", "sine44k.wav", "j1.h5", "j2.h5", "raw.h5"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) unlink(path(files[i]));
    rmdir(dir);
    return tap_done();
}
