/* SPDX-License-Identifier: MIT */
/* test-store-prep.c - manifest parsing and the prep pipeline (prep.h) on
 * generated inputs and the committed odd-format fixtures of
 * tests/fixtures/dsp: mixed audio formats and rates, palette/1-bit/16-bit
 * PNGs and JPEGs resized to one size, raw and HDF5 feature sequences, frame
 * lists and globs; every broken case stops (or is skipped) with
 * "MANIFEST:LINE: FILE: what" and leaves no file behind. */
#include "asgml/store.h"
#include "data/manifest.h"
#include "data/prep.h"
#include "data/store_write.h"
#include "tap.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256], fx[512];

static void put(const char *name, const char *text)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    fputs(text, f);
    fclose(f);
}

static void put_floats(const char *name, const float *v, int n)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    fwrite(v, sizeof *v, (size_t)n, f);
    fclose(f);
}

static char *path(const char *name)
{
    static char p[64][600]; /* a ring: pointers stay valid for 64 calls */
    static int k;
    k = (k + 1) % 64;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

/* A store and its per-sample report (STORE.report.tsv). */
static void rm_store(const char *name)
{
    char rep[300];
    snprintf(rep, sizeof rep, "%s.report.tsv", name);
    unlink(path(name));
    unlink(path(rep));
}

/* entries in dir other than . .. and the inputs (names not ending in .h5) */
static int count_h5(void)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) n += strstr(e->d_name, ".h5") != NULL && strcmp(e->d_name, "feat.h5");
    closedir(d);
    return n;
}

/* A manifest with every modality kind; %s = fixtures dir. */
static const char *good_manifest =
    "\xef\xbb\xbf# odd formats\r\n"
    "#@dataset\ttoy\r\n"
    "id\tlabel\tsplit:a\tsplit:b\tgroup:speaker\tmeta:take:int\tmeta:note\taudio\tvisual\tcam:frames\ttext:seq\r\n"
    "s3\tdog\ttest\ttrain\tann\t3\tx\tFX/au_pcm24.wav\tFX/jpg_prog.jpg\tfr/a_*.png\tt3.f32\r\n"
    "s1\tcat\ttrain\tval\tbob\t1\ty\tFX/au_pcm16.wav\tFX/png_pal4_grey.png\tFX/png_1bit.png;FX/png_rgb16.png\tfeat.h5:/f1\r\n"
    "s2\tcat\ttrain\ttest\tann\t2\tz\tFX/au_stereo44k.flac\tFX/png_1bit.png\tFX/jpg_cmyk.jpg\tt2.f32\r\n"
    "s0\tdog\tval\t-\t-\t0\t\tFX/au_float.wav\tFX/png_rgb16.png\tFX/png_grey8.png\tfeat.h5\r\n";

static void write_manifest(const char *name, const char *text)
{
    /* replace FX by the fixtures directory */
    char buf[8192], *o = buf;
    for (const char *p = text; *p;) {
        if (!strncmp(p, "FX", 2)) { o += sprintf(o, "%s", fx); p += 2; }
        else *o++ = *p++;
    }
    *o = 0;
    put(name, buf);
}

static void setup_inputs(void)
{
    char p[600];
    snprintf(p, sizeof p, "%s/fr", dir);
    mkdir(p, 0777);
    /* frames: a_2.png sorts after a_10.png bytewise */
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "cp '%s/png_grey8.png' '%s/fr/a_10.png' && cp '%s/png_rgb.png' '%s/fr/a_2.png'",
             fx, dir, fx, dir);
    if (system(cmd) != 0) printf("# cp failed\n");
    float t3[3 * 4], t2[6 * 4];
    for (int i = 0; i < 12; i++) t3[i] = (float)i;
    for (int i = 0; i < 24; i++) t2[i] = 100.f + (float)i;
    t2[5] = NAN;
    put_floats("t3.f32", t3, 12);
    put_floats("t2.f32", t2, 24);
    put_floats("bad.f32", t3, 5); /* 20 bytes: not a whole number of 4-float rows */
    /* HDF5 features: /f1 (2,4) and /features (5,4) */
    asgml_store_writer *w;
    asgml_sw_create(path("feat.h5"), &w);
    float f1[8] = {1, 2, 3, 4, 5, 6, 7, 8}, f5[20];
    for (int i = 0; i < 20; i++) f5[i] = -1.f - (float)i;
    int64_t d1[2] = {2, 4}, d5[2] = {5, 4};
    asgml_sw_write_array(w, "/f1", ASGML_SW_F32, 2, d1, f1);
    asgml_sw_write_array(w, "/features", ASGML_SW_F32, 2, d5, f5);
    asgml_sw_commit(w, NULL);
}

