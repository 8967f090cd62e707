/* SPDX-License-Identifier: MIT */
/* train_config.c - the training engine's configuration (asgml-train(1),
 * CONFIGURATION): the method list and modalities, the model, the optimiser
 * and schedule (ReduceLROnPlateau included) and the run keys, read from the
 * resolved configuration into asgml_train before setup (train.c). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "asgml/train.h"
#include "methods/method_helpers.h"
#include "train/train_internal.h"

static asgml_status parse_methods(asgml_train *t, const char *spec)
{
    char buf[256], *save = NULL, *tok;
    if (strlen(spec) >= sizeof buf || !*spec)
        return asgml_error(ASGML_EINVAL, "method: '%s' is not a method name", spec);
    /* "a+", "+a", "a++b": an empty part is a mistake, not a method less */
    if (spec[0] == '+' || spec[strlen(spec) - 1] == '+' || strstr(spec, "++"))
        return asgml_error(ASGML_EINVAL, "method: '%s' has an empty part (methods are "
                           "joined by single '+')", spec);
    snprintf(buf, sizeof buf, "%s", spec);
    snprintf(t->method_spec, sizeof t->method_spec, "%s", spec);
    for (tok = strtok_r(buf, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
        const asgml_method_ops *ops = asgml_train_find_method(tok);
        if (!ops)
            return asgml_error(ASGML_EINVAL, "unknown method '%s' (asgml-train --list-methods "
                               "lists them)", tok);
        if (t->nmeth == ASGML_TRAIN_MAX_METHODS)
            return asgml_error(ASGML_EINVAL, "method: too many methods in '%s'", spec);
        for (int i = 0; i < t->nmeth; i++)
            if (t->meth[i] == ops)
                return asgml_error(ASGML_EINVAL, "method '%s' appears twice in '%s'", tok, spec);
        t->meth[t->nmeth++] = ops;
        t->needs |= ops->needs;
        if (ops->config_needs) {   /* e.g. ogm-ge.variant=asgml-ref: heads */
            unsigned extra = 0;
            CK(ops->config_needs(t->cfg, &extra));
            t->needs |= extra;
            t->cfg_needs |= extra;
        }
    }
    if (t->nmeth == 0)
        return asgml_error(ASGML_EINVAL, "method: '%s' is not a method name", spec);
    if ((t->needs & ASGML_SINGLE_MODALITY) && t->nmeth > 1)
        return asgml_error(ASGML_EINVAL, "method '%s': a single-modality method does not compose",
                           spec);
    /* stable insertion sort by h2_rank: hooks run in this order */
    for (int i = 1; i < t->nmeth; i++)
        for (int j = i; j > 0 && t->meth[j - 1]->h2_rank > t->meth[j]->h2_rank; j--) {
            const asgml_method_ops *tmp = t->meth[j];
            t->meth[j] = t->meth[j - 1];
            t->meth[j - 1] = tmp;
        }
    t->composition = asgml_method_composition_status(t->meth, t->nmeth);
    return ASGML_OK;
}

/* Splits a comma list of names into t->mod_names. */
asgml_status asgml_train_parse_modalities(asgml_train *t, const char *list)
{
    char buf[512], *save = NULL, *tok;
    snprintf(buf, sizeof buf, "%s", list);
    for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        if (t->nmod == ASGML_MAX_MODALITIES)
            return asgml_error(ASGML_EINVAL, "data.modalities: more than %d modalities",
                               ASGML_MAX_MODALITIES);
        snprintf(t->mod_names[t->nmod++], sizeof t->mod_names[0], "%s", tok);
    }
    return ASGML_OK;
}

static asgml_status pick(const char *key, const char *v, const char *const *names, int n,
                         int *out)
{
    char all[256] = "";
    for (int i = 0; i < n; i++) {
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return ASGML_OK;
        }
        snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", i ? ", " : "", names[i]);
    }
    return asgml_error(ASGML_EINVAL, "key '%s': '%s' is not one of: %s", key, v, all);
}

