/* asgml_v1.c - shared machinery of the training methods: pure signal
 * functions (ASGML v1, OGM-GE, boost), the probe set and the ASGML v1
 * scheduler.  See asgml_v1.h; formulas are methods.md 3, 4 and 5. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods/asgml_v1.h"
#include "data/decode.h"

#define CK(expr) do { asgml_status st_ = (expr); if (st_ != ASGML_OK) return st_; } while (0)

/* ===================================================================== */
/* 1. pure functions                                                     */
/* ===================================================================== */

void asgml_v1_signals_init(asgml_v1_signals *sg, int n, int window)
{
    memset(sg, 0, sizeof *sg);
    sg->n = n;
    sg->window = window < 1 ? 1 : window > ASGML_V1_MAX_WINDOW ? ASGML_V1_MAX_WINDOW : window;
}

void asgml_v1_signals_update(asgml_v1_signals *sg, const double *g, const double *ce)
{
    for (int m = 0; m < sg->n; m++)
        sg->gbar[m] = 0.1 * g[m] + 0.9 * sg->gbar[m];
    if (sg->fifo_len == sg->window) {
        for (int m = 0; m < sg->n; m++)
            memmove(&sg->fifo[m][0], &sg->fifo[m][1], (size_t)(sg->window - 1) * sizeof(double));
        sg->fifo_len--;
    }
    for (int m = 0; m < sg->n; m++)
        sg->fifo[m][sg->fifo_len] = ce[m];
    sg->fifo_len++;
    sg->tracked++;
}

/* x_m / mean_j x_j, all 1 if the mean < 1e-8 */
static void relative_to_mean(int n, const double *x, double *out)
{
    double mean = 0.0;
    for (int m = 0; m < n; m++)
        mean += x[m];
    mean /= n;
    for (int m = 0; m < n; m++)
        out[m] = mean < 1e-8 ? 1.0 : x[m] / mean;
}

void asgml_v1_score(const asgml_v1_signals *sg, double beta, double *S, double *G, double *D)
{
    double g[ASGML_MAX_MODALITIES] = { 0 }, d[ASGML_MAX_MODALITIES] = { 0 };
    double gr[ASGML_MAX_MODALITIES], dr[ASGML_MAX_MODALITIES];

    if (sg->tracked < 2) {
        for (int m = 0; m < sg->n; m++) {
            S[m] = 1.0;
            if (G) G[m] = 1.0;
            if (D) D[m] = 1.0;
        }
        return;
    }
    for (int m = 0; m < sg->n; m++) {
        g[m] = sg->gbar[m];
        d[m] = sg->fifo_len < 2 ? 0.0 : fabs(sg->fifo[m][0] - sg->fifo[m][sg->fifo_len - 1]);
    }
    relative_to_mean(sg->n, g, gr);
    relative_to_mean(sg->n, d, dr);
    for (int m = 0; m < sg->n; m++) {
        S[m] = beta * gr[m] + (1.0 - beta) * dr[m];
        if (G) G[m] = gr[m];
        if (D) D[m] = dr[m];
    }
}

double asgml_v1_clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

void asgml_v1_tau_dual(int n, const double *S, double base, double tmin, double tmax, double *tau)
{
    for (int m = 0; m < n; m++)
        tau[m] = asgml_v1_clamp(base * S[m], tmin, tmax);
}

void asgml_v1_tau_probe(int n, const double *a, double base, double tmin, double tmax,
                        double delta, double *tau)
{
    double lo = a[0], hi = a[0], mean = 0.0;
    for (int m = 0; m < n; m++) {
        lo = a[m] < lo ? a[m] : lo;
        hi = a[m] > hi ? a[m] : hi;
        mean += a[m];
    }
    mean /= n;
    for (int m = 0; m < n; m++)
        tau[m] = (hi - lo < delta || mean <= 0.0) ? tmin
                                                  : asgml_v1_clamp(base * a[m] / mean, tmin, tmax);
}

