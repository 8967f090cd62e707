/* SPDX-License-Identifier: MIT */
/* prep.c - the asgml-prep pipeline (prep.h): manifest -> threads decoding
 * samples into a ring of slots and compressing their chunks (store_chunk.h)
 * -> the calling thread handing the finished chunks to HDF5 in store order
 * (H5Dwrite_chunk) -> metadata, splits, attributes -> checksum, rename. */
#define _GNU_SOURCE
#include "data/prep.h"
#include "asgml/store.h"
#include "data/corrupt.h"
#include "data/decode.h"
#include "data/manifest.h"
#include "data/store_write.h"
#include "data/prep_ctx.h"
#include "data/prep_prof.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


/* HDF5 (serial build) is not thread-safe: seq inputs read from HDF5 files in
 * the workers and the writer in the main thread share this lock. */
static pthread_mutex_t h5_lock = PTHREAD_MUTEX_INITIALIZER;


static size_t sample_bytes(const prep_ctx *c, int mi)
{
    switch (c->m->mod_kinds[mi]) {
    case ASGML_KIND_AUDIO:
        if (c->window) return (size_t)c->fit_len * sizeof(int16_t);   /* the wave is the sample */
        return (size_t)c->spec_f * (size_t)c->spec_t * sizeof(float);
    case ASGML_KIND_IMAGE:
    case ASGML_KIND_FRAMES: return (size_t)c->img_h * (size_t)c->img_w * (size_t)c->img_c;
    case ASGML_KIND_SEQ: return (size_t)c->seq_len[mi] * (size_t)c->seq_dim[mi] * sizeof(float);
    }
    return 0;
}

static int row_degraded(const prep_ctx *c, const asgml_manifest_row *r)
{
    if (!c->o->corrupt_train_only) return 1;
    return c->default_scheme >= 0 && r->part[c->default_scheme] == ASGML_PART_TRAIN;
}

/* ---- decoding one modality of one row ---------------------------------------- */

