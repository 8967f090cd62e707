/* schedule.c - learning-rate schedules as PyTorch closed forms, for a
 * 0-based epoch e (the scheduler is stepped once per epoch, after it):
 *   constant     lr
 *   StepLR       lr * gamma^floor(e / step_size)
 *   MultiStepLR  lr * gamma^(number of milestones <= e)
 *   cosine       eta_min + (lr - eta_min) * (1 + cos(pi * e / t_max)) / 2
 *                (CosineAnnealingLR._get_closed_form_lr; periodic past t_max) */
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
