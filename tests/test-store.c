/* SPDX-License-Identifier: MIT */
/* test-store.c - store writer and reader round trip, checksum, failures.
 * Writes small stores under $TMPDIR (or /tmp) and reads them back through
 * asgml/store.h; checks the SHA-256 implementation on FIPS 180-4 vectors. */
#include "asgml/store.h"
#include "core/sha256.h"
#include "data/store_write.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

static char dir[256];

static int sha_is(const char *msg, size_t n, size_t reps, const char *want)
{
    asgml_sha256 c;
    uint8_t d[32];
    char hex[65];
    asgml_sha256_init(&c);
    for (size_t i = 0; i < reps; i++) asgml_sha256_update(&c, msg, n);
    asgml_sha256_final(&c, d);
    asgml_sha256_hex(d, hex);
    return strcmp(hex, want) == 0;
}

/* Counts directory entries other than . and .. */
static int count_entries(const char *d)
{
    DIR *dp = opendir(d);
    int n = 0;
    struct dirent *e;
    if (!dp) return -1;
    while ((e = readdir(dp)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(dp);
    return n;
}

/* A store with N=5: /audio/spec (5,3,4) f32, /visual/frames with 0..2
 * frames per sample (2,2,3) u8, /text/seq (5,2,3) i16. */
static asgml_status write_small(const char *path, char hex[65])
{
    asgml_store_writer *w;
    asgml_status st = asgml_sw_create(path, &w);
    if (st) return st;
    const char *ids[5] = {"a", "b1", "c22", "d", "e"};
    int32_t labels[5] = {0, 1, 2, 1, -1};
    const char *classes[3] = {"zero", "one", "tw\xc3\xb6"};
    const char *mods[3] = {"audio", "visual", "text"};
    int32_t train[3] = {0, 1, 2}, test[2] = {3, 4}, val[1] = {4};
    int64_t d5 = 5, d3 = 3, d2 = 2, d1 = 1, d6 = 6;
    st = asgml_sw_attr_str(w, "/", "format", "asgml-store");
    if (!st) st = asgml_sw_attr_i64(w, "/", "format_version", 1);
    if (!st) st = asgml_sw_attr_str(w, "/", "dataset", "toy");
    if (!st) st = asgml_sw_attr_str(w, "/", "default_split", "main");
    if (!st) st = asgml_sw_attr_f64(w, "/", "pi", 3.25);
    if (!st) st = asgml_sw_attr_strs(w, "/", "modalities", mods, 3);
    if (!st) st = asgml_sw_write_strings(w, "/meta/id", ids, 5, 1);
    if (!st) st = asgml_sw_write_array(w, "/meta/label", ASGML_SW_I32, 1, &d5, labels);
    if (!st) st = asgml_sw_write_strings(w, "/meta/class_names", classes, 3, 0);
    if (!st) st = asgml_sw_write_array(w, "/splits/main/train", ASGML_SW_I32, 1, &d3, train);
    if (!st) st = asgml_sw_write_array(w, "/splits/main/test", ASGML_SW_I32, 1, &d2, test);
    if (!st) st = asgml_sw_write_array(w, "/splits/other/val", ASGML_SW_I32, 1, &d1, val);
    if (!st) st = asgml_sw_attr_str(w, "/audio", "sample_dataset", "spec");
    if (!st) st = asgml_sw_attr_str(w, "/visual", "sample_dataset", "frames");
    if (!st) st = asgml_sw_attr_str(w, "/text", "sample_dataset", "seq");
    int hs, hf, ht;
    int64_t sshape[2] = {3, 4}, fshape[3] = {2, 2, 3}, tshape[2] = {2, 3};
    if (!st) st = asgml_sw_sample_dataset(w, "/audio/spec", ASGML_SW_F32, 2, sshape, 5, 1, 1, &hs);
    if (!st) st = asgml_sw_sample_dataset(w, "/visual/frames", ASGML_SW_U8, 3, fshape, 6, 4, 0, &hf);
    if (!st) st = asgml_sw_sample_dataset(w, "/text/seq", ASGML_SW_I16, 2, tshape, 5, 0, 0, &ht);
    for (int i = 4; !st && i >= 0; i--) { /* out of order on purpose */
        float spec[12];
        int16_t seq[6];
        for (int k = 0; k < 12; k++) spec[k] = (float)(100 * i + k) + 0.5f;
        for (int k = 0; k < 6; k++) seq[k] = (int16_t)(-1000 * i - k);
        st = asgml_sw_write_sample(w, hs, i, spec);
        if (!st) st = asgml_sw_write_sample(w, ht, i, seq);
    }
    /* frames: sample 0 none, 1 one, 2 two, 3 one, 4 two -> offsets 0 0 1 3 4 6 */
    int64_t off[6] = {0, 0, 1, 3, 4, 6};
    for (int f = 0; !st && f < 6; f++) {
        uint8_t fr[12];
        for (int k = 0; k < 12; k++) fr[k] = (uint8_t)(10 * f + k);
        st = asgml_sw_write_sample(w, hf, f, fr);
    }
    if (!st) st = asgml_sw_write_array(w, "/visual/frame_offset", ASGML_SW_I64, 1, &d6, off);
    if (!st) st = asgml_sw_write_sample(w, hs, -1, off); /* out of range: must fail */
    if (st == ASGML_EINVAL) st = ASGML_OK; else if (!st) st = ASGML_EINTERNAL;
    /* growing past n and shrinking back leaves (5,3,4) */
    float junk[12] = {0};
    if (!st) st = asgml_sw_write_sample(w, hs, 7, junk);
    if (!st) st = asgml_sw_set_count(w, hs, 5);
    if (st) { asgml_sw_abort(w); return st; }
    return asgml_sw_commit(w, hex);
}

/* One TAP sequence whose checks build on each other's state (stores,
 * runs, buffers), kept in order in one function: long by design. */
/* asgml_store_verify of tests/fixtures/fuzz/store/NAME: ASGML_EFORMAT with
 * want in the message (one TAP line: what, then the message) */
static void verify_refuses(const char *name, const char *want, const char *what)
{
    const char *src = getenv("top_srcdir");
    char fx[1024];
    snprintf(fx, sizeof fx, "%s/tests/fixtures/fuzz/store/%s", src ? src : ".", name);
    asgml_status st = asgml_store_verify(fx);
    ok(st == ASGML_EFORMAT && strstr(asgml_last_error(), want), "%s: %s", what,
       st == ASGML_OK ? "(verified)" : asgml_last_error());
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/test-store.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) { printf("Bail out! mkdtemp\n"); return 1; }
    char path[300], path2[300];
    snprintf(path, sizeof path, "%s/a.h5", dir);
    snprintf(path2, sizeof path2, "%s/b.h5", dir);

    ok(sha_is("abc", 3, 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
       "sha256 abc");
    ok(sha_is("", 0, 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
       "sha256 empty");
    ok(sha_is("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, 1,
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
       "sha256 two blocks");
    ok(sha_is("a", 1, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
       "sha256 a million a");

    char hex1[65] = "", hex2[65] = "", hex3[65] = "";
    asgml_status st = write_small(path, hex1);
    ok(st == ASGML_OK, "write store (%s)", st ? asgml_last_error() : "ok");
    ok(count_entries(dir) == 1, "no temporary file left after commit");
    st = write_small(path2, hex2);
    ok(st == ASGML_OK && strcmp(hex1, hex2) == 0, "checksum reproducible");
    ok(asgml_store_content_sha256(path, hex3) == ASGML_OK && strcmp(hex1, hex3) == 0,
       "checksum recomputed from the closed file");
    {
        FILE *a = fopen(path, "rb"), *b = fopen(path2, "rb");
        int same = a && b;
        while (same) {
            int x = fgetc(a), y = fgetc(b);
            if (x != y) same = 0;
            if (x == EOF || y == EOF) break;
        }
        if (a) fclose(a);
        if (b) fclose(b);
        ok(same, "same calls give byte-identical files");
    }

    asgml_store *s = NULL;
    st = asgml_store_open(path, &s);
    ok(st == ASGML_OK, "open (%s)", st ? asgml_last_error() : "ok");
    if (st) return tap_done();
    ok(asgml_store_num_samples(s) == 5, "N = 5");
    ok(asgml_store_num_classes(s) == 3, "C = 3");
    ok(strcmp(asgml_store_class_name(s, 2), "tw\xc3\xb6") == 0, "UTF-8 class name");
    ok(asgml_store_class_name(s, 3) == NULL, "class name out of range is NULL");
    ok(strcmp(asgml_store_id(s, 2), "c22") == 0 && strcmp(asgml_store_id(s, 0), "a") == 0,
       "ids NUL-terminated");
    ok(asgml_store_labels(s)[4] == -1 && asgml_store_labels(s)[2] == 2, "labels");
    ok(strcmp(asgml_store_checksum(s), hex1) == 0, "content_sha256 attribute");
    ok(strcmp(asgml_store_dataset_name(s), "toy") == 0, "dataset attribute");
    ok(strcmp(asgml_store_attr(s, "format_version"), "1") == 0, "integer attribute as text");
    ok(strcmp(asgml_store_attr(s, "pi"), "3.25") == 0, "float attribute as text");
    ok(strcmp(asgml_store_attr(s, "modalities"), "audio,visual,text") == 0, "list attribute");
    ok(asgml_store_attr(s, "nope") == NULL, "absent attribute");
    ok(asgml_store_num_modalities(s) == 3, "3 modalities");
    int ma = asgml_store_find_modality(s, "audio"), mv = asgml_store_find_modality(s, "visual"),
        mt = asgml_store_find_modality(s, "text");
    ok(ma == 0 && mv == 1 && mt == 2 && asgml_store_find_modality(s, "x") == -1, "find modality");
    const asgml_modality_info *ia = asgml_store_modality(s, ma), *iv = asgml_store_modality(s, mv),
                              *it = asgml_store_modality(s, mt);
    ok(ia->dtype == ASGML_F32 && ia->ndim == 2 && ia->shape[0] == 3 && ia->shape[1] == 4 &&
           !ia->variable_count && strcmp(ia->dataset, "spec") == 0,
       "audio info (3,4) f32");
    ok(iv->dtype == ASGML_U8 && iv->ndim == 3 && iv->shape[2] == 3 && iv->variable_count,
       "visual info frames (2,2,3) u8");
    ok(it->dtype == ASGML_I16 && it->ndim == 2, "text info i16");
    ok(asgml_store_sample_bytes(s, ma) == 48 && asgml_store_sample_bytes(s, mv) == 12,
       "sample bytes");

    const int32_t *idx;
    int64_t n;
    ok(asgml_store_split(s, NULL, "train", &idx, &n) == ASGML_OK && n == 3 && idx[2] == 2,
       "default split train");
    ok(asgml_store_split(s, "main", "test", &idx, &n) == ASGML_OK && n == 2 && idx[0] == 3,
       "named split test");
    ok(asgml_store_split(s, NULL, "val", &idx, &n) == ASGML_EINVAL, "absent val is EINVAL");
    ok(asgml_store_has_split(s, "other", "val") && !asgml_store_has_split(s, NULL, "val"),
       "has_split");

    int64_t want[3] = {3, 0, 4};
    float spec[36];
    st = asgml_store_read(s, ma, want, 3, 0, spec);
    ok(st == ASGML_OK && spec[0] == 300.5f && spec[11] == 311.5f && spec[12] == 0.5f &&
           spec[24] == 400.5f && spec[35] == 411.5f,
       "read spec batch by index");
    int16_t seq[18];
    st = asgml_store_read(s, mt, want, 3, 0, seq);
    ok(st == ASGML_OK && seq[0] == -3000 && seq[5] == -3005 && seq[6] == 0 && seq[17] == -4005,
       "read i16 seq batch");
    ok(asgml_store_frame_count(s, mv, 0) == 0 && asgml_store_frame_count(s, mv, 2) == 2 &&
           asgml_store_frame_count(s, ma, 2) == 1,
       "frame counts");
    uint8_t fr[36];
    st = asgml_store_read(s, mv, want, 3, 5, fr); /* frame 5 clamps to the last */
    ok(st == ASGML_OK && fr[0] == 30 && fr[12] == 0 && fr[23] == 0 && fr[24] == 50,
       "frames: clamped frame, zero-frame sample reads zeros");
    st = asgml_store_read(s, mv, want, 3, 0, fr);
    ok(st == ASGML_OK && fr[0] == 30 && fr[24] == 40, "frames: frame 0");
    int64_t bad = 5;
    ok(asgml_store_read(s, ma, &bad, 1, 0, spec) == ASGML_EINVAL, "index out of range");
    ok(asgml_store_read(s, 7, want, 1, 0, spec) == ASGML_EINVAL, "modality out of range");
    asgml_store_close(s);

    /* failures */
    char junk[300];
    snprintf(junk, sizeof junk, "%s/junk.h5", dir);
    FILE *f = fopen(junk, "w");
    fputs("not hdf5\n", f);
    fclose(f);
    ok(asgml_store_open(junk, &s) == ASGML_EIO && s == NULL &&
           strstr(asgml_last_error(), "junk.h5") != NULL,
       "not HDF5: EIO naming the file");
    snprintf(junk, sizeof junk, "%s/absent.h5", dir);
    ok(asgml_store_open(junk, &s) == ASGML_EIO, "missing file: EIO");

    /* a split whose extent claims 2^58 entries in a 33 kB file (fuzz_store;
     * its other damage, a string's heap address one byte off, is undone so
     * that the file reaches the split): refused by size before anything is
     * allocated (was malloc(2^60 B)) */
    {
        const char *src = getenv("top_srcdir");
        char fx[1024];
        snprintf(fx, sizeof fx, "%s/tests/fixtures/fuzz/store/split-claims-2e60.h5", src ? src : ".");
        asgml_status cst = asgml_store_open(fx, &s);
        ok(cst == ASGML_EFORMAT && strstr(asgml_last_error(), "/splits/default/val claims 288230376151711745 "
                                                           "elements, more than its 33213 bytes can hold"),
           "a split claiming 2^58 entries: EFORMAT before allocating: %s",
           cst == ASGML_OK ? "(opened)" : asgml_last_error());
        if (cst == ASGML_OK)
            asgml_store_close(s);
        /* a split whose stored integers claim 4 GB each (fuzz_store): HDF5
         * sized its conversion buffer by that; refused by type first */
        snprintf(fx, sizeof fx, "%s/tests/fixtures/fuzz/store/split-int-size-4g.h5", src ? src : ".");
        cst = asgml_store_open(fx, &s);
        ok(cst == ASGML_EFORMAT && strstr(asgml_last_error(), "/splits/default/test: expected a 1-D dataset of integers"),
           "a split of 4 GB integers: EFORMAT before reading: %s", cst == ASGML_OK ? "(opened)" : asgml_last_error());
        if (cst == ASGML_OK)
            asgml_store_close(s);
        /* a store that opens but whose /audio/spec extent claims 2^52 bytes
         * (fuzz_store): verify's content hash sized its buffer by that
         * (malloc of 0x119b77329806e9 B, "out of memory" or an ASan abort);
         * now refused by size, naming the file and the dataset */
        verify_refuses("verify-hash-2e52.h5", "verify-hash-2e52.h5: /audio/spec: damaged dataset: "
                       "its extent claims more than a file of 33213 bytes",
                       "verify of a dataset claiming 2^52 bytes: EFORMAT before allocating");
        /* a string of /meta/group_names names no heap collection
         * (fuzz_store): HDF5 failed in its conversion and leaked the
         * strings it had made (LeakSanitizer); now checked before reading */
        verify_refuses("verify-hash-string-leak.h5", "verify-hash-string-leak.h5: damaged HDF5 file: a string "
                       "of 3 bytes names a global heap collection",
                       "verify of a string naming no heap collection: EFORMAT before reading");
    }

    /* an HDF5 file that is not a store */
    asgml_store_writer *w;
    snprintf(junk, sizeof junk, "%s/plain.h5", dir);
    st = asgml_sw_create(junk, &w);
    if (!st) st = asgml_sw_attr_str(w, "/", "format", "something-else");
    if (!st) st = asgml_sw_commit(w, NULL);
    ok(st == ASGML_OK && asgml_store_open(junk, &s) == ASGML_EFORMAT, "foreign HDF5: EFORMAT");

    /* abort leaves nothing */
    int before = count_entries(dir);
    snprintf(junk, sizeof junk, "%s/aborted.h5", dir);
    st = asgml_sw_create(junk, &w);
    ok(st == ASGML_OK && count_entries(dir) == before + 1, "temporary file exists while writing");
    ok(strstr(asgml_sw_temp_path(w), "/.aborted.h5.") != NULL, "temporary name .NAME.XXXXXX");
    asgml_sw_abort(w);
    ok(count_entries(dir) == before && access(junk, F_OK) != 0, "abort removes the temporary file");

    /* writer into a missing directory fails cleanly */
    ok(asgml_sw_create("/nonexistent-dir-asgml/x.h5", &w) == ASGML_EIO && w == NULL,
       "create in a missing directory: EIO");

    /* clean up */
    DIR *dp = opendir(dir);
    struct dirent *e;
    while (dp && (e = readdir(dp))) {
        char p[600];
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (dp) closedir(dp);
    rmdir(dir);
    return tap_done();
}