static void opts(asgml_prep_options *o, const char *manifest, const char *out)
{
    asgml_prep_defaults(o);
    o->manifest = path(manifest);
    o->out = path(out);
    o->audio_rate = 8000;
    o->fit_seconds = 0.25; /* 2000 samples */
    o->n_fft = 256;
    o->hop = 80;
    o->image_h = 24;
    o->image_w = 28;
    o->seq_dim = 4;
    o->seq_len = 4;
    o->created_utc = 1000000000;
    o->jobs = 2;
}

static int run_fails_with(const char *manifest_text, const char *want, int skip_bad, asgml_prep_result *r)
{
    asgml_prep_options o;
    write_manifest("bad.tsv", manifest_text);
    opts(&o, "bad.tsv", "bad.h5");
    o.skip_bad = skip_bad;
    o.max_bad = 0.3;
    asgml_status st = asgml_prep_run(&o, r);
    int good = st != ASGML_OK && strstr(asgml_last_error(), want) != NULL && count_h5() == 0;
    if (!good) tap_diag("got status %d: %s", st, st ? asgml_last_error() : "ok");
    return good;
}

static const char *hdr = "id\tlabel\tsplit\taudio\tvisual\n";

/* One TAP sequence whose checks build on each other's state (stores,
 * runs, buffers), kept in order in one function: long by design. */
