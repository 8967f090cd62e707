/* SPDX-License-Identifier: MIT */
/* test-loader-window.c - the loader's wave window (asgml-prep --audio-window,
 * datasets.md 5) against the STFT of the stored wave computed here:
 * evaluation serves ln(|STFT(x[s:s+W])| + 1e-7) with s = window_test_start
 * = (L - W)/2 exactly; training serves the STFT of some window x[s:s+W],
 * 0 <= s <= L - W, found by trying every start, and not always the same
 * start over epochs; data.exclude-flags leaves a KNOWN_BAD sample out of
 * the split the loader serves; /stats/audio/window holds the per-bin mean
 * and population std of the STFT of the training waves (two-pass, double,
 * here) and data.audio.zscore serves (STFT - mean) / std per bin. */
#include "asgml/config.h"
#include "asgml/prep.h"
#include "asgml/store.h"
#include "data/decode.h"
#include "data/loader.h"
#include "tap.h"

#include <hdf5.h>

#include <limits.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { L = 2000, W = 1000, NFFT = 64, HOP = 32 };

static float maxdiff(const float *a, const float *b, size_t n)
{
    float m = 0;
    for (size_t i = 0; i < n; i++) {
        float d = fabsf(a[i] - b[i]);
        if (d > m) m = d;
    }
    return m;
}

