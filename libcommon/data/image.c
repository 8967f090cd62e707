/* SPDX-License-Identifier: MIT */
/* image.c - PNG (libpng) and JPEG (libjpeg-turbo) decoding to uint8 grey
 * or RGB, pixel-compatible with PIL's Image.convert("L") / ("RGB").
 *
 * Output: (h, w, c) row-major interleaved uint8, c = 1 or 3.
 *   PNG: 1/2/4-bit grey scaled to 0..255 (v * 255 / (2^bits - 1));
 *        16-bit samples keep their high byte (v >> 8, as PIL for RGB;
 *        PIL turns 16-bit grey into mode "I" whose convert("L") clips);
 *        palette expanded through the palette; alpha and tRNS dropped;
 *        gAMA ignored (as PIL); interlaced images supported.
 *   JPEG: decoded by libjpeg with default settings (islow IDCT, fancy
 *        upsampling) to grey, RGB or CMYK; Adobe CMYK/YCCK is stored
 *        inverted and converted as PIL does: R = (255-C)(255-K)/255
 *        rounded, on the un-inverted values.  Premature end of file and
 *        damaged scan data (libjpeg warnings JWRN_JPEG_EOF, _HIT_MARKER,
 *        _MUST_RESYNC) are errors; other libjpeg warnings are tolerated.
 *   Grey from RGB: PIL's L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16.
 *   RGB from grey: R = G = B = L.
 * Errors are caught with setjmp/longjmp; nothing is printed. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "data/decode.h"

#define MAX_PIXELS ((int64_t)1 << 28)   /* w*h limit: 256 Mpixel */

static uint8_t pil_l(unsigned r, unsigned g, unsigned b)
{
    return (uint8_t)((r * 19595u + g * 38470u + b * 7471u + 0x8000u) >> 16);
}

int asgml_open_regular(const char *path, const char *what, asgml_status *st)
{
    struct stat sb;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        *st = asgml_error(ASGML_EIO, "%s: cannot open %s: %s", path, what, strerror(errno));
        return -1;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        *st = asgml_error(ASGML_EFORMAT, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    *st = ASGML_OK;
    return fd;
}

/* Whole file -> malloc'd bytes. */
static asgml_status read_file(const char *path, uint8_t **data, size_t *len)
{
    asgml_status st;
    int fd = asgml_open_regular(path, "image", &st);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    if (fd < 0)
        return st;
    if (!f) {
        close(fd);
        return asgml_error(ASGML_EIO, "%s: cannot open image", path);
    }
    for (;;) {
        size_t got;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            uint8_t *nb = ncap > ((size_t)1 << 31) ? NULL : realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fclose(f);
                return asgml_error(ASGML_ENOMEM, "%s: image file too large", path);
            }
            buf = nb;
            cap = ncap;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return asgml_error(ASGML_EIO, "%s: read error", path);
    }
    fclose(f);
    *data = buf;
    *len = n;
    return ASGML_OK;
}

/* src (h*w, sc) with sc in {1,3} -> dst (h*w, dc); dst may not alias src. */
static void convert_channels(const uint8_t *src, int sc, uint8_t *dst, int dc, int64_t npix)
{
    if (sc == dc) {
        memcpy(dst, src, (size_t)npix * (size_t)sc);
    } else if (sc == 3) {
        for (int64_t i = 0; i < npix; i++)
            dst[i] = pil_l(src[3 * i], src[3 * i + 1], src[3 * i + 2]);
    } else {
        for (int64_t i = 0; i < npix; i++)
            dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = src[i];
    }
}

/* ---- PNG ------------------------------------------------------------------ */

struct png_ctx {
    jmp_buf jb;
    const uint8_t *data;
    size_t len, pos;
    char msg[200];
    char warn[120];
};

static void png_err_fn(png_structp png, png_const_charp msg)
{
    struct png_ctx *c = png_get_error_ptr(png);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    longjmp(c->jb, 1);
}

/* ancillary-chunk warnings are never printed; the last is kept for the
 * error message, should the file fail later */
static void png_warn_fn(png_structp png, png_const_charp msg)
{
    struct png_ctx *c = png_get_error_ptr(png);
    snprintf(c->warn, sizeof c->warn, "%s", msg);
}

static void png_read_fn(png_structp png, png_bytep out, png_size_t n)
{
    struct png_ctx *c = png_get_io_ptr(png);
    if (n > c->len - c->pos)
        png_error(png, "truncated file (unexpected end of data)");
    memcpy(out, c->data + c->pos, n);
    c->pos += n;
}

