/* SPDX-License-Identifier: MIT */
/* prep_prof.h - CPU time of asgml-prep's stages (options.profile,
 * asgml-prep(1) ASGML_PREP_PROFILE): each thread charges its own CPU clock
 * (clock_gettime(CLOCK_THREAD_CPUTIME_ID)) to the stage it is in; a switch
 * reads the clock only while profiling is on, so a run without it pays one
 * load and branch per switch.  Private to libasgml. */
#ifndef ASGML_DATA_PREP_PROF_H
#define ASGML_DATA_PREP_PROF_H

#include "asgml/prep.h"

/* stages: ASGML_PREP_STAGE_* (asgml/prep.h) */
extern int prep_prof_on;

/* Charges the time since the last switch to the current stage, enters
 * stage s and returns the stage left (to switch back to). */
int prep_prof_switch_slow(int s);
static inline int prep_prof_switch(int s) { return prep_prof_on ? prep_prof_switch_slow(s) : 0; }
/* Adds this thread's totals (up to now) into acc and clears them. */
void prep_prof_collect(double acc[ASGML_PREP_NSTAGES]);
/* For helper threads that have no acc (the checksum's decoder): into a
 * shared total under a lock; prep_prof_take() adds that total to acc and
 * clears it. */
void prep_prof_collect_shared(void);
void prep_prof_take(double acc[ASGML_PREP_NSTAGES]);

#endif
