/* SPDX-License-Identifier: MIT */
/* test-image.c - asgml_image_load on every odd PNG/JPEG layout written by
 * tests/fixtures/make_dsp_fixtures.py, against PIL's convert("L") and
 * convert("RGB") (16-bit samples: against their high byte; PIL turns 16-bit
 * grey into mode "I" whose convert("L") clips instead of scaling).
 * PNG must match exactly.  JPEG: decoders may differ in IDCT/upsampling, so
 * the bound is mean |diff| <= 1 and max |diff| <= 8 grey levels (with the
 * same libjpeg-turbo as PIL the measured difference is 0).  Broken files
 * must fail with an error naming the file.  With ASGML_AVDIGITS, real MNIST
 * files of its three encodings are checked too.  Also: SplitMix64 golden values
 * (asgml-prep(1), DATA SETS, Common rules (SplitMix64)) and the AV-Digits image corruptions
 * (corrupt.h) against an independent Python implementation. */
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "data/corrupt.h"
#include "data/decode.h"
#include "fixture.h"
#include "tap.h"

static void check_image(const char *name, int h, int w, int jpeg, int channels)
{
    char path[600], ref_name[128];
    asgml_image im;
    asgml_status st;
    uint8_t *ref;
    size_t rlen;
    double mean = 0;
    int maxd = 0;

    snprintf(path, sizeof path, "%s/%s", fixdir, name);
    snprintf(ref_name, sizeof ref_name, "%s.%s.u8", name, channels == 1 ? "L" : "RGB");
    st = asgml_image_load(path, channels, &im);
    ref = slurp(ref_name, &rlen);
    if (st != ASGML_OK || !ref) {
        ok(0, "%s (c=%d) decodes: %s", name, channels, asgml_last_error());
        free(ref);
        return;
    }
    if (im.h != h || im.w != w || im.c != channels || rlen != (size_t)h * w * channels) {
        ok(0, "%s (c=%d): shape %dx%dx%d, expected %dx%dx%d", name, channels, im.h, im.w, im.c,
           h, w, channels);
    } else {
        for (size_t i = 0; i < rlen; i++) {
            int d = abs((int)im.pixels[i] - (int)ref[i]);
            mean += d;
            if (d > maxd)
                maxd = d;
        }
        mean /= (double)rlen;
        if (jpeg)
            ok(mean <= 1.0 && maxd <= 8, "%s as %s: mean |diff| %.4f, max %d vs PIL", name,
               channels == 1 ? "L" : "RGB", mean, maxd);
        else
            ok(maxd == 0, "%s as %s: identical to PIL (max diff %d)", name,
               channels == 1 ? "L" : "RGB", maxd);
    }
    free(ref);
    asgml_image_free(&im);
}

static void check_broken(const char *name)
{
    char path[600];
    asgml_image im;
    asgml_status st;
    snprintf(path, sizeof path, "%s/%s", fixdir, name);
    st = asgml_image_load(path, 1, &im);
    ok(st != ASGML_OK && strstr(asgml_last_error(), name) && im.pixels == NULL,
       "%s fails (%d): %s", name, (int)st, asgml_last_error());
}

static void splitmix_golden(void)
{
    char path[600], line[2048];
    FILE *f;
    int lines = 0;
    snprintf(path, sizeof path, "%s/splitmix.txt", fixdir);
    f = fopen(path, "r");
    if (!f) {
        ok(0, "splitmix.txt readable");
        return;
    }
    while (fgets(line, sizeof line, f)) {
        char kind[16], *p = line;
        unsigned long long seed, tag, arg;
        int used, good = 1, k = 0;
        asgml_splitmix r;
        int64_t perm[64];
        if (line[0] == '#')
            continue;
        if (sscanf(p, "%15s %llu %llu %llu%n", kind, &seed, &tag, &arg, &used) != 4)
            continue;
        p += used;
        asgml_splitmix_init(&r, seed, tag);
        if (!strcmp(kind, "shuffle")) {
            for (int64_t i = 0; i < (int64_t)arg; i++)
                perm[i] = i;
            asgml_splitmix_shuffle(&r, perm, (int64_t)arg);
        }
        for (;; k++) {
            char *end;
            if (!strcmp(kind, "real") || !strcmp(kind, "gauss")) {
                double want = strtod(p, &end), got;
                if (end == p)
                    break;
                got = !strcmp(kind, "real") ? asgml_splitmix_real(&r) : asgml_splitmix_gauss(&r);
                good &= !strcmp(kind, "real") ? got == want : fabs(got - want) < 1e-12;
            } else {
                unsigned long long want = strtoull(p, &end, 10), got;
                if (end == p)
                    break;
                if (!strcmp(kind, "next"))
                    got = asgml_splitmix_next(&r);
                else if (!strcmp(kind, "below"))
                    got = asgml_splitmix_below(&r, arg);
                else
                    got = (unsigned long long)perm[k];
                good &= got == want;
            }
            p = end;
        }
        ok(good && k > 0, "splitmix %s seed %llu tag %llu arg %llu: %d values match", kind,
           seed, tag, arg, k);
        lines++;
    }
    fclose(f);
    ok(lines >= 8, "%d splitmix golden lines", lines);
}

