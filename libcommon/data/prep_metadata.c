/* SPDX-License-Identifier: MIT */
/* prep_metadata.c - what asgml-prep writes besides the samples: /meta,
 * the splits and the store's attributes, each attribute also recorded in
 * params_json (asgml-store(5)). */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asgml/store.h"
#include "data/prep_ctx.h"

/* Attribute that is also recorded in params_json (store_write.h); the
 * first failure sticks in *st. */
typedef struct params { asgml_store_writer *w; asgml_status st; } params;
static void pa_str(params *p, const char *obj, const char *name, const char *v)
{
    if (!p->st) p->st = asgml_sw_param_str(p->w, obj, name, v);
}
static void pa_i64(params *p, const char *obj, const char *name, int64_t v)
{
    if (!p->st) p->st = asgml_sw_param_i64(p->w, obj, name, v);
}
static void pa_f64(params *p, const char *obj, const char *name, double v)
{
    if (!p->st) p->st = asgml_sw_param_f64(p->w, obj, name, v);
}

/* the decoding attributes every stored audio feature (spec, fbank) shares */
static void pa_audio_decoding(params *p, const char *d, const prep_ctx *c)
{
    const asgml_prep_options *o = c->o;
    pa_i64(p, d, "sample_rate", c->rate);
    /* the resampler chosen (used only where a file's rate differs) and its library */
    pa_str(p, d, "resampler", o->audio_rate > 0 ? asgml_resampler_name(c->rs) : "none");
    pa_str(p, d, "resampler_library", o->audio_rate > 0 ? asgml_resampler_version(c->rs) : "none");
    pa_str(p, d, "downmix", "channel mean");
    pa_str(p, d, "fit", o->fit);
    pa_i64(p, d, "fit_length", c->fit_len);
    pa_f64(p, d, "fit_seconds", o->fit_seconds);
    pa_str(p, d, "clamp", "[-1,1]");
}