static asgml_status do_audio(prep_ctx *c, int64_t k, int mi, slot *sl)
{
    const asgml_prep_options *o = c->o;
    asgml_manifest_row *r = &c->m->rows[k];
    asgml_audio a = {0};
    int prev = prep_prof_switch(ASGML_PREP_STAGE_DECODE);
    asgml_status st = asgml_audio_load_rs(r->cell[mi], o->audio_rate, c->rs, &a);
    prep_prof_switch(prev);
    if (st) { sl->flags |= ASGML_FLAG_AUDIO_DECODE_ERROR; return st; }
    if (a.sample_rate != c->rate) {
        asgml_audio_free(&a);
        return asgml_error(ASGML_EFORMAT, "%s: sample rate %d Hz, the store uses %d Hz (set --audio-rate)",
                           r->cell[mi], a.sample_rate, c->rate);
    }
    sl->flags |= a.flags;
    sl->audio_seconds = a.sample_rate > 0 ? (double)a.n / a.sample_rate : -1;
    /* input level: silent below peak 1e-4.  Clipped: a PCM file that touches
     * full scale (|x| >= 32767/32768) at all; after resampling, >= 0.1 % of
     * the samples at or beyond +-1 (asgml-store(5), Metadata (/meta/status)). */
    double peak = 0;
    int64_t full = 0, over = 0;
    for (int64_t i = 0; i < a.n; i++) {
        double v = fabs((double)a.samples[i]);
        if (v > peak) peak = v;
        full += v >= 32767.0 / 32768.0;
        over += v >= 1.0;
    }
    if (peak < 1e-4) sl->flags |= ASGML_FLAG_AUDIO_SILENT;
    if (a.src_rate != a.sample_rate ? (double)over >= 0.001 * (double)a.n : full > 0)
        sl->flags |= ASGML_FLAG_AUDIO_CLIPPED_INPUT;
    int64_t len = c->native ? a.n : c->fit_len;   /* fit "none": the clip's own length */
    float *x = malloc((size_t)(len > 0 ? len : 1) * sizeof *x);
    if (!x) { asgml_audio_free(&a); return asgml_error(ASGML_ENOMEM, "out of memory"); }
    if (c->native) memcpy(x, a.samples, (size_t)len * sizeof *x);
    else st = asgml_audio_fit(a.samples, a.n, o->fit, c->fit_len, x, &sl->flags);
    asgml_audio_free(&a);
    for (int64_t i = 0; !st && i < len; i++) {
        if (!isfinite(x[i])) { x[i] = 0; sl->flags |= ASGML_FLAG_NONFINITE_REPLACED; }
        x[i] = x[i] > 1.f ? 1.f : x[i] < -1.f ? -1.f : x[i];
    }
    if (!st && !c->window && o->keep_wave && (size_t)len * 2 > sl->aux_cap[mi]) {   /* native waves grow */
        void *nb = realloc(sl->aux[mi], (size_t)len * 2);
        if (!nb) st = asgml_error(ASGML_ENOMEM, "out of memory");
        else { sl->aux[mi] = nb; sl->aux_cap[mi] = (size_t)len * 2; }
    }
    if (!st && (o->keep_wave || c->window)) { /* clean (fitted) wave, int16 = round(x * 32768) clamped */
        int16_t *w = c->window ? sl->data[mi] : sl->aux[mi];   /* window: the sample itself */
        for (int64_t i = 0; i < len; i++) {
            long v = lrint((double)x[i] * 32768.0);
            w[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
        }
        sl->aux_count[mi] = len;
    }
    if (!st && c->corrupt_aud && row_degraded(c, r)) {
        asgml_splitmix rng;
        asgml_splitmix_init(&rng, o->seed, 1000000 + (uint64_t)k);
        st = asgml_corrupt_aud_snr(x, len, o->aud_snr_db, &rng, &sl->flags);
    }
    prev = prep_prof_switch(ASGML_PREP_STAGE_STFT);
    if (!st && c->use_fbank) {   /* unpadded rows (datasets.md 7.2) */
        int64_t rows = asgml_fbank_frames(&c->fbank, len);
        size_t need = (size_t)(rows > 0 ? rows : 1) * (size_t)c->spec_t * sizeof(float);
        if (need > sl->cap[mi]) {
            void *nb = realloc(sl->data[mi], need);
            if (!nb) st = asgml_error(ASGML_ENOMEM, "out of memory");
            else { sl->data[mi] = nb; sl->cap[mi] = need; }
        }
        sl->count[mi] = rows;
        if (!st && rows > 0) st = asgml_fbank(&c->fbank, x, len, sl->data[mi]);
    } else if (!st && c->use_psd) {   /* (F, T) scipy PSD, z-scored (datasets.md 2.6) */
        st = asgml_psd(&c->psd, x, c->fit_len, sl->data[mi]);
    } else if (!st && c->use_mel) {   /* (mel_h, mel_w) at the fitted or, fit none, own length */
        st = asgml_melspec(&c->mel, x, len, sl->data[mi]);
    } else if (!st && !c->window) {
        st = asgml_stft(&c->stft, x, c->fit_len, sl->data[mi]);
    }
    prep_prof_switch(prev);
    free(x);
    return st;
}

/* --keep-bad: modality mi of a sample that failed becomes zeros: the
 * features of a silent fitted clip (spec ln(1e-7) everywhere, psd and mel
 * 0), no rows with fbank and --fit none (mel: a silent clip of
 * --fit-seconds), a black image or one black frame, a zero sequence of
 * length 0 (datasets.md 10). */
static asgml_status zero_fill(prep_ctx *c, int mi, slot *sl)
{
    asgml_status st = ASGML_OK;
    size_t b = sample_bytes(c, mi);
    switch (c->m->mod_kinds[mi]) {
    case ASGML_KIND_AUDIO: {
        sl->aux_count[mi] = 0;
        sl->count[mi] = 0;
        if (c->native && !c->use_mel) return ASGML_OK;
        float *z = calloc((size_t)c->fit_len, sizeof *z);
        if (!z) return asgml_error(ASGML_ENOMEM, "out of memory");
        if (c->window) memset(sl->data[mi], 0, b);
        else if (c->use_fbank) {
            int64_t rows = asgml_fbank_frames(&c->fbank, c->fit_len);
            size_t need = (size_t)(rows > 0 ? rows : 1) * (size_t)c->spec_t * sizeof(float);
            void *nb = need > sl->cap[mi] ? realloc(sl->data[mi], need) : sl->data[mi];
            if (!nb) st = asgml_error(ASGML_ENOMEM, "out of memory");
            else {
                sl->data[mi] = nb;
                if (need > sl->cap[mi]) sl->cap[mi] = need;
                sl->count[mi] = rows;
                if (rows > 0) st = asgml_fbank(&c->fbank, z, c->fit_len, sl->data[mi]);
            }
        } else if (c->use_psd) {
            st = asgml_psd(&c->psd, z, c->fit_len, sl->data[mi]);
        } else if (c->use_mel) {
            st = asgml_melspec(&c->mel, z, c->fit_len, sl->data[mi]);
        } else {
            st = asgml_stft(&c->stft, z, c->fit_len, sl->data[mi]);
        }
        if (!st && c->o->keep_wave && !c->window && !c->native) {
            memset(sl->aux[mi], 0, (size_t)c->fit_len * 2);
            sl->aux_count[mi] = c->fit_len;
        }
        free(z);
        return st;
    }
    case ASGML_KIND_IMAGE:
        memset(sl->data[mi], 0, b);
        if (sl->aux[mi]) memset(sl->aux[mi], 0, b);
        return ASGML_OK;
    case ASGML_KIND_FRAMES:
        if (b > sl->cap[mi]) {
            void *nb = realloc(sl->data[mi], b);
            if (!nb) return asgml_error(ASGML_ENOMEM, "out of memory");
            sl->data[mi] = nb;
            sl->cap[mi] = b;
        }
        memset(sl->data[mi], 0, b);
        sl->count[mi] = 1;
        return ASGML_OK;
    case ASGML_KIND_SEQ:
        memset(sl->data[mi], 0, b);
        sl->count[mi] = 0;
        return ASGML_OK;
    }
    return ASGML_OK;
}

/* Loads path as img_c channels resized to (img_h, img_w) into out. */
static asgml_status load_image(prep_ctx *c, const char *path, uint8_t *out)
{
    asgml_image im = {0};
    int prev = prep_prof_switch(ASGML_PREP_STAGE_DECODE);
    asgml_status st = asgml_image_load(path, c->img_c, &im);
    prep_prof_switch(ASGML_PREP_STAGE_IMAGE);
    if (st) {
    } else if (im.h == c->img_h && im.w == c->img_w)
        memcpy(out, im.pixels, (size_t)im.h * (size_t)im.w * (size_t)c->img_c);
    else
        st = asgml_image_resize(im.pixels, im.h, im.w, c->img_c, out, c->img_h, c->img_w);
    asgml_image_free(&im);
    prep_prof_switch(prev);
    return st;
}

static asgml_status do_image(prep_ctx *c, int64_t k, int mi, slot *sl)
{
    const asgml_prep_options *o = c->o;
    asgml_manifest_row *r = &c->m->rows[k];
    uint8_t *img = sl->data[mi], *clean = sl->aux[mi];
    size_t bytes = sample_bytes(c, mi);
    asgml_status st = load_image(c, r->cell[mi], img);
    if (st) { sl->flags |= ASGML_FLAG_VIDEO_DECODE_ERROR; return st; }
    if (!c->corrupt_img) return ASGML_OK;
    memcpy(clean, img, bytes);
    if (!row_degraded(c, r)) return ASGML_OK;
    /* order: mismatch, down, occlude, noise; one stream per sample */
    asgml_splitmix rng;
    asgml_splitmix_init(&rng, o->seed, 2000000 + (uint64_t)k);
    if (o->img_mismatch > 0) {
        double u = asgml_splitmix_real(&rng);
        if (u <= o->img_mismatch && r->label >= 0 && c->m->nclass > 1) {
            (void)asgml_splitmix_below(&rng, (uint64_t)(c->m->nclass - 1)); /* drawn in the pre-pass */
            st = load_image(c, c->mismatch_path[k], img);
            if (st) { sl->flags |= ASGML_FLAG_VIDEO_DECODE_ERROR; return st; }
            sl->mismatched = 1;
        }
    }
    if (o->img_down > 0) st = asgml_corrupt_img_down(img, c->img_h, c->img_w, c->img_c, o->img_down);
    if (!st && o->img_occlude > 0)
        st = asgml_corrupt_img_occlude(img, c->img_h, c->img_w, c->img_c, o->img_occlude, &rng);
    if (!st && o->img_noise > 0) st = asgml_corrupt_img_noise(img, (int64_t)bytes, o->img_noise, &rng);
    return st;
}

static asgml_status do_frames(prep_ctx *c, int64_t k, int mi, slot *sl)
{
    asgml_manifest_row *r = &c->m->rows[k];
    char **paths;
    int n;
    asgml_status st = asgml_manifest_frame_list(c->m->root, r->cell[mi], &paths, &n);
    if (st) { sl->flags |= ASGML_FLAG_VIDEO_MISSING; return st; }
    size_t fb = sample_bytes(c, mi), need = fb * (size_t)n;
    if (need > sl->cap[mi]) {
        void *nb = realloc(sl->data[mi], need);
        if (!nb) { asgml_manifest_free_list(paths); return asgml_error(ASGML_ENOMEM, "out of memory"); }
        sl->data[mi] = nb;
        sl->cap[mi] = need;
    }
    for (int i = 0; i < n && !st; i++) st = load_image(c, paths[i], (uint8_t *)sl->data[mi] + fb * (size_t)i);
    if (st) sl->flags |= ASGML_FLAG_VIDEO_DECODE_ERROR;
    sl->count[mi] = n;
    asgml_manifest_free_list(paths);
    return st;
}

/* seq: HDF5 "file.h5[:dataset]" (2-D (rows,D) or 1-D (D,)) or raw float32 LE. */
static asgml_status do_seq(prep_ctx *c, int64_t k, int mi, slot *sl)
{
    const asgml_prep_options *o = c->o;
    const char *cell = c->m->rows[k].cell[mi];
    int D = c->seq_dim[mi], L = c->seq_len[mi];
    float *out = sl->data[mi], *tmp = NULL;
    int64_t rows = 0;
    asgml_status st = ASGML_OK;
    memset(out, 0, sample_bytes(c, mi));
    char *path = strdup(cell), *dsname = NULL;
    if (!path) return asgml_error(ASGML_ENOMEM, "out of memory");
    char *h5 = strstr(path, ".h5:");
    if (!h5) h5 = strstr(path, ".hdf5:");
    if (h5) { char *colon = strchr(h5, ':'); *colon = 0; dsname = colon + 1; }
    size_t pl = strlen(path);
    int is_h5 = h5 || (pl > 3 && !strcmp(path + pl - 3, ".h5")) || (pl > 5 && !strcmp(path + pl - 5, ".hdf5"));
    if (is_h5) {
        pthread_mutex_lock(&h5_lock);
        hid_t f, d;
        H5E_BEGIN_TRY {
            f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
            d = f < 0 ? -1 : H5Dopen2(f, dsname ? dsname : o->seq_dataset, H5P_DEFAULT);
        } H5E_END_TRY;
        if (f < 0) st = asgml_error(ASGML_EIO, "%s: cannot open as HDF5", path);
        else if (d < 0) st = asgml_error(ASGML_EFORMAT, "%s: no dataset '%s'", path, dsname ? dsname : o->seq_dataset);
        if (!st) {
            hid_t sp = H5Dget_space(d);
            int rank = H5Sget_simple_extent_ndims(sp);
            hsize_t dims[2] = {1, 1};
            if (rank == 1 || rank == 2) H5Sget_simple_extent_dims(sp, rank == 1 ? dims + 1 : dims, NULL);
            if (rank < 1 || rank > 2 || dims[1] != (hsize_t)D)
                st = asgml_error(ASGML_EFORMAT, "%s: dataset shape is not (steps, %d)", path, D);
            else if (!(tmp = malloc((size_t)(dims[0] * dims[1] + 1) * sizeof *tmp)))
                st = asgml_error(ASGML_ENOMEM, "out of memory");
            else if (H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp) < 0)
                st = asgml_error(ASGML_EFORMAT, "%s: cannot read dataset as float", path);
            rows = (int64_t)dims[0];
            H5Sclose(sp);
        }
        if (d >= 0) H5Dclose(d);
        if (f >= 0) H5Fclose(f);
        pthread_mutex_unlock(&h5_lock);
    } else {
        int fd = asgml_open_regular(path, "feature file", &st);
        FILE *fp = fd < 0 ? NULL : fdopen(fd, "rb");
        if (fd >= 0 && !fp) {
            st = asgml_error(ASGML_EIO, "%s: %s", path, strerror(errno));
            close(fd);
        } else if (fp) {
            fseek(fp, 0, SEEK_END);
            long sz = ftell(fp);
            fseek(fp, 0, SEEK_SET);
            if (sz <= 0) st = asgml_error(ASGML_EFORMAT, "%s: empty feature file", path);
            else if (sz % ((long)D * 4)) st = asgml_error(ASGML_EFORMAT, "%s: %ld bytes is not a whole number of %d-float rows (truncated?)", path, sz, D);
            else if (!(tmp = malloc((size_t)sz))) st = asgml_error(ASGML_ENOMEM, "out of memory");
            else if (fread(tmp, 1, (size_t)sz, fp) != (size_t)sz) st = asgml_error(ASGML_EIO, "%s: read error", path);
            rows = sz / ((long)D * 4);
            fclose(fp);
            /* raw files are little-endian float32 */
            for (int64_t i = 0; !st && i < rows * D && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__; i++) {
                uint32_t u;
                memcpy(&u, &tmp[i], 4);
                u = __builtin_bswap32(u);
                memcpy(&tmp[i], &u, 4);
            }
        }
    }
    if (!st && rows == 0) st = asgml_error(ASGML_EFORMAT, "%s: no steps", path);
    if (!st) {
        int64_t keep = rows < L ? rows : L;
        for (int64_t i = 0; i < keep * D; i++) {
            float v = tmp[i];
            if (!isfinite(v)) { v = 0; sl->flags |= ASGML_FLAG_NONFINITE_REPLACED; }
            out[i] = v;
        }
        sl->count[mi] = keep;
    }
    free(tmp);
    free(path);
    return st;
}