void asgml_v1_tau_both(int n, const double *S, const double *a, double omega, double base,
                       double tmin, double tmax, double *tau)
{
    double hi = a[0];
    for (int m = 1; m < n; m++)
        hi = a[m] > hi ? a[m] : hi;
    for (int m = 0; m < n; m++) {
        double c = omega * S[m] + (1.0 - omega) * (hi > 0.0 ? a[m] / hi : 0.0);
        tau[m] = asgml_v1_clamp(base * c, tmin, tmax);
    }
}

double asgml_v1_warm(double tau, int64_t t, int64_t warmup)
{
    if (warmup <= 0)
        return tau;
    double r = (double)t / (double)warmup;
    return 1.0 + (tau - 1.0) * (r < 1.0 ? r : 1.0);
}

int asgml_v1_round_he(double x)
{
    return (int)nearbyint(x);
}

void asgml_v1_kappa_bound(int n, int *v, double kappa)
{
    int lo;
    double cap;

    if (!(kappa > 0.0) || isinf(kappa))
        return;
    lo = v[0] > 1 ? v[0] : 1;
    for (int m = 1; m < n; m++) {
        int x = v[m] > 1 ? v[m] : 1;
        lo = x < lo ? x : lo;
    }
    cap = floor(kappa * lo);
    for (int m = 0; m < n; m++)
        if (v[m] > cap)
            v[m] = (int)cap;
}

void asgml_v1_tau_hat(int n, const double *tau, double kappa, int *hat)
{
    for (int m = 0; m < n; m++)
        hat[m] = asgml_v1_round_he(tau[m]);
    asgml_v1_kappa_bound(n, hat, kappa);
    for (int m = 0; m < n; m++)
        hat[m] = hat[m] < 1 ? 1 : hat[m];
}

int asgml_v1_update_mask(int64_t t, int tau_hat)
{
    return tau_hat <= 1 || t % tau_hat == 0;
}

double asgml_v1_comp_factor(asgml_comp_mode mode, double lambda, int period, int updating)
{
    if (!updating || period <= 1 || mode == ASGML_COMP_OFF)
        return 1.0;
    return mode == ASGML_COMP_MUL ? 1.0 + lambda * period : 1.0 / (1.0 + lambda * period);
}

asgml_status asgml_v1_parse_comp(const char *key, const char *v, asgml_comp_mode *out)
{
    if (strcmp(v, "off") == 0) *out = ASGML_COMP_OFF;
    else if (strcmp(v, "mul") == 0) *out = ASGML_COMP_MUL;
    else if (strcmp(v, "div") == 0) *out = ASGML_COMP_DIV;
    else
        return asgml_error(ASGML_EINVAL, "%s: '%s' is not one of mul, div, off", key, v);
    return ASGML_OK;
}

int asgml_v1_stale_lookback(int depth, int age, int ref_index)
{
    if (age <= 0)
        return -1;
    if (ref_index)
        return depth >= age ? age - 1 : -1;
    return depth >= age + 1 ? age : -1;
}

void asgml_v1_stale_ages(int n, const double *tau, double kappa, int *age)
{
    for (int m = 0; m < n; m++)
        age[m] = asgml_v1_round_he(tau[m]) - 1;
    asgml_v1_kappa_bound(n, age, kappa);
    for (int m = 0; m < n; m++)
        age[m] = age[m] < 0 ? 0 : age[m];
}

asgml_status asgml_ogm_parse_variant(const char *v, asgml_ogm_variant *out)
{
    if (strcmp(v, "official") == 0) *out = ASGML_OGM_OFFICIAL;
    else if (strcmp(v, "bmm") == 0) *out = ASGML_OGM_BMM;
    else if (strcmp(v, "asgml-ref") == 0) *out = ASGML_OGM_ASGML_REF;
    else if (strcmp(v, "tpami") == 0) *out = ASGML_OGM_TPAMI;
    else
        return asgml_error(ASGML_EINVAL,
                           "ogm-ge.variant: '%s' is not one of official, bmm, asgml-ref, tpami", v);
    return ASGML_OK;
}

