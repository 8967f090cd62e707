/* SPDX-License-Identifier: MIT */
/* loader.c - batches from an HDF5 store with per-modality transforms and a
 * prefetch thread (loader.h has the contract: orders, transforms, random
 * streams). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "core/h5util.h"
#include "data/decode.h"
#include "data/loader.h"
#include "data/manifest.h"

#define SHUFFLE_TAG UINT64_C(0x7368756600000000)
#define AUGMENT_TAG UINT64_C(0x6175670000000000)
#define FRAMES_TAG UINT64_C(0x6672610000000000)
#define WINDOW_TAG UINT64_C(0x77696e0000000000)
static int64_t random_frame(const asgml_loader *l, int m, int64_t i, int64_t cnt, int T, int t);

/* ---- configuration ---------------------------------------------------------- */

asgml_status asgml_loader_exclude_flags(asgml_config *cfg, asgml_store *store)
{
    const char *s;
    uint32_t mask = 0;
    asgml_status st = asgml_config_get_string(cfg, "data.exclude-flags", ASGML_EXCLUDE_FLAGS_DEFAULT, &s);
    if (st != ASGML_OK)
        return st;
    if (strcmp(s, "none") != 0 && asgml_flags_parse(s, &mask) != ASGML_OK) {
        char why[256];   /* asgml_last_error() is the buffer asgml_error writes */
        snprintf(why, sizeof why, "%s", asgml_last_error());
        return asgml_error(ASGML_EINVAL, "key 'data.exclude-flags': %s", why);
    }
    return asgml_store_exclude_flags(store, mask, NULL);
}

/* Parses "a,b,..." (commas or spaces) into exactly n doubles. */
static asgml_status get_list(asgml_config *cfg, const char *key, const char *def, int n,
                             double *out)
{
    const char *s;
    char *end;
    int k = 0;
    asgml_status st = asgml_config_get_string(cfg, key, def, &s);
    if (st != ASGML_OK)
        return st;
    for (const char *p = s; *p;) {
        double v;
        while (*p == ',' || *p == ' ')
            p++;
        if (!*p)
            break;
        v = strtod(p, &end);
        if (end == p || k >= n || !isfinite(v))
            return asgml_error(ASGML_EINVAL, "key '%s': '%s' is not a list of %d number%s", key,
                               s, n, n > 1 ? "s" : "");
        out[k++] = v;
        p = end;
    }
    if (k != n)
        return asgml_error(ASGML_EINVAL, "key '%s': '%s' is not a list of %d number%s", key, s, n,
                           n > 1 ? "s" : "");
    return ASGML_OK;
}

/* /stats/<name><sub>/{mean,std} (float64 (D,)) of the store file, if
 * present; sub is "" or "/window" (a windowed wave's spectrogram). */
static asgml_status read_stats(const char *path, const char *sub, asgml_transform *tf)
{
    char dpath[96];
    asgml_status st = ASGML_OK;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return asgml_error(ASGML_EIO, "%s: cannot open for /stats", path);
    for (int which = 0; which < 2 && st == ASGML_OK; which++) {
        hid_t d, sp;
        int64_t n;
        double *tmp;
        float **dst = which ? &tf->stats_std : &tf->stats_mean;
        snprintf(dpath, sizeof dpath, "/stats/%s%s/%s", tf->name, sub, which ? "std" : "mean");
        if (H5Lexists(f, "/stats", H5P_DEFAULT) <= 0 ||
            H5Lexists(f, dpath, H5P_DEFAULT) <= 0) {
            st = asgml_error(ASGML_EFORMAT, "%s: data.%s.zscore is set but %s is absent", path,
                             tf->name, dpath);
            break;
        }
        d = H5Dopen2(f, dpath, H5P_DEFAULT);
        sp = H5Dget_space(d);
        n = H5Sget_simple_extent_npoints(sp);
        tmp = malloc((size_t)(n > 0 ? n : 1) * sizeof *tmp);
        *dst = malloc((size_t)(n > 0 ? n : 1) * sizeof **dst);
        if (!tmp || !*dst)
            st = asgml_error(ASGML_ENOMEM, "%s: out of memory", path);
        else if (n <= 0 || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp) < 0)
            st = asgml_error(ASGML_EIO, "%s: cannot read %s", path, dpath);
        else if (which && n != tf->stats_len)
            st = asgml_error(ASGML_EFORMAT, "%s: %s has %lld values, mean has %lld", path, dpath,
                             (long long)n, (long long)tf->stats_len);
        else {
            for (int64_t k = 0; k < n; k++)   /* std 0 (a constant feature): leave it */
                (*dst)[k] = which && !(tmp[k] > 1e-12) ? 1.0f : (float)tmp[k];
            tf->stats_len = n;
        }
        free(tmp);
        H5Sclose(sp);
        H5Dclose(d);
    }
    H5Fclose(f);
    return st;
}

/* Attribute name of dataset dpath as a double (numbers) or into str (strings). */
static int h5_attr(hid_t f, const char *dpath, const char *name, double *num, char *str, size_t n)
{
    int ok = 0;
    hid_t d = H5Oopen(f, dpath, H5P_DEFAULT);
    if (d < 0)
        return 0;
    if (H5Aexists(d, name) > 0) {
        hid_t a = H5Aopen(d, name, H5P_DEFAULT), t = H5Aget_type(a);
        if (num && H5Tget_class(t) != H5T_STRING)
            ok = H5Aread(a, H5T_NATIVE_DOUBLE, num) >= 0;
        else if (str && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0) {
            char *v = NULL;
            hid_t mt = H5Tcopy(t);
            if (H5Aread(a, mt, &v) >= 0 && v) {
                snprintf(str, n, "%s", v);
                ok = 1;
            }
            H5free_memory(v);
            H5Tclose(mt);
        }
        H5Tclose(t);
        H5Aclose(a);
    }
    H5Oclose(d);
    return ok;
}