/* The row is in the training part of the default scheme (every row when the
 * manifest has no split column: the scheme "all"). */
static int row_train(const prep_ctx *c, const asgml_manifest_row *r)
{
    return c->default_scheme < 0 || r->part[c->default_scheme] == ASGML_PART_TRAIN;
}

static void process_row(prep_ctx *c, int64_t k, slot *sl)
{
    asgml_manifest_row *r = &c->m->rows[k];
    const asgml_prep_options *o = c->o;
    sl->flags = r->flags;   /* the manifest's flags column (KNOWN_BAD, DUP_CONFLICT, ...) */
    sl->mismatched = 0;
    sl->audio_seconds = -1;
    free(sl->err);
    free(sl->kept_err);
    sl->err = sl->kept_err = NULL;
    asgml_status st = ASGML_OK;
    for (int mi = 0; mi < c->m->nmod && !st; mi++) {
        asgml_mod_kind kind = c->m->mod_kinds[mi];
        if (!r->cell[mi]) {
            sl->flags |= kind == ASGML_KIND_AUDIO ? ASGML_FLAG_AUDIO_MISSING : ASGML_FLAG_VIDEO_MISSING;
            st = asgml_error(ASGML_EFORMAT, "no file for modality '%s'", c->m->mod_names[mi]);
        } else {
            switch (kind) {
            case ASGML_KIND_AUDIO: st = do_audio(c, k, mi, sl); break;
            case ASGML_KIND_IMAGE: st = do_image(c, k, mi, sl); break;
            case ASGML_KIND_FRAMES: st = do_frames(c, k, mi, sl); break;
            case ASGML_KIND_SEQ: st = do_seq(c, k, mi, sl); break;
            }
        }
        if (st && o->keep_bad && st != ASGML_ENOMEM && kind != ASGML_KIND_SEQ) {   /* zeros and the flag; the other modalities go on */
            int missing = !r->cell[mi] || (kind != ASGML_KIND_FRAMES && access(r->cell[mi], F_OK) != 0);
            char *msg = NULL;
            if (asprintf(&msg, "%s%s%s: %s", sl->kept_err ? sl->kept_err : "", sl->kept_err ? "; " : "",
                         c->m->mod_names[mi], asgml_last_error()) < 0) msg = NULL;
            free(sl->kept_err);
            sl->kept_err = msg;
            if (kind == ASGML_KIND_AUDIO)
                sl->flags = (sl->flags & ~(uint32_t)ASGML_FLAG_AUDIO_DECODE_ERROR) |
                            (missing ? ASGML_FLAG_AUDIO_MISSING : ASGML_FLAG_AUDIO_DECODE_ERROR);
            else if (!(sl->flags & ASGML_FLAG_VIDEO_MISSING))
                sl->flags = (sl->flags & ~(uint32_t)ASGML_FLAG_VIDEO_DECODE_ERROR) |
                            (missing ? ASGML_FLAG_VIDEO_MISSING : ASGML_FLAG_VIDEO_DECODE_ERROR);
            st = zero_fill(c, mi, sl);
            if (!msg && !st) st = asgml_error(ASGML_ENOMEM, "out of memory");
        }
        /* FEW_FRAMES: fewer frames than a loader takes (--min-frames, datasets.md 2.8) */
        if (!st && kind == ASGML_KIND_FRAMES && o->min_frames > 0 && sl->count[mi] < o->min_frames)
            sl->flags |= ASGML_FLAG_FEW_FRAMES;
    }
    /* AV_DURATION_MISMATCH: the decoded audio against the manifest's video_seconds (datasets.md 10) */
    if (!st && r->video_seconds >= 0 && sl->audio_seconds >= 0 &&
        fabs(sl->audio_seconds - r->video_seconds) > o->av_tolerance)
        sl->flags |= ASGML_FLAG_AV_DURATION_MISMATCH;
    if (!st && row_train(c, r)) {
        if (!sl->kept_err) st = prep_sample_moments(c, sl);
        else   /* zeros do not enter /stats */
            for (int mi = 0; mi < c->m->nmod; mi++) sl->mom[mi][0].n = sl->mom[mi][1].n = 0;
    }
    if (st && asprintf(&sl->err, "%s:%d: %s", c->m->path, r->line, asgml_last_error()) < 0)
        sl->err = NULL;
    if (st && !sl->err) sl->err = strdup("out of memory");
}

/* The decoded sample's chunks for the direct datasets, compressed here in
 * the decoding thread (store_chunk.h); frames: one chunk per frame. */
