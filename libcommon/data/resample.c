/* SPDX-License-Identifier: MIT */
/* resample.c - sample-rate conversion of mono float32 audio (decode.h):
 *   soxr: libsoxr, quality SOXR_HQ (20-bit, linear phase), one thread:
 *         what librosa.resample(res_type="soxr_hq") runs (librosa >= 0.10's
 *         default, through python-soxr's quality "HQ");
 *   src:  libsamplerate SRC_SINC_BEST_QUALITY (the resampler of earlier
 *         stores; asgml-prep --resampler src).
 * Output length ceil(n * rate_out / rate_in), as librosa.resample (its
 * fix_length after the resampler); samples a library does not deliver at
 * the end are zeros, extra ones are cut. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <samplerate.h>
#include <soxr.h>

#include "data/decode.h"
#include "data/prep_prof.h"

asgml_status asgml_resampler_parse(const char *name, asgml_resampler *rs)
{
    if (!name || !strcmp(name, "soxr")) { *rs = ASGML_RESAMPLER_SOXR; return ASGML_OK; }
    if (!strcmp(name, "src")) { *rs = ASGML_RESAMPLER_SRC; return ASGML_OK; }
    return asgml_error(ASGML_EINVAL, "unknown resampler '%s' (soxr, src)", name);
}

const char *asgml_resampler_name(asgml_resampler rs)
{
    return rs == ASGML_RESAMPLER_SRC ? "src_sinc_best" : "soxr_hq";
}

/* "libsoxr-0.1.3" / "libsamplerate-0.2.2": the library's own version
 * string up to its first blank. */
const char *asgml_resampler_version(asgml_resampler rs)
{
    static char buf[2][64];
    const char *v = rs == ASGML_RESAMPLER_SRC ? src_get_version() : soxr_version();
    char *b = buf[rs == ASGML_RESAMPLER_SRC];
    size_t n = strcspn(v ? v : "", " ");
    if (n >= sizeof buf[0]) n = sizeof buf[0] - 1;
    memcpy(b, v ? v : "", n);
    b[n] = 0;
    return b;
}

static asgml_status run_src(const char *path, const float *x, int64_t n, double ratio, float *y, int64_t cap)
{
    if (!src_is_valid_ratio(ratio)) return asgml_error(ASGML_EINVAL, "%s: cannot resample at ratio %g", path, ratio);
    SRC_DATA d;
    memset(&d, 0, sizeof d);
    d.data_in = x;
    d.input_frames = (long)n;
    d.data_out = y;
    d.output_frames = (long)cap;
    d.src_ratio = ratio;
    int err = src_simple(&d, SRC_SINC_BEST_QUALITY, 1);
    if (err) return asgml_error(ASGML_EINTERNAL, "%s: libsamplerate: %s", path, src_strerror(err));
    return ASGML_OK;
}

static asgml_status run_soxr(const char *path, const float *x, int64_t n, int rate_in, int rate_out, float *y,
                             int64_t cap)
{
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
    soxr_runtime_spec_t rt = soxr_runtime_spec(1);
    size_t odone = 0;
    soxr_error_t e = soxr_oneshot((double)rate_in, (double)rate_out, 1, x, (size_t)n, NULL, y, (size_t)cap, &odone,
                                  &io, &q, &rt);
    if (e) return asgml_error(ASGML_EINTERNAL, "%s: libsoxr: %s", path, e);
    return ASGML_OK;
}

asgml_status asgml_resample(const char *path, const float *x, int64_t n, int rate_in, int rate_out,
                            asgml_resampler rs, float **out, int64_t *n_out)
{
    int64_t want = (int64_t)ceil((double)n * (double)rate_out / (double)rate_in - 1e-9);
    int64_t cap = want + 64;
    if (rate_in <= 0 || rate_out <= 0 || (double)rate_out / rate_in > 256 || (double)rate_in / rate_out > 256)
        return asgml_error(ASGML_EINVAL, "%s: cannot resample %d Hz -> %d Hz", path, rate_in, rate_out);
    if (n > (int64_t)0x7fffffff || cap > (int64_t)0x7fffffff)
        return asgml_error(ASGML_EINVAL, "%s: audio too long to resample (%lld samples)", path, (long long)n);
    float *y = calloc((size_t)cap, sizeof *y);
    if (!y) return asgml_error(ASGML_ENOMEM, "%s: out of memory resampling %lld samples", path, (long long)n);
    int prev = prep_prof_switch(ASGML_PREP_STAGE_RESAMPLE);
    asgml_status st = rs == ASGML_RESAMPLER_SRC ? run_src(path, x, n, (double)rate_out / rate_in, y, cap)
                                                : run_soxr(path, x, n, rate_in, rate_out, y, cap);
    prep_prof_switch(prev);
    if (st) {
        free(y);
        return st;
    }
    /* samples past what the library delivered stay zero (calloc) */
    *out = y;
    *n_out = want;
    return ASGML_OK;
}