/* The window and STFT attributes of /<name>/wave (asgml-prep --audio-window). */
static asgml_status read_window(const char *path, const asgml_modality_info *info, asgml_transform *tf)
{
    char dpath[96], pad[32] = "";
    double v[8];
    static const char *const keys[] = { "window_length", "window_test_start", "n_fft", "hop",
                                        "win_length", "center", "log_offset" };
    int ok = 1;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return asgml_error(ASGML_EIO, "%s: cannot open", path);
    snprintf(dpath, sizeof dpath, "/%s/wave", tf->name);
    hid_t o = H5Oopen(f, dpath, H5P_DEFAULT);
    if (o >= 0) {   /* its header before its attributes (core/h5util.h) */
        asgml_status st = asgml_h5_check_object(o);
        H5Oclose(o);
        if (st) {
            H5Fclose(f);
            return st;
        }
    }
    for (int k = 0; k < 7; k++)
        ok &= h5_attr(f, dpath, keys[k], &v[k], NULL, 0);
    ok &= h5_attr(f, dpath, "pad_mode", NULL, pad, sizeof pad);
    H5Fclose(f);
    if (!ok)
        return asgml_error(ASGML_EFORMAT, "%s: %s: not a windowed wave (attributes window_length, "
                           "window_test_start, n_fft, hop, win_length, center, pad_mode, "
                           "log_offset)", path, dpath);
    tf->win_len = (int64_t)v[0];
    tf->win_test_start = (int64_t)v[1];
    tf->n_fft = (int)v[2];
    tf->hop = (int)v[3];
    tf->win_length = (int)v[4];
    tf->center = (int)v[5];
    tf->log_offset = v[6];
    tf->pad_reflect = strcmp(pad, "reflect") == 0;
    if (tf->win_len < 1 || tf->win_len > info->shape[0] || tf->win_test_start < 0 ||
        tf->win_test_start + tf->win_len > info->shape[0] || tf->n_fft < 2 || tf->hop < 1 ||
        tf->win_length < 1 || tf->win_length > tf->n_fft)
        return asgml_error(ASGML_EFORMAT, "%s: %s: window %lld at %lld, n_fft %d, hop %d do not fit "
                           "a wave of %lld samples", path, dpath, (long long)tf->win_len,
                           (long long)tf->win_test_start, tf->n_fft, tf->hop,
                           (long long)info->shape[0]);
    return ASGML_OK;
}

static asgml_stft_params window_stft(const asgml_transform *tf)
{
    asgml_stft_params p = { tf->n_fft, tf->hop, tf->win_length, tf->center,
                            tf->pad_reflect ? "reflect" : "constant", "hann_periodic", 1,
                            tf->log_offset };
    return p;
}

