/* SPDX-License-Identifier: MIT */
/* fuzz_image.h - the body shared by fuzz_png.c and fuzz_jpeg.c.
 *
 * One input = one image file taken through what asgml-prep does with an
 * image cell (libcommon/data/prep.c, load_image): asgml_image_load
 * (asgml_open_regular, the whole-file read, the magic-byte choice between
 * libpng and libjpeg, the PIL-compatible conversions: palette, tRNS,
 * 1..16-bit grey, CMYK/YCCK, grey <-> RGB) and asgml_image_resize to 28x28
 * (preset avdigits).  Odd-sized inputs ask for RGB, even-sized for grey, so
 * both conversion paths are fuzzed and every input is deterministic. */
#ifndef ASGML_FUZZ_IMAGE_H
#define ASGML_FUZZ_IMAGE_H

#include <stdint.h>

#include "data/decode.h"
#include "fuzz_util.h"

static int fuzz_image_one(const uint8_t *data, size_t size, const char *suffix)
{
    static uint8_t out[28 * 28 * 3];
    const char *path = fuzz_write_input(data, size, suffix);
    int channels = size & 1 ? 3 : 1;
    asgml_image im;

    if (asgml_image_load(path, channels, &im) == ASGML_OK) {
        if (!im.pixels || im.h <= 0 || im.w <= 0 || im.c != channels)
            __builtin_trap();   /* "OK" must mean a usable image */
        /* touch the last pixel: the buffer must hold h*w*c bytes */
        if (im.pixels[(size_t)im.h * (size_t)im.w * (size_t)im.c - 1] == 0)
            out[0] ^= 1;
        (void)asgml_image_resize(im.pixels, im.h, im.w, im.c, out, 28, 28);
        asgml_image_free(&im);
    }
    fuzz_remove_input(path);
    return 0;
}

#endif