void asgml_ogm_coefficients(asgml_ogm_variant variant, int n, const double *s, double alpha,
                            double *rho, double *k, int *touched)
{
    int throttle[ASGML_MAX_MODALITIES];

    /* ratios */
    if (variant == ASGML_OGM_ASGML_REF) {
        /* [AF]: 1e-8 in the denominators; N = 2 pairwise, N > 2 vs the mean */
        double mean = 0.0;
        for (int m = 0; m < n; m++)
            mean += s[m];
        mean /= n;
        for (int m = 0; m < n; m++)
            rho[m] = n == 2 ? s[m] / (s[1 - m] + 1e-8) : s[m] / (mean + 1e-8);
    } else if (variant == ASGML_OGM_BMM && n > 2) {
        double lo = s[0];
        for (int m = 1; m < n; m++)
            lo = s[m] < lo ? s[m] : lo;
        for (int m = 0; m < n; m++)
            rho[m] = s[m] / (lo + 1e-5);
    } else if (n == 2) {
        rho[1] = s[1] / s[0];        /* no epsilon (official) */
        rho[0] = 1.0 / rho[1];
    } else {
        /* N-modality extension: rho_m = mean_{j != m} s_m / s_j */
        for (int m = 0; m < n; m++) {
            double acc = 0.0;
            for (int j = 0; j < n; j++)
                if (j != m)
                    acc += s[m] / s[j];
            rho[m] = acc / (n - 1);
        }
    }

    /* who is throttled */
    if (n == 2 && (variant == ASGML_OGM_OFFICIAL || variant == ASGML_OGM_BMM)) {
        /* rho_2 > 1 throttles modality 2, otherwise modality 1 (a tie too) */
        throttle[1] = rho[1] > 1.0;
        throttle[0] = !throttle[1];
    } else {
        for (int m = 0; m < n; m++)
            throttle[m] = rho[m] > 1.0;
    }

    for (int m = 0; m < n; m++) {
        double km = 1.0;
        if (throttle[m]) {
            if (variant == ASGML_OGM_TPAMI) {
                km = 1.0 - alpha * tanh(rho[m] - 1.0);
                km = km < 0.0 ? 0.0 : km;
            } else {
                km = 1.0 - tanh(alpha * rho[m]);
                if (variant == ASGML_OGM_BMM && km < 0.0)
                    km = 0.0;
            }
        }
        k[m] = km;
        touched[m] = variant == ASGML_OGM_ASGML_REF ? throttle[m] : 1;
    }
}

double asgml_boost_target_scales(int n, const double *a, double alpha, double s_max, double *s)
{
    double lo = a[0], hi = a[0];
    for (int m = 1; m < n; m++) {
        lo = a[m] < lo ? a[m] : lo;
        hi = a[m] > hi ? a[m] : hi;
    }
    for (int m = 0; m < n; m++) {
        if (hi - lo < 1e-8) {
            s[m] = 1.0;
        } else {
            double v = 1.0 + alpha * (1.0 - (a[m] - lo) / (hi - lo));
            s[m] = v < s_max ? v : s_max;
        }
    }
    return hi - lo;
}

/* ===================================================================== */
/* helpers                                                               */
/* ===================================================================== */

const char *asgml_method_key(char *buf, size_t size, const char *prefix, const asgml_step *s,
                             int m)
{
    const char *name = s->modality_names[m];
    if (name && *name)
        snprintf(buf, size, "%s.%s", prefix, name);
    else
        snprintf(buf, size, "%s.%d", prefix, m);
    return buf;
}

int asgml_method_modality_index(const asgml_model_config *mc, const char *name)
{
    for (int m = 0; m < mc->num_modalities; m++)
        if (strcmp(mc->enc[m].name, name) == 0)
            return m;
    return -1;
}