static void format_utc(int64_t t, char *buf, size_t n)
{
    time_t tt = t < 0 ? time(NULL) : (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Writes meta, splits and attributes for the kept samples kept[0..n). */
asgml_status prep_write_metadata(prep_ctx *c, asgml_store_writer *w, const int64_t *kept, int64_t n,
                                 const uint32_t *status, const uint8_t *mism, asgml_prep_result *res)
{
    const asgml_prep_options *o = c->o;
    asgml_manifest *m = c->m;
    asgml_status st = ASGML_OK;
    const char **ids = calloc((size_t)(m->nrows > n ? m->nrows : n) + 1, sizeof *ids);
    int32_t *iv = malloc((size_t)n * sizeof *iv);
    if (!ids || !iv) { free(ids); free(iv); return asgml_error(ASGML_ENOMEM, "out of memory"); }
    int64_t dn = n;
    for (int64_t i = 0; i < n; i++) ids[i] = m->rows[kept[i]].id;
    st = asgml_sw_write_strings(w, "/meta/id", ids, n, 1);
    for (int64_t i = 0; i < n; i++) iv[i] = m->rows[kept[i]].label;
    if (!st) st = asgml_sw_write_array(w, "/meta/label", ASGML_SW_I32, 1, &dn, iv);
    if (!st) st = asgml_sw_write_strings(w, "/meta/class_names", (const char *const *)m->classes, m->nclass, 0);
    if (!st) st = asgml_sw_attr_str(w, "/meta/class_names", "label_order", m->classes_source);
    if (!st) st = asgml_sw_write_array(w, "/meta/status", ASGML_SW_U32, 1, &dn, status);
    if (!st && m->has_group) {
        for (int64_t i = 0; i < n; i++) iv[i] = m->rows[kept[i]].group;
        st = asgml_sw_write_array(w, "/meta/group", ASGML_SW_I32, 1, &dn, iv);
        if (!st) st = asgml_sw_attr_str(w, "/meta/group", "group_kind", m->group_kind);
        if (!st) st = asgml_sw_write_strings(w, "/meta/group_names", (const char *const *)m->group_names, m->ngroup, 0);
    }
    for (int q = 0; !st && q < m->nmeta; q++) {
        char path[96];
        snprintf(path, sizeof path, "/meta/%s", m->meta_names[q]);
        if (m->meta_is_int[q]) {
            for (int64_t i = 0; i < n; i++) iv[i] = (int32_t)strtol(m->rows[kept[i]].meta[q], NULL, 10);
            st = asgml_sw_write_array(w, path, ASGML_SW_I32, 1, &dn, iv);
        } else {
            for (int64_t i = 0; i < n; i++) ids[i] = m->rows[kept[i]].meta[q];
            st = asgml_sw_write_strings(w, path, ids, n, 0);
        }
    }
    if (!st && mism) {
        st = asgml_sw_write_array(w, "/meta/mismatch", ASGML_SW_U8, 1, &dn, mism);
        for (int64_t i = 0; !st && i < n; i++) ids[i] = c->mismatch_path[kept[i]] && mism[i] ? c->mismatch_path[kept[i]] : "";
        if (!st) st = asgml_sw_write_strings(w, "/meta/mismatch_file", ids, n, 0);
    }
    /* splits: one group per split column; a row skipped from a part is listed in <part>_missing */
    int nscheme = m->nscheme;
    for (int s = 0; !st && s < (nscheme ? nscheme : 1); s++) {
        const char *scheme = nscheme ? m->schemes[s] : "all";
        for (int p = 0; !st && p < 3; p++) {
            int64_t cnt = 0;
            for (int64_t i = 0; i < n; i++)
                if (nscheme ? m->rows[kept[i]].part[s] == p : p == ASGML_PART_TRAIN) iv[cnt++] = (int32_t)i;
            char path[160];
            snprintf(path, sizeof path, "/splits/%s/%s", scheme, asgml_part_names[p]);
            if (cnt || p != ASGML_PART_VAL) st = asgml_sw_write_array(w, path, ASGML_SW_I32, 1, &cnt, iv);
            int64_t nmiss = 0;
            int64_t ki = 0;
            for (int64_t r = 0; nscheme && r < m->nrows; r++) { /* rows not kept */
                while (ki < n && kept[ki] < r) ki++;
                if ((ki < n && kept[ki] == r) || m->rows[r].part[s] != p) continue;
                ids[nmiss++] = m->rows[r].id ? m->rows[r].id : "";
            }
            if (!st && nmiss) {
                snprintf(path, sizeof path, "/splits/%s/%s_missing", scheme, asgml_part_names[p]);
                st = asgml_sw_write_strings(w, path, ids, nmiss, 0);
            }
        }
        char grp[96];
        snprintf(grp, sizeof grp, "/splits/%s", scheme);
        if (!st) st = asgml_sw_attr_str(w, grp, "source", nscheme ? "manifest column" : "all samples (no split column)");
        if (!st) st = asgml_sw_attr_str(w, grp, "source_sha256", m->sha256);
    }
    free(ids);
    free(iv);
    if (st) return st;

    /* attributes (also collected into params_json) */
    params p = {.w = w, .st = ASGML_OK};
    char when[32];
    format_utc(o->created_utc, when, sizeof when);
    const char *mods[MAXM];
    for (int mi = 0; mi < m->nmod; mi++) mods[mi] = m->mod_names[mi];
    pa_str(&p, "/", "format", "asgml-store");
    pa_i64(&p, "/", "format_version", 1);
    pa_str(&p, "/", "dataset", o->dataset ? o->dataset : m->dataset ? m->dataset : "custom");
    pa_str(&p, "/", "preset", o->preset ? o->preset : "custom");
    pa_str(&p, "/", "tool_version", asgml_version());
    pa_str(&p, "/", "created_utc", when);
    pa_str(&p, "/", "command_line", o->command_line ? o->command_line : "");
    pa_str(&p, "/", "manifest", m->path);
    pa_str(&p, "/", "manifest_sha256", m->sha256);
    pa_str(&p, "/", "source_root", m->root);
    pa_i64(&p, "/", "seed", (int64_t)o->seed);
    pa_i64(&p, "/", "num_samples", n);
    pa_i64(&p, "/", "num_classes", m->nclass);
    pa_str(&p, "/", "default_split", c->default_scheme >= 0 ? m->schemes[c->default_scheme] : "all");
    pa_i64(&p, "/", "num_skipped", res->skipped);
    pa_f64(&p, "/", "max_bad", o->skip_bad ? o->max_bad : 0);
    if (!p.st) p.st = asgml_sw_attr_strs(w, "/", "modalities", mods, m->nmod);
    if (!p.st && res->skipped)
        p.st = asgml_sw_attr_strs(w, "/", "skipped", (const char *const *)res->skipped_msgs, (int)res->skipped);
    for (int mi = 0; mi < m->nmod && !p.st; mi++) {
        char g[64], d[96];
        snprintf(g, sizeof g, "/%s", m->mod_names[mi]);
        asgml_mod_kind k = m->mod_kinds[mi];
        pa_str(&p, g, "kind", asgml_mod_kind_name(k));
        if (k == ASGML_KIND_AUDIO && c->window) {
            /* the loader cuts a window of the fitted wave and takes its STFT (datasets.md 5) */
            pa_str(&p, g, "sample_dataset", "wave");
            snprintf(d, sizeof d, "%s/wave", g);
            pa_str(&p, d, "kind", "wave_window_stft");
            pa_audio_decoding(&p, d, c);
            pa_str(&p, d, "content", "clean fitted wave, round(x*32768) clamped to int16");
            pa_i64(&p, d, "window_length", c->window);
            pa_f64(&p, d, "window_seconds", o->audio_window);
            pa_str(&p, d, "window_train", "start uniform in [0, fit_length - window_length] per sample and epoch");
            pa_i64(&p, d, "window_test_start", (c->fit_len - c->window) / 2);
            pa_str(&p, d, "window_test", "fixed start window_test_start (OGM draws it at test time too)");
            pa_i64(&p, d, "n_fft", o->n_fft);
            pa_i64(&p, d, "hop", o->hop);
            pa_i64(&p, d, "win_length", c->stft.win_length);
            pa_str(&p, d, "window", "hann_periodic");
            pa_i64(&p, d, "center", o->center);
            pa_str(&p, d, "pad_mode", o->pad_mode);
            pa_f64(&p, d, "log_offset", o->log_offset);
            pa_str(&p, d, "value", "loader: ln(|STFT(x[start:start+window_length])| + log_offset), x = wave/32768");
            pa_i64(&p, d, "frames", asgml_stft_frames(&c->stft, c->window));
            pa_str(&p, d, "layout", "freq_time");
            pa_i64(&p, d, "deflate", o->deflate);
        } else if (k == ASGML_KIND_AUDIO) {
            if (c->use_fbank) {
                const asgml_fbank_params *fb = &c->fbank;
                pa_str(&p, g, "sample_dataset", "fbank");
                snprintf(d, sizeof d, "%s/fbank", g);
                pa_str(&p, d, "kind", "kaldi_fbank");
                pa_str(&p, d, "semantics", "torchaudio.compliance.kaldi.fbank (datasets.md 2.7)");
                pa_audio_decoding(&p, d, c);
                pa_i64(&p, d, "subtract_mean", fb->subtract_mean);
                pa_f64(&p, d, "frame_length_ms", fb->frame_length_ms);
                pa_f64(&p, d, "frame_shift_ms", fb->frame_shift_ms);
                pa_i64(&p, d, "frame_length", asgml_fbank_window(fb));
                pa_i64(&p, d, "frame_shift", asgml_fbank_shift(fb));
                pa_i64(&p, d, "n_fft", asgml_fbank_nfft(fb));
                pa_i64(&p, d, "snip_edges", 1);
                pa_i64(&p, d, "remove_dc_offset", 1);
                pa_f64(&p, d, "preemphasis", fb->preemph);
                pa_str(&p, d, "window", "hanning (symmetric Hann)");
                pa_f64(&p, d, "dither", 0);
                pa_i64(&p, d, "num_mel_bins", fb->num_mel_bins);
                pa_f64(&p, d, "low_freq", fb->low_freq);
                pa_f64(&p, d, "high_freq", 0.5 * c->rate);
                pa_str(&p, d, "mel_scale", "1127 ln(1 + f/700)");
                pa_str(&p, d, "value", "ln(max(power mel energy, 1.19209e-07))");
                pa_i64(&p, d, "use_energy", 0);
                pa_i64(&p, d, "normalize", fb->normalize);
                pa_f64(&p, d, "norm_mean", fb->norm_mean);
                pa_f64(&p, d, "norm_std", fb->norm_std);
                pa_str(&p, d, "norm", fb->normalize ? "(x - norm_mean) / (2 norm_std)" : "none");
                pa_i64(&p, d, "frames", c->native ? 0 : c->spec_f);
                pa_str(&p, d, "layout", "time_mel");
                pa_str(&p, d, "rows", "unpadded rows (R, num_mel_bins); sample i is rows fbank_offset[i]..fbank_offset[i+1]-1");
                pa_i64(&p, d, "target_rows", c->fbank_rows);
                /* a zero log-mel row after the stored normalisation (datasets.md 2.7: 0.438) */
                pa_f64(&p, d, "pad_value", fb->normalize ? (0.0 - fb->norm_mean) / (2.0 * fb->norm_std) : 0.0);
                pa_str(&p, d, "padding", "loader: rows of pad_value appended up to target_rows, longer samples cut");
                pa_i64(&p, d, "deflate", o->spec_deflate);
            } else if (c->use_psd) {
                /* datasets.md 2.6: scipy.signal.spectrogram defaults, PMR's ln and z-score */
                pa_str(&p, g, "sample_dataset", "spec");
                snprintf(d, sizeof d, "%s/spec", g);
                pa_str(&p, d, "kind", "scipy_psd_zscore");
                pa_str(&p, d, "semantics", "scipy.signal.spectrogram(x, fs, nperseg, noverlap) defaults; "
                                           "PMR data/AVE/video_preprocessing.py normalisation (datasets.md 2.6)");
                pa_audio_decoding(&p, d, c);
                pa_i64(&p, d, "nperseg", c->psd.nperseg);
                pa_i64(&p, d, "noverlap", c->psd.nperseg - c->psd.hop);
                pa_i64(&p, d, "n_fft", c->psd.nperseg);
                pa_i64(&p, d, "hop", c->psd.hop);
                pa_i64(&p, d, "win_length", c->psd.nperseg);
                pa_str(&p, d, "window", "tukey_periodic");
                pa_f64(&p, d, "tukey_alpha", c->psd.tukey_alpha);
                pa_str(&p, d, "detrend", "constant");
                pa_str(&p, d, "scaling", "density: |X|^2 / (fs sum w^2), bins 0 < f < nperseg/2 doubled");
                pa_i64(&p, d, "center", 0);
                pa_str(&p, d, "pad_mode", "none");
                pa_f64(&p, d, "log_offset", c->psd.log_offset);
                pa_str(&p, d, "value", "ln(PSD + log_offset)");
                pa_str(&p, d, "norm", "per-clip z-score over (F, T): (v - mean) / (std + zscore_eps), population std");
                pa_f64(&p, d, "zscore_eps", c->psd.zscore_eps);
                pa_i64(&p, d, "frames", c->spec_t);
                pa_str(&p, d, "layout", "freq_time");
                pa_i64(&p, d, "deflate", o->spec_deflate);
            } else if (c->use_mel) {
                /* datasets.md 3, Audio variants: AF src/datasets/kinetics_sounds.py */
                const asgml_mel_params *mp = &c->mel;
                pa_str(&p, g, "sample_dataset", "spec");
                snprintf(d, sizeof d, "%s/spec", g);
                pa_str(&p, d, "kind", "librosa_mel_db_minmax");
                pa_str(&p, d, "semantics", "librosa.feature.melspectrogram, power_to_db(ref=np.max), "
                                           "min-max, F.interpolate bilinear (AF kinetics_sounds.py; datasets.md 3)");
                pa_audio_decoding(&p, d, c);
                pa_i64(&p, d, "n_fft", mp->n_fft);
                pa_i64(&p, d, "hop", mp->hop);
                pa_i64(&p, d, "win_length", mp->win_length);
                pa_str(&p, d, "window", "hann_periodic");
                pa_i64(&p, d, "center", mp->center);
                pa_str(&p, d, "pad_mode", mp->pad_mode);
                pa_i64(&p, d, "power", 2);
                pa_i64(&p, d, "num_mel_bins", mp->n_mels);
                pa_f64(&p, d, "fmin", mp->fmin);
                pa_f64(&p, d, "fmax", 0.5 * c->rate);
                pa_str(&p, d, "mel_scale", "slaney (htk=False)");
                pa_str(&p, d, "mel_norm", "slaney");
                pa_str(&p, d, "db_ref", "max");
                pa_f64(&p, d, "amin", mp->amin);
                pa_f64(&p, d, "top_db", mp->top_db);
                pa_str(&p, d, "value", "(dB - min) / (max - min + 1e-8), dB = 10 log10(max(amin, mel power)) re the clip's max");
                pa_i64(&p, d, "frames", c->native ? 0 : asgml_melspec_frames(mp, c->fit_len));
                pa_str(&p, d, "resize", mp->out_h > 0 ? "bilinear, torch F.interpolate align_corners=False, no antialias" : "none");
                pa_i64(&p, d, "height", c->spec_f);
                pa_i64(&p, d, "width", c->spec_t);
                pa_str(&p, d, "layout", "mel_time");
                pa_i64(&p, d, "deflate", o->spec_deflate);
            } else {
                pa_str(&p, g, "sample_dataset", "spec");
                snprintf(d, sizeof d, "%s/spec", g);
                pa_str(&p, d, "kind", "stft_logmag");
                pa_audio_decoding(&p, d, c);
                pa_i64(&p, d, "n_fft", o->n_fft);
                pa_i64(&p, d, "hop", o->hop);
                pa_i64(&p, d, "win_length", c->stft.win_length);
                pa_str(&p, d, "window", "hann_periodic");
                pa_i64(&p, d, "center", o->center);
                pa_str(&p, d, "pad_mode", o->pad_mode);
                pa_f64(&p, d, "log_offset", o->log_offset);
                pa_str(&p, d, "value", "ln(|X| + log_offset)");
                pa_str(&p, d, "layout", "freq_time");
                pa_i64(&p, d, "deflate", o->spec_deflate);
            }
            if (c->corrupt_aud) {
                pa_f64(&p, d, "aud_snr_db", o->aud_snr_db);
                pa_str(&p, d, "corrupt_splits", o->corrupt_train_only ? "train" : "all");
                pa_str(&p, d, "noise", "white Gaussian, variance mean(x^2)/10^(snr/10), seed stream 1000000+index");
            }
            if (o->keep_wave) {
                snprintf(d, sizeof d, "%s/wave", g);
                pa_i64(&p, d, "sample_rate", c->rate);
                pa_str(&p, d, "fit", o->fit);
                pa_i64(&p, d, "fit_length", c->native ? 0 : c->fit_len);
                pa_str(&p, d, "content", c->native ? "clean wave at its own length, round(x*32768) clamped to int16; "
                                                     "(S,) with wave_offset (N+1)"
                                                   : "clean fitted wave, round(x*32768) clamped to int16");
            }
        } else if (k == ASGML_KIND_IMAGE || k == ASGML_KIND_FRAMES) {
            int fr = k == ASGML_KIND_FRAMES;
            pa_str(&p, g, "sample_dataset", fr ? "frames" : "image");
            snprintf(d, sizeof d, "%s/%s", g, fr ? "frames" : "image");
            pa_i64(&p, d, "height", c->img_h);
            pa_i64(&p, d, "width", c->img_w);
            pa_i64(&p, d, "channels", c->img_c);
            pa_str(&p, d, "colour", c->img_c == 1 ? "grey (ITU-R 601 luma)" : "RGB");
            pa_str(&p, d, "resize", o->short_side > 0 ? "short_side, antialiased bilinear" :
                                    o->image_h > 0 ? "fixed size, antialiased bilinear" : "none (first image's size)");
            pa_i64(&p, d, "short_side", o->short_side);
            pa_i64(&p, d, "deflate", o->deflate);
            if (fr) pa_str(&p, d, "frame_order", "as listed; globs sorted bytewise");
            if (c->corrupt_img) {
                pa_f64(&p, d, "img_mismatch", o->img_mismatch);
                pa_f64(&p, d, "img_noise", o->img_noise);
                pa_i64(&p, d, "img_down", o->img_down);
                pa_i64(&p, d, "img_occlude", o->img_occlude);
                pa_str(&p, d, "corrupt_order", "mismatch,down,occlude,noise");
                pa_str(&p, d, "corrupt_splits", o->corrupt_train_only ? "train" : "all");
                pa_str(&p, d, "rng", "SplitMix64 stream 2000000+index");
                if (o->img_mismatch > 0) pa_str(&p, d, "img_reserve", o->img_reserve);
                pa_i64(&p, d, "num_mismatched", res->mismatched);
            }
        } else {
            pa_str(&p, g, "sample_dataset", "seq");
            snprintf(d, sizeof d, "%s/seq", g);
            pa_i64(&p, d, "dim", c->seq_dim[mi]);
            pa_i64(&p, d, "length", c->seq_len[mi]);
            pa_str(&p, d, "fit", "zero pad at the end or truncate; true length in seq_len");
            pa_str(&p, d, "hdf5_dataset", o->seq_dataset);
        }
    }
    return p.st;
}