static asgml_status encode_slot(prep_ctx *c, asgml_sw_encoder *e, slot *sl)
{
    asgml_status st = ASGML_OK;
    int prev = prep_prof_switch(ASGML_PREP_STAGE_COMPRESS);
    for (int mi = 0; mi < c->m->nmod && !st; mi++)
        for (int a = 0; a < 2 && !st; a++) {
            sl->nenc[mi][a] = 0;
            if (!c->direct[mi][a]) continue;
            int64_t n = c->m->mod_kinds[mi] == ASGML_KIND_FRAMES ? sl->count[mi] : 1;
            if (n > sl->enc_cap[mi][a]) {
                asgml_sw_chunk *nb = realloc(sl->enc[mi][a], (size_t)n * sizeof *nb);
                if (!nb) { st = asgml_error(ASGML_ENOMEM, "out of memory"); break; }
                memset(nb + sl->enc_cap[mi][a], 0, (size_t)(n - sl->enc_cap[mi][a]) * sizeof *nb);
                sl->enc[mi][a] = nb;
                sl->enc_cap[mi][a] = n;
            }
            const uint8_t *src = a ? sl->aux[mi] : sl->data[mi];
            for (int64_t f = 0; f < n && !st; f++)
                st = asgml_sw_encode(e, &c->codec[mi][a], src + (size_t)f * c->codec[mi][a].bytes, &sl->enc[mi][a][f]);
            sl->nenc[mi][a] = n;
        }
    prep_prof_switch(prev);
    return st;
}

static void *worker(void *arg)
{
    prep_ctx *c = arg;
    asgml_sw_encoder *enc = NULL;
    asgml_status est = asgml_sw_encoder_new(&enc);
    prep_prof_switch(ASGML_PREP_STAGE_OTHER);
    for (;;) {
        pthread_mutex_lock(&c->mu);
        while (!c->stop && c->next < c->ncand && c->next >= c->written + c->nslots)
            pthread_cond_wait(&c->cv_work, &c->mu);
        if (c->stop || c->next >= c->ncand) {
            prep_prof_collect(c->prof);
            pthread_mutex_unlock(&c->mu);
            asgml_sw_encoder_free(enc);
            return NULL;
        }
        int64_t j = c->next++;
        pthread_mutex_unlock(&c->mu);
        slot *sl = &c->slots[j % c->nslots];
        sl->fatal = 0;
        process_row(c, c->cand[j], sl);
        if (!sl->err && (est || (est = encode_slot(c, enc, sl)))) {
            if (asprintf(&sl->err, "%s: %s", c->m->path, asgml_last_error()) < 0) sl->err = NULL;
            if (!sl->err) sl->err = strdup("out of memory");
            sl->fatal = 1;
        }
        pthread_mutex_lock(&c->mu);
        sl->ready = 1;
        pthread_cond_broadcast(&c->cv_ready);
        pthread_mutex_unlock(&c->mu);
    }
}

/* ---- the run ------------------------------------------------------------------------ */

static asgml_status check_options(const asgml_prep_options *o)
{
    if (!o->manifest || !o->out) return asgml_error(ASGML_EINVAL, "manifest and output are required");
    if (o->fit_seconds <= 0) return asgml_error(ASGML_EINVAL, "--fit-seconds must be > 0");
    if (o->n_fft < 2 || o->hop < 1) return asgml_error(ASGML_EINVAL, "--n-fft must be >= 2 and --hop >= 1");
    if (o->win_length < 0 || o->win_length > o->n_fft) return asgml_error(ASGML_EINVAL, "--win-length must be <= --n-fft");
    if (o->image_channels != 1 && o->image_channels != 3) return asgml_error(ASGML_EINVAL, "--image-channels must be 1 or 3");
    if ((o->image_h > 0) != (o->image_w > 0)) return asgml_error(ASGML_EINVAL, "--image-size needs both H and W");
    if (o->img_mismatch < 0 || o->img_mismatch > 1) return asgml_error(ASGML_EINVAL, "--img-mismatch must be in [0,1]");
    if (o->img_mismatch > 0 && !o->img_reserve) return asgml_error(ASGML_EINVAL, "--img-mismatch needs --img-reserve FILE");
    if (o->img_occlude < 0 || o->img_occlude > 16) return asgml_error(ASGML_EINVAL, "--img-occlude must be 0-16");
    if (o->img_noise < 0) return asgml_error(ASGML_EINVAL, "--img-noise must be >= 0");
    if (o->deflate < 0 || o->deflate > 9 || o->spec_deflate < 0 || o->spec_deflate > 9)
        return asgml_error(ASGML_EINVAL, "deflate levels are 0-9");
    if (o->max_bad < 0 || o->max_bad > 1) return asgml_error(ASGML_EINVAL, "--max-bad must be in [0,1]");
    if (o->audio_features && strcmp(o->audio_features, "spec") && strcmp(o->audio_features, "fbank") &&
        strcmp(o->audio_features, "psd") && strcmp(o->audio_features, "mel"))
        return asgml_error(ASGML_EINVAL, "--audio-features must be spec, fbank, psd or mel, not '%s'", o->audio_features);
    if (o->audio_features && !strcmp(o->audio_features, "psd") &&
        (o->n_fft % 2 || (o->win_length && o->win_length != o->n_fft)))
        return asgml_error(ASGML_EINVAL, "--audio-features psd needs an even --n-fft (scipy's nperseg) and no other --win-length");
    if (o->mel_h < 0 || o->mel_w < 0 || (o->mel_h > 0) != (o->mel_w > 0) || o->mel_h > 16384 || o->mel_w > 16384)
        return asgml_error(ASGML_EINVAL, "--mel-size must be HxW (1-16384 each) or 0");
    if (o->fbank_mel_bins < 3 || o->fbank_mel_bins > 4096) return asgml_error(ASGML_EINVAL, "--fbank-mel-bins must be 3-4096");
    if (o->min_frames < 0) return asgml_error(ASGML_EINVAL, "--min-frames must be >= 0");
    if (!(o->av_tolerance >= 0)) return asgml_error(ASGML_EINVAL, "--av-tolerance must be >= 0");
    if (o->audio_window < 0) return asgml_error(ASGML_EINVAL, "--audio-window must be >= 0");
    if (o->audio_window > 0 && (!strcmp(o->fit, "none") || (o->audio_features && strcmp(o->audio_features, "spec"))))
        return asgml_error(ASGML_EINVAL, "--audio-window needs --audio-features spec and a fixed length (--fit tile, pad_end or pad_center)");
    if (o->audio_window > o->fit_seconds)
        return asgml_error(ASGML_EINVAL, "--audio-window %g s is longer than --fit-seconds %g s", o->audio_window, o->fit_seconds);
    if (o->audio_window > 0 && o->aud_snr_on)
        return asgml_error(ASGML_EINVAL, "--aud-snr-db does not apply with --audio-window (the loader computes the spectrogram from the clean wave)");
    return ASGML_OK;
}