asgml_status asgml_transform_from_config(asgml_config *cfg, asgml_store *store,
                                         const char *store_path, const char *name,
                                         int default_frames, asgml_transform *tf)
{
    char key[128];
    const asgml_modality_info *info;
    asgml_status st;
    long v;
    int m = asgml_store_find_modality(store, name);
    memset(tf, 0, sizeof *tf);
    if (m < 0)
        return asgml_error(ASGML_EINVAL, "%s: the store has no modality '%s'", store_path, name);
    info = asgml_store_modality(store, m);
    tf->store_modality = m;
    snprintf(tf->name, sizeof tf->name, "%s", name);
    tf->frames = 1;
    tf->channels = 1;
#define KEY(k) (snprintf(key, sizeof key, "data.%s." k, name), key)
    if (strcmp(info->dataset, "image") == 0 || strcmp(info->dataset, "frames") == 0) {
        int rgb = info->ndim == 3 && info->shape[2] == 3;
        const char *policy, *crop;
        if (info->dtype != ASGML_U8 || !(info->ndim == 2 || (info->ndim == 3 && (info->shape[2] == 1 || rgb))))
            return asgml_error(ASGML_EFORMAT, "%s: /%s/%s: expected uint8 (H,W) or (H,W,3)",
                               store_path, name, info->dataset);
        tf->kind = strcmp(info->dataset, "frames") == 0 ? ASGML_TF_FRAMES : ASGML_TF_IMAGE;
        tf->channels = rgb ? 3 : 1;
        st = asgml_config_get_int(cfg, KEY("size"), tf->kind == ASGML_TF_FRAMES ? 224
                                  : info->shape[0] < info->shape[1] ? (long)info->shape[0]
                                  : (long)info->shape[1], &v);
        if (st != ASGML_OK)
            return st;
        if (v < 1 || v > 4096)
            return asgml_error(ASGML_EINVAL, "key '%s': %ld is out of range 1..4096", key, v);
        tf->size = (int)v;
        if ((st = asgml_config_get_bool(cfg, KEY("augment"), rgb, &tf->augment)) ||
            (st = asgml_config_get_bool(cfg, KEY("hflip"), rgb, &tf->hflip)) ||
            (st = get_list(cfg, KEY("crop-scale"), "0.08,1", 2, tf->scale)) ||
            (st = get_list(cfg, KEY("crop-ratio"), "0.75,1.3333333333333333", 2, tf->ratio)) ||
            (st = get_list(cfg, KEY("mean"), rgb ? "0.485,0.456,0.406" : "0.1307", tf->channels,
                           tf->mean)) ||
            (st = get_list(cfg, KEY("std"), rgb ? "0.229,0.224,0.225" : "0.3081", tf->channels,
                           tf->std)))
            return st;
        if (!(tf->scale[0] > 0 && tf->scale[0] <= tf->scale[1] && tf->ratio[0] > 0 &&
              tf->ratio[0] <= tf->ratio[1]))
            return asgml_error(ASGML_EINVAL, "data.%s.crop-scale/crop-ratio: need 0 < lo <= hi",
                               name);
        for (int c = 0; c < tf->channels; c++)
            if (!(tf->std[c] > 0))
                return asgml_error(ASGML_EINVAL, "key 'data.%s.std': must be positive", name);
        /* zscore: the training split's per-channel statistics (x/255 units)
         * replace data.<m>.mean/std */
        if ((st = asgml_config_get_bool(cfg, KEY("zscore"), 0, &tf->zscore)))
            return st;
        if (tf->zscore) {
            if ((st = read_stats(store_path, "", tf)) != ASGML_OK) {
                asgml_transform_release(tf);
                return st;
            }
            if (tf->stats_len != tf->channels) {
                int64_t len = tf->stats_len;
                asgml_transform_release(tf);
                return asgml_error(ASGML_EFORMAT, "%s: /stats/%s has %lld values; expected %d "
                                   "(one per channel)", store_path, name, (long long)len,
                                   tf->channels);
            }
            for (int c = 0; c < tf->channels; c++) {
                tf->mean[c] = tf->stats_mean[c];
                tf->std[c] = tf->stats_std[c];
            }
        }
        if (tf->kind == ASGML_TF_FRAMES) {
            if ((st = asgml_config_get_int(cfg, KEY("frames"), default_frames, &v)))
                return st;
            if (v < 1 || v > 64)
                return asgml_error(ASGML_EINVAL, "key '%s': %ld is out of range 1..64", key, v);
            tf->frames = (int)v;
            if ((st = asgml_config_get_string(cfg, KEY("frame-policy"), "first", &policy)) ||
                (st = asgml_config_get_string(cfg, KEY("crop"), "per_frame", &crop)))
                return st;
            if (strcmp(policy, "first") && strcmp(policy, "uniform") && strcmp(policy, "random"))
                return asgml_error(ASGML_EINVAL, "key 'data.%s.frame-policy': '%s' is not "
                                   "'first', 'uniform' or 'random'", name, policy);
            if (strcmp(crop, "per_frame") && strcmp(crop, "per_clip"))
                return asgml_error(ASGML_EINVAL, "key 'data.%s.crop': '%s' is not 'per_frame' "
                                   "or 'per_clip'", name, crop);
            tf->frame_uniform = strcmp(policy, "uniform") == 0 ? 1
                                : strcmp(policy, "random") == 0 ? 2 : 0;
            tf->crop_per_clip = strcmp(crop, "per_clip") == 0;
        }
        return ASGML_OK;
    }
    if (strcmp(info->dataset, "spec") == 0 || strcmp(info->dataset, "seq") == 0 ||
        strcmp(info->dataset, "fbank") == 0) {
        if (info->dtype != ASGML_F32 || info->ndim != 2)
            return asgml_error(ASGML_EFORMAT, "%s: /%s/%s: expected float32 (N,A,B)", store_path,
                               name, info->dataset);
        /* fbank (T, M) time x mel is fed as (1, M, T), seed v2 7.2's (1, 128, T) */
        tf->transpose = strcmp(info->dataset, "fbank") == 0;
        tf->kind = strcmp(info->dataset, "seq") == 0 ? ASGML_TF_SEQ : ASGML_TF_SPEC;
        if ((st = asgml_config_get_bool(cfg, KEY("zscore"), 0, &tf->zscore)))
            return st;
        if (tf->zscore) {
            int64_t a = info->shape[tf->transpose], b = info->shape[!tf->transpose], len;
            if ((st = read_stats(store_path, "", tf)) != ASGML_OK) {
                asgml_transform_release(tf);
                return st;
            }
            len = tf->stats_len;
            if (len != 1 && len != a * b && len != (tf->kind == ASGML_TF_SPEC ? a : b)) {
                asgml_transform_release(tf);
                return asgml_error(ASGML_EFORMAT, "%s: /stats/%s has %lld values; expected 1, "
                                   "%lld or %lld", store_path, name, (long long)len,
                                   (long long)(tf->kind == ASGML_TF_SPEC ? a : b),
                                   (long long)(a * b));
            }
        }
        return ASGML_OK;
    }
    if (strcmp(info->dataset, "wave") == 0 && info->dtype == ASGML_I16 && info->ndim == 1) {
        tf->kind = ASGML_TF_WAVE_WINDOW;
        if ((st = asgml_config_get_bool(cfg, KEY("zscore"), 0, &tf->zscore)))
            return st;
        if ((st = read_window(store_path, info, tf)) != ASGML_OK)
            return st;
        if (tf->zscore) {   /* per frequency bin of the spectrogram (asgml-prep's /stats/<m>/window) */
            if ((st = read_stats(store_path, "/window", tf)) != ASGML_OK) {
                asgml_transform_release(tf);
                return st;
            }
            if (tf->stats_len != tf->n_fft / 2 + 1) {
                int64_t len = tf->stats_len;
                asgml_transform_release(tf);
                return asgml_error(ASGML_EFORMAT, "%s: /stats/%s/window has %lld values; expected "
                                   "%d (one per frequency bin)", store_path, name, (long long)len,
                                   tf->n_fft / 2 + 1);
            }
        }
        return ASGML_OK;
    }
#undef KEY
    return asgml_error(ASGML_ENOTSUP, "%s: /%s/%s: the loader cannot read this kind of sample",
                       store_path, name, info->dataset);
}