asgml_status asgml_train_read_model_config(asgml_train *t)
{
    static const char *const fusions[] = { "concat", "sum", "film", "gated", "none" };
    static const char *const unis[] = { "none", "split", "heads", "zero", "auto", "shared" };
    static const char *const fws[] = { "mean", "entropy" };
    static const char *const inits[] = { "xavier", "uniform" };
    asgml_config *c = t->cfg;
    asgml_model_config *mc = &t->mc;
    const char *s, *blocks;
    long width, fdim;
    int fusion, uni, init, fw, shared;
    double dropout;
    asgml_model_config_defaults(mc);
    mc->num_modalities = t->nmod;
    CK(asgml_config_get_int(c, "model.width", 64, &width));
    CK(asgml_config_get_string(c, "model.blocks", "2,2,2,2", &blocks));
    if (width < 1 || width > 1024)
        return asgml_error(ASGML_EINVAL, "key 'model.width': %ld is out of range 1..1024", width);
    if (sscanf(blocks, "%d,%d,%d,%d", &mc->blocks[0], &mc->blocks[1], &mc->blocks[2],
               &mc->blocks[3]) != 4 || mc->blocks[0] < 1 || mc->blocks[1] < 1 ||
        mc->blocks[2] < 1 || mc->blocks[3] < 1)
        return asgml_error(ASGML_EINVAL, "key 'model.blocks': '%s' is not four positive "
                           "integers (e.g. 2,2,2,2)", blocks);
    mc->width = (int)width;
    CK(asgml_config_get_int(c, "model.feature-dim", 8 * width, &fdim));
    mc->feature_dim = (int)fdim;
    CK(asgml_config_get_string(c, "model.fusion",
                                 (t->needs & ASGML_NEEDS_UNI_SHARED) ? "none" : "concat", &s));
    CK(pick("model.fusion", s, fusions, 5, &fusion));
    mc->fusion = (asgml_fusion_kind)fusion;
    if (t->needs & ASGML_NEEDS_UNI_SHARED) {   /* the method's inference fusion (mla) */
        if (asgml_config_is_set(c, "model.fusion-weights"))
            return asgml_error(ASGML_EINVAL, "key 'model.fusion-weights': method '%s' sets the "
                               "fusion weights itself (mla.fusion)", t->method_spec);
        CK(asgml_mla_fusion_config(c, mc));
    } else {
        CK(asgml_config_get_string(c, "model.fusion-weights", "mean", &s));
        CK(pick("model.fusion-weights", s, fws, 2, &fw));
        mc->fuse_weights = (asgml_fuse_weights)fw;
    }
    CK(asgml_config_get_bool(c, "model.head-two-layer", 0, &mc->head_two_layer));
    {   /* ASGML v1 5.3 mitigation 4 (asgml-methods(7), MODEL) */
        static const char *const fnorms[] = { "none", "l2", "layernorm" };
        int fn;
        CK(asgml_config_get_string(c, "model.feature-norm", "none", &s));
        CK(pick("model.feature-norm", s, fnorms, 3, &fn));
        mc->feature_norm = (asgml_feature_norm)fn;
    }
    CK(asgml_config_get_string(c, "model.head-init", "xavier", &s));
    CK(pick("model.head-init", s, inits, 2, &init));
    mc->head_init_uniform = init;
    CK(asgml_config_get_double(c, "model.dropout", 0.0, &dropout));
    if (dropout < 0 || dropout >= 1)
        return asgml_error(ASGML_EINVAL, "key 'model.dropout': %g is not in [0,1)", dropout);
    mc->dropout = (float)dropout;
    CK(asgml_config_get_string(c, "model.uni", "auto", &s));
    CK(pick("model.uni", s, unis, 6, &uni));
    /* shared; auto with fusion none: z from the shared head's u_m */
    shared = uni == 5 || (uni == 4 && mc->fusion == ASGML_FUSION_NONE &&
                          !(t->needs & ASGML_NEEDS_UNI_HEADS));
    CK(asgml_config_get_bool(c, "model.uni-detach", 0, &mc->uni_detach));
    if (t->nmod == 1)
        uni = ASGML_UNI_NONE;     /* the fused logits are the modality's logits */
    else if (uni == 4) {          /* auto: what the methods need, else split where it exists */
        if (t->needs & ASGML_NEEDS_UNI_HEADS)
            uni = ASGML_UNI_HEADS;
        else if (t->needs & ASGML_NEEDS_UNI_ZERO)
            uni = ASGML_UNI_ZERO;
        else if (t->needs & ASGML_NEEDS_UNI_SPLIT)
            uni = ASGML_UNI_SPLIT;
        else if (mc->fusion == ASGML_FUSION_CONCAT || mc->fusion == ASGML_FUSION_SUM)
            uni = ASGML_UNI_SPLIT;
        else {                    /* film/gated: heads on detached features, for evaluation */
            uni = ASGML_UNI_HEADS;
            mc->uni_detach = 1;
        }
    }
    if (shared && t->nmod > 1) {   /* the configured uni-detach, not auto's film/gated default */
        uni = ASGML_UNI_SHARED;
        CK(asgml_config_get_bool(c, "model.uni-detach", 0, &mc->uni_detach));
    }
    if ((t->cfg_needs & ASGML_NEEDS_UNI_HEADS) && uni != ASGML_UNI_HEADS)
        return asgml_error(ASGML_EINVAL, "key 'model.uni': method '%s' as configured (e.g. "
                           "ogm-ge.variant=asgml-ref) reads u_m from separate unimodal heads and "
                           "needs model.uni=heads; leave model.uni unset (auto) or set heads",
                           t->method_spec);
    if ((t->needs & ASGML_NEEDS_UNI_HEADS) && uni != ASGML_UNI_HEADS)
        return asgml_error(ASGML_EINVAL, "method '%s' needs model.uni=heads", t->method_spec);
    if ((t->needs & ASGML_NEEDS_UNI_SPLIT) && uni != ASGML_UNI_SPLIT && uni != ASGML_UNI_HEADS)
        return asgml_error(ASGML_EINVAL, "method '%s' needs unimodal logits (model.uni=split "
                           "or heads)", t->method_spec);
    if ((t->needs & ASGML_NEEDS_UNI_SHARED) &&
        (uni != ASGML_UNI_SHARED || mc->fusion != ASGML_FUSION_NONE))
        return asgml_error(ASGML_EINVAL, "method '%s' needs model.uni=shared and "
                           "model.fusion=none (its defaults)", t->method_spec);
    if ((t->needs & ASGML_NEEDS_UNI_ZERO) && uni != ASGML_UNI_ZERO)
        return asgml_error(ASGML_EINVAL, "method '%s' needs model.uni=zero", t->method_spec);
    mc->uni = (asgml_uni_kind)uni;
    CK(asgml_config_get_double(c, "model.uni-gamma", 1.0, &t->uni_gamma));
    mc->num_classes = asgml_store_num_classes(t->store);
    mc->max_batch = (int)t->batch;
    return ASGML_OK;
}

