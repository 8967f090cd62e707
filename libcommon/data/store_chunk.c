/* SPDX-License-Identifier: MIT */
/* store_chunk.c - the store's chunk codec outside HDF5 (store_chunk.h):
 * HDF5's shuffle filter (H5Zshuffle.c: byte b of element i -> b * n + i)
 * and deflate filter (H5Zdeflate.c: a zlib stream, RFC 1950), the deflate
 * done by ISA-L's igzip (isal_deflate_stateless, IGZIP_ZLIB; inflate by
 * isal_inflate_stateless, ISAL_ZLIB).  igzip has levels 1-3; the store's
 * deflate level N (1-9, recorded in the HDF5 filter) maps to igzip level
 * (N + 2) / 3: 1-3 -> 1, 4-6 -> 2, 7-9 -> 3 (asgml-store(5), Compression). */
#include "data/store_chunk.h"

#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>

struct asgml_sw_encoder {
    struct isal_zstream z;
    uint8_t *level_buf[4];   /* igzip's hash tables per level 1-3 */
    uint8_t *tmp;            /* shuffled / little-endian copy */
    size_t tmp_cap;
};

struct asgml_sw_decoder {
    struct inflate_state st;
    uint8_t *tmp;
    size_t tmp_cap;
};

static const uint32_t level_buf_size[4] = {0, ISAL_DEF_LVL1_DEFAULT, ISAL_DEF_LVL2_DEFAULT,
                                           ISAL_DEF_LVL3_DEFAULT};

int asgml_sw_igzip_level(int deflate) { return deflate <= 0 ? 0 : deflate >= 9 ? 3 : (deflate + 2) / 3; }

static int big_endian(void) { return __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__; }

static asgml_status grow(uint8_t **p, size_t *cap, size_t n)
{
    if (n <= *cap) return ASGML_OK;
    void *q = realloc(*p, n);
    if (!q) return asgml_error(ASGML_ENOMEM, "out of memory for a %zu-byte chunk", n);
    *p = q;
    *cap = n;
    return ASGML_OK;
}

/* in: (n, esize) native order -> out: (esize, n) little-endian bytes */
static void shuffle(uint8_t *out, const uint8_t *in, size_t n, size_t es)
{
    int sw = big_endian();
    if (es == 4 && !sw) {
        for (size_t i = 0; i < n; i++) {
            out[i] = in[4 * i];
            out[n + i] = in[4 * i + 1];
            out[2 * n + i] = in[4 * i + 2];
            out[3 * n + i] = in[4 * i + 3];
        }
        return;
    }
    if (es == 2 && !sw) {
        for (size_t i = 0; i < n; i++) {
            out[i] = in[2 * i];
            out[n + i] = in[2 * i + 1];
        }
        return;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t b = 0; b < es; b++) out[b * n + i] = in[i * es + (sw ? es - 1 - b : b)];
}

/* in: (esize, n) -> out: (n, esize), bytes kept little-endian */
static void unshuffle(uint8_t *out, const uint8_t *in, size_t n, size_t es)
{
    if (es == 4) {
        for (size_t i = 0; i < n; i++) {
            out[4 * i] = in[i];
            out[4 * i + 1] = in[n + i];
            out[4 * i + 2] = in[2 * n + i];
            out[4 * i + 3] = in[3 * n + i];
        }
        return;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t b = 0; b < es; b++) out[i * es + b] = in[b * n + i];
}

/* native -> little-endian elements */
static void to_le(uint8_t *out, const uint8_t *in, size_t n, size_t es)
{
    for (size_t i = 0; i < n; i++)
        for (size_t b = 0; b < es; b++) out[i * es + b] = in[i * es + es - 1 - b];
}

asgml_status asgml_sw_encoder_new(asgml_sw_encoder **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? ASGML_OK : asgml_error(ASGML_ENOMEM, "out of memory");
}

void asgml_sw_encoder_free(asgml_sw_encoder *e)
{
    if (!e) return;
    for (int i = 0; i < 4; i++) free(e->level_buf[i]);
    free(e->tmp);
    free(e);
}

void asgml_sw_chunk_free(asgml_sw_chunk *c)
{
    free(c->buf);
    memset(c, 0, sizeof *c);
}