int asgml_method_composed_with(asgml_config *cfg, const char *part)
{
    const char *v = NULL;
    size_t len = strlen(part);

    if (!asgml_config_is_set(cfg, "method") ||
        asgml_config_get_string(cfg, "method", "", &v) != ASGML_OK || !v)
        return 0;
    while (*v) {
        const char *end = strchr(v, '+');
        size_t n = end ? (size_t)(end - v) : strlen(v);
        if (n == len && strncmp(v, part, n) == 0)
            return 1;
        if (!end)
            break;
        v = end + 1;
    }
    return 0;
}

static char *keyf(char *buf, size_t size, const char *a, const char *b)
{
    snprintf(buf, size, "%s.%s", a, b);
    return buf;
}

/* ===================================================================== */
/* 3. probe set                                                          */
/* ===================================================================== */

asgml_status asgml_probe_set_config(asgml_probe_set *ps, asgml_config *cfg, const char *prefix,
                                    const asgml_model_config *mc, uint64_t tag)
{
    char key[96];
    const char *type;

    memset(ps, 0, sizeof *ps);
    ps->n = mc->num_modalities;
    ps->in_dim = mc->feature_dim;
    ps->num_classes = mc->num_classes;
    ps->max_batch = mc->max_batch > 2 ? mc->max_batch : 2;
    ps->tag = tag;
    CK(asgml_config_get_string(cfg, keyf(key, sizeof key, prefix, "probe-type"), "linear", &type));
    if (strcmp(type, "linear") == 0)
        ps->kind = ASGML_PROBE_LINEAR;
    else if (strcmp(type, "mlp_1layer") == 0 || strcmp(type, "mlp") == 0)
        ps->kind = ASGML_PROBE_MLP;
    else
        return asgml_error(ASGML_EINVAL, "%s: '%s' is not one of linear, mlp_1layer", key, type);
    CK(asgml_config_get_double(cfg, keyf(key, sizeof key, prefix, "probe-lr"), 1e-3, &ps->lr));
    CK(asgml_config_get_double(cfg, keyf(key, sizeof key, prefix, "probe-ema"), 0.1,
                               &ps->ema_alpha));
    if (!(ps->lr > 0) || !(ps->ema_alpha >= 0 && ps->ema_alpha <= 1))
        return asgml_error(ASGML_EINVAL, "%s.probe-lr / probe-ema out of range (%g, %g)", prefix,
                           ps->lr, ps->ema_alpha);
    return ASGML_OK;
}

void asgml_probe_set_free(asgml_probe_set *ps)
{
    for (int m = 0; m < ASGML_MAX_MODALITIES; m++) {
        asgml_probe_free(ps->p[m]);
        ps->p[m] = NULL;
        free(ps->pending[m]);
        ps->pending[m] = NULL;
    }
}

asgml_status asgml_probe_set_bind(asgml_probe_set *ps, asgml_step *s)
{
    asgml_backend *be = s->be;

    for (int m = 0; m < ps->n; m++) {
        asgml_splitmix r;
        if (ps->p[m])
            continue;
        asgml_splitmix_init(&r, s->seed, ps->tag + (uint64_t)m);
        CK(asgml_probe_create(be, ps->kind, ps->in_dim, ps->num_classes, ps->max_batch,
                              asgml_splitmix_next(&r), ps->lr, &ps->p[m]));
        if (ps->pending[m]) {
            int64_t n = asgml_probe_state_size(ps->p[m]);
            CK(be->ops->to_device(be, asgml_probe_state(ps->p[m]), ps->pending[m],
                                  (size_t)n * sizeof(float)));
            *asgml_probe_step_count(ps->p[m]) = (int64_t)ps->pending_meta[m][0];
            *asgml_probe_dropout_offset(ps->p[m]) = (uint64_t)ps->pending_meta[m][1];
            free(ps->pending[m]);
            ps->pending[m] = NULL;
        }
    }
    return ASGML_OK;
}