/* Fixes the audio rate and the image size from the first row that decodes. */
static asgml_status probe_shapes(prep_ctx *c)
{
    const asgml_prep_options *o = c->o;
    c->rate = o->audio_rate;
    c->use_fbank = o->audio_features && !strcmp(o->audio_features, "fbank");
    c->use_psd = o->audio_features && !strcmp(o->audio_features, "psd");
    c->use_mel = o->audio_features && !strcmp(o->audio_features, "mel");
    c->img_h = o->image_h;
    c->img_w = o->image_w;
    c->img_c = o->image_channels;
    int need_rate = 0, need_img = 0;
    for (int mi = 0; mi < c->m->nmod; mi++) {
        if (c->m->mod_kinds[mi] == ASGML_KIND_AUDIO && c->rate <= 0) need_rate = 1;
        if ((c->m->mod_kinds[mi] == ASGML_KIND_IMAGE || c->m->mod_kinds[mi] == ASGML_KIND_FRAMES) && c->img_h <= 0)
            need_img = 1;
        if (c->m->mod_kinds[mi] != ASGML_KIND_SEQ) continue;
        c->seq_dim[mi] = o->seq_dim;
        c->seq_len[mi] = o->seq_len;
        size_t nl = strlen(c->m->mod_names[mi]);
        for (int which = 0; which < 2; which++) { /* NAME=N[,NAME=N]... */
            const char *p = which ? o->seq_lens : o->seq_dims;
            while (p && *p) {
                if (!strncmp(p, c->m->mod_names[mi], nl) && p[nl] == '=')
                    *(which ? &c->seq_len[mi] : &c->seq_dim[mi]) = atoi(p + nl + 1);
                p = strchr(p, ',');
                if (p) p++;
            }
        }
        if (c->seq_dim[mi] < 1 || c->seq_len[mi] < 1)
            return asgml_error(ASGML_EINVAL, "modality '%s' (seq) needs --seq-dim and --seq-len", c->m->mod_names[mi]);
    }
    for (int64_t j = 0; j < c->ncand && (need_rate || need_img); j++) {
        asgml_manifest_row *r = &c->m->rows[c->cand[j]];
        for (int mi = 0; mi < c->m->nmod; mi++) {
            if (!r->cell[mi]) continue;
            if (need_rate && c->m->mod_kinds[mi] == ASGML_KIND_AUDIO) {
                asgml_audio a = {0};
                if (asgml_audio_load(r->cell[mi], 0, &a) == ASGML_OK) { c->rate = a.sample_rate; need_rate = 0; }
                asgml_audio_free(&a);
            } else if (need_img && (c->m->mod_kinds[mi] == ASGML_KIND_IMAGE || c->m->mod_kinds[mi] == ASGML_KIND_FRAMES)) {
                char **paths = NULL;
                int n = 0;
                const char *p = r->cell[mi];
                if (c->m->mod_kinds[mi] == ASGML_KIND_FRAMES) {
                    if (asgml_manifest_frame_list(c->m->root, r->cell[mi], &paths, &n) != ASGML_OK) continue;
                    p = paths[0];
                }
                asgml_image im = {0};
                if (asgml_image_load(p, c->img_c, &im) == ASGML_OK) {
                    if (o->short_side > 0) { /* short side -> short_side, aspect kept */
                        int s = im.h < im.w ? im.h : im.w;
                        c->img_h = (int)lround((double)im.h * o->short_side / s);
                        c->img_w = (int)lround((double)im.w * o->short_side / s);
                    } else {
                        c->img_h = im.h;
                        c->img_w = im.w;
                    }
                    need_img = 0;
                }
                asgml_image_free(&im);
                asgml_manifest_free_list(paths);
            }
        }
    }
    /* nothing decodes: the workers will report each row's own error */
    if (need_rate) c->rate = 16000;
    if (need_img) c->img_h = c->img_w = 1;
    int has_audio = 0;
    for (int mi = 0; mi < c->m->nmod; mi++) has_audio |= c->m->mod_kinds[mi] == ASGML_KIND_AUDIO;
    if (!has_audio) c->rate = 1; /* no audio modality: the STFT shape below is never used */
    c->fit_len = lround(o->fit_seconds * c->rate);
    if (has_audio && c->fit_len < 1) return asgml_error(ASGML_EINVAL, "--fit-seconds gives an empty clip");
    c->stft = (asgml_stft_params){o->n_fft, o->hop, o->win_length > 0 ? o->win_length : o->n_fft,
                                  o->center, o->pad_mode, "hann_periodic", 1, o->log_offset};
    c->spec_f = o->n_fft / 2 + 1;
    c->spec_t = (int)asgml_stft_frames(&c->stft, c->fit_len);
    c->native = !strcmp(o->fit, "none");
    if (c->use_psd) {   /* scipy nperseg = n_fft, noverlap = n_fft - hop; no centring */
        c->psd = (asgml_psd_params){c->rate, o->n_fft, o->hop, 0.25, o->log_offset, 1, 1e-9};
        c->spec_t = (int)asgml_psd_frames(&c->psd, c->fit_len);
    } else if (c->use_mel) {
        c->mel = (asgml_mel_params){c->rate, o->n_fft, o->hop, o->win_length > 0 ? o->win_length : o->n_fft,
                                    o->center, o->pad_mode, o->fbank_mel_bins, 0, 0, 80, 1e-10, o->mel_h, o->mel_w};
        c->spec_f = o->mel_h > 0 ? o->mel_h : o->fbank_mel_bins;
        c->spec_t = o->mel_h > 0 ? o->mel_w : (int)asgml_melspec_frames(&c->mel, c->fit_len);
        if (c->native && o->mel_h <= 0) return asgml_error(ASGML_EINVAL, "--fit none with --audio-features mel needs --mel-size");
    }
    if (has_audio && !c->use_fbank && c->spec_t < 1) return asgml_error(ASGML_EINVAL, "the fitted clip is shorter than --n-fft");
    c->window = has_audio && o->audio_window > 0 ? lround(o->audio_window * c->rate) : 0;
    if (c->window && asgml_stft_frames(&c->stft, c->window) < 1)
        return asgml_error(ASGML_EINVAL, "--audio-window is shorter than --n-fft");
    if (c->native && !c->use_fbank && !c->use_mel) return asgml_error(ASGML_EINVAL, "--fit none needs --audio-features fbank or mel");
    if (c->use_fbank) { /* (frames, mel bins) in the spec slot */
        asgml_fbank_defaults(&c->fbank, c->rate);
        c->fbank.num_mel_bins = o->fbank_mel_bins;
        c->fbank.normalize = o->fbank_norm;
        c->spec_f = (int)asgml_fbank_frames(&c->fbank, c->fit_len);
        c->spec_t = o->fbank_mel_bins;
        c->fbank_rows = o->fbank_rows > 0 ? o->fbank_rows : c->spec_f;
        if (has_audio && c->spec_f < 1)
            return asgml_error(ASGML_EINVAL, "the fitted clip is shorter than one 25 ms fbank frame");
    }
    if (c->corrupt_img && o->img_down > 0 && (c->img_h % o->img_down || c->img_w % o->img_down))
        return asgml_error(ASGML_EINVAL, "--img-down %d does not divide the image size %dx%d", o->img_down, c->img_h, c->img_w);
    if (c->corrupt_img && o->img_occlude > 0 && (c->img_h % 4 || c->img_w % 4))
        return asgml_error(ASGML_EINVAL, "--img-occlude needs an image size divisible by 4, not %dx%d", c->img_h, c->img_w);
    return ASGML_OK;
}

/* --img-mismatch: which rows get an image of another class, and which one.
 * Index k is the row's position in store order (rows sorted by id). */
static asgml_status assign_mismatch(prep_ctx *c, asgml_prep_result *res)
{
    const asgml_prep_options *o = c->o;
    char ***reserve = NULL;
    int64_t *count = NULL;
    asgml_status st = asgml_reserve_read(o->img_reserve, c->m, &reserve, &count);
    if (st) return st;
    int64_t *used = calloc((size_t)c->m->nclass, sizeof *used);
    c->mismatch_path = calloc((size_t)c->m->nrows, sizeof *c->mismatch_path);
    if (!used || !c->mismatch_path) st = asgml_error(ASGML_ENOMEM, "out of memory");
    for (int64_t j = 0; !st && j < c->ncand; j++) {
        int64_t k = c->cand[j];
        asgml_manifest_row *r = &c->m->rows[k];
        if (!row_degraded(c, r)) continue;
        asgml_splitmix rng;
        asgml_splitmix_init(&rng, o->seed, 2000000 + (uint64_t)k);
        double u = asgml_splitmix_real(&rng);
        if (u > o->img_mismatch || r->label < 0 || c->m->nclass < 2) continue;
        int d = (int)asgml_splitmix_below(&rng, (uint64_t)(c->m->nclass - 1));
        if (d >= r->label) d++;
        if (used[d] >= count[d]) {
            st = asgml_error(ASGML_EFORMAT, "%s: reserve of class '%s' exhausted after %lld images",
                             o->img_reserve, c->m->classes[d], (long long)count[d]);
            break;
        }
        c->mismatch_path[k] = strdup(reserve[d][used[d]++]);
        res->mismatched++;
    }
    free(used);
    asgml_reserve_free(reserve, count, c->m->nclass);
    return st;
}