void asgml_transform_release(asgml_transform *tf)
{
    free(tf->stats_mean);
    free(tf->stats_std);
    tf->stats_mean = tf->stats_std = NULL;
    tf->stats_len = 0;
}

int64_t asgml_transform_sample_size(const asgml_transform *tf, asgml_store *store, int *c,
                                    int *h, int *w)
{
    const asgml_modality_info *info = asgml_store_modality(store, tf->store_modality);
    int cc = 1, hh, ww;
    switch (tf->kind) {
    case ASGML_TF_IMAGE:
    case ASGML_TF_FRAMES:
        cc = tf->channels;
        hh = ww = tf->size;
        break;
    case ASGML_TF_SPEC:
        hh = (int)info->shape[tf->transpose];
        ww = (int)info->shape[!tf->transpose];
        break;
    case ASGML_TF_WAVE_WINDOW: {
        asgml_stft_params p = window_stft(tf);
        hh = tf->n_fft / 2 + 1;
        ww = (int)asgml_stft_frames(&p, tf->win_len);
        break;
    }
    default:
        hh = 1;
        ww = (int)(info->shape[0] * info->shape[1]);
        break;
    }
    if (c)
        *c = cc;
    if (h)
        *h = hh;
    if (w)
        *w = ww;
    return (int64_t)tf->frames * cc * hh * ww;
}

void asgml_transform_encoder(const asgml_transform *tf, asgml_store *store,
                             asgml_encoder_config *enc)
{
    int c, h, w;
    int64_t n = asgml_transform_sample_size(tf, store, &c, &h, &w);
    snprintf(enc->name, sizeof enc->name, "%s", tf->name);
    enc->kind = tf->kind == ASGML_TF_SEQ ? ASGML_ENC_MLP : ASGML_ENC_RESNET18;
    enc->in_channels = c;
    enc->in_h = h;
    enc->in_w = w;
    enc->frames = tf->frames;
    enc->in_dim = (int)n;
    enc->hidden = 0;
}

/* ---- the loader ------------------------------------------------------------- */

typedef struct slot {
    int32_t *labels;
    int64_t *samples;
    float *x[ASGML_MAX_MODALITIES];
    int size, index;       /* batch in this slot, index -1 = none */
    asgml_status status;
    char error[512];       /* the worker's message (errors are thread-local) */
} slot;

struct asgml_loader {
    asgml_store *store;
    asgml_loader_config cfg;
    asgml_transform tf[ASGML_MAX_MODALITIES];
    int64_t per_sample[ASGML_MAX_MODALITIES];  /* floats per sample */
    int64_t n, n_full;         /* served per epoch; in the split */
    int64_t *sorted, *order;
    int32_t *sorted_labels;
    const int32_t *all_labels;
    int num_batches, epoch, cursor;
    slot slots[2];
    uint8_t *raw, *crop_buf, *resize_buf;      /* scratch of the producing thread */
    float *wave_buf;                           /* (longest window) */
    float lut[ASGML_MAX_MODALITIES][3][256];   /* u8 -> normalised float */