asgml_status asgml_probe_set_run(asgml_probe_set *ps, asgml_step *s, int steps)
{
    if (s->batch_size < 2)
        return ASGML_OK;   /* nothing to split: no probe step */
    CK(asgml_probe_set_bind(ps, s));
    for (int m = 0; m < ps->n; m++) {
        const float *f = asgml_model_features(s->model, m);   /* (B, D), read only */
        if (!f)
            return asgml_error(ASGML_EINTERNAL, "asgml_v1.c:%d: no features of modality %d",
                               __LINE__, m);
        CK(asgml_probe_split_step(ps->p[m], f, s->labels_dev, s->labels, s->batch_size, steps,
                                  &ps->acc[m], &ps->loss[m]));
        ps->ema[m] = ps->ema_alpha * ps->acc[m] + (1.0 - ps->ema_alpha) * ps->ema[m];
    }
    ps->evals++;
    return ASGML_OK;
}

asgml_status asgml_probe_set_save(asgml_probe_set *ps, asgml_state_io *io, const char *prefix)
{
    char key[128];
    double meta[3] = { 0.0, (double)ps->evals, 0.0 };
    int bound = ps->n > 0 && ps->p[0] != NULL;
    int pending = ps->n > 0 && ps->pending[0] != NULL;

    meta[0] = bound || pending;
    CK(asgml_state_put(io, keyf(key, sizeof key, prefix, "probe.meta"), meta, 3));
    CK(asgml_state_put(io, keyf(key, sizeof key, prefix, "probe.ema"), ps->ema, ps->n));
    CK(asgml_state_put(io, keyf(key, sizeof key, prefix, "probe.acc"), ps->acc, ps->n));
    if (!bound && !pending)
        return ASGML_OK;
    int64_t size = asgml_probe_state_size_for(ps->kind, ps->in_dim, ps->num_classes);
    float *host = malloc((size_t)size * sizeof(float));
    double *dbl = malloc((size_t)size * sizeof(double));
    asgml_status st = ASGML_OK;
    if (!host || !dbl)
        st = asgml_error(ASGML_ENOMEM, "asgml_v1.c:%d: out of memory", __LINE__);
    for (int m = 0; st == ASGML_OK && m < ps->n; m++) {
        double pm[2];
        char name[64];
        if (ps->p[m]) {
            st = asgml_probe_state_to_host(ps->p[m], host);
            pm[0] = (double)*asgml_probe_step_count(ps->p[m]);
            pm[1] = (double)*asgml_probe_dropout_offset(ps->p[m]);
        } else {
            memcpy(host, ps->pending[m], (size_t)size * sizeof(float));
            pm[0] = ps->pending_meta[m][0];
            pm[1] = ps->pending_meta[m][1];
        }
        if (st != ASGML_OK)
            break;
        for (int64_t i = 0; i < size; i++)
            dbl[i] = host[i];
        snprintf(name, sizeof name, "probe%d.state", m);
        st = asgml_state_put(io, keyf(key, sizeof key, prefix, name), dbl, size);
        if (st != ASGML_OK)
            break;
        snprintf(name, sizeof name, "probe%d.steps", m);
        st = asgml_state_put(io, keyf(key, sizeof key, prefix, name), pm, 2);
    }
    free(host);
    free(dbl);
    return st;
}