int main(void)
{
    char fx[1024], dir[] = "/tmp/test-window.XXXXXX", man[1200], out[1200];
    const char *top = getenv("top_srcdir");
    snprintf(fx, sizeof fx, "%s/tests/fixtures/dsp", top && *top ? top : ".");
    char probe[1100];
    snprintf(probe, sizeof probe, "%s/au_pcm16.wav", fx);
    if (access(probe, R_OK) != 0) tap_skip_all("tests/fixtures/dsp not found (set top_srcdir)");
    char *abs = realpath(fx, NULL);   /* manifest paths resolve against the manifest's directory */
    if (abs) { snprintf(fx, sizeof fx, "%s", abs); free(abs); }
    if (!mkdtemp(dir)) { printf("Bail out! mkdtemp\n"); return 1; }
    tap_plan(12);
    snprintf(man, sizeof man, "%s/m.tsv", dir);
    snprintf(out, sizeof out, "%s/w.h5", dir);
    FILE *f = fopen(man, "w");
    fprintf(f, "id\tlabel\tsplit\tflags\taudio\n");
    fprintf(f, "a\tx\ttrain\t-\t%s/au_pcm16.wav\nb\ty\ttrain\t-\t%s/au_float.wav\n", fx, fx);
    fprintf(f, "c\tx\ttest\t-\t%s/au_sine8k.wav\nd\ty\ttest\tKNOWN_BAD\t%s/au_pcm24.wav\n", fx, fx);
    fclose(f);

    asgml_prep_options o;
    asgml_prep_result r;
    asgml_prep_defaults(&o);
    o.manifest = man;
    o.out = out;
    o.audio_rate = 8000;
    o.fit_seconds = 0.25;
    o.audio_window = 0.125;
    o.n_fft = NFFT;
    o.hop = HOP;
    o.created_utc = 0;
    o.jobs = 1;
    asgml_status pst = asgml_prep_run(&o, &r);
    if (!ok(pst == ASGML_OK, "prep with --audio-window (%s)", pst ? asgml_last_error() : "ok")) {
        printf("Bail out! no store\n");
        return 1;
    }
    asgml_prep_result_free(&r);

    asgml_store *s = NULL;
    asgml_config *cfg = NULL;
    asgml_transform tf;
    int good = asgml_store_open(out, &s) == ASGML_OK && asgml_config_create(&cfg) == ASGML_OK &&
               asgml_loader_exclude_flags(cfg, s) == ASGML_OK &&
               asgml_transform_from_config(cfg, s, out, "audio", 1, &tf) == ASGML_OK;
    if (!ok(good, "store, default data.exclude-flags, transform (%s)", good ? "ok" : asgml_last_error())) {
        printf("Bail out! no transform\n");
        return 1;
    }
    int c, h, w;
    int64_t per = asgml_transform_sample_size(&tf, s, &c, &h, &w);
    asgml_stft_params p = { NFFT, HOP, NFFT, 1, "reflect", "hann_periodic", 1, 1e-7 };
    ok(tf.kind == ASGML_TF_WAVE_WINDOW && c == 1 && h == NFFT / 2 + 1 && w == asgml_stft_frames(&p, W) &&
       tf.win_len == W && tf.win_test_start == (L - W) / 2,
       "(1, %d, %d), window %lld at %lld", h, w, (long long)tf.win_len, (long long)tf.win_test_start);

    int16_t wave[4][L];
    int64_t all[4] = { 0, 1, 2, 3 };
    int mi = asgml_store_find_modality(s, "audio");
    ok(asgml_store_read(s, mi, all, 4, 0, wave) == ASGML_OK, "read the stored waves");
    float x[W], *ref = malloc((size_t)per * sizeof *ref);

    asgml_loader_config lc;
    memset(&lc, 0, sizeof lc);
    lc.part = "test";
    lc.batch_size = 4;
    lc.num_modalities = 1;
    lc.tf = &tf;
    lc.seed = 7;
    asgml_loader *ld = NULL;
    asgml_batch b;
    int done = 0;
    ok(asgml_loader_create(s, &lc, &ld) == ASGML_OK && asgml_loader_start_epoch(ld, 0) == ASGML_OK &&
       asgml_loader_next(ld, &b, &done) == ASGML_OK && !done && b.size == 1 && b.samples[0] == 2,
       "test part: the KNOWN_BAD sample is left out (1 of 2 served)");
    for (int q = 0; q < W; q++) x[q] = (float)wave[2][(L - W) / 2 + q] / 32768.0f;
    asgml_stft(&p, x, W, ref);
    float d = maxdiff(b.x[0], ref, (size_t)per);
    ok(d == 0.0f, "evaluation: the STFT of x[500:1500] exactly (max |diff| %g)", d);
    asgml_loader_free(ld);

    /* /stats/audio/window: the training waves a, b (c, d are test rows) */
    enum { F = NFFT / 2 + 1 };
    double smean[F], sstd[F], rmean[F] = {0}, rvar[F] = {0};
    hid_t hf = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT), hd;
    int have = hf >= 0;
    have = have && (hd = H5Dopen2(hf, "/stats/audio/window/mean", H5P_DEFAULT)) >= 0 &&
           H5Dread(hd, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, smean) >= 0 && H5Dclose(hd) >= 0;
    have = have && (hd = H5Dopen2(hf, "/stats/audio/window/std", H5P_DEFAULT)) >= 0 &&
           H5Dread(hd, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, sstd) >= 0 && H5Dclose(hd) >= 0;
    if (hf >= 0) H5Fclose(hf);
    int64_t TL = asgml_stft_frames(&p, L), nv = 2 * TL;
    float xl[L], *spec = malloc((size_t)F * (size_t)TL * 2 * sizeof *spec);
    for (int i = 0; i < 2; i++) {
        for (int q = 0; q < L; q++) xl[q] = (float)wave[i][q] / 32768.0f;
        asgml_stft(&p, xl, L, spec + (size_t)i * F * (size_t)TL);
    }
    for (int fb = 0; fb < F; fb++) {
        for (int i = 0; i < 2; i++)
            for (int64_t t = 0; t < TL; t++) rmean[fb] += spec[((size_t)i * F + fb) * (size_t)TL + t];
        rmean[fb] /= (double)nv;
        for (int i = 0; i < 2; i++)
            for (int64_t t = 0; t < TL; t++) {
                double e = spec[((size_t)i * F + fb) * (size_t)TL + t] - rmean[fb];
                rvar[fb] += e * e;
            }
        rvar[fb] /= (double)nv;
    }
    double rel = 0;
    for (int fb = 0; have && fb < F; fb++) {
        double dm = fabs(smean[fb] - rmean[fb]) / fmax(fabs(rmean[fb]), 1e-12);
        double ds = fabs(sstd[fb] - sqrt(rvar[fb])) / fmax(sqrt(rvar[fb]), 1e-12);
        rel = fmax(rel, fmax(dm, ds));
    }
    ok(have && rel < 1e-9, "/stats/audio/window: per-bin mean and std of the training waves' STFT "
       "(max rel. diff %.2g)", rel);
    free(spec);

    /* data.audio.zscore = true: the evaluation window, standardised per bin */
    asgml_config *zc = NULL;
    asgml_transform tz;
    good = asgml_config_create(&zc) == ASGML_OK && asgml_config_set(zc, "data.audio.zscore", "true", "test") == ASGML_OK &&
           asgml_loader_exclude_flags(zc, s) == ASGML_OK &&
           asgml_transform_from_config(zc, s, out, "audio", 1, &tz) == ASGML_OK;
    ok(good && tz.zscore && tz.stats_len == F, "data.audio.zscore on a windowed wave (%s)",
       good ? "ok" : asgml_last_error());
    if (good) {
        lc.tf = &tz;
        lc.batch_size = 4;
        ld = NULL;
        good = asgml_loader_create(s, &lc, &ld) == ASGML_OK && asgml_loader_start_epoch(ld, 0) == ASGML_OK &&
               asgml_loader_next(ld, &b, &done) == ASGML_OK && !done && b.size == 1;
        for (int q = 0; q < W; q++) x[q] = (float)wave[2][(L - W) / 2 + q] / 32768.0f;
        asgml_stft(&p, x, W, ref);
        int64_t nt = per / F;
        for (int fb = 0; fb < F; fb++)
            for (int64_t t = 0; t < nt; t++)
                ref[fb * nt + t] = (ref[fb * nt + t] - (float)smean[fb]) / (float)sstd[fb];
        d = good ? maxdiff(b.x[0], ref, (size_t)per) : 1.0f;
        asgml_loader_free(ld);
        asgml_transform_release(&tz);
        lc.tf = &tf;
    }
    ok(good && d == 0.0f, "zscore: (STFT(x[500:1500]) - mean) / std per bin (max |diff| %g)", d);
    asgml_config_free(zc);

    lc.part = "train";
    lc.train = 1;
    lc.batch_size = 2;
    ok(asgml_loader_create(s, &lc, &ld) == ASGML_OK, "train loader");
    int found_all = 1, starts[2][3];
    for (int e = 0; e < 3; e++) {
        asgml_loader_start_epoch(ld, e);
        asgml_loader_next(ld, &b, &done);
        for (int k = 0; k < b.size; k++) {
            int64_t i = b.samples[k], hit = -1;
            for (int st = 0; st <= L - W && hit < 0; st++) {
                for (int q = 0; q < W; q++) x[q] = (float)wave[i][st + q] / 32768.0f;
                asgml_stft(&p, x, W, ref);
                if (maxdiff(b.x[0] + (size_t)k * (size_t)per, ref, (size_t)per) == 0.0f) hit = st;
            }
            found_all &= hit >= 0;
            starts[i][e] = (int)hit;
        }
    }
    ok(found_all, "training: every window is the STFT of x[s:s+1000] for some 0 <= s <= 1000 "
       "(sample a: %d %d %d)", starts[0][0], starts[0][1], starts[0][2]);
    ok(!(starts[0][0] == starts[0][1] && starts[0][1] == starts[0][2]),
       "training: the start changes over epochs");
    asgml_loader_free(ld);
    free(ref);
    asgml_transform_release(&tf);
    asgml_config_free(cfg);
    asgml_store_close(s);
    char cmd[1300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) tap_diag("could not remove %s", dir);
    return tap_done();
}