int main(void)
{
    const char *top = getenv("top_srcdir");
    snprintf(fx, sizeof fx, "%s/tests/fixtures/dsp", top && *top ? top : ".");
    char probe[600];
    snprintf(probe, sizeof probe, "%s/au_pcm16.wav", fx);
    if (access(probe, R_OK) != 0) tap_skip_all("tests/fixtures/dsp not found (set top_srcdir)");
    if (fx[0] != '/') { /* manifests live in the temp dir: make the path absolute */
        char cwd[400];
        char rel[512];
        memcpy(rel, fx, sizeof rel);
        if (getcwd(cwd, sizeof cwd) && strlen(cwd) + strlen(rel) + 2 < sizeof fx) {
            size_t lc = strlen(cwd);
            memcpy(fx, cwd, lc);
            fx[lc] = '/';
            memcpy(fx + lc + 1, rel, strlen(rel) + 1);
        }
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/test-prep.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) { printf("Bail out! mkdtemp\n"); return 1; }
    setup_inputs();

    /* ---- manifest parsing ---- */
    write_manifest("good.tsv", good_manifest);
    asgml_manifest *m = NULL;
    asgml_status st = asgml_manifest_read(path("good.tsv"), NULL, &m);
    ok(st == ASGML_OK, "manifest with BOM and CRLF parses (%s)", st ? asgml_last_error() : "ok");
    if (st) return tap_done();
    ok(m->nrows == 4 && !strcmp(m->rows[0].id, "s0") && !strcmp(m->rows[3].id, "s3"), "rows sorted by id");
    ok(m->nclass == 2 && !strcmp(m->classes[0], "cat") && !strcmp(m->classes_source, "sorted_labels"),
       "classes from the sorted labels");
    ok(m->rows[1].label == 0 && m->rows[0].label == 1, "labels mapped");
    ok(m->nscheme == 2 && !strcmp(m->schemes[1], "b") && m->rows[0].part[0] == ASGML_PART_VAL &&
           m->rows[0].part[1] == ASGML_PART_NONE && m->rows[1].part[1] == ASGML_PART_VAL,
       "two split schemes, '-' means none");
    ok(m->has_group && m->ngroup == 2 && m->rows[0].group == -1 && m->rows[3].group == 0 &&
           !strcmp(m->group_kind, "speaker"),
       "groups sorted, '-' is -1");
    ok(m->nmeta == 2 && m->meta_is_int[0] && !m->meta_is_int[1], "meta columns and types");
    ok(m->nmod == 4 && m->mod_kinds[0] == ASGML_KIND_AUDIO && m->mod_kinds[1] == ASGML_KIND_IMAGE &&
           m->mod_kinds[2] == ASGML_KIND_FRAMES && m->mod_kinds[3] == ASGML_KIND_SEQ &&
           !strcmp(m->mod_names[2], "cam"),
       "modality columns and kinds");
    ok(strstr(m->rows[0].cell[3], "/feat.h5") && m->rows[0].cell[3][0] == '/', "relative paths resolved against the manifest directory");
    ok(m->nbad == 0 && !strcmp(m->dataset, "toy"), "no bad rows; #@dataset");
    char **fl;
    int nfl;
    st = asgml_manifest_frame_list(m->root, m->rows[3].cell[2], &fl, &nfl);
    ok(st == ASGML_OK && nfl == 2 && strstr(fl[0], "a_10.png") && strstr(fl[1], "a_2.png"), "frame glob sorted bytewise");
    asgml_manifest_free_list(fl);
    asgml_manifest_free(m);

    put("classes.txt", "# order\nzebra\ndog\ncat\n");
    write_manifest("m2.tsv", "#@classes\tdog\tcat\nid\tlabel\taudio\n"
                             "a\tcat\tx.wav\nb\tcow\tx.wav\nc\tcat\n" "a\tdog\tx.wav\nd\t-\tx.wav\n");
    st = asgml_manifest_read(path("m2.tsv"), path("classes.txt"), &m);
    ok(st == ASGML_OK && m->nclass == 3 && !strcmp(m->classes[0], "zebra") && !strcmp(m->classes_source, "option"),
       "--classes file wins over #@classes");
    if (!st) {
        ok(m->nbad == 3, "three bad rows");
        ok(m->rows[1].err && strstr(m->rows[1].err, "m2.tsv:6: duplicate id 'a' (first on line 3)"), "duplicate id: %s", m->rows[1].err);
        ok(m->rows[2].err && strstr(m->rows[2].err, "m2.tsv:4: unknown label 'cow'"), "unknown label: %s", m->rows[2].err);
        ok(m->rows[3].err && strstr(m->rows[3].err, "m2.tsv:5: 2 columns, the header has 3"), "column count: %s", m->rows[3].err);
        ok(m->rows[4].label == -1 && !m->rows[4].err, "'-' label is -1");
        asgml_manifest_free(m);
    } else {
        tap_skip(5, "manifest did not parse");
    }
    write_manifest("m3.tsv", "id\tlabel\tsplit\taudio:video\n");
    ok(asgml_manifest_read(path("m3.tsv"), NULL, &m) == ASGML_EFORMAT && strstr(asgml_last_error(), "m3.tsv:1:"),
       "unknown modality kind is a header error");
    write_manifest("m4.tsv", "label\taudio\na\tb\n");
    ok(asgml_manifest_read(path("m4.tsv"), NULL, &m) == ASGML_EFORMAT, "header without id");

    /* ---- a full run ---- */
    asgml_prep_options o;
    asgml_prep_result r;
    opts(&o, "good.tsv", "a.h5");
    o.jobs = 1;
    st = asgml_prep_run(&o, &r);
    ok(st == ASGML_OK && r.kept == 4, "prep runs on odd formats (%s)", st ? asgml_last_error() : "ok");
    char sha1[65];
    memcpy(sha1, r.sha256, 65);
    ok(r.flag_counts[12] >= 1 && r.flag_counts[4] >= 1, "RESAMPLED_OR_DOWNMIXED and AUDIO_TILED counted");
    ok(r.flag_counts[13] == 1, "NONFINITE_REPLACED counted once");
    asgml_prep_result_free(&r);
    opts(&o, "good.tsv", "b.h5");
    o.jobs = 3;
    st = asgml_prep_run(&o, &r);
    ok(st == ASGML_OK && !strcmp(sha1, r.sha256), "same content checksum with 3 threads");
    asgml_prep_result_free(&r);
    ok(asgml_store_verify(path("a.h5")) == ASGML_OK, "verify passes (%s)", asgml_last_error());

    asgml_store *s;
    st = asgml_store_open(path("a.h5"), &s);
    ok(st == ASGML_OK, "store opens");
    if (st) return tap_done();
    ok(asgml_store_num_samples(s) == 4 && !strcmp(asgml_store_id(s, 0), "s0"), "4 samples in id order");
    ok(!strcmp(asgml_store_attr(s, "default_split"), "a") && !strcmp(asgml_store_dataset_name(s), "toy"), "default split, dataset");
    ok(!strcmp(asgml_store_attr(s, "created_utc"), "2001-09-09T01:46:40Z"), "created_utc from the option");
    ok(strstr(asgml_store_attr(s, "params_json"), "\"audio/spec.n_fft\": 256") != NULL, "params_json");
    int ma = asgml_store_find_modality(s, "audio"), mv = asgml_store_find_modality(s, "visual"),
        mc = asgml_store_find_modality(s, "cam"), mt = asgml_store_find_modality(s, "text");
    const asgml_modality_info *ia = asgml_store_modality(s, ma), *iv = asgml_store_modality(s, mv),
                              *ic = asgml_store_modality(s, mc), *it = asgml_store_modality(s, mt);
    ok(ia && ia->shape[0] == 129 && ia->shape[1] == 26 && ia->dtype == ASGML_F32, "audio spec (129,26)");
    ok(iv && iv->ndim == 2 && iv->shape[0] == 24 && iv->shape[1] == 28 && iv->dtype == ASGML_U8, "grey images resized to (24,28)");
    ok(ic && ic->variable_count && ic->ndim == 3 && ic->shape[2] == 1, "frames (H,W,1)");
    ok(asgml_store_frame_count(s, mc, 1) == 2 && asgml_store_frame_count(s, mc, 3) == 2 &&
           asgml_store_frame_count(s, mc, 0) == 1, "frame counts from lists and globs");
    ok(it && it->shape[0] == 4 && it->shape[1] == 4, "seq (4,4)");
    float seq[4 * 16];
    int64_t all[4] = {0, 1, 2, 3};
    st = asgml_store_read(s, mt, all, 4, 0, seq);
    /* s0: /features (5,4) truncated to 4; s1: /f1 (2,4) padded; s2: 6 rows, NaN -> 0; s3: 3 rows */
    ok(st == ASGML_OK && seq[0] == -1.f && seq[15] == -16.f && seq[16] == 1.f && seq[23] == 8.f &&
           seq[24] == 0.f && seq[32 + 5] == 0.f && seq[32 + 4] == 104.f && seq[48 + 11] == 11.f && seq[48 + 12] == 0.f,
       "seq values: truncate, pad, NaN replaced");
    float spec[129 * 26];
    int64_t one = 0;
    st = asgml_store_read(s, ma, &one, 1, 0, spec);
    int finite = st == ASGML_OK;
    for (int i = 0; i < 129 * 26; i++) finite &= isfinite(spec[i]) && spec[i] >= -16.2f;
    ok(finite, "spectrogram finite and >= ln(1e-7)");
    const int32_t *idx;
    int64_t n;
    ok(asgml_store_split(s, NULL, "train", &idx, &n) == ASGML_OK && n == 2 && idx[0] == 1 && idx[1] == 2, "split a/train");
    ok(asgml_store_split(s, "b", "val", &idx, &n) == ASGML_OK && n == 1 && idx[0] == 1, "split b/val");
    asgml_store_close(s);
    {
        FILE *a = fopen(path("a.h5"), "rb"), *b = fopen(path("b.h5"), "rb");
        long diff = 0;
        int x, y;
        do { x = fgetc(a); y = fgetc(b); diff += x != y; } while (x != EOF && y != EOF);
        fclose(a); fclose(b);
        ok(diff == 0, "byte-identical stores from 1 and 3 threads");
    }
    rm_store("a.h5");
    rm_store("b.h5");

    /* ---- broken inputs: stop, name MANIFEST:LINE: FILE, leave nothing ---- */
    static char t[16384];
    struct { const char *file, *want; } cases[] = {
        {"FX/broken_trunc.wav", "bad.tsv:3: FX/broken_trunc.wav: truncated"},
        {"FX/broken_empty.wav", "bad.tsv:3: FX/broken_empty.wav: empty audio"},
        {"FX/broken_garbage.wav", "bad.tsv:3: FX/broken_garbage.wav:"},
        {"FX/broken_header.wav", "bad.tsv:3: FX/broken_header.wav:"},
        {"FX/missing.wav", "bad.tsv:3: FX/missing.wav:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(t, sizeof t, "%sa\tcat\ttrain\tFX/au_pcm16.wav\tFX/png_grey8.png\nb\tcat\ttest\t%s\tFX/png_grey8.png\n", hdr, cases[i].file);
        char want[1024], *o2 = want;
        for (const char *p = cases[i].want; *p;) {
            if (!strncmp(p, "FX", 2)) { o2 += sprintf(o2, "%s", fx); p += 2; }
            else *o2++ = *p++;
        }
        *o2 = 0;
        ok(run_fails_with(t, want, 0, &r), "%s stops with its line and file", cases[i].file + 3);
        asgml_prep_result_free(&r);
    }
    const char *imgs[] = {"broken_trunc.png", "broken_crc.png", "broken_empty.png", "broken_trunc.jpg", "broken_garbage.jpg", "broken_hdr.jpg"};
    for (size_t i = 0; i < sizeof imgs / sizeof *imgs; i++) {
        snprintf(t, sizeof t, "%sa\tcat\ttrain\tFX/au_pcm16.wav\tFX/%s\n", hdr, imgs[i]);
        char want[700];
        snprintf(want, sizeof want, "bad.tsv:2: %s/%s:", fx, imgs[i]);
        ok(run_fails_with(t, want, 0, &r), "%s stops with its line and file", imgs[i]);
        asgml_prep_result_free(&r);
    }
    snprintf(t, sizeof t, "id\tlabel\tcam:frames\na\tx\tFX/png_grey8.png;FX/broken_trunc.png\n");
    ok(run_fails_with(t, "bad.tsv:2: ", 0, &r) && strstr(asgml_last_error(), "broken_trunc.png"), "unreadable frame in a list");
    asgml_prep_result_free(&r);
    snprintf(t, sizeof t, "id\tlabel\tcam:frames\na\tx\tnothing_*.png\n");
    ok(run_fails_with(t, "no file matches", 0, &r), "frame glob without match");
    asgml_prep_result_free(&r);
    snprintf(t, sizeof t, "id\tlabel\ttext:seq\na\tx\tbad.f32\n");
    ok(run_fails_with(t, "bad.f32: 20 bytes is not a whole number", 0, &r), "truncated raw feature file");
    asgml_prep_result_free(&r);
    snprintf(t, sizeof t, "id\tlabel\ttext:seq\na\tx\tfeat.h5:/nope\n");
    ok(run_fails_with(t, "no dataset '/nope'", 0, &r), "missing HDF5 feature dataset");
    asgml_prep_result_free(&r);
    snprintf(t, sizeof t, "%sa\tcat\ttrain\tFX/au_pcm16.wav\tFX/png_grey8.png\nb\tcat\ttrain\tFX/au_pcm16.wav\n", hdr);
    ok(run_fails_with(t, "bad.tsv:3: 4 columns, the header has 5", 0, &r), "wrong column count");
    asgml_prep_result_free(&r);
    snprintf(t, sizeof t, "#@classes\tcat\n%sa\tcat\ttrain\tFX/au_pcm16.wav\tFX/png_grey8.png\nb\tcow\ttrain\tFX/au_pcm16.wav\tFX/png_grey8.png\n", hdr);
    ok(run_fails_with(t, "bad.tsv:4: unknown label 'cow'", 0, &r), "unknown label");
    asgml_prep_result_free(&r);
    snprintf(t, sizeof t, "%sa\tcat\ttrain\tFX/au_pcm16.wav\tFX/png_grey8.png\na\tcat\ttest\tFX/au_pcm16.wav\tFX/png_grey8.png\n", hdr);
    ok(run_fails_with(t, "bad.tsv:3: duplicate id 'a' (first on line 2)", 0, &r), "duplicate id");
    asgml_prep_result_free(&r);
    snprintf(t, sizeof t, "%sa\tcat\tdev\tFX/au_pcm16.wav\tFX/png_grey8.png\n", hdr);
    ok(run_fails_with(t, "bad.tsv:2: split 'dev' is not train, val, test or -", 0, &r), "bad split value");
    asgml_prep_result_free(&r);

    /* ---- --skip-bad and --max-bad ---- */
    static char rows[8192] = "";
    for (int i = 0; i < 9; i++) {
        char line[700];
        snprintf(line, sizeof line, "k%d\tcat\t%s\tFX/au_pcm16.wav\tFX/png_grey8.png\n", i, i < 6 ? "train" : "test");
        strcat(rows, line);
    }
    snprintf(t, sizeof t, "%s%sz\tcat\ttest\tFX/broken_trunc.wav\tFX/png_grey8.png\n", hdr, rows);
    write_manifest("skip.tsv", t);
    opts(&o, "skip.tsv", "skip.h5");
    o.skip_bad = 1;
    o.max_bad = 0.2;
    st = asgml_prep_run(&o, &r);
    ok(st == ASGML_OK && r.kept == 9 && r.skipped == 1 && strstr(r.skipped_msgs[0], "skip.tsv:11: "),
       "--skip-bad: 1 of 10 skipped (%s)", st ? asgml_last_error() : "ok");
    asgml_prep_result_free(&r);
    if (asgml_store_open(path("skip.h5"), &s) == ASGML_OK) {
        ok(asgml_store_num_samples(s) == 9 && !strcmp(asgml_store_attr(s, "num_skipped"), "1") &&
               strstr(asgml_store_attr(s, "skipped"), "broken_trunc.wav"),
           "skipped sample absent, listed in the attributes");
        asgml_store_close(s);
    } else {
        ok(0, "skip store opens");
    }
    rm_store("skip.h5");
    o.max_bad = 0.1;
    st = asgml_prep_run(&o, &r);
    ok(st == ASGML_EFORMAT && strstr(asgml_last_error(), "not fewer than --max-bad") && count_h5() == 0,
       "--max-bad 0.1 with 10 %% bad fails and writes nothing");
    asgml_prep_result_free(&r);

    /* ---- degradations ---- */
    snprintf(t, sizeof t, "#@classes\tcat\tdog\n%s%s", hdr, rows);
    write_manifest("deg.tsv", t);
    put("reserve.tsv", "dog\tmissing-on-purpose.png\n");
    write_manifest("reserve.tsv", "# reserve\ndog\tFX/png_pal8.png\ndog\tFX/png_rgb.png\ndog\tFX/png_la.png\n"
                                  "dog\tFX/jpg_rgb.jpg\ndog\tFX/jpg_grey.jpg\ndog\tFX/png_grey2.png\n"
                                  "dog\tFX/png_rgba.png\ndog\tFX/jpg_444.jpg\ndog\tFX/png_1bit.png\n");
    opts(&o, "deg.tsv", "deg.h5");
    o.image_h = o.image_w = 28;
    o.img_mismatch = 0.5;
    o.img_reserve = path("reserve.tsv");
    o.img_noise = 20;
    o.img_occlude = 4;
    o.aud_snr_on = 1;
    o.aud_snr_db = 0;
    o.seed = 7;
    st = asgml_prep_run(&o, &r);
    int64_t mism = r.mismatched;
    ok(st == ASGML_OK && mism > 0 && mism < 9, "mismatch replaces some images (%lld of 9)", (long long)mism);
    memcpy(sha1, r.sha256, 65);
    asgml_prep_result_free(&r);
    if (!st && asgml_store_open(path("deg.h5"), &s) == ASGML_OK) {
        ok(strstr(asgml_store_attr(s, "params_json"), "\"visual/image.img_mismatch\": 0.5") != NULL, "degradation parameters recorded");
        asgml_store_close(s);
    } else {
        ok(0, "degraded store opens");
    }
    o.out = path("deg2.h5");
    st = asgml_prep_run(&o, &r);
    ok(st == ASGML_OK && !strcmp(sha1, r.sha256), "degradations reproducible from the seed (%s)", st ? asgml_last_error() : "ok");
    asgml_prep_result_free(&r);
    o.out = path("deg3.h5");
    o.seed = 8;
    st = asgml_prep_run(&o, &r);
    ok(st == ASGML_OK && strcmp(sha1, r.sha256) != 0, "another seed, another store");
    asgml_prep_result_free(&r);
    o.img_down = 5;
    o.out = path("deg4.h5");
    ok(asgml_prep_run(&o, &r) == ASGML_EINVAL && strstr(asgml_last_error(), "does not divide"), "--img-down 5 on 28x28 is a usage error");
    asgml_prep_result_free(&r);
    rm_store("deg.h5");
    rm_store("deg2.h5");
    rm_store("deg3.h5");
    ok(count_h5() == 0, "no stray files");

    if (system(NULL)) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) tap_diag("cleanup failed");
    }
    return tap_done();
}