asgml_status asgml_probe_set_load(asgml_probe_set *ps, asgml_state_io *io, const char *prefix)
{
    char key[128];
    double meta[3];

    CK(asgml_state_get(io, keyf(key, sizeof key, prefix, "probe.meta"), meta, 3));
    CK(asgml_state_get(io, keyf(key, sizeof key, prefix, "probe.ema"), ps->ema, ps->n));
    CK(asgml_state_get(io, keyf(key, sizeof key, prefix, "probe.acc"), ps->acc, ps->n));
    ps->evals = (int64_t)meta[1];
    if (meta[0] == 0.0)
        return ASGML_OK;
    int64_t size = asgml_probe_state_size_for(ps->kind, ps->in_dim, ps->num_classes);
    double *dbl = malloc((size_t)size * sizeof(double));
    asgml_status st = dbl ? ASGML_OK : asgml_error(ASGML_ENOMEM, "asgml_v1.c:%d: out of memory",
                                                   __LINE__);
    for (int m = 0; st == ASGML_OK && m < ps->n; m++) {
        char name[64];
        double pm[2];
        snprintf(name, sizeof name, "probe%d.state", m);
        if ((st = asgml_state_get(io, keyf(key, sizeof key, prefix, name), dbl, size)) != ASGML_OK)
            break;
        snprintf(name, sizeof name, "probe%d.steps", m);
        if ((st = asgml_state_get(io, keyf(key, sizeof key, prefix, name), pm, 2)) != ASGML_OK)
            break;
        free(ps->pending[m]);
        ps->pending[m] = malloc((size_t)size * sizeof(float));
        if (!ps->pending[m]) {
            st = asgml_error(ASGML_ENOMEM, "asgml_v1.c:%d: out of memory", __LINE__);
            break;
        }
        for (int64_t i = 0; i < size; i++)
            ps->pending[m][i] = (float)dbl[i];
        ps->pending_meta[m][0] = pm[0];
        ps->pending_meta[m][1] = pm[1];
        /* existing probes are replaced at the next bind */
        asgml_probe_free(ps->p[m]);
        ps->p[m] = NULL;
    }
    free(dbl);
    return st;
}

/* ===================================================================== */
/* 2. ASGML v1 scheduler                                                 */
/* ===================================================================== */

asgml_status asgml_v1_sched_config(asgml_v1_sched *sc, asgml_config *cfg,
                                   const asgml_model_config *mc)
{
    long window, eval_freq, tau_every, probe_steps, warmup;
    const char *source;

    memset(sc, 0, sizeof *sc);
    sc->n = mc->num_modalities;
    if (sc->n < 2)
        return asgml_error(ASGML_EINVAL, "asgml: needs at least two modalities (model has %d)",
                           sc->n);
    CK(asgml_config_get_double(cfg, "asgml.tau-base", 2.0, &sc->tau_base));
    CK(asgml_config_get_double(cfg, "asgml.tau-min", 1.0, &sc->tau_min));
    CK(asgml_config_get_double(cfg, "asgml.tau-max", 8.0, &sc->tau_max));
    CK(asgml_config_get_double(cfg, "asgml.kappa", 3.0, &sc->kappa));
    CK(asgml_config_get_double(cfg, "asgml.beta", 0.5, &sc->beta));
    CK(asgml_config_get_double(cfg, "asgml.lambda", 0.1, &sc->lambda));
    CK(asgml_config_get_double(cfg, "asgml.gamma", 1.0, &sc->gamma));
    CK(asgml_config_get_double(cfg, "asgml.threshold-delta", 0.1, &sc->delta));
    CK(asgml_config_get_double(cfg, "asgml.signal-blend", 0.5, &sc->omega));
    CK(asgml_config_get_int(cfg, "asgml.loss-window", 10, &window));
    CK(asgml_config_get_int(cfg, "asgml.eval-freq", 100, &eval_freq));
    CK(asgml_config_get_int(cfg, "asgml.tau-every", 0, &tau_every));
    CK(asgml_config_get_int(cfg, "asgml.probe-steps", 50, &probe_steps));
    CK(asgml_config_get_int(cfg, "asgml.warmup", 0, &warmup));
    CK(asgml_config_get_string(cfg, "asgml.signal-source", "dual", &source));
    if (strcmp(source, "dual") == 0) sc->source = ASGML_SIGNAL_DUAL;
    else if (strcmp(source, "probe") == 0) sc->source = ASGML_SIGNAL_PROBE;
    else if (strcmp(source, "both") == 0) sc->source = ASGML_SIGNAL_BOTH;
    else
        return asgml_error(ASGML_EINVAL, "asgml.signal-source: '%s' is not one of dual, probe, both",
                           source);
    if (window < 2 || window > ASGML_V1_MAX_WINDOW)
        return asgml_error(ASGML_EINVAL, "asgml.loss-window: %ld not in 2..%d", window,
                           ASGML_V1_MAX_WINDOW);
    if (eval_freq < 1 || tau_every < 0 || probe_steps < 0 || warmup < 0)
        return asgml_error(ASGML_EINVAL, "asgml: eval-freq must be >= 1 and tau-every, "
                           "probe-steps, warmup >= 0");
    if (!(sc->tau_min >= 1.0) || !(sc->tau_max >= sc->tau_min) || !(sc->tau_base > 0.0))
        return asgml_error(ASGML_EINVAL, "asgml: need 1 <= tau-min <= tau-max and tau-base > 0 "
                           "(%g, %g, %g)", sc->tau_min, sc->tau_max, sc->tau_base);
    if (!(sc->beta >= 0.0 && sc->beta <= 1.0) || !(sc->omega >= 0.0 && sc->omega <= 1.0))
        return asgml_error(ASGML_EINVAL, "asgml.beta / asgml.signal-blend not in [0,1]");
    sc->window = (int)window;
    sc->eval_freq = (int)eval_freq;
    sc->tau_every = (int)tau_every;
    sc->probe_steps = (int)probe_steps;
    sc->warmup = warmup;
    asgml_v1_signals_init(&sc->sig, sc->n, sc->window);
    for (int m = 0; m < sc->n; m++)
        sc->tau[m] = sc->S[m] = sc->G[m] = sc->D[m] = 1.0;
    if (sc->source != ASGML_SIGNAL_DUAL)
        CK(asgml_probe_set_config(&sc->probes, cfg, "asgml", mc, UINT64_C(0xA5617100)));
    return ASGML_OK;
}