/* ReduceLROnPlateau keys with PyTorch's defaults (mode min, factor 0.1,
 * patience 10, threshold 1e-4, threshold_mode rel, cooldown 0, min_lr 0,
 * eps 1e-8); stepped on the validation loss after every epoch (run_epoch). */
static asgml_status read_plateau_config(asgml_config *c, asgml_schedule *sc)
{
    static const char *const modes[] = { "min", "max" }, *const tmodes[] = { "rel", "abs" };
    const char *s;
    int k;
    long patience, cooldown;
    CK(asgml_config_get_string(c, "sched.mode", "min", &s));
    CK(pick("sched.mode", s, modes, 2, &k));
    sc->mode_max = k;
    CK(asgml_config_get_string(c, "sched.threshold-mode", "rel", &s));
    CK(pick("sched.threshold-mode", s, tmodes, 2, &k));
    sc->threshold_abs = k;
    CK(asgml_config_get_double(c, "sched.factor", 0.1, &sc->factor));
    CK(asgml_config_get_int(c, "sched.patience", 10, &patience));
    CK(asgml_config_get_double(c, "sched.threshold", 1e-4, &sc->threshold));
    CK(asgml_config_get_int(c, "sched.cooldown", 0, &cooldown));
    CK(asgml_config_get_double(c, "sched.min-lr", 0.0, &sc->min_lr));
    CK(asgml_config_get_double(c, "sched.eps", 1e-8, &sc->eps));
    if (!(sc->factor >= 0.0 && sc->factor < 1.0))   /* PyTorch: "Factor should be < 1.0" */
        return asgml_error(ASGML_EINVAL, "key 'sched.factor': %g is not in [0, 1)", sc->factor);
    if (patience < 0 || patience > INT_MAX)
        return asgml_error(ASGML_EINVAL, "key 'sched.patience': must be >= 0");
    if (cooldown < 0 || cooldown > INT_MAX)
        return asgml_error(ASGML_EINVAL, "key 'sched.cooldown': must be >= 0");
    if (!(sc->threshold >= 0.0) || !isfinite(sc->threshold))
        return asgml_error(ASGML_EINVAL, "key 'sched.threshold': must be finite and >= 0");
    if (!(sc->min_lr >= 0.0) || !isfinite(sc->min_lr))
        return asgml_error(ASGML_EINVAL, "key 'sched.min-lr': must be finite and >= 0");
    if (!(sc->eps >= 0.0) || !isfinite(sc->eps))
        return asgml_error(ASGML_EINVAL, "key 'sched.eps': must be finite and >= 0");
    sc->patience = (int)patience;
    sc->cooldown = (int)cooldown;
    return ASGML_OK;
}

