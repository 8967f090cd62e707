/* SPDX-License-Identifier: MIT */
/* audio.c - audio decoding (libsndfile), mono downmix, resampling
 * (resample.c: libsoxr SOXR_HQ or libsamplerate) and fitting to a fixed length.
 *
 * Samples are float32 in [-1,1] scale: PCM / 2^(bits-1) (libsndfile's
 * normalised float read), float files as stored.  Shapes: the file holds
 * (frames, channels) interleaved; asgml_audio.samples is (n,) mono. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#include "asgml/store.h"
#include "data/decode.h"

/* Bits per sample of a PCM subformat, 0 for float/compressed formats. */
static int pcm_bits(int format)
{
    switch (format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8:
    case SF_FORMAT_PCM_U8: return 8;
    case SF_FORMAT_PCM_16: return 16;
    case SF_FORMAT_PCM_24: return 24;
    case SF_FORMAT_PCM_32: return 32;
    default: return 0;
    }
}

/* libsndfile silently shortens a data chunk that claims more bytes than the
 * file holds; its log then says "data : 16000 (should be 7979)".  Treat that
 * as a truncated file (a wrong RIFF size alone is tolerated). */
static int log_says_truncated(SNDFILE *sf)
{
    char log[8192];
    const char *p;
    int len = (int)sf_command(sf, SFC_GET_LOG_INFO, log, (int)sizeof log);
    if (len <= 0)
        return 0;
    log[sizeof log - 1] = '\0';
    for (p = log; (p = strstr(p, "data")) != NULL; p++) {
        const char *eol = strchr(p, '\n');
        const char *sb = strstr(p, "should be");
        if ((p == log || p[-1] == '\n') && sb && (!eol || sb < eol))
            return 1;
    }
    return strstr(log, "too big") != NULL || strstr(log, "Premature EOF") != NULL;
}

asgml_status asgml_audio_load(const char *path, int target_rate, asgml_audio *out)
{
    return asgml_audio_load_rs(path, target_rate, ASGML_RESAMPLER_SOXR, out);
}