static asgml_status add_skipped(asgml_prep_result *r, const char *msg)
{
    char **n = realloc(r->skipped_msgs, (size_t)(r->skipped + 1) * sizeof *n);
    if (!n) return asgml_error(ASGML_ENOMEM, "out of memory");
    r->skipped_msgs = n;
    if (!(n[r->skipped] = strdup(msg))) return asgml_error(ASGML_ENOMEM, "out of memory");
    r->skipped++;
    return ASGML_OK;
}

/* Creates the per-sample datasets; handles in h[mi][0] (main) and h[mi][1] (aux). */
static asgml_status create_datasets(prep_ctx *c, asgml_store_writer *w, int64_t n, int h[][2])
{
    const asgml_prep_options *o = c->o;
    asgml_status st = ASGML_OK;
    for (int mi = 0; mi < c->m->nmod && !st; mi++) {
        char path[96];
        const char *name = c->m->mod_names[mi];
        h[mi][0] = h[mi][1] = -1;
        switch (c->m->mod_kinds[mi]) {
        case ASGML_KIND_AUDIO: {
            int64_t sh[2] = {c->spec_f, c->spec_t}, wl = c->fit_len;
            snprintf(path, sizeof path, "/%s/%s", name, c->use_fbank ? "fbank" : "spec");
            if (c->window) {   /* the fitted wave is the sample dataset; no spectrogram */
                snprintf(path, sizeof path, "/%s/wave", name);
                st = asgml_sw_sample_dataset(w, path, ASGML_SW_I16, 1, &wl, n, o->deflate, o->deflate > 0, &h[mi][0]);
                break;
            }
            if (c->use_fbank)   /* (R, M) rows + fbank_offset; 1024 rows (512 KiB at 128 bins) a chunk */
                st = asgml_sw_rows_dataset(w, path, ASGML_SW_F32, c->spec_t, 1024, o->spec_deflate, o->spec_deflate > 0, &h[mi][0]);
            else
                st = asgml_sw_sample_dataset(w, path, ASGML_SW_F32, 2, sh, n, o->spec_deflate, o->spec_deflate > 0, &h[mi][0]);
            c->rows_ds[mi][0] = c->use_fbank;
            snprintf(path, sizeof path, "/%s/wave", name);
            c->rows_ds[mi][1] = c->native;
            if (!st && o->keep_wave && c->native)   /* (S,) + wave_offset, 65536 samples a chunk (7.3) */
                st = asgml_sw_rows_dataset(w, path, ASGML_SW_I16, 0, 65536, o->deflate, o->deflate > 0, &h[mi][1]);
            else if (!st && o->keep_wave)
                st = asgml_sw_sample_dataset(w, path, ASGML_SW_I16, 1, &wl, n, o->deflate, o->deflate > 0, &h[mi][1]);
            for (int a = 0; a < 2 && !st; a++)
                if (c->rows_ds[mi][a] && !(c->row_off[mi][a] = calloc((size_t)n + 2, sizeof(int64_t))))
                    st = asgml_error(ASGML_ENOMEM, "out of memory");
            break;
        }
        case ASGML_KIND_IMAGE:
        case ASGML_KIND_FRAMES: {
            int fr = c->m->mod_kinds[mi] == ASGML_KIND_FRAMES;
            int64_t sh[3] = {c->img_h, c->img_w, c->img_c};
            int nd = c->img_c == 1 && !fr ? 2 : 3;
            snprintf(path, sizeof path, "/%s/%s", name, fr ? "frames" : "image");
            st = asgml_sw_sample_dataset(w, path, ASGML_SW_U8, nd, sh, n, o->deflate, 0, &h[mi][0]);
            snprintf(path, sizeof path, "/%s/image_clean", name);
            if (!st && !fr && c->corrupt_img) st = asgml_sw_sample_dataset(w, path, ASGML_SW_U8, nd, sh, n, o->deflate, 0, &h[mi][1]);
            break;
        }
        case ASGML_KIND_SEQ: {
            int64_t sh[2] = {c->seq_len[mi], c->seq_dim[mi]};
            snprintf(path, sizeof path, "/%s/seq", name);
            st = asgml_sw_sample_dataset(w, path, ASGML_SW_F32, 2, sh, n, o->spec_deflate, o->spec_deflate > 0, &h[mi][0]);
            break;
        }
        }
    }
    return st;
}

static void note_temp(const asgml_prep_options *o, const char *path)
{
    if (o->temp_file) o->temp_file(o->temp_ctx, path);
}

/* The rows to prepare: the default split scheme, corruption switches, rows the manifest
   already rejects (skipped or fatal), image mismatch pairs and the sample shapes. */
static asgml_status select_rows(prep_ctx *c, asgml_prep_result *res)
{
    const asgml_prep_options *o = c->o;
    asgml_manifest *m = c->m;
    asgml_status st = ASGML_OK;
    res->rows = m->nrows;
    if (m->nscheme) c->default_scheme = 0;
    if (o->default_split) {
        c->default_scheme = -1;
        for (int s = 0; s < m->nscheme; s++) if (!strcmp(m->schemes[s], o->default_split)) c->default_scheme = s;
        if (c->default_scheme < 0) st = asgml_error(ASGML_EINVAL, "%s: no split column 'split:%s'", m->path, o->default_split);
    }
    for (int mi = 0; mi < m->nmod; mi++) {
        if (m->mod_kinds[mi] == ASGML_KIND_IMAGE && (o->img_mismatch > 0 || o->img_noise > 0 || o->img_down > 0 || o->img_occlude > 0))
            c->corrupt_img = 1;
        if (m->mod_kinds[mi] == ASGML_KIND_AUDIO && o->aud_snr_on) c->corrupt_aud = 1;
    }
    if (!st && o->corrupt_train_only && c->default_scheme < 0)
        st = asgml_error(ASGML_EINVAL, "--corrupt-splits train needs a split column");
    /* rows the manifest already rejects */
    c->cand = st ? NULL : malloc((size_t)m->nrows * sizeof *c->cand);
    if (!st && !c->cand) st = asgml_error(ASGML_ENOMEM, "out of memory");
    if (!st && m->nbad && !o->skip_bad) { /* report the first bad line of the file */
        const asgml_manifest_row *first = NULL;
        for (int64_t k = 0; k < m->nrows; k++)
            if (m->rows[k].err && (!first || m->rows[k].line < first->line)) first = &m->rows[k];
        st = asgml_error(ASGML_EFORMAT, "%s", first->err);
    }
    for (int64_t k = 0; !st && k < m->nrows; k++) {
        if (m->rows[k].err) { st = add_skipped(res, m->rows[k].err); prep_report_row(c, k, NULL, m->rows[k].err); }
        else c->cand[c->ncand++] = k;
    }
    if (!st && o->img_mismatch > 0 && c->corrupt_img) st = assign_mismatch(c, res);
    if (!st) st = probe_shapes(c);
    return st;
}

