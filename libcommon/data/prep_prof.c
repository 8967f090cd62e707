/* SPDX-License-Identifier: MIT */
/* prep_prof.c - per-thread stage clocks of asgml-prep (prep_prof.h). */
#include "data/prep_prof.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

int prep_prof_on;
static double shared_acc[ASGML_PREP_NSTAGES];
static pthread_mutex_t shared_mu = PTHREAD_MUTEX_INITIALIZER;

static _Thread_local double acc_t[ASGML_PREP_NSTAGES];
static _Thread_local double last_t;
static _Thread_local int cur_t = ASGML_PREP_STAGE_OTHER;
static _Thread_local int started_t;

static double thread_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int prep_prof_switch_slow(int s)
{
    double now = thread_cpu();
    if (started_t) acc_t[cur_t] += now - last_t;
    started_t = 1;
    last_t = now;
    int old = cur_t;
    cur_t = s;
    return old;
}

void prep_prof_collect(double acc[ASGML_PREP_NSTAGES])
{
    if (!prep_prof_on) return;
    prep_prof_switch_slow(cur_t);
    for (int i = 0; i < ASGML_PREP_NSTAGES; i++) acc[i] += acc_t[i];
    memset(acc_t, 0, sizeof acc_t);
}

void prep_prof_collect_shared(void)
{
    if (!prep_prof_on) return;
    pthread_mutex_lock(&shared_mu);
    prep_prof_collect(shared_acc);
    pthread_mutex_unlock(&shared_mu);
}

void prep_prof_take(double acc[ASGML_PREP_NSTAGES])
{
    pthread_mutex_lock(&shared_mu);
    for (int i = 0; i < ASGML_PREP_NSTAGES; i++) acc[i] += shared_acc[i];
    memset(shared_acc, 0, sizeof shared_acc);
    pthread_mutex_unlock(&shared_mu);
}

const char *asgml_prep_stage_name(int s)
{
    static const char *names[ASGML_PREP_NSTAGES] = {"decode", "resample", "stft", "image", "compress",
                                                    "write", "checksum", "other"};
    return s >= 0 && s < ASGML_PREP_NSTAGES ? names[s] : "?";
}