asgml_status asgml_audio_load_rs(const char *path, int target_rate, asgml_resampler rs, asgml_audio *out)
{
    SF_INFO info;
    SNDFILE *sf;
    float *buf = NULL, *mono = NULL;
    int64_t n, got, cap;
    int ch;
    asgml_status st = ASGML_OK;

    memset(out, 0, sizeof *out);
    if (!path)
        return asgml_error(ASGML_EINVAL, "audio_load: NULL path");
    if (target_rate < 0)
        return asgml_error(ASGML_EINVAL, "%s: negative target rate %d", path, target_rate);
    memset(&info, 0, sizeof info);
    {
        int fd = asgml_open_regular(path, "audio", &st);
        if (fd < 0)
            return st;
        sf = sf_open_fd(fd, SFM_READ, &info, 1);   /* closes fd, also on failure */
    }
    if (!sf)
        return asgml_error(sf_error(NULL) == SF_ERR_SYSTEM ? ASGML_EIO : ASGML_EFORMAT,
                           "%s: cannot decode audio: %s", path, sf_strerror(NULL));
    ch = info.channels;
    n = (int64_t)info.frames;
    if (ch <= 0 || info.samplerate <= 0) {
        sf_close(sf);
        return asgml_error(ASGML_EFORMAT, "%s: bad audio header (%d channels, %d Hz)", path,
                           ch, info.samplerate);
    }
    if (n <= 0 || n == (int64_t)SF_COUNT_MAX) {
        sf_close(sf);
        if (n == 0)
            return asgml_error(ASGML_EFORMAT, "%s: empty audio", path);
        return asgml_error(ASGML_EFORMAT, "%s: audio length unknown", path);
    }
    if (log_says_truncated(sf)) {
        sf_close(sf);
        return asgml_error(ASGML_EFORMAT, "%s: truncated audio file (data chunk longer than the file)",
                           path);
    }
    if (n > ((int64_t)1 << 34) / ch) {
        sf_close(sf);
        return asgml_error(ASGML_EFORMAT, "%s: audio too long (%lld frames)", path, (long long)n);
    }
    /* The header's frame count is a claim: a 139-byte FLAC can announce
     * 1.9e9 frames.  The buffer grows with what is really decoded (blocks
     * of up to 2^16 frames, doubling), so a lying header costs nothing
     * before the read falls short (found by fuzz/fuzz_flac). */
    cap = n < ((int64_t)1 << 16) ? n : ((int64_t)1 << 16);
    buf = malloc((size_t)cap * (size_t)ch * sizeof *buf);
    if (!buf) {
        sf_close(sf);
        return asgml_error(ASGML_ENOMEM, "%s: out of memory for %lld frames", path, (long long)n);
    }
    sf_command(sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
    got = 0;
    while (got < n) {
        sf_count_t r;
        if (got == cap) {
            int64_t ncap = 2 * cap < n ? 2 * cap : n;
            float *nb = realloc(buf, (size_t)ncap * (size_t)ch * sizeof *buf);
            if (!nb) {
                sf_close(sf);
                free(buf);
                return asgml_error(ASGML_ENOMEM, "%s: out of memory for %lld frames", path,
                                   (long long)n);
            }
            buf = nb;
            cap = ncap;
        }
        r = sf_readf_float(sf, buf + got * ch, (sf_count_t)(cap - got));
        if (r <= 0)
            break;
        got += (int64_t)r;
    }
    if (got != n || sf_error(sf) != SF_ERR_NO_ERROR) {
        st = asgml_error(ASGML_EFORMAT, "%s: truncated or corrupt audio (read %lld of %lld frames%s%s)",
                         path, (long long)(got < 0 ? 0 : got), (long long)n,
                         sf_error(sf) ? ": " : "", sf_error(sf) ? sf_strerror(sf) : "");
        sf_close(sf);
        free(buf);
        return st;
    }
    sf_close(sf);

    out->src_channels = ch;
    out->src_rate = info.samplerate;
    out->src_bits = pcm_bits(info.format);
    out->sample_rate = info.samplerate;

    /* downmix (frames, ch) -> (frames,) by the channel mean */
    if (ch == 1) {
        mono = buf;
        buf = NULL;
    } else {
        mono = malloc((size_t)n * sizeof *mono);
        if (!mono) {
            free(buf);
            return asgml_error(ASGML_ENOMEM, "%s: out of memory for %lld samples", path,
                               (long long)n);
        }
        for (int64_t i = 0; i < n; i++) {
            double s = 0.0;
            for (int c = 0; c < ch; c++)
                s += buf[i * ch + c];
            mono[i] = (float)(s / ch);
        }
        free(buf);
        buf = NULL;
        out->flags |= ASGML_FLAG_RESAMPLED_OR_DOWNMIXED;
    }

    if (target_rate > 0 && target_rate != info.samplerate) {
        float *y = NULL;
        int64_t m = 0;
        st = asgml_resample(path, mono, n, info.samplerate, target_rate, rs, &y, &m);
        free(mono);
        if (st != ASGML_OK) {
            memset(out, 0, sizeof *out);
            return st;
        }
        mono = y;
        n = m;
        out->sample_rate = target_rate;
        out->flags |= ASGML_FLAG_RESAMPLED_OR_DOWNMIXED;
    }
    if (n == 0) {
        free(mono);
        memset(out, 0, sizeof *out);
        return asgml_error(ASGML_EFORMAT, "%s: empty audio", path);
    }
    out->samples = mono;
    out->n = n;
    return ASGML_OK;
}

void asgml_audio_free(asgml_audio *a)
{
    if (!a)
        return;
    free(a->samples);
    memset(a, 0, sizeof *a);
}

/* x: (n,) -> out: (len,).  Longer clips keep their first len samples in
 * every mode (asgml-prep(1), DATA SETS, AV-Digits).  Flags are OR-ed into *flags (may be NULL). */
asgml_status asgml_audio_fit(const float *x, int64_t n, const char *fit, int64_t len,
                             float *out, uint32_t *flags)
{
    uint32_t f = 0;

    if (!fit || !out || len <= 0 || n < 0 || (n > 0 && !x))
        return asgml_error(ASGML_EINVAL, "audio_fit: bad arguments (n=%lld len=%lld)",
                           (long long)n, (long long)len);
    if (strcmp(fit, "tile") && strcmp(fit, "pad_end") && strcmp(fit, "pad_center"))
        return asgml_error(ASGML_EINVAL, "audio_fit: unknown fit '%s' (tile, pad_end, pad_center)",
                           fit);
    if (n == 0)
        return asgml_error(ASGML_EFORMAT, "audio_fit: empty audio");
    if (n >= len) {
        memcpy(out, x, (size_t)len * sizeof *out);
        if (n > len)
            f |= ASGML_FLAG_AUDIO_TRUNCATED;
    } else if (!strcmp(fit, "tile")) {
        /* repeat until >= len, keep the first len */
        for (int64_t i = 0; i < len; i += n) {
            int64_t k = len - i < n ? len - i : n;
            memcpy(out + i, x, (size_t)k * sizeof *out);
        }
        f |= ASGML_FLAG_AUDIO_TILED;
    } else {
        int64_t left = !strcmp(fit, "pad_center") ? (len - n) / 2 : 0;
        memset(out, 0, (size_t)len * sizeof *out);
        memcpy(out + left, x, (size_t)n * sizeof *out);
    }
    if (flags)
        *flags |= f;
    return ASGML_OK;
}