/* Main thread: writes the decoded samples in store order as the workers finish them. */
static asgml_status write_samples(prep_ctx *c, asgml_store_writer *w, int h[][2], int64_t *kept, int64_t *kn_out,
                                  uint32_t *status, uint8_t *mism, int64_t *frame_off, int64_t *nframes_out,
                                  int32_t **seq_len, asgml_prep_result *res)
{
    const asgml_prep_options *o = c->o;
    asgml_manifest *m = c->m;
    asgml_status st = ASGML_OK;
    int64_t kn = 0, nframes = 0;
    for (int64_t j = 0; !st && j < c->ncand; j++) {
        slot *sl = &c->slots[j % c->nslots];
        pthread_mutex_lock(&c->mu);
        while (!sl->ready) pthread_cond_wait(&c->cv_ready, &c->mu);
        pthread_mutex_unlock(&c->mu);
        prep_report_row(c, c->cand[j], sl, NULL);
        if (sl->err) {
            if (!o->skip_bad || sl->fatal) st = asgml_error(sl->fatal ? ASGML_ENOMEM : ASGML_EFORMAT, "%s", sl->err);
            else st = add_skipped(res, sl->err);
        } else {
            res->kept_bad += sl->kept_err != NULL;
            int prev = prep_prof_switch(ASGML_PREP_STAGE_WRITE);
            pthread_mutex_lock(&h5_lock);
            for (int mi = 0; mi < m->nmod && !st; mi++) {
                asgml_mod_kind k = m->mod_kinds[mi];
                if (k == ASGML_KIND_FRAMES) {
                    size_t fb = sample_bytes(c, mi);
                    for (int64_t f = 0; f < sl->count[mi] && !st; f++)
                        st = c->direct[mi][0] ? asgml_sw_write_chunk(w, h[mi][0], nframes + f, &sl->enc[mi][0][f])
                                              : asgml_sw_write_sample(w, h[mi][0], nframes + f, (uint8_t *)sl->data[mi] + fb * (size_t)f);
                    nframes += sl->count[mi];
                    frame_off[kn + 1] = nframes;
                    continue;
                }
                if (c->rows_ds[mi][0]) {
                    st = asgml_sw_append_rows(w, h[mi][0], sl->count[mi], sl->data[mi]);
                    c->row_off[mi][0][kn + 1] = c->row_off[mi][0][kn] + sl->count[mi];
                } else if (c->direct[mi][0]) {
                    st = asgml_sw_write_chunk(w, h[mi][0], kn, &sl->enc[mi][0][0]);
                } else {
                    st = asgml_sw_write_sample(w, h[mi][0], kn, sl->data[mi]);
                }
                if (!st && h[mi][1] >= 0 && c->rows_ds[mi][1]) {
                    st = asgml_sw_append_rows(w, h[mi][1], sl->aux_count[mi], sl->aux[mi]);
                    c->row_off[mi][1][kn + 1] = c->row_off[mi][1][kn] + sl->aux_count[mi];
                } else if (!st && h[mi][1] >= 0) {
                    st = c->direct[mi][1] ? asgml_sw_write_chunk(w, h[mi][1], kn, &sl->enc[mi][1][0])
                                          : asgml_sw_write_sample(w, h[mi][1], kn, sl->aux[mi]);
                }
                if (k == ASGML_KIND_SEQ) seq_len[mi][kn] = (int32_t)sl->count[mi];
            }
            pthread_mutex_unlock(&h5_lock);
            prep_prof_switch(prev);
            if (row_train(c, &m->rows[c->cand[j]]))   /* store order: --jobs does not matter */
                for (int mi = 0; mi < m->nmod; mi++)
                    for (int a = 0; a < 2; a++)
                        if (c->stats[mi][a].dim) prep_moments_merge(&c->stats[mi][a], &sl->mom[mi][a]);
            status[kn] = sl->flags;
            if (mism) mism[kn] = (uint8_t)sl->mismatched;
            for (int b = 0; b < 16; b++) res->flag_counts[b] += (sl->flags >> b) & 1;
            kept[kn++] = c->cand[j];
        }
        pthread_mutex_lock(&c->mu);
        sl->ready = 0;
        c->written = j + 1;
        pthread_cond_broadcast(&c->cv_work);
        pthread_mutex_unlock(&c->mu);
        if (o->progress) o->progress(o->progress_ctx, j + 1, c->ncand);
    }
    *kn_out = kn;
    *nframes_out = nframes;
    return st;
}

/* Storage summary (raw and stored bytes per dataset), before the file is closed. */
static void storage_summary(prep_ctx *c, asgml_store_writer *w, int64_t kn, int64_t nframes, int frames_mi,
                            asgml_prep_result *res)
{
    asgml_manifest *m = c->m;
    static const char *sub[] = {"spec", "fbank", "wave", "image", "image_clean", "frames", "seq"};
    for (int mi = 0; mi < m->nmod; mi++)
        for (size_t q = 0; q < sizeof sub / sizeof *sub && res->ndsets < ASGML_PREP_MAX_DSETS; q++) {
            char path[96];
            snprintf(path, sizeof path, "/%s/%s", m->mod_names[mi], sub[q]);
            int64_t b = asgml_sw_storage_bytes(w, path);
            if (b < 0) continue;
            int64_t cnt = mi == frames_mi ? nframes : kn;
            size_t per = !strcmp(sub[q], "wave") ? (size_t)c->fit_len * 2 : sample_bytes(c, mi);
            int a = !strcmp(sub[q], "wave");
            if ((a || !strcmp(sub[q], "fbank")) && c->row_off[mi][a]) {   /* rows + offsets */
                cnt = c->row_off[mi][a][kn];
                per = a ? 2 : (size_t)c->spec_t * sizeof(float);
            }
            snprintf(res->dsets[res->ndsets].path, sizeof res->dsets[0].path, "%s", path);
            res->dsets[res->ndsets].raw_bytes = cnt * (int64_t)per;
            res->dsets[res->ndsets].stored_bytes = b;
            res->ndsets++;
        }
}