void asgml_v1_sched_free(asgml_v1_sched *sc)
{
    asgml_probe_set_free(&sc->probes);
}

double asgml_v1_sched_tau_eff(const asgml_v1_sched *sc, int m, int64_t t)
{
    return asgml_v1_warm(sc->tau[m], t, sc->warmup);
}

asgml_status asgml_v1_sched_after_step(asgml_v1_sched *sc, asgml_step *s)
{
    char key[96];
    int every = sc->tau_every > 0 ? sc->tau_every : sc->eval_freq;

    /* both cadences count batches inside an epoch (methods.md 4.3): a period
     * longer than the epoch would never recompute tau, and the method would
     * silently be joint training with unimodal heads */
    if (!sc->tau_unused && (every > s->batches_per_epoch || (sc->source != ASGML_SIGNAL_DUAL &&
                                         sc->eval_freq > s->batches_per_epoch)))
        return asgml_error(ASGML_EINVAL,
                           "asgml.eval-freq (%d) or asgml.tau-every exceeds the %d batches of an "
                           "epoch: tau would never be recomputed; set asgml.eval-freq <= %d",
                           sc->eval_freq, s->batches_per_epoch, s->batches_per_epoch);

    asgml_v1_signals_update(&sc->sig, s->grad_norm_pre, s->ce_uni);
    for (int m = 0; m < sc->n; m++)
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.gbar", s, m),
                      sc->sig.gbar[m]);

    if (sc->source != ASGML_SIGNAL_DUAL && (s->batch + 1) % sc->eval_freq == 0) {
        CK(asgml_probe_set_run(&sc->probes, s, sc->probe_steps));
        double lo = sc->probes.ema[0], hi = lo;
        for (int m = 0; m < sc->n; m++) {
            asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.probe.acc", s, m),
                          sc->probes.acc[m]);
            asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.probe.ema", s, m),
                          sc->probes.ema[m]);
            lo = sc->probes.ema[m] < lo ? sc->probes.ema[m] : lo;
            hi = sc->probes.ema[m] > hi ? sc->probes.ema[m] : hi;
        }
        asgml_log_num(s->log, "asgml.probe.gap", hi - lo);
    }
    if ((s->batch + 1) % every != 0)
        return ASGML_OK;

    asgml_v1_score(&sc->sig, sc->beta, sc->S, sc->G, sc->D);
    switch (sc->source) {
    case ASGML_SIGNAL_DUAL:
        asgml_v1_tau_dual(sc->n, sc->S, sc->tau_base, sc->tau_min, sc->tau_max, sc->tau);
        break;
    case ASGML_SIGNAL_PROBE:
        asgml_v1_tau_probe(sc->n, sc->probes.ema, sc->tau_base, sc->tau_min, sc->tau_max,
                           sc->delta, sc->tau);
        break;
    case ASGML_SIGNAL_BOTH:
        asgml_v1_tau_both(sc->n, sc->S, sc->probes.ema, sc->omega, sc->tau_base, sc->tau_min,
                          sc->tau_max, sc->tau);
        break;
    }
    sc->recomputes++;
    for (int m = 0; m < sc->n; m++) {
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.S", s, m), sc->S[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.G", s, m), sc->G[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.D", s, m), sc->D[m]);
        asgml_log_num(s->log, asgml_method_key(key, sizeof key, "asgml.tau_new", s, m),
                      sc->tau[m]);
    }
    return ASGML_OK;
}

