/* SPDX-License-Identifier: MIT */
/* backend.c - backend registry, op names, descriptor helpers and the
 * Philox4x32-10 generator shared by every backend (host reference).
 *
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
 * 3", SC11), as in Random123: key = (seed low 32 bits, seed high 32 bits),
 * counter = (counter low 32, counter high 32, 0, 0). */
#include "core/error.h"
#include "config.h"

#include "asgml/backend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#ifdef ASGML_HAVE_CUDA
#include "cuda/cuda_backend.h"
#endif

static const char *const op_names[ASGML_OP_COUNT] = {
#define OP_NAME_(ID, name, params) [ASGML_OP_##ID] = #name,
    ASGML_OPS(OP_NAME_)
#undef OP_NAME_
};

const char *asgml_op_name(asgml_op op)
{
    if ((int)op < 0 || op >= ASGML_OP_COUNT || !op_names[op]) return "unknown";
    return op_names[op];
}

asgml_status asgml_backend_create(const char *name, const asgml_backend_options *opt,
                                  asgml_backend **out)
{
    static const asgml_backend_options defaults = {0, 0, -1, 0};
    if (!out) return ASGML_ERR(ASGML_EINVAL, "NULL output pointer");
    *out = NULL;
    if (!name) name = "cpu";
    if (!opt) opt = &defaults;
    if (opt->num_threads < 0)
        return ASGML_ERR(ASGML_EINVAL, "num_threads %d is negative", opt->num_threads);
    if (strcmp(name, "cpu") == 0) return asgml_cpu_backend_create(opt, out);
    if (strcmp(name, "cuda") == 0) {
#ifdef ASGML_HAVE_CUDA
        return asgml_cuda_backend_create(opt, out);
#else
        return asgml_error(ASGML_ENOTSUP, "asgml was built without CUDA");
#endif
    }
    return ASGML_ERR(ASGML_EINVAL, "unknown backend '%s' (expected cpu or cuda)", name);
}

void asgml_backend_destroy(asgml_backend *be)
{
    if (be && be->ops && be->ops->destroy) be->ops->destroy(be);
}

/* An op is supported when the backend's table fills its slot. */
int asgml_backend_supports(const asgml_backend *be, asgml_op op)
{
    if (!be || !be->ops) return 0;
    switch (op) {
#define OP_SLOT_SET_(ID, name, params) \
    case ASGML_OP_##ID: return be->ops->name != NULL;
        ASGML_OPS(OP_SLOT_SET_)
#undef OP_SLOT_SET_
    default: return 0;
    }
}

asgml_status asgml_backend_require(const asgml_backend *be, const asgml_op *ops, int n)
{
    if (!be || !be->ops || n < 0 || (n > 0 && !ops))
        return ASGML_ERR(ASGML_EINVAL, "NULL backend or op list");
    int count = ops ? n : ASGML_OP_COUNT;
    for (int i = 0; i < count; i++) {
        asgml_op op = ops ? ops[i] : (asgml_op)i;
        if (!asgml_backend_supports(be, op))
            return asgml_error(ASGML_ENOTSUP, "backend '%s' does not support op '%s'",
                               be->ops->name ? be->ops->name : "?", asgml_op_name(op));
    }
    return ASGML_OK;
}

asgml_status asgml_backend_set_conv_algo(asgml_backend *be, const char *mode)
{
    if (!be || !be->ops || !mode) return ASGML_ERR(ASGML_EINVAL, "NULL backend or mode");
    if (be->ops->conv_algo_mode) return be->ops->conv_algo_mode(be, mode);
    if (strcmp(mode, "auto") == 0) return ASGML_OK;
    return asgml_error(ASGML_ENOTSUP, "backend '%s' has no conv algorithm '%s' (only auto)",
                       be->ops->name ? be->ops->name : "?", mode);
}

int asgml_backend_conv_algo_entry(asgml_backend *be, int i, const char **key, const char **algo)
{
    if (!be || !be->ops || !be->ops->conv_algo_entry || !key || !algo) return 0;
    return be->ops->conv_algo_entry(be, i, key, algo);
}

asgml_status asgml_backend_conv_algo_pin(asgml_backend *be, const char *key, const char *algo)
{
    if (!be || !be->ops || !key || !algo) return ASGML_ERR(ASGML_EINVAL, "NULL argument");
    if (be->ops->conv_algo_pin) return be->ops->conv_algo_pin(be, key, algo);
    return asgml_error(ASGML_ENOTSUP, "backend '%s' cannot pin conv algorithm %s for '%s'",
                       be->ops->name ? be->ops->name : "?", algo, key);
}

void asgml_conv2d_desc_init(asgml_conv2d_desc *d, int n, int c_in, int h_in, int w_in,
                            int c_out, int k, int stride, int pad)
{
    d->n = n;
    d->c_in = c_in;
    d->h_in = h_in;
    d->w_in = w_in;
    d->c_out = c_out;
    d->k_h = d->k_w = k;
    d->stride_h = d->stride_w = stride;
    d->pad_h = d->pad_w = pad;
    d->h_out = stride > 0 ? (h_in + 2 * pad - k) / stride + 1 : 0;
    d->w_out = stride > 0 ? (w_in + 2 * pad - k) / stride + 1 : 0;
}

void asgml_pool2d_desc_init(asgml_pool2d_desc *d, int n, int c, int h_in, int w_in, int k,
                            int stride, int pad)
{
    d->n = n;
    d->c = c;
    d->h_in = h_in;
    d->w_in = w_in;
    d->k = k;
    d->stride = stride;
    d->pad = pad;
    d->h_out = stride > 0 ? (h_in + 2 * pad - k) / stride + 1 : 0;
    d->w_out = stride > 0 ? (w_in + 2 * pad - k) / stride + 1 : 0;
}

/* ---- Philox4x32-10 ---- */

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void asgml_philox4x32_raw(const uint32_t ctr_in[4], const uint32_t key_in[2], uint32_t out[4])
{
    uint32_t c0 = ctr_in[0], c1 = ctr_in[1], c2 = ctr_in[2], c3 = ctr_in[3];
    uint32_t k0 = key_in[0], k1 = key_in[1];
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
        uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

void asgml_philox4x32(uint64_t seed, uint64_t counter, uint32_t out[4])
{
    const uint32_t ctr[4] = {(uint32_t)counter, (uint32_t)(counter >> 32), 0, 0};
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    asgml_philox4x32_raw(ctr, key, out);
}

/* u = (x + 1) * 2^-32 in (0, 1], exact in double */
static double philox_unit(uint32_t x) { return ((double)x + 1.0) * (1.0 / 4294967296.0); }

float asgml_philox_gauss(uint64_t seed, uint64_t offset, int64_t i)
{
    uint32_t x[4];
    asgml_philox4x32(seed, offset + (uint64_t)i / 2, x);
    double r = sqrt(-2.0 * log(philox_unit(x[0])));
    double a = 2.0 * M_PI * philox_unit(x[1]);
    return (float)((i & 1) ? r * sin(a) : r * cos(a));
}

float asgml_philox_uniform(uint64_t seed, uint64_t offset, int64_t i)
{
    uint32_t x[4];
    asgml_philox4x32(seed, offset + (uint64_t)i / 4, x);
    return (float)philox_unit(x[i % 4]);
}