static asgml_status decode_png(const char *path, const uint8_t *data, size_t len,
                               int channels, asgml_image *out)
{
    struct png_ctx ctx;
    png_structp png;
    png_infop info = NULL;
    /* volatile: modified between setjmp and a possible longjmp */
    uint8_t *volatile pix = NULL;
    uint8_t *volatile conv = NULL;
    png_bytep *volatile rows = NULL;
    png_uint_32 w, h;
    int depth, ctype, sc;

    memset(&ctx, 0, sizeof ctx);
    ctx.data = data;
    ctx.len = len;
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, png_err_fn, png_warn_fn);
    if (!png)
        return asgml_error(ASGML_ENOMEM, "%s: cannot create PNG reader", path);
    info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return asgml_error(ASGML_ENOMEM, "%s: cannot create PNG reader", path);
    }
    if (setjmp(ctx.jb)) {
        png_destroy_read_struct(&png, &info, NULL);
        free(pix);
        free(conv);
        free(rows);
        if (ctx.warn[0])
            return asgml_error(ASGML_EFORMAT, "%s: corrupt PNG: %s (libpng's last warning: %s)", path,
                               ctx.msg, ctx.warn);
        return asgml_error(ASGML_EFORMAT, "%s: corrupt PNG: %s", path, ctx.msg);
    }
    png_set_read_fn(png, &ctx, png_read_fn);
    png_set_user_limits(png, 1u << 20, 1u << 20);
    /* Ancillary chunks (text, ICC profiles, ...) are skipped unread: none
     * changes the pixels asgml takes (no gamma or colour management, as
     * PIL), and libpng allocates a text chunk's declared length before
     * reading it: 1.97 GB for the iTXt of the 158-byte
     * tests/fixtures/fuzz/png/itxt-length-2g.png.  A negative count keeps
     * IHDR, PLTE, tRNS, IDAT and IEND (libpng manual, "Unknown-chunk
     * handling"). */
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_read_info(png, info);
    w = png_get_image_width(png, info);
    h = png_get_image_height(png, info);
    depth = png_get_bit_depth(png, info);
    ctype = png_get_color_type(png, info);
    if ((int64_t)w * (int64_t)h > MAX_PIXELS)
        png_error(png, "image too large");

    /* everything to 8-bit grey or 8-bit RGB */
    if (ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16)
        png_set_strip_16(png);               /* high byte, as PIL */
    /* alpha channels, and the alpha that palette expansion makes of tRNS */
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    sc = png_get_channels(png, info);
    if ((sc != 1 && sc != 3) || png_get_bit_depth(png, info) != 8)
        png_error(png, "unsupported PNG layout after conversion");

    pix = malloc((size_t)w * h * (size_t)sc);
    rows = malloc((size_t)h * sizeof *rows);
    if (!pix || !rows)
        png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = pix + (size_t)y * w * (size_t)sc;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    if (sc != channels) {
        conv = malloc((size_t)w * h * (size_t)channels);
        if (!conv)
            png_error(png, "out of memory");
        convert_channels(pix, sc, conv, channels, (int64_t)w * h);
        free(pix);
        pix = conv;
        conv = NULL;
    }
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    out->pixels = pix;
    out->h = (int)h;
    out->w = (int)w;
    out->c = channels;
    return ASGML_OK;
}

/* ---- JPEG ----------------------------------------------------------------- */

struct jpeg_ctx {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    const char *why;   /* our own failure reason, or NULL for libjpeg's */
    char warn[JMSG_LENGTH_MAX];  /* first counted warning */
};

static void jpeg_fail(struct jpeg_ctx *c, const char *why)
{
    c->why = why;
    longjmp(c->jb, 1);
}

static void jpeg_exit_fn(j_common_ptr ci)
{
    struct jpeg_ctx *c = (struct jpeg_ctx *)ci->err;
    longjmp(c->jb, 1);
}

/* Warnings that mean the scan data is cut short or damaged count (and make
 * the decode fail); benign ones (extraneous bytes between markers, unknown
 * Adobe transform, odd progression) are tolerated, as PIL does.  Nothing is
 * printed. */
static void jpeg_emit_fn(j_common_ptr ci, int level)
{
    int code = ci->err->msg_code;
    if (level < 0 && (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER ||
                      code == JWRN_MUST_RESYNC)) {
        struct jpeg_ctx *c = (struct jpeg_ctx *)ci->err;
        if (ci->err->num_warnings++ == 0)
            ci->err->format_message(ci, c->warn);
    }
}

static void jpeg_output_fn(j_common_ptr ci)
{
    (void)ci;
}

static uint8_t muldiv255(unsigned a, unsigned b)
{
    unsigned t = a * b + 128;
    return (uint8_t)(((t >> 8) + t) >> 8);
}