asgml_status asgml_prep_run(const asgml_prep_options *o, asgml_prep_result *res)
{
    memset(res, 0, sizeof *res);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* the library never prints */
    asgml_status st = check_options(o);
    if (st) return st;
    prep_ctx c = {.o = o, .default_scheme = -1};
    st = asgml_resampler_parse(o->resampler, &c.rs);
    if (st) return st;
    prep_prof_on = o->profile != 0;
    prep_prof_switch(ASGML_PREP_STAGE_OTHER);
    st = asgml_manifest_read(o->manifest, o->classes, &c.m);
    if (st) { prep_prof_on = 0; return st; }
    asgml_manifest *m = c.m;
    st = prep_report_init(&c);
    if (!st) st = select_rows(&c, res);

    asgml_store_writer *w = NULL;
    int h[MAXM][2];
    int64_t *kept = NULL, kn = 0;
    uint32_t *status = NULL;
    uint8_t *mism = NULL;
    int64_t *frame_off = NULL, nframes = 0;
    int frames_mi = -1;
    int32_t *seq_len[MAXM] = {0};
    if (!st) st = asgml_sw_create(o->out, &w);
    if (!st) note_temp(o, asgml_sw_temp_path(w));
    if (!st) st = create_datasets(&c, w, c.ncand ? c.ncand : 1, h);
    for (int mi = 0; !st && mi < m->nmod; mi++)   /* per-sample datasets: chunks from the workers */
        for (int a = 0; a < 2 && !st; a++)
            if (h[mi][a] >= 0 && !c.rows_ds[mi][a]) {
                st = asgml_sw_sample_codec(w, h[mi][a], &c.codec[mi][a]);
                c.direct[mi][a] = 1;
            }
    if (!st) {
        kept = malloc((size_t)(c.ncand + 1) * sizeof *kept);
        status = calloc((size_t)c.ncand + 1, sizeof *status);
        mism = o->img_mismatch > 0 && c.corrupt_img ? calloc((size_t)c.ncand + 1, 1) : NULL;
        frame_off = calloc((size_t)c.ncand + 2, sizeof *frame_off);
        for (int mi = 0; mi < m->nmod; mi++) {
            if (m->mod_kinds[mi] == ASGML_KIND_FRAMES) frames_mi = mi; /* at most one frames modality is stored with offsets */
            if (m->mod_kinds[mi] == ASGML_KIND_SEQ && !(seq_len[mi] = calloc((size_t)c.ncand + 1, sizeof(int32_t))))
                st = asgml_error(ASGML_ENOMEM, "out of memory");
        }
        if (!kept || !status || !frame_off || (o->img_mismatch > 0 && c.corrupt_img && !mism))
            st = asgml_error(ASGML_ENOMEM, "out of memory");
        int nfr = 0;
        for (int mi = 0; mi < m->nmod; mi++) nfr += m->mod_kinds[mi] == ASGML_KIND_FRAMES;
        if (!st && nfr > 1) st = asgml_error(ASGML_ENOTSUP, "%s: at most one frames modality", m->path);
    }
    /* the ring of slots and the workers */
    int jobs = o->jobs > 0 ? o->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (jobs < 1) jobs = 1;
    if (jobs > 256) jobs = 256;
    c.nslots = 4 * jobs + 8;
    pthread_t *tid = NULL;
    int nthreads = 0;
    if (!st) {
        c.slots = calloc((size_t)c.nslots, sizeof *c.slots);
        tid = calloc((size_t)jobs, sizeof *tid);
        if (!c.slots || !tid) st = asgml_error(ASGML_ENOMEM, "out of memory");
        for (int s = 0; !st && s < c.nslots; s++)
            for (int mi = 0; mi < m->nmod; mi++) {
                size_t b = sample_bytes(&c, mi);
                c.slots[s].data[mi] = malloc(b);
                c.slots[s].cap[mi] = b;
                size_t ab = m->mod_kinds[mi] == ASGML_KIND_AUDIO ? (size_t)c.fit_len * 2 : m->mod_kinds[mi] == ASGML_KIND_IMAGE ? b : 0;
                c.slots[s].aux[mi] = ab ? malloc(ab) : NULL;
                c.slots[s].aux_cap[mi] = ab;
                if (!c.slots[s].data[mi] || (ab && !c.slots[s].aux[mi])) st = asgml_error(ASGML_ENOMEM, "out of memory");
                for (int a = 0; a < 2 && !st; a++)
                    if (prep_stats_dim(&c, mi, a)) st = prep_moments_init(&c.slots[s].mom[mi][a], prep_stats_dim(&c, mi, a));
            }
        for (int mi = 0; !st && mi < m->nmod; mi++)
            for (int a = 0; a < 2 && !st; a++)
                if (prep_stats_dim(&c, mi, a)) st = prep_moments_init(&c.stats[mi][a], prep_stats_dim(&c, mi, a));
    }
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv_work, NULL);
    pthread_cond_init(&c.cv_ready, NULL);
    for (int t = 0; !st && t < jobs; t++) {
        if (pthread_create(&tid[t], NULL, worker, &c) != 0) { st = asgml_error(ASGML_EINTERNAL, "cannot start thread"); break; }
        nthreads++;
    }
    if (!st) st = write_samples(&c, w, h, kept, &kn, status, mism, frame_off, &nframes, seq_len, res);
    pthread_mutex_lock(&c.mu);
    c.stop = 1;
    pthread_cond_broadcast(&c.cv_work);
    pthread_mutex_unlock(&c.mu);
    for (int t = 0; t < nthreads; t++) pthread_join(tid[t], NULL);
    res->kept = kn;
    if (!st && o->skip_bad && res->skipped && (double)res->skipped >= o->max_bad * (double)res->rows)
        st = asgml_error(ASGML_EFORMAT, "%s: %lld of %lld samples skipped (%.1f%%), not fewer than --max-bad %.1f%%; no store written",
                         m->path, (long long)res->skipped, (long long)res->rows,
                         100.0 * (double)res->skipped / (double)res->rows, 100.0 * o->max_bad);
    if (!st && kn == 0) st = asgml_error(ASGML_EFORMAT, "%s: no sample left", m->path);
    /* final counts, offsets, metadata */
    for (int mi = 0; !st && mi < m->nmod; mi++) {
        for (int a = 0; a < 2 && !st; a++)
            if (h[mi][a] >= 0 && !c.rows_ds[mi][a]) st = asgml_sw_set_count(w, h[mi][a], mi == frames_mi ? nframes : kn);
        char path[96];
        int64_t n1 = kn + 1;
        for (int a = 0; a < 2 && !st; a++)
            if (h[mi][a] >= 0 && c.rows_ds[mi][a]) {
                snprintf(path, sizeof path, "/%s/%s_offset", m->mod_names[mi], a ? "wave" : "fbank");
                st = asgml_sw_write_array(w, path, ASGML_SW_I64, 1, &n1, c.row_off[mi][a]);
            }
        if (!st && mi == frames_mi) {
            snprintf(path, sizeof path, "/%s/frame_offset", m->mod_names[mi]);
            st = asgml_sw_write_array(w, path, ASGML_SW_I64, 1, &n1, frame_off);
        }
        if (!st && m->mod_kinds[mi] == ASGML_KIND_SEQ) {
            snprintf(path, sizeof path, "/%s/seq_len", m->mod_names[mi]);
            st = asgml_sw_write_array(w, path, ASGML_SW_I32, 1, &kn, seq_len[mi]);
        }
    }
    if (!st) st = prep_write_metadata(&c, w, kept, kn, status, mism, res);
    if (!st) st = prep_write_stats(&c, w);
    if (!st) storage_summary(&c, w, kn, nframes, frames_mi, res); /* before the file is closed */
    if (!st) {
        prep_prof_switch(ASGML_PREP_STAGE_CHECKSUM);
        pthread_mutex_lock(&h5_lock);
        st = asgml_sw_commit(w, res->sha256);
        pthread_mutex_unlock(&h5_lock);
        prep_prof_switch(ASGML_PREP_STAGE_OTHER);
        w = NULL;
        if (!st && (st = prep_report_write(&c, o->out)) != ASGML_OK)
            unlink(o->out);   /* a store without its report would be a partial output */
    }
    if (w) asgml_sw_abort(w);
    note_temp(o, NULL);
    if (c.slots)
        for (int s = 0; s < c.nslots; s++) {
            free(c.slots[s].err);
            free(c.slots[s].kept_err);
            for (int mi = 0; mi < MAXM; mi++) {
                free(c.slots[s].data[mi]);
                free(c.slots[s].aux[mi]);
                prep_moments_free(&c.slots[s].mom[mi][0]);
                prep_moments_free(&c.slots[s].mom[mi][1]);
                for (int a = 0; a < 2; a++) {
                    for (int64_t f = 0; f < c.slots[s].enc_cap[mi][a]; f++) asgml_sw_chunk_free(&c.slots[s].enc[mi][a][f]);
                    free(c.slots[s].enc[mi][a]);
                }
            }
        }
    for (int mi = 0; mi < MAXM; mi++) {
        prep_moments_free(&c.stats[mi][0]);
        prep_moments_free(&c.stats[mi][1]);
        free(c.row_off[mi][0]);
        free(c.row_off[mi][1]);
    }
    free(c.slots);
    free(tid);
    pthread_mutex_destroy(&c.mu);
    pthread_cond_destroy(&c.cv_work);
    pthread_cond_destroy(&c.cv_ready);
    for (int mi = 0; mi < MAXM; mi++) free(seq_len[mi]);
    free(kept); free(status); free(mism); free(frame_off);
    if (c.mismatch_path) for (int64_t k = 0; k < m->nrows; k++) free(c.mismatch_path[k]);
    free(c.mismatch_path);
    free(c.cand);
    prep_report_free(&c);
    asgml_manifest_free(m);
    prep_prof_collect(c.prof);   /* this thread: write, checksum, other */
    prep_prof_take(c.prof);      /* the checksum's decoding thread */
    memcpy(res->stage_cpu, c.prof, sizeof res->stage_cpu);
    prep_prof_on = 0;
    return st;
}

void asgml_prep_result_free(asgml_prep_result *r)
{
    for (int64_t i = 0; i < r->skipped; i++) free(r->skipped_msgs[i]);
    free(r->skipped_msgs);
    r->skipped_msgs = NULL;
    r->skipped = 0;
}
