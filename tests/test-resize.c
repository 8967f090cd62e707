/* SPDX-License-Identifier: MIT */
/* test-resize.c - asgml_image_resize against PIL Image.resize(BILINEAR)
 * (tests/fixtures/dsp/resize.txt: grey 37x53 and RGB 30x40 sources, up,
 * down, one-axis and extreme sizes).  Requirement: mean |c - PIL| <= 1
 * grey level; the implementation follows PIL's fixed-point arithmetic, so
 * the measured difference is also reported and expected to be 0. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/decode.h"
#include "fixture.h"
#include "tap.h"

int main(void)
{
    const char *top = getenv("top_srcdir");
    char line[512];
    FILE *man;
    int cases = 0;

    snprintf(fixdir, sizeof fixdir, "%s/tests/fixtures/dsp", top ? top : ".");
    snprintf(line, sizeof line, "%s/resize.txt", fixdir);
    man = fopen(line, "r");
    if (!man) {
        printf("Bail out! %s missing\n", line);
        return 1;
    }
    while (fgets(line, sizeof line, man)) {
        char src[64], file[64];
        int h, w, c, oh, ow, maxd = 0;
        size_t slen, rlen;
        uint8_t *in, *ref, *out;
        double mean = 0;
        if (line[0] == '#')
            continue;
        if (sscanf(line, "%63s %d %d %d %d %d %63s", src, &h, &w, &c, &oh, &ow, file) != 7) {
            ok(0, "parse resize.txt: %s", line);
            continue;
        }
        in = slurp(src, &slen);
        ref = slurp(file, &rlen);
        out = malloc((size_t)oh * ow * c);
        if (!in || !ref || slen != (size_t)h * w * c || rlen != (size_t)oh * ow * c) {
            ok(0, "fixtures %s / %s readable", src, file);
        } else if (asgml_image_resize(in, h, w, c, out, oh, ow) != ASGML_OK) {
            ok(0, "resize %dx%dx%d -> %dx%d: %s", h, w, c, oh, ow, asgml_last_error());
        } else {
            for (size_t i = 0; i < rlen; i++) {
                int d = abs((int)out[i] - (int)ref[i]);
                mean += d;
                if (d > maxd)
                    maxd = d;
            }
            mean /= (double)rlen;
            ok(mean <= 1.0 && maxd <= 2, "%s %dx%d -> %dx%d (c=%d): mean |diff| %.4f, max %d vs PIL",
               src, h, w, oh, ow, c, mean, maxd);
            cases++;
        }
        free(in);
        free(ref);
        free(out);
    }
    fclose(man);
    ok(cases >= 10, "%d resize cases compared", cases);

    /* identity copies; a constant image stays constant at any size */
    {
        uint8_t a[6 * 5 * 3], b[6 * 5 * 3], k[9 * 7], ko[40 * 3];
        int flat = 1;
        for (int i = 0; i < (int)sizeof a; i++)
            a[i] = (uint8_t)(i * 37);
        ok(asgml_image_resize(a, 6, 5, 3, b, 6, 5) == ASGML_OK && !memcmp(a, b, sizeof a),
           "same size is a copy");
        memset(k, 77, sizeof k);
        if (asgml_image_resize(k, 9, 7, 1, ko, 40, 3) != ASGML_OK)
            flat = 0;
        for (int i = 0; flat && i < 120; i++)
            flat = ko[i] == 77;
        ok(flat, "constant 9x7 -> 40x3 stays constant");
        ok(asgml_image_resize(k, 0, 7, 1, ko, 4, 4) == ASGML_EINVAL, "zero height rejected: %s",
           asgml_last_error());
        ok(asgml_image_resize(k, 9, 7, 1, ko, 4, 0) == ASGML_EINVAL, "zero output width rejected");
    }
    return tap_done();
}