    pthread_t thread;
    int thread_started, stop, requested, busy;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

typedef struct crop_params { int i, j, h, w, flip; } crop_params;

/* torchvision RandomResizedCrop.get_params; then the flip draw. */
static void draw_crop(const asgml_transform *tf, asgml_splitmix *r, int height, int width,
                      crop_params *c)
{
    double area = (double)height * width;
    double lr0 = log(tf->ratio[0]), lr1 = log(tf->ratio[1]);
    c->i = c->j = 0;
    c->h = height;
    c->w = width;
    if (tf->augment) {
        int found = 0;
        for (int k = 0; k < 10 && !found; k++) {
            double target = area * (tf->scale[0] + (tf->scale[1] - tf->scale[0]) *
                                    asgml_splitmix_real(r));
            double ar = exp(lr0 + (lr1 - lr0) * asgml_splitmix_real(r));
            int w = (int)nearbyint(sqrt(target * ar)), h = (int)nearbyint(sqrt(target / ar));
            if (w > 0 && w <= width && h > 0 && h <= height) {
                c->i = (int)asgml_splitmix_below(r, (uint64_t)(height - h + 1));
                c->j = (int)asgml_splitmix_below(r, (uint64_t)(width - w + 1));
                c->h = h;
                c->w = w;
                found = 1;
            }
        }
        if (!found) {
            double in_ratio = (double)width / height;
            if (in_ratio < tf->ratio[0]) {
                c->w = width;
                c->h = (int)nearbyint(width / tf->ratio[0]);
            } else if (in_ratio > tf->ratio[1]) {
                c->h = height;
                c->w = (int)nearbyint(height * tf->ratio[1]);
            }
            c->i = (height - c->h) / 2;
            c->j = (width - c->w) / 2;
        }
    }
    c->flip = tf->hflip ? asgml_splitmix_real(r) <= 0.5 : 0;
}

/* One image (h, w, ch) uint8 HWC -> dst (ch, S, S) float through crop,
 * PIL-bilinear resize, flip and normalisation. */
static asgml_status image_to_tensor(asgml_loader *l, int m, const uint8_t *src, int h, int w,
                                    const crop_params *c, float *dst)
{
    const asgml_transform *tf = &l->tf[m];
    int ch = tf->channels, S = tf->size;
    const uint8_t *img = src;
    if (c->i || c->j || c->h != h || c->w != w) {
        for (int y = 0; y < c->h; y++)
            memcpy(l->crop_buf + (size_t)y * c->w * ch,
                   src + ((size_t)(c->i + y) * w + c->j) * ch, (size_t)c->w * ch);
        img = l->crop_buf;
    }
    if (c->h != S || c->w != S) {
        asgml_status st = asgml_image_resize(img, c->h, c->w, ch, l->resize_buf, S, S);
        if (st != ASGML_OK)
            return st;
        img = l->resize_buf;
    }
    for (int k = 0; k < ch; k++) {
        const float *lut = l->lut[m][k];
        float *out = dst + (size_t)k * S * S;
        for (int y = 0; y < S; y++) {
            const uint8_t *row = img + (size_t)y * S * ch + k;
            float *orow = out + (size_t)y * S;
            if (c->flip)
                for (int x = 0; x < S; x++)
                    orow[x] = lut[row[(size_t)(S - 1 - x) * ch]];
            else
                for (int x = 0; x < S; x++)
                    orow[x] = lut[row[(size_t)x * ch]];
        }
    }
    return ASGML_OK;
}

/* fbank: each (T, M) sample of x (count samples) becomes (M, T) */
static void transpose(const asgml_modality_info *info, const float *in, float *x, int64_t count)
{
    int64_t T = info->shape[0], M = info->shape[1];
    for (int64_t s = 0; s < count; s++)
        for (int64_t t = 0; t < T; t++)
            for (int64_t m = 0; m < M; m++)
                x[s * T * M + m * T + t] = in[s * T * M + t * M + m];
}

static void zscore(const asgml_transform *tf, const asgml_modality_info *info, float *x,
                   int64_t count)
{
    int64_t a = info->shape[tf->transpose], b = info->shape[!tf->transpose], per = a * b;
    int64_t len = tf->stats_len;
    for (int64_t s = 0; s < count; s++) {
        float *v = x + s * per;
        for (int64_t r = 0; r < a; r++)
            for (int64_t q = 0; q < b; q++) {
                int64_t e = r * b + q;
                int64_t k = len == per ? e : len == 1 ? 0 : tf->kind == ASGML_TF_SPEC ? r : q;
                v[e] = (v[e] - tf->stats_mean[k]) / tf->stats_std[k];
            }
    }
}

/* Non-finite stored values (issue 13): x holds `count` float32 samples of
 * modality m as stored (before transpose and z-score), `per` values each.
 * asgml-prep never writes NaN/Inf (it replaces them and sets
 * ASGML_FLAG_NONFINITE_REPLACED), but a store written otherwise may hold
 * them, and an evaluation split's NaN would otherwise pass unnoticed (only
 * training samples meet the gradient check).  One pass over data already
 * in memory; the error names the store, the sample's id, the split part,
 * the dataset and the element index K (row-major in the stored shape). */
static asgml_status check_finite(const asgml_loader *l, int sm, const int64_t *samples,
                                 const float *x, int64_t count, int64_t per)
{
    for (int64_t b = 0; b < count; b++)
        for (int64_t e = 0; e < per; e++) {
            float v = x[b * per + e];
            if (isfinite(v))
                continue;
            const asgml_modality_info *info = asgml_store_modality(l->store, sm);
            return asgml_error(ASGML_ENUMERIC, "%s: sample '%s' (%s split): /%s/%s has %s at index %lld",
                               asgml_store_path(l->store), asgml_store_id(l->store, samples[b]),
                               l->cfg.part ? l->cfg.part : "?", info->name, info->dataset,
                               isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf", (long long)e);
        }
    return ASGML_OK;
}

/* Fills slot sl with batch k of the current epoch. */
static asgml_status fill(asgml_loader *l, slot *sl, int k)
{
    int B = l->cfg.batch_size;
    int64_t first = (int64_t)k * B, n = l->n - first < B ? l->n - first : B;
    asgml_status st = ASGML_OK;
    sl->size = (int)n;
    sl->index = k;
    for (int64_t b = 0; b < n; b++) {
        sl->samples[b] = l->order[first + b];
        sl->labels[b] = l->all_labels[sl->samples[b]];
    }
    for (int m = 0; m < l->cfg.num_modalities && st == ASGML_OK; m++) {
        const asgml_transform *tf = &l->tf[m];
        const asgml_modality_info *info = asgml_store_modality(l->store, tf->store_modality);
        int sm = tf->store_modality, h = (int)info->shape[0], w = (int)info->shape[1];
        size_t sbytes = asgml_store_sample_bytes(l->store, sm);
        int T = tf->frames;
        if (tf->kind == ASGML_TF_WAVE_WINDOW) {   /* a window of the wave, then its STFT */
            asgml_stft_params p = window_stft(tf);
            int64_t L = info->shape[0], W = tf->win_len;
            st = asgml_store_read(l->store, sm, sl->samples, n, 0, l->raw);
            for (int64_t b = 0; b < n && st == ASGML_OK; b++) {
                const int16_t *wv = (const int16_t *)(l->raw + b * sbytes);
                int64_t s0 = tf->win_test_start, i = sl->samples[b];
                if (l->cfg.train) {
                    asgml_splitmix r;
                    asgml_splitmix_init(&r, l->cfg.seed, WINDOW_TAG ^ ((uint64_t)l->epoch << 32) ^
                                        ((uint64_t)m << 28) ^ (uint64_t)i);
                    s0 = (int64_t)asgml_splitmix_below(&r, (uint64_t)(L - W + 1));
                }
                for (int64_t q = 0; q < W; q++)
                    l->wave_buf[q] = (float)wv[s0 + q] / 32768.0f;
                st = asgml_stft(&p, l->wave_buf, W, sl->x[m] + b * l->per_sample[m]);
                if (st == ASGML_OK && tf->zscore) {   /* (F, T): per frequency bin */
                    float *v = sl->x[m] + b * l->per_sample[m];
                    int64_t F = tf->stats_len, nt = l->per_sample[m] / F;
                    for (int64_t r = 0; r < F; r++)
                        for (int64_t t = 0; t < nt; t++)
                            v[r * nt + t] = (v[r * nt + t] - tf->stats_mean[r]) / tf->stats_std[r];
                }
            }
            continue;
        }
        if (tf->kind == ASGML_TF_SPEC || tf->kind == ASGML_TF_SEQ) {
            int64_t per = (int64_t)(sbytes / sizeof(float));
            if (tf->transpose) {
                st = asgml_store_read(l->store, sm, sl->samples, n, 0, l->raw);
                if (st == ASGML_OK)
                    st = check_finite(l, sm, sl->samples, (const float *)l->raw, n, per);
                if (st == ASGML_OK)
                    transpose(info, (const float *)l->raw, sl->x[m], n);
            } else {
                st = asgml_store_read(l->store, sm, sl->samples, n, 0, sl->x[m]);
                if (st == ASGML_OK)
                    st = check_finite(l, sm, sl->samples, sl->x[m], n, per);
            }
            if (st == ASGML_OK && tf->zscore)
                zscore(tf, info, sl->x[m], n);
            continue;
        }
        for (int t = 0; t < T && st == ASGML_OK; t++) {
            /* random: training only; evaluation keeps the first frames */
            int per = tf->kind == ASGML_TF_FRAMES &&
                      (tf->frame_uniform == 1 || (tf->frame_uniform == 2 && l->cfg.train));
            if (!per)
                st = asgml_store_read(l->store, sm, sl->samples, n, t, l->raw);
            for (int64_t b = 0; b < n && st == ASGML_OK; b++) {
                crop_params c = { 0, 0, h, w, 0 };
                int64_t i = sl->samples[b];
                if (per) {
                    int64_t cnt = asgml_store_frame_count(l->store, sm, i);
                    int64_t f = tf->frame_uniform == 1 ? (int64_t)t * (cnt / T)
                                                       : random_frame(l, m, i, cnt, T, t);
                    st = asgml_store_read(l->store, sm, &i, 1, f, l->raw + b * sbytes);
                    if (st != ASGML_OK)
                        break;
                }
                if (l->cfg.train && (tf->augment || tf->hflip)) {
                    /* stream per (epoch, modality, sample); frames in order */
                    asgml_splitmix r;
                    asgml_splitmix_init(&r, l->cfg.seed, AUGMENT_TAG ^ ((uint64_t)l->epoch << 32) ^
                                        ((uint64_t)m << 28) ^ (uint64_t)i);
                    for (int tt = 0; tt <= (tf->crop_per_clip ? 0 : t); tt++)
                        draw_crop(tf, &r, h, w, &c);
                }
                st = image_to_tensor(l, m, l->raw + b * sbytes, h, w, &c,
                                     sl->x[m] + (b * T + t) * (l->per_sample[m] / T));
            }
        }
    }
    return st;
}

/* frame-policy random (methods.md 1.x, --frames-random): the t-th of T
 * distinct frame indices of a clip of cnt frames drawn without replacement
 * and sorted, as [OGM] CramedDataset (np.random.choice(n, T,
 * replace=False), sorted); Floyd's sampling on a stream per (epoch,
 * modality, sample).  cnt < T: frame t mod cnt. */
static int64_t random_frame(const asgml_loader *l, int m, int64_t i, int64_t cnt, int T, int t)
{
    int64_t pick[64];
    int k = 0;
    asgml_splitmix r;
    if (cnt < T) return cnt > 0 ? t % cnt : 0;
    asgml_splitmix_init(&r, l->cfg.seed, FRAMES_TAG ^ ((uint64_t)l->epoch << 32) ^
                        ((uint64_t)m << 28) ^ (uint64_t)i);
    for (int64_t j = cnt - T; j < cnt; j++) {
        int64_t v = (int64_t)asgml_splitmix_below(&r, (uint64_t)j + 1);
        for (int q = 0; q < k; q++)
            if (pick[q] == v) { v = j; break; }
        pick[k++] = v;
    }
    for (int a = 1; a < k; a++)   /* insertion sort */
        for (int b = a; b > 0 && pick[b - 1] > pick[b]; b--) {
            int64_t x = pick[b]; pick[b] = pick[b - 1]; pick[b - 1] = x;
        }
    return pick[t];
}

static void *worker(void *arg)
{
    asgml_loader *l = arg;
    asgml_h5_quiet();   /* HDF5's automatic printing is per thread */
    pthread_mutex_lock(&l->mu);
    for (;;) {
        int k;
        slot *sl;
        while (!l->stop && l->requested < 0)
            pthread_cond_wait(&l->cv, &l->mu);
        if (l->stop)
            break;
        k = l->requested;
        l->requested = -1;
        l->busy = 1;
        sl = &l->slots[k % 2];
        pthread_mutex_unlock(&l->mu);
        sl->status = fill(l, sl, k);
        if (sl->status != ASGML_OK)
            snprintf(sl->error, sizeof sl->error, "%s", asgml_last_error());
        pthread_mutex_lock(&l->mu);
        sl->index = k;
        l->busy = 0;
        pthread_cond_broadcast(&l->cv);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

asgml_status asgml_loader_create(asgml_store *store, const asgml_loader_config *cfg,
                                 asgml_loader **out)
{
    asgml_loader *l;
    const int32_t *idx;
    int64_t n;
    size_t raw_bytes = 1, img_bytes = 1;
    int C = asgml_store_num_classes(store);
    asgml_status st;
    *out = NULL;
    if (cfg->batch_size < 1 || cfg->num_modalities < 1 ||
        cfg->num_modalities > ASGML_MAX_MODALITIES)
        return asgml_error(ASGML_EINVAL, "loader: bad batch size or modality count");
    if (cfg->indices) {
        idx = cfg->indices;
        n = cfg->num_indices;
        st = ASGML_OK;
    } else
        st = asgml_store_split(store, cfg->scheme, cfg->part, &idx, &n);
    if (st != ASGML_OK)
        return st;
    if (n == 0)
        return asgml_error(ASGML_EINVAL, "split %s/%s is empty", cfg->scheme ? cfg->scheme : "default",
                           cfg->part);
    /* PyTorch's DataLoader(drop_last=True) yields no batch when n < B; an
     * epoch that trains nothing is refused (issue 13, item 8). */
    if (cfg->drop_last && n < cfg->batch_size)
        return asgml_error(ASGML_EINVAL, "%s: the %s split has %lld samples, fewer than one batch of %d: "
                           "data.drop-last would leave no batch (lower data.batch-size or turn "
                           "data.drop-last off)", asgml_store_path(store), cfg->part ? cfg->part : "?",
                           (long long)n, cfg->batch_size);
    l = calloc(1, sizeof *l);
    if (!l)
        return asgml_error(ASGML_ENOMEM, "loader: out of memory");
    l->store = store;
    l->cfg = *cfg;
    l->cfg.tf = NULL;
    l->n = l->n_full = n;
    l->all_labels = asgml_store_labels(store);
    l->num_batches = (int)(cfg->drop_last ? n / cfg->batch_size
                                          : (n + cfg->batch_size - 1) / cfg->batch_size);
    if (cfg->drop_last && n >= cfg->batch_size)
        l->n = (int64_t)l->num_batches * cfg->batch_size;   /* served per epoch */
    l->sorted = malloc((size_t)n * sizeof *l->sorted);
    l->order = malloc((size_t)n * sizeof *l->order);
    l->sorted_labels = malloc((size_t)n * sizeof *l->sorted_labels);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->requested = -1;
    if (!l->sorted || !l->order || !l->sorted_labels) {
        asgml_loader_free(l);
        return asgml_error(ASGML_ENOMEM, "loader: out of memory");
    }
    for (int64_t i = 0; i < n; i++) {
        l->sorted[i] = idx[i];
        l->sorted_labels[i] = l->all_labels[idx[i]];
        if (l->sorted_labels[i] < 0 || l->sorted_labels[i] >= C) {
            const char *id = asgml_store_id(store, idx[i]);
            asgml_loader_free(l);
            return asgml_error(ASGML_EFORMAT, "sample '%s' of split part '%s' has no valid label",
                               id ? id : "?", cfg->part);
        }
    }
    memcpy(l->order, l->sorted, (size_t)n * sizeof *l->order);
    size_t wave_len = 1;
    for (int m = 0; m < cfg->num_modalities; m++) {
        const asgml_transform *tf = &cfg->tf[m];
        size_t sb = asgml_store_sample_bytes(store, tf->store_modality);
        if (tf->kind == ASGML_TF_WAVE_WINDOW && (size_t)tf->win_len > wave_len)
            wave_len = (size_t)tf->win_len;
        const asgml_modality_info *info = asgml_store_modality(store, tf->store_modality);
        l->tf[m] = *tf;     /* stats arrays stay owned by the caller */
        l->per_sample[m] = asgml_transform_sample_size(tf, store, NULL, NULL, NULL);
        if (sb * (size_t)cfg->batch_size > raw_bytes)
            raw_bytes = sb * (size_t)cfg->batch_size;
        if (tf->kind == ASGML_TF_IMAGE || tf->kind == ASGML_TF_FRAMES) {
            size_t ib = (size_t)info->shape[0] * (size_t)info->shape[1] * (size_t)tf->channels;
            size_t ob = (size_t)tf->size * (size_t)tf->size * (size_t)tf->channels;
            if (ib > img_bytes)
                img_bytes = ib;
            if (ob > img_bytes)
                img_bytes = ob;
            for (int c = 0; c < tf->channels; c++)
                for (int v = 0; v < 256; v++)
                    l->lut[m][c][v] = ((float)v / 255.0f - (float)tf->mean[c]) / (float)tf->std[c];
        }
    }
    l->raw = malloc(raw_bytes);
    l->crop_buf = malloc(img_bytes);
    l->resize_buf = malloc(img_bytes);
    l->wave_buf = malloc(wave_len * sizeof *l->wave_buf);
    if (!l->raw || !l->crop_buf || !l->resize_buf || !l->wave_buf) {
        asgml_loader_free(l);
        return asgml_error(ASGML_ENOMEM, "loader: out of memory");
    }
    for (int s = 0; s < 2; s++) {
        slot *sl = &l->slots[s];
        sl->index = -1;
        sl->labels = malloc((size_t)cfg->batch_size * sizeof *sl->labels);
        sl->samples = malloc((size_t)cfg->batch_size * sizeof *sl->samples);
        if (!sl->labels || !sl->samples) {
            asgml_loader_free(l);
            return asgml_error(ASGML_ENOMEM, "loader: out of memory");
        }
        for (int m = 0; m < cfg->num_modalities; m++) {
            sl->x[m] = malloc((size_t)cfg->batch_size * (size_t)l->per_sample[m] * sizeof(float));
            if (!sl->x[m]) {
                asgml_loader_free(l);
                return asgml_error(ASGML_ENOMEM, "loader: out of memory for batches");
            }
        }
    }
    if (cfg->prefetch) {
        if (pthread_create(&l->thread, NULL, worker, l) != 0) {
            asgml_loader_free(l);
            return asgml_error(ASGML_EINTERNAL, "loader: cannot start the prefetch thread");
        }
        l->thread_started = 1;
    }
    l->cursor = l->num_batches;
    *out = l;
    return ASGML_OK;
}

void asgml_loader_free(asgml_loader *l)
{
    if (!l)
        return;
    if (l->thread_started) {
        pthread_mutex_lock(&l->mu);
        l->stop = 1;
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->thread, NULL);
    }
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    for (int s = 0; s < 2; s++) {
        free(l->slots[s].labels);
        free(l->slots[s].samples);
        for (int m = 0; m < ASGML_MAX_MODALITIES; m++)
            free(l->slots[s].x[m]);
    }
    free(l->raw);
    free(l->crop_buf);
    free(l->resize_buf);
    free(l->wave_buf);
    free(l->sorted);
    free(l->order);
    free(l->sorted_labels);
    free(l);
}

int64_t asgml_loader_num_samples(const asgml_loader *l) { return l->n; }
int asgml_loader_num_batches(const asgml_loader *l) { return l->num_batches; }
const int32_t *asgml_loader_labels(const asgml_loader *l) { return l->sorted_labels; }

const int64_t *asgml_loader_order(const asgml_loader *l, int64_t *n)
{
    if (n)
        *n = l->n;
    return l->order;
}

/* Waits until the worker has nothing in hand. */
static void wait_idle(asgml_loader *l)
{
    pthread_mutex_lock(&l->mu);
    while (l->busy || l->requested >= 0)
        pthread_cond_wait(&l->cv, &l->mu);
    pthread_mutex_unlock(&l->mu);
}

asgml_status asgml_loader_start_epoch(asgml_loader *l, int epoch)
{
    if (l->thread_started)
        wait_idle(l);
    /* shuffle the whole split, serve the first n (all but a dropped tail) */
    memcpy(l->order, l->sorted, (size_t)l->n_full * sizeof *l->order);
    if (l->cfg.train) {
        asgml_splitmix r;
        asgml_splitmix_init(&r, l->cfg.seed, SHUFFLE_TAG + (uint64_t)epoch);
        asgml_splitmix_shuffle(&r, l->order, l->n_full);
    }
    l->epoch = epoch;
    l->cursor = 0;
    l->slots[0].index = l->slots[1].index = -1;
    if (l->thread_started) {
        pthread_mutex_lock(&l->mu);
        l->requested = 0;
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
    }
    return ASGML_OK;
}

asgml_status asgml_loader_next(asgml_loader *l, asgml_batch *b, int *done)
{
    int k = l->cursor;
    slot *sl = &l->slots[k % 2];
    asgml_status st;
    *done = 0;
    if (k >= l->num_batches) {
        *done = 1;
        return ASGML_OK;
    }
    if (l->thread_started) {
        pthread_mutex_lock(&l->mu);
        while (sl->index != k || l->busy)
            pthread_cond_wait(&l->cv, &l->mu);
        st = sl->status;
        if (st == ASGML_OK && k + 1 < l->num_batches) {
            l->requested = k + 1;
            pthread_cond_broadcast(&l->cv);
        }
        pthread_mutex_unlock(&l->mu);
        if (st != ASGML_OK)
            return asgml_error(st, "%s", sl->error);
    } else {
        st = fill(l, sl, k);
        if (st != ASGML_OK)
            return st;
    }
    l->cursor = k + 1;
    b->size = sl->size;
    b->index = k;
    b->labels = sl->labels;
    b->samples = sl->samples;
    for (int m = 0; m < ASGML_MAX_MODALITIES; m++)
        b->x[m] = m < l->cfg.num_modalities ? sl->x[m] : NULL;
    return ASGML_OK;
}