asgml_status asgml_sw_encode(asgml_sw_encoder *e, const asgml_sw_codec *codec, const void *data,
                             asgml_sw_chunk *out)
{
    size_t bytes = codec->bytes, es = codec->esize, n = es ? bytes / es : 0;
    if (codec->deflate < 0 || codec->deflate > 9 || !es || n * es != bytes || bytes > UINT32_MAX)
        return asgml_error(ASGML_EINVAL, "bad chunk codec (deflate %d, %zu bytes of %zu)",
                           codec->deflate, bytes, es);
    uint8_t *buf = out->buf;
    asgml_status st = grow(&buf, &out->cap, bytes ? bytes : 1);
    out->buf = buf;
    if (st) return st;
    const uint8_t *le = data;   /* the chunk's elements in little-endian order */
    if (big_endian() && es > 1) {
        if ((st = grow(&e->tmp, &e->tmp_cap, bytes))) return st;
        to_le(e->tmp, data, n, es);
        le = e->tmp;
    }
    out->mask = 0;
    if (codec->deflate > 0) {
        const uint8_t *src = le;
        if (codec->shuffle && es > 1) {
            if ((st = grow(&e->tmp, &e->tmp_cap, bytes))) return st;
            shuffle(e->tmp, data, n, es);
            src = e->tmp;
        }
        int lv = asgml_sw_igzip_level(codec->deflate);
        if (!e->level_buf[lv] && !(e->level_buf[lv] = malloc(level_buf_size[lv])))
            return asgml_error(ASGML_ENOMEM, "out of memory for a deflate compressor");
        struct isal_zstream *z = &e->z;
        isal_deflate_stateless_init(z);
        z->level = (uint32_t)lv;
        z->level_buf = e->level_buf[lv];
        z->level_buf_size = level_buf_size[lv];
        z->gzip_flag = IGZIP_ZLIB;
        z->end_of_stream = 1;
        z->flush = NO_FLUSH;
        z->next_in = (uint8_t *)src;
        z->avail_in = (uint32_t)bytes;
        z->next_out = out->buf;
        z->avail_out = (uint32_t)(bytes > 1 ? bytes - 1 : 0);
        /* room for bytes - 1: a stream that does not shrink the chunk is not kept */
        int r = bytes > 1 ? isal_deflate_stateless(z) : STATELESS_OVERFLOW;
        if (r == COMP_OK) {
            out->size = z->total_out;
            return ASGML_OK;
        }
        if (r != STATELESS_OVERFLOW) return asgml_error(ASGML_EINTERNAL, "igzip: deflate failed (%d)", r);
        out->mask = (1u << codec->nfilters) - 1;   /* stored raw: every filter skipped */
        if (big_endian() && es > 1) to_le(out->buf, data, n, es);
        else memcpy(out->buf, data, bytes);
    } else if (codec->shuffle && es > 1) {
        shuffle(out->buf, data, n, es);
    } else if (le != data) {
        memcpy(out->buf, le, bytes);
    } else {
        memcpy(out->buf, data, bytes);
    }
    out->size = bytes;
    return ASGML_OK;
}

asgml_status asgml_sw_decoder_new(asgml_sw_decoder **out)
{
    asgml_sw_decoder *d = calloc(1, sizeof *d);
    *out = d;
    return d ? ASGML_OK : asgml_error(ASGML_ENOMEM, "out of memory");
}

void asgml_sw_decoder_free(asgml_sw_decoder *d)
{
    if (!d) return;
    free(d->tmp);
    free(d);
}

asgml_status asgml_sw_decode(asgml_sw_decoder *d, const asgml_sw_codec *codec, const void *in,
                             size_t n, uint32_t mask, void *out)
{
    size_t bytes = codec->bytes, es = codec->esize;
    int shuf = codec->shuffle && !(mask & 1u), fd = codec->shuffle ? 1 : 0;
    int defl = codec->deflate > 0 && !(mask & (1u << fd));
    const uint8_t *src = in;
    size_t have = n;
    asgml_status st;
    if (defl) {
        uint8_t *dst = out;
        if (shuf && es > 1) {
            if ((st = grow(&d->tmp, &d->tmp_cap, bytes))) return st;
            dst = d->tmp;
        }
        struct inflate_state *z = &d->st;
        isal_inflate_init(z);
        z->crc_flag = ISAL_ZLIB;
        z->next_in = (uint8_t *)in;
        z->avail_in = (uint32_t)n;
        z->next_out = dst;
        z->avail_out = (uint32_t)bytes;
        if (n > UINT32_MAX || bytes > UINT32_MAX || isal_inflate_stateless(z) != ISAL_DECOMP_OK || z->total_out != bytes)
            return asgml_error(ASGML_EFORMAT, "a deflated chunk does not inflate to %zu bytes", bytes);
        if (dst == out) return ASGML_OK;
        src = dst;
        have = bytes;
    }
    if (have != bytes) return asgml_error(ASGML_EFORMAT, "a chunk holds %zu bytes, not %zu", have, bytes);
    if (shuf && es > 1) unshuffle(out, src, bytes / es, es);
    else if (src != out) memcpy(out, src, bytes);
    return ASGML_OK;
}