asgml_status asgml_v1_sched_save(asgml_v1_sched *sc, asgml_state_io *io)
{
    double v[4 * ASGML_MAX_MODALITIES + 3];
    double fifo[ASGML_MAX_MODALITIES * ASGML_V1_MAX_WINDOW];
    int n = sc->n;

    for (int m = 0; m < n; m++) {
        v[m] = sc->tau[m];
        v[n + m] = sc->S[m];
        v[2 * n + m] = sc->G[m];
        v[3 * n + m] = sc->D[m];
        for (int i = 0; i < sc->window; i++)
            fifo[m * sc->window + i] = sc->sig.fifo[m][i];
    }
    v[4 * n] = (double)sc->sig.fifo_len;
    v[4 * n + 1] = (double)sc->sig.tracked;
    v[4 * n + 2] = (double)sc->recomputes;
    CK(asgml_state_put(io, "asgml.sched", v, 4 * n + 3));
    CK(asgml_state_put(io, "asgml.gbar", sc->sig.gbar, n));
    CK(asgml_state_put(io, "asgml.fifo", fifo, (int64_t)n * sc->window));
    if (sc->source != ASGML_SIGNAL_DUAL)
        CK(asgml_probe_set_save(&sc->probes, io, "asgml"));
    return ASGML_OK;
}

asgml_status asgml_v1_sched_load(asgml_v1_sched *sc, asgml_state_io *io)
{
    double v[4 * ASGML_MAX_MODALITIES + 3];
    double fifo[ASGML_MAX_MODALITIES * ASGML_V1_MAX_WINDOW];
    int n = sc->n;

    CK(asgml_state_get(io, "asgml.sched", v, 4 * n + 3));
    CK(asgml_state_get(io, "asgml.gbar", sc->sig.gbar, n));
    CK(asgml_state_get(io, "asgml.fifo", fifo, (int64_t)n * sc->window));
    for (int m = 0; m < n; m++) {
        sc->tau[m] = v[m];
        sc->S[m] = v[n + m];
        sc->G[m] = v[2 * n + m];
        sc->D[m] = v[3 * n + m];
        for (int i = 0; i < sc->window; i++)
            sc->sig.fifo[m][i] = fifo[m * sc->window + i];
    }
    sc->sig.fifo_len = (int)v[4 * n];
    sc->sig.tracked = (int64_t)v[4 * n + 1];
    sc->recomputes = (int64_t)v[4 * n + 2];
    if (sc->sig.fifo_len < 0 || sc->sig.fifo_len > sc->window)
        return asgml_error(ASGML_EFORMAT, "asgml.sched: loss FIFO length %d outside 0..%d",
                           sc->sig.fifo_len, sc->window);
    if (sc->source != ASGML_SIGNAL_DUAL)
        CK(asgml_probe_set_load(&sc->probes, io, "asgml"));
    return ASGML_OK;
}