static void corruptions(void)
{
    size_t n0, n1, n2, n3;
    uint8_t *in = slurp("cor_in.u8", &n0), *noise = slurp("cor_noise40.u8", &n1),
            *occ = slurp("cor_occlude6.u8", &n2), *down = slurp("cor_down7.u8", &n3);
    uint8_t img[784], img2[784];
    asgml_splitmix r;
    int diff;

    if (!in || !noise || !occ || !down || n0 != 784 || n1 != 784 || n2 != 784 || n3 != 784) {
        ok(0, "corruption fixtures readable");
        goto out;
    }
    memcpy(img, in, 784);
    asgml_splitmix_init(&r, 5, 2000003);
    asgml_corrupt_img_noise(img, 784, 40.0, &r);
    diff = 0;
    for (int i = 0; i < 784; i++)
        diff += img[i] != noise[i];
    ok(diff == 0, "img noise S=40 matches the Python reference (%d pixels differ)", diff);
    memcpy(img2, in, 784);
    asgml_splitmix_init(&r, 5, 2000004);
    asgml_corrupt_img_noise(img2, 784, 40.0, &r);
    ok(memcmp(img, img2, 784) != 0, "another sample tag gives other noise");

    memcpy(img, in, 784);
    asgml_splitmix_init(&r, 5, 2000003);
    ok(asgml_corrupt_img_occlude(img, 28, 28, 1, 6, &r) == ASGML_OK && !memcmp(img, occ, 784),
       "img occlude M=6 matches the Python reference");
    memcpy(img, in, 784);
    ok(asgml_corrupt_img_down(img, 28, 28, 1, 7) == ASGML_OK && !memcmp(img, down, 784),
       "img down K=7 matches the Python reference");
    memcpy(img, in, 784);
    ok(asgml_corrupt_img_down(img, 28, 28, 1, 28) == ASGML_OK && !memcmp(img, in, 784),
       "img down K=28 is the identity");
    ok(asgml_corrupt_img_down(img, 28, 28, 1, 5) == ASGML_EINVAL, "img down K=5 rejected");
    ok(asgml_corrupt_img_occlude(img, 28, 28, 1, 17, &r) == ASGML_EINVAL, "occlude M=17 rejected");
    memcpy(img, in, 784);
    asgml_splitmix_init(&r, 5, 1);
    asgml_corrupt_img_occlude(img, 28, 28, 1, 16, &r);
    diff = 0;
    for (int i = 0; i < 784; i++)
        diff += img[i] != 0;
    ok(diff == 0, "occlude M=16 blanks the image");
out:
    free(in);
    free(noise);
    free(occ);
    free(down);
}

/* Real AV-Digits MNIST files of each encoding (8-bit grey, 4-bit palette,
 * 1-bit), exactly as PIL convert("L"). */
static void mnist_real(const char *avd)
{
    char path[900], line[256];
    FILE *f;
    snprintf(path, sizeof path, "%s/mnist.txt", fixdir);
    f = fopen(path, "r");
    if (!f) {
        ok(0, "mnist.txt readable");
        return;
    }
    while (fgets(line, sizeof line, f)) {
        char name[64], ref_name[64], mode[8];
        size_t rlen;
        uint8_t *ref;
        asgml_image im;
        if (line[0] == '#' || sscanf(line, "%63s %63s %7s", name, ref_name, mode) != 3)
            continue;
        if (!avd) {
            tap_skip(1, "AV-Digits not found (set ASGML_AVDIGITS)");
            continue;
        }
        snprintf(path, sizeof path, "%s/mnist/%s", avd, name);
        ref = slurp(ref_name, &rlen);
        if (asgml_image_load(path, 1, &im) != ASGML_OK || !ref) {
            ok(0, "mnist/%s decodes: %s", name, asgml_last_error());
        } else {
            ok(im.h == 28 && im.w == 28 && im.c == 1 && rlen == 784 &&
               !memcmp(im.pixels, ref, 784), "AV-Digits mnist/%s (PIL mode %s) = PIL 'L'", name,
               mode);
            asgml_image_free(&im);
        }
        free(ref);
    }
    fclose(f);
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    static const char *broken[] = {"broken_trunc.png", "broken_crc.png", "broken_garbage.jpg",
                                   "broken_trunc.jpg", "broken_hdr.jpg", "broken_empty.png",
                                   "no_such_file.png"};
    char line[512];
    FILE *man;
    int n = 0;

    snprintf(fixdir, sizeof fixdir, "%s/tests/fixtures/dsp", top ? top : ".");
    snprintf(line, sizeof line, "%s/images.txt", fixdir);
    man = fopen(line, "r");
    if (!man) {
        printf("Bail out! %s missing\n", line);
        return 1;
    }
    while (fgets(line, sizeof line, man)) {
        char name[128];
        int h, w, jpeg;
        if (line[0] == '#' || sscanf(line, "%127s %d %d %d", name, &h, &w, &jpeg) != 4)
            continue;
        check_image(name, h, w, jpeg, 1);
        check_image(name, h, w, jpeg, 3);
        n++;
    }
    fclose(man);
    ok(n >= 17, "%d image formats checked", n);
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++)
        check_broken(broken[i]);
    {
        char path[600];
        asgml_image im;
        snprintf(path, sizeof path, "%s/png_rgb.png", fixdir);
        ok(asgml_image_load(path, 2, &im) == ASGML_EINVAL, "channels=2 rejected");
    }
    splitmix_golden();
    corruptions();
    {   /* a set but missing directory counts as absent: skip, not fail */
        const char *avd = getenv("ASGML_AVDIGITS");
        char chk[1100];
        struct stat sb;
        snprintf(chk, sizeof chk, "%s/mnist", avd ? avd : "");
        if (avd && (!*avd || stat(chk, &sb) != 0 || !S_ISDIR(sb.st_mode)))
            avd = NULL;
        mnist_real(avd);
    }
    return tap_done();
}
