/* SPDX-License-Identifier: MIT */
/* fuzz_jpeg.c - libFuzzer harness: JPEG decoding through asgml-prep's image path.
 *
 * Reaches asgml_image_load -> asgml_image_resize as asgml-prep runs them for
 * an image cell (fuzz_image.h), here for JPEG through libjpeg-turbo
 * (markers, Huffman tables, baseline and progressive scans, subsampling,
 * Adobe CMYK/YCCK, the warnings asgml treats as errors). Seeds
 * (fuzz/corpus/jpeg/): the JPEG fixtures of tests/fixtures/dsp (grey, RGB
 * 4:2:0 and 4:4:4, progressive, CMYK, broken header/truncated/garbage). The
 * input is a file (fuzz_util.h): asgml_image_load takes a path. */
#include "fuzz_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_image_one(data, size, ".jpg");
}