static asgml_status decode_jpeg(const char *path, const uint8_t *data, size_t len,
                                int channels, asgml_image *out)
{
    struct jpeg_decompress_struct ci;
    struct jpeg_ctx err;
    uint8_t *volatile pix = NULL;
    uint8_t *volatile row = NULL;
    int sc, cmyk, inverted;
    int64_t npix;

    memset(&ci, 0, sizeof ci);
    ci.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = jpeg_exit_fn;
    err.pub.emit_message = jpeg_emit_fn;
    err.pub.output_message = jpeg_output_fn;
    err.why = NULL;
    err.warn[0] = '\0';
    if (setjmp(err.jb)) {
        char msg[JMSG_LENGTH_MAX];
        if (err.why)
            snprintf(msg, sizeof msg, "%s", err.why);
        else
            err.pub.format_message((j_common_ptr)&ci, msg);
        jpeg_destroy_decompress(&ci);
        free(pix);
        free(row);
        return asgml_error(ASGML_EFORMAT, "%s: corrupt JPEG: %s", path, msg);
    }
    jpeg_create_decompress(&ci);
    jpeg_mem_src(&ci, data, (unsigned long)len);
    jpeg_read_header(&ci, TRUE);
    cmyk = ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK;
    inverted = cmyk && ci.saw_Adobe_marker;
    if (ci.jpeg_color_space == JCS_GRAYSCALE)
        ci.out_color_space = JCS_GRAYSCALE;
    else if (cmyk)
        ci.out_color_space = JCS_CMYK;
    else
        ci.out_color_space = JCS_RGB;
    if ((int64_t)ci.image_width * ci.image_height > MAX_PIXELS) {
        jpeg_destroy_decompress(&ci);
        return asgml_error(ASGML_EFORMAT, "%s: image too large (%ux%u)", path,
                           ci.image_width, ci.image_height);
    }
    jpeg_start_decompress(&ci);
    sc = ci.output_components;
    if (sc != 1 && sc != 3 && sc != 4)
        jpeg_fail(&err, "unsupported number of components");
    npix = (int64_t)ci.output_width * ci.output_height;
    pix = malloc((size_t)npix * (size_t)channels);
    row = malloc((size_t)ci.output_width * (size_t)sc);
    if (!pix || !row)
        jpeg_fail(&err, "out of memory");
    while (ci.output_scanline < ci.output_height) {
        JSAMPROW rp = row;
        uint8_t *dst = pix + (size_t)ci.output_scanline * ci.output_width * (size_t)channels;
        int w = (int)ci.output_width;
        jpeg_read_scanlines(&ci, &rp, 1);
        if (sc == 4) {
            /* CMYK -> RGB in place (4 -> 3 bytes per pixel, front to back) */
            for (int x = 0; x < w; x++) {
                unsigned c = row[4 * x], m = row[4 * x + 1], y = row[4 * x + 2],
                         k = row[4 * x + 3];
                if (!inverted) {
                    c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k;
                }
                /* now c..k are the 255-complements: R = (255-C)(255-K)/255 */
                row[3 * x] = muldiv255(c, k);
                row[3 * x + 1] = muldiv255(m, k);
                row[3 * x + 2] = muldiv255(y, k);
            }
            convert_channels(row, 3, dst, channels, w);
        } else {
            convert_channels(row, sc, dst, channels, w);
        }
    }
    jpeg_finish_decompress(&ci);
    if (err.pub.num_warnings > 0) {
        jpeg_destroy_decompress(&ci);
        free(pix);
        free(row);
        return asgml_error(ASGML_EFORMAT, "%s: corrupt or truncated JPEG: %s", path, err.warn);
    }
    out->h = (int)ci.output_height;
    out->w = (int)ci.output_width;
    out->c = channels;
    out->pixels = pix;
    jpeg_destroy_decompress(&ci);
    free(row);
    return ASGML_OK;
}

asgml_status asgml_image_load(const char *path, int channels, asgml_image *out)
{
    uint8_t *data = NULL;
    size_t len = 0;
    asgml_status st;
    static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    if (out)
        memset(out, 0, sizeof *out);
    if (!path || !out)
        return asgml_error(ASGML_EINVAL, "image_load: NULL argument");
    if (channels != 1 && channels != 3)
        return asgml_error(ASGML_EINVAL, "%s: channels must be 1 or 3, not %d", path, channels);
    st = read_file(path, &data, &len);
    if (st != ASGML_OK)
        return st;
    if (len >= 8 && !memcmp(data, png_magic, 8))
        st = decode_png(path, data, len, channels, out);
    else if (len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        st = decode_jpeg(path, data, len, channels, out);
    else if (len == 0)
        st = asgml_error(ASGML_EFORMAT, "%s: empty image file", path);
    else
        st = asgml_error(ASGML_EFORMAT, "%s: not a PNG or JPEG file (unknown magic bytes)", path);
    free(data);
    return st;
}

void asgml_image_free(asgml_image *im)
{
    if (!im)
        return;
    free(im->pixels);
    memset(im, 0, sizeof *im);
}