asgml_status asgml_train_read_optim_config(asgml_train *t)
{
    static const char *const kinds[] = { "sgd", "adam", "adamw" };
    static const char *const scheds[] = { "constant", "step", "multistep", "cosine", "plateau" };
    asgml_config *c = t->cfg;
    asgml_optim_config *oc = &t->oc;
    asgml_schedule *sc = &t->sched;
    const char *s;
    int kind;
    long step_size, tmax;
    asgml_optim_config_defaults(oc);
    CK(asgml_config_get_string(c, "optim.name", "sgd", &s));
    CK(pick("optim.name", s, kinds, 3, &kind));
    oc->kind = (asgml_optim_kind)kind;
    CK(asgml_config_get_double(c, "optim.lr", 1e-3, &oc->lr));
    CK(asgml_config_get_double(c, "optim.weight-decay", kind == ASGML_OPTIM_ADAMW ? 0.01 : 1e-4,
                               &oc->weight_decay));
    if (kind == ASGML_OPTIM_SGD) {
        CK(asgml_config_get_double(c, "optim.momentum", 0.9, &oc->momentum));
        CK(asgml_config_get_double(c, "optim.dampening", 0.0, &oc->dampening));
        CK(asgml_config_get_bool(c, "optim.nesterov", 0, &oc->nesterov));
    } else {
        CK(asgml_config_get_double(c, "optim.beta1", 0.9, &oc->beta1));
        CK(asgml_config_get_double(c, "optim.beta2", 0.999, &oc->beta2));
        CK(asgml_config_get_double(c, "optim.eps", 1e-8, &oc->eps));
    }
    if (!(oc->lr > 0))
        return asgml_error(ASGML_EINVAL, "key 'optim.lr': must be positive");
    memset(sc, 0, sizeof *sc);
    CK(asgml_config_get_string(c, "sched.name", "step", &s));
    CK(pick("sched.name", s, scheds, 5, &kind));
    sc->kind = (asgml_sched_kind)kind;
    if (kind == ASGML_SCHED_STEP || kind == ASGML_SCHED_MULTISTEP)
        CK(asgml_config_get_double(c, "sched.gamma", 0.1, &sc->gamma));
    if (kind == ASGML_SCHED_STEP) {
        CK(asgml_config_get_int(c, "sched.step-size", 70, &step_size));
        if (step_size < 1)
            return asgml_error(ASGML_EINVAL, "key 'sched.step-size': must be >= 1");
        sc->step_size = (int)step_size;
    } else if (kind == ASGML_SCHED_MULTISTEP) {
        char buf[256], *save = NULL, *tok;
        CK(asgml_config_get_string(c, "sched.milestones", "70,150", &s));
        snprintf(buf, sizeof buf, "%s", s);
        for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
            char *end;
            long v = strtol(tok, &end, 10);
            if (*end || v < 1 || sc->num_milestones == 16 ||
                (sc->num_milestones && v <= sc->milestones[sc->num_milestones - 1]))
                return asgml_error(ASGML_EINVAL, "key 'sched.milestones': '%s' is not an "
                                   "ascending list of at most 16 epochs", s);
            sc->milestones[sc->num_milestones++] = (int)v;
        }
    } else if (kind == ASGML_SCHED_COSINE) {
        CK(asgml_config_get_int(c, "sched.t-max", t->epochs, &tmax));
        CK(asgml_config_get_double(c, "sched.eta-min", 0.0, &sc->eta_min));
        if (tmax < 1)
            return asgml_error(ASGML_EINVAL, "key 'sched.t-max': must be >= 1");
        sc->t_max = (int)tmax;
    } else if (kind == ASGML_SCHED_PLATEAU) {
        CK(read_plateau_config(c, sc));
    }
    asgml_plateau_init(sc, oc->lr, &t->plateau);
    return ASGML_OK;
}

