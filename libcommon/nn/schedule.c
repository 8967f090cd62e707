/* SPDX-License-Identifier: MIT */
/* schedule.c - learning-rate schedules as PyTorch closed forms, for a
 * 0-based epoch e (the scheduler is stepped once per epoch, after it):
 *   constant     lr
 *   StepLR       lr * gamma^floor(e / step_size)
 *   MultiStepLR  lr * gamma^(number of milestones <= e)
 *   cosine       eta_min + (lr - eta_min) * (1 + cos(pi * e / t_max)) / 2
 *                (CosineAnnealingLR._get_closed_form_lr; periodic past t_max)
 *   plateau      ReduceLROnPlateau: stateful, stepped on a metric (below) */
#include <math.h>

#include "asgml/optim.h"

double asgml_schedule_lr(const asgml_schedule *s, double base_lr, int epoch)
{
    if (epoch < 0) epoch = 0;
    switch (s->kind) {
    case ASGML_SCHED_STEP:
        if (s->step_size < 1) return base_lr;
        return base_lr * pow(s->gamma, (double)(epoch / s->step_size));
    case ASGML_SCHED_MULTISTEP: {
        int k = 0;
        for (int i = 0; i < s->num_milestones && i < 16; i++)
            if (s->milestones[i] <= epoch) k++;
        return base_lr * pow(s->gamma, (double)k);
    }
    case ASGML_SCHED_COSINE:
        if (s->t_max < 1) return base_lr;
        return s->eta_min + (base_lr - s->eta_min) *
                                (1.0 + cos(3.14159265358979323846 * (double)epoch / (double)s->t_max)) / 2.0;
    case ASGML_SCHED_CONSTANT:
    default:
        return base_lr;
    }
}

/* torch.optim.lr_scheduler.ReduceLROnPlateau (_init_is_better, _reset). */
void asgml_plateau_init(const asgml_schedule *s, double lr, asgml_plateau *p)
{
    p->lr = lr;
    p->best = s->mode_max ? -INFINITY : INFINITY;
    p->num_bad_epochs = 0;
    p->cooldown_counter = 0;
    p->last_epoch = 0;
}

/* ReduceLROnPlateau.is_better: rel min a < best (1 - threshold), abs min
 * a < best - threshold, rel max a > best (1 + threshold), abs max
 * a > best + threshold. */
static int plateau_better(const asgml_schedule *s, double a, double best)
{
    if (!s->mode_max)
        return s->threshold_abs ? a < best - s->threshold : a < best * (1.0 - s->threshold);
    return s->threshold_abs ? a > best + s->threshold : a > best * (s->threshold + 1.0);
}

/* ReduceLROnPlateau.step and _reduce_lr:
 *   better -> best = metric, num_bad = 0, else num_bad += 1;
 *   in cooldown (counter > 0): counter -= 1, num_bad = 0;
 *   num_bad > patience: new = max(lr factor, min_lr), applied only when
 *   lr - new > eps; counter = cooldown, num_bad = 0. */
int asgml_plateau_step(const asgml_schedule *s, asgml_plateau *p, double metric)
{
    int reduced = 0;
    p->last_epoch++;
    if (plateau_better(s, metric, p->best)) {
        p->best = metric;
        p->num_bad_epochs = 0;
    } else {
        p->num_bad_epochs++;
    }
    if (p->cooldown_counter > 0) {
        p->cooldown_counter--;
        p->num_bad_epochs = 0;
    }
    if (p->num_bad_epochs > s->patience) {
        double old = p->lr, lr = old * s->factor;
        if (lr < s->min_lr)
            lr = s->min_lr;
        if (old - lr > s->eps) {
            p->lr = lr;
            reduced = 1;
        }
        p->cooldown_counter = s->cooldown;
        p->num_bad_epochs = 0;
    }
    return reduced;
}
