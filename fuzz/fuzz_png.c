/* SPDX-License-Identifier: MIT */
/* fuzz_png.c - libFuzzer harness: PNG decoding through asgml-prep's image path.
 *
 * Reaches asgml_image_load -> asgml_image_resize as asgml-prep runs them for
 * an image cell (fuzz_image.h), here for PNG through libpng (signature,
 * IHDR, PLTE/tRNS, IDAT inflate, interlace, bit depths 1-16, CRC and
 * truncation errors caught by setjmp), converted as PIL does. Seeds
 * (fuzz/corpus/png/): the PNG fixtures of tests/fixtures/dsp (grey 1/2/8/16
 * bit, palette with tRNS, RGB/RGBA 8/16 bit, LA, broken CRC/truncated). The
 * input is a file (fuzz_util.h): asgml_image_load takes a path. */
#include "fuzz_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_image_one(data, size, ".png");
}