/* A study's configuration file may carry the hyper-parameters of every
 * method it compares; keys of the methods this run does not use are not
 * typos, so asgml_config_check_unused must not reject them.  Namespaces are
 * the method names, plus "asgml." shared by the ASGML v1 methods
 * (asgml-freq, asgml-stale; asgml-boost has its own). */
static void exempt_inactive_method_keys(asgml_train *t)
{
    char prefix[64];
    int v1_active = 0;
    for (int i = 0; i < asgml_method_count(); i++) {
        const asgml_method_ops *ops = asgml_method_at(i);
        int active = 0;
        for (int k = 0; k < t->nmeth; k++)
            active |= t->meth[k] == ops;
        if (active && !strncmp(ops->name, "asgml-", 6) && strcmp(ops->name, "asgml-boost"))
            v1_active = 1;
        if (!active) {
            snprintf(prefix, sizeof prefix, "%s.", ops->name);
            asgml_config_ignore_prefix(t->cfg, prefix);
        }
    }
    if (!v1_active)
        asgml_config_ignore_prefix(t->cfg, "asgml.");
}

asgml_status asgml_train_read_run_config(asgml_train *t)
{
    asgml_config *c = t->cfg;
    const char *s;
    long seed;
    CK(asgml_config_get_string(c, "method", "baseline", &s));
    CK(parse_methods(t, s));
    exempt_inactive_method_keys(t);
    CK(asgml_config_get_int(c, "seed", 1, &seed));
    if (seed < 0)
        return asgml_error(ASGML_EINVAL, "key 'seed': must be >= 0");
    t->seed = (uint64_t)seed;
    CK(asgml_config_get_int(c, "train.epochs", 100, &t->epochs));
    CK(asgml_config_get_int(c, "data.batch-size", 64, &t->batch));
    CK(asgml_config_get_int(c, "train.log-every", 1, &t->log_every));
    CK(asgml_config_get_int(c, "train.checkpoint-every", 1, &t->ckpt_every));
    CK(asgml_config_get_int(c, "train.keep-checkpoints", 1, &t->keep_ckpt));
    CK(asgml_config_get_int(c, "train.interrupt-after-epochs", 0, &t->interrupt_after));
    CK(asgml_config_get_bool(c, "train.log-grad-energy", 0, &t->log_grad_energy));
    if (t->epochs < 1 || t->epochs > 100000)
        return asgml_error(ASGML_EINVAL, "key 'train.epochs': %ld is out of range 1..100000",
                           t->epochs);
    if (t->batch < 1 || t->batch > 65536)
        return asgml_error(ASGML_EINVAL, "key 'data.batch-size': %ld is out of range 1..65536",
                           t->batch);
    if (t->log_every < 0 || t->ckpt_every < 0 || t->keep_ckpt < 0 || t->interrupt_after < 0)
        return asgml_error(ASGML_EINVAL, "train.log-every, train.checkpoint-every, "
                           "train.keep-checkpoints and train.interrupt-after-epochs must be >= 0");
    CK(asgml_config_get_string(c, "backend.device", "cpu", &t->device));
    CK(asgml_config_get_int(c, "backend.threads", 0, &t->threads));
    CK(asgml_config_get_bool(c, "backend.deterministic", 1, &t->deterministic));
    CK(asgml_config_get_string(c, "backend.conv-algo", "auto", &t->conv_algo));
    CK(asgml_config_get_bool(c, "data.drop-last", 0, &t->drop_last));
    CK(asgml_config_get_bool(c, "data.prefetch", 1, &t->prefetch));
    CK(asgml_config_get_string(c, "data.scheme", "", &t->scheme));
    CK(asgml_config_get_string(c, "train.init", "", &t->init_path));
    CK(asgml_config_get_bool(c, "train.init-strict", 1, &t->init_strict));
    return ASGML_OK;
}
