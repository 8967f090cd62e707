/* SPDX-License-Identifier: MIT */
/* resize.c - antialiased bilinear resize, a re-implementation of PIL's
 * ImagingResample (Image.resize(size, BILINEAR)) for uint8 images.
 *
 * in: (h, w, c) uint8 row-major interleaved -> out: (oh, ow, c).
 * Per axis, output sample o has centre (o + 0.5) * in/out in input
 * coordinates (pixel i covers [i, i+1)); the triangle filter's support is
 * 1 * max(1, in/out) pixels; weights tri((i + 0.5 - centre) / max(1, in/out))
 * are normalised to sum 1, then quantised to 22-bit fixed point as PIL does
 * (round half away from zero).  Horizontal pass first, rounded to uint8,
 * then the vertical pass; an axis whose size does not change is skipped.
 * The result matches PIL bit for bit on every image tried. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/decode.h"

#define PRECISION_BITS (32 - 8 - 2)

struct coeffs {
    int ksize;     /* taps per output sample */
    int *bounds;   /* (out, 2): first input index, number of taps */
    int32_t *k;    /* (out, ksize) fixed-point weights */
};

static void free_coeffs(struct coeffs *c)
{
    free(c->bounds);
    free(c->k);
}

static double tri(double x)
{
    if (x < 0.0)
        x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

/* PIL precompute_coeffs + normalize_coeffs_8bpc for in_size -> out_size. */
static int make_coeffs(int in_size, int out_size, struct coeffs *c)
{
    double scale = (double)in_size / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = 1.0 * filterscale;
    double *w;

    c->ksize = (int)ceil(support) * 2 + 1;
    c->bounds = malloc((size_t)out_size * 2 * sizeof *c->bounds);
    c->k = calloc((size_t)out_size * (size_t)c->ksize, sizeof *c->k);
    w = malloc((size_t)c->ksize * sizeof *w);
    if (!c->bounds || !c->k || !w) {
        free(w);
        free_coeffs(c);
        return -1;
    }
    for (int o = 0; o < out_size; o++) {
        double center = (o + 0.5) * scale, ww = 0.0, ss = 1.0 / filterscale;
        int xmin = (int)(center - support + 0.5), xmax;
        if (xmin < 0)
            xmin = 0;
        xmax = (int)(center + support + 0.5);
        if (xmax > in_size)
            xmax = in_size;
        xmax -= xmin;
        if (xmax > c->ksize)
            xmax = c->ksize;   /* cannot happen; keeps the table in bounds */
        for (int x = 0; x < xmax; x++) {
            w[x] = tri((x + xmin - center + 0.5) * ss);
            ww += w[x];
        }
        for (int x = 0; x < xmax; x++) {
            double v = ww != 0.0 ? w[x] / ww : w[x];
            double f = v * (1 << PRECISION_BITS);
            c->k[(size_t)o * c->ksize + x] = (int32_t)(v < 0 ? f - 0.5 : f + 0.5);
        }
        c->bounds[2 * o] = xmin;
        c->bounds[2 * o + 1] = xmax;
    }
    free(w);
    return 0;
}

/* Sums fit in int32 as in PIL (ImagingResample uses int): the triangle
 * weights are >= 0 and sum to 2^22 (+ rounding, < n/2), so a sum is at most
 * 2^21 + 255 * (2^22 + 4) < 2^31. */
static uint8_t clip8(int32_t v)
{
    if (v <= 0)
        return 0;
    v >>= PRECISION_BITS;
    return v > 255 ? 255 : (uint8_t)v;
}

/* (h, w, ch) -> (h, ow, ch); RGB has its own loop (the three channels of
 * a tap share its weight), same sums. */
static void pass_h(const uint8_t *in, int h, int w, int ch, uint8_t *out, int ow,
                   const struct coeffs *c)
{
    for (int y = 0; y < h; y++) {
        const uint8_t *src = in + (size_t)y * w * ch;
        uint8_t *dst = out + (size_t)y * ow * ch;
        for (int o = 0; o < ow; o++) {
            int xmin = c->bounds[2 * o], n = c->bounds[2 * o + 1];
            const int32_t *k = c->k + (size_t)o * c->ksize;
            if (ch == 3) {
                int32_t s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
                const uint8_t *p = src + (size_t)xmin * 3;
                for (int x = 0; x < n; x++, p += 3) {
                    s0 += (int32_t)p[0] * k[x];
                    s1 += (int32_t)p[1] * k[x];
                    s2 += (int32_t)p[2] * k[x];
                }
                dst[(size_t)o * 3] = clip8(s0);
                dst[(size_t)o * 3 + 1] = clip8(s1);
                dst[(size_t)o * 3 + 2] = clip8(s2);
                continue;
            }
            for (int b = 0; b < ch; b++) {
                int32_t ss = 1 << (PRECISION_BITS - 1);
                for (int x = 0; x < n; x++)
                    ss += (int32_t)src[(size_t)(xmin + x) * ch + b] * k[x];
                dst[(size_t)o * ch + b] = clip8(ss);
            }
        }
    }
}

/* (h, w, ch) -> (oh, w, ch) */
static void pass_v(const uint8_t *in, int w, int ch, uint8_t *out, int oh,
                   const struct coeffs *c)
{
    size_t stride = (size_t)w * ch;
    for (int o = 0; o < oh; o++) {
        int ymin = c->bounds[2 * o], n = c->bounds[2 * o + 1];
        const int32_t *k = c->k + (size_t)o * c->ksize;
        uint8_t *dst = out + (size_t)o * stride;
        for (size_t i0 = 0; i0 < stride; i0 += 256) {   /* rows of taps summed in a block (vectorised) */
            int32_t ss[256];
            size_t m = stride - i0 < 256 ? stride - i0 : 256;
            for (size_t i = 0; i < m; i++) ss[i] = 1 << (PRECISION_BITS - 1);
            for (int y = 0; y < n; y++) {
                const uint8_t *row = in + (size_t)(ymin + y) * stride + i0;
                int32_t ky = k[y];
                for (size_t i = 0; i < m; i++) ss[i] += (int32_t)row[i] * ky;
            }
            for (size_t i = 0; i < m; i++) dst[i0 + i] = clip8(ss[i]);
        }
    }
}

asgml_status asgml_image_resize(const uint8_t *in, int h, int w, int c, uint8_t *out,
                                int oh, int ow)
{
    struct coeffs ch = {0}, cv = {0};
    uint8_t *tmp = NULL;
    const uint8_t *src = in;
    asgml_status st = ASGML_OK;

    if (!in || !out || h <= 0 || w <= 0 || oh <= 0 || ow <= 0 || c <= 0 || c > 4)
        return asgml_error(ASGML_EINVAL, "image_resize: bad arguments (%dx%dx%d -> %dx%d)",
                           h, w, c, oh, ow);
    if ((int64_t)h * ow * c > ((int64_t)1 << 31) || (int64_t)oh * ow * c > ((int64_t)1 << 31))
        return asgml_error(ASGML_EINVAL, "image_resize: image too large");
    if (oh == h && ow == w) {
        memcpy(out, in, (size_t)h * w * c);
        return ASGML_OK;
    }
    if (ow != w) {
        if (make_coeffs(w, ow, &ch))
            return asgml_error(ASGML_ENOMEM, "image_resize: out of memory");
        if (oh == h) {
            pass_h(in, h, w, c, out, ow, &ch);
            free_coeffs(&ch);
            return ASGML_OK;
        }
        tmp = malloc((size_t)h * ow * c);
        if (!tmp) {
            free_coeffs(&ch);
            return asgml_error(ASGML_ENOMEM, "image_resize: out of memory");
        }
        pass_h(in, h, w, c, tmp, ow, &ch);
        src = tmp;
    }
    if (make_coeffs(h, oh, &cv)) {
        st = asgml_error(ASGML_ENOMEM, "image_resize: out of memory");
    } else {
        pass_v(src, ow, c, out, oh, &cv);
        free_coeffs(&cv);
    }
    if (ow != w)
        free_coeffs(&ch);
    free(tmp);
    return st;
}
