/* SPDX-License-Identifier: MIT */
/* corrupt.c - AV-Digits degradations (asgml-prep(1), DATA SETS, AV-Digits); see corrupt.h for
 * the draw order, which is part of the reproducibility contract. */
#include <math.h>
#include <string.h>

#include "asgml/store.h"
#include "data/corrupt.h"

asgml_status asgml_corrupt_img_noise(uint8_t *img, int64_t n, double sigma,
                                     asgml_splitmix *r)
{
    if (!img || !r || n < 0 || !(sigma >= 0) || !isfinite(sigma))
        return asgml_error(ASGML_EINVAL, "img_noise: bad arguments (n=%lld sigma=%g)",
                           (long long)n, sigma);
    if (sigma == 0)
        return ASGML_OK;
    for (int64_t i = 0; i < n; i++) {
        double v = round((double)img[i] + sigma * asgml_splitmix_gauss(r));
        img[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    return ASGML_OK;
}

asgml_status asgml_corrupt_img_down(uint8_t *img, int h, int w, int c, int k)
{
    int ph, pw;
    if (!img || h <= 0 || w <= 0 || c <= 0 || k <= 0 || h % k || w % k)
        return asgml_error(ASGML_EINVAL, "img_down: %d does not divide the %dx%d image", k, h, w);
    ph = h / k;   /* pool cell height in pixels */
    pw = w / k;
    for (int cy = 0; cy < k; cy++)
        for (int cx = 0; cx < k; cx++)
            for (int b = 0; b < c; b++) {
                unsigned sum = 0, cnt = (unsigned)(ph * pw);
                uint8_t m;
                for (int y = cy * ph; y < (cy + 1) * ph; y++)
                    for (int x = cx * pw; x < (cx + 1) * pw; x++)
                        sum += img[((size_t)y * w + x) * c + b];
                m = (uint8_t)((sum + cnt / 2) / cnt);
                for (int y = cy * ph; y < (cy + 1) * ph; y++)
                    for (int x = cx * pw; x < (cx + 1) * pw; x++)
                        img[((size_t)y * w + x) * c + b] = m;
            }
    return ASGML_OK;
}

asgml_status asgml_corrupt_img_occlude(uint8_t *img, int h, int w, int c, int m,
                                       asgml_splitmix *r)
{
    int64_t cells[16];
    int ph, pw;
    if (!img || !r || h <= 0 || w <= 0 || c <= 0 || h % 4 || w % 4 || m < 0 || m > 16)
        return asgml_error(ASGML_EINVAL, "img_occlude: bad arguments (%dx%d image, m=%d)",
                           h, w, m);
    ph = h / 4;
    pw = w / 4;
    for (int i = 0; i < 16; i++)
        cells[i] = i;
    asgml_splitmix_shuffle(r, cells, 16);
    for (int i = 0; i < m; i++) {
        int cy = (int)cells[i] / 4, cx = (int)cells[i] % 4;
        for (int y = cy * ph; y < (cy + 1) * ph; y++)
            memset(img + ((size_t)y * w + (size_t)cx * pw) * c, 0, (size_t)pw * c);
    }
    return ASGML_OK;
}

asgml_status asgml_corrupt_aud_snr(float *x, int64_t n, double snr_db, asgml_splitmix *r,
                                   uint32_t *flags)
{
    double p = 0.0, sd;
    if (!x || !r || n <= 0 || !isfinite(snr_db))
        return asgml_error(ASGML_EINVAL, "aud_snr: bad arguments (n=%lld snr=%g dB)",
                           (long long)n, snr_db);
    for (int64_t i = 0; i < n; i++)
        p += (double)x[i] * x[i];
    p /= (double)n;
    if (p < 1e-10) {
        if (flags)
            *flags |= ASGML_FLAG_AUDIO_SILENT;
        return ASGML_OK;
    }
    sd = sqrt(p / pow(10.0, snr_db / 10.0));
    for (int64_t i = 0; i < n; i++) {
        double v = x[i] + sd * asgml_splitmix_gauss(r);
        x[i] = (float)(v < -1.0 ? -1.0 : v > 1.0 ? 1.0 : v);
    }
    return ASGML_OK;
}
