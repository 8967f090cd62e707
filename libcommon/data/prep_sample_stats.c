/* SPDX-License-Identifier: MIT */
/* prep_sample_stats.c - which /stats moments asgml-prep gathers for each
 * modality of a decoded sample, and their /stats groups in the store
 * (asgml-store(5), Statistics; the moments themselves: prep_stats.c).
 * Split out of prep.c, the pipeline, which calls these three functions. */
#include "data/prep_ctx.h"
#include "data/prep_stats.h"
#include "data/store_write.h"

#include <stdio.h>
#include <stdlib.h>

/* Dimension D of the statistics of modality mi's main (a = 0) or auxiliary
 * (a = 1: wave, image_clean) dataset; 0 = no such dataset (prep_stats.h). */
int prep_stats_dim(const prep_ctx *c, int mi, int a)
{
    switch (c->m->mod_kinds[mi]) {
    case ASGML_KIND_AUDIO:
        /* the wave is the sample dataset; a = 1: the spectrogram the loader
         * cuts windows from, per frequency bin (data.<m>.zscore) */
        if (c->window) return a ? c->spec_f : 1;
        return a ? (c->o->keep_wave ? 1 : 0) : c->use_fbank ? c->spec_t : c->spec_f;
    case ASGML_KIND_IMAGE: return a && !c->corrupt_img ? 0 : c->img_c;
    case ASGML_KIND_FRAMES: return a ? 0 : c->img_c;
    case ASGML_KIND_SEQ: return a ? 0 : c->seq_dim[mi];
    }
    return 0;
}

/* A windowed wave's spectrogram moments: the loader serves
 * ln(|STFT(x[s:s+W])| + log_offset) with x = wave/32768 for a start s
 * drawn per epoch (training) or fixed (evaluation), so its z-score
 * statistics are those of the STFT of the whole fitted wave x[0:L], per
 * frequency bin over every frame: every window's frames are frames of it
 * (up to the padding at the window's own edges). */
static asgml_status window_moments(const prep_ctx *c, const int16_t *wave, prep_moments *mom)
{
    int64_t T = asgml_stft_frames(&c->stft, c->fit_len);
    float *x = malloc((size_t)c->fit_len * sizeof *x);
    float *spec = malloc((size_t)c->spec_f * (size_t)T * sizeof *spec);
    asgml_status st = x && spec ? ASGML_OK : asgml_error(ASGML_ENOMEM, "out of memory");
    for (int64_t q = 0; !st && q < c->fit_len; q++) x[q] = (float)wave[q] / 32768.0f;
    if (!st) st = asgml_stft(&c->stft, x, c->fit_len, spec);
    if (!st) prep_moments_of(mom, PREP_STATS_F32_ROWS_BY_FIRST, spec, T);
    free(x);
    free(spec);
    return st;
}

/* The moments of one decoded sample (every dataset of every modality). */
asgml_status prep_sample_moments(const prep_ctx *c, slot *sl)
{
    for (int mi = 0; mi < c->m->nmod; mi++) {
        int64_t px = (int64_t)c->img_h * c->img_w;
        switch (c->m->mod_kinds[mi]) {
        case ASGML_KIND_AUDIO:
            if (c->window) {
                prep_moments_of(&sl->mom[mi][0], PREP_STATS_I16_WAVE, sl->data[mi], c->fit_len);
                asgml_status st = window_moments(c, sl->data[mi], &sl->mom[mi][1]);
                if (st) return st;
                break;
            }
            else if (c->use_fbank) prep_moments_of(&sl->mom[mi][0], PREP_STATS_F32_COLS, sl->data[mi], sl->count[mi]);
            else prep_moments_of(&sl->mom[mi][0], PREP_STATS_F32_ROWS_BY_FIRST, sl->data[mi], c->spec_t);
            if (sl->mom[mi][1].dim) prep_moments_of(&sl->mom[mi][1], PREP_STATS_I16_WAVE, sl->aux[mi], sl->aux_count[mi]);
            break;
        case ASGML_KIND_IMAGE:
            prep_moments_of(&sl->mom[mi][0], PREP_STATS_U8_CHANNELS, sl->data[mi], px);
            if (sl->mom[mi][1].dim) prep_moments_of(&sl->mom[mi][1], PREP_STATS_U8_CHANNELS, sl->aux[mi], px);
            break;
        case ASGML_KIND_FRAMES:
            prep_moments_of(&sl->mom[mi][0], PREP_STATS_U8_CHANNELS, sl->data[mi], px * sl->count[mi]);
            break;
        case ASGML_KIND_SEQ:
            prep_moments_of(&sl->mom[mi][0], PREP_STATS_F32_COLS, sl->data[mi], sl->count[mi]);
            break;
        }
    }
    return ASGML_OK;
}

/* /stats/<m>/{mean,std} for the sample dataset, /stats/<m>/<aux>/{mean,std}
 * for wave and image_clean (asgml-store(5), Statistics). */
asgml_status prep_write_stats(prep_ctx *c, asgml_store_writer *w)
{
    asgml_manifest *m = c->m;
    char split[96], group[128];
    asgml_status st = ASGML_OK;
    snprintf(split, sizeof split, "%s/train", c->default_scheme >= 0 ? m->schemes[c->default_scheme] : "all");
    for (int mi = 0; mi < m->nmod && !st; mi++) {
        asgml_mod_kind k = m->mod_kinds[mi];
        const char *main_ds = k == ASGML_KIND_AUDIO ? (c->window ? "wave" : c->use_fbank ? "fbank" : "spec")
                            : k == ASGML_KIND_IMAGE ? "image" : k == ASGML_KIND_FRAMES ? "frames" : "seq";
        const char *units = k == ASGML_KIND_IMAGE || k == ASGML_KIND_FRAMES ? "x/255 per channel"
                          : k == ASGML_KIND_SEQ ? "stored value per feature, valid steps (seq_len) only"
                          : c->window ? "x/32768" : c->use_fbank || c->use_mel ? "stored value per mel bin" : "stored value per frequency bin";
        snprintf(group, sizeof group, "/stats/%s", m->mod_names[mi]);
        if (c->stats[mi][0].dim) st = prep_moments_write(w, &c->stats[mi][0], group, split, main_ds, units);
        if (st || !c->stats[mi][1].dim) continue;
        if (k == ASGML_KIND_AUDIO && c->window) {   /* the spectrogram the loader's windows come from */
            snprintf(group, sizeof group, "/stats/%s/window", m->mod_names[mi]);
            st = prep_moments_write(w, &c->stats[mi][1], group, split, "wave",
                                    "ln(|STFT(x)| + log_offset) of the whole fitted wave x = wave/32768, "
                                    "per frequency bin over every frame");
            continue;
        }
        snprintf(group, sizeof group, "/stats/%s/%s", m->mod_names[mi], k == ASGML_KIND_AUDIO ? "wave" : "image_clean");
        st = prep_moments_write(w, &c->stats[mi][1], group, split, k == ASGML_KIND_AUDIO ? "wave" : "image_clean",
                                k == ASGML_KIND_AUDIO ? "x/32768" : "x/255 per channel");
    }
    return st;
}

