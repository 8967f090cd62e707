/* SPDX-License-Identifier: MIT */
/* tap.h - minimal Test Anything Protocol output for the C unit tests.
 * Usage: tap_plan(n) or tap_plan_lazy(); ok(cond, "name %d", i);
 * tap_skip_all("no GPU") exits 0 with "1..0 # SKIP reason";
 * return tap_done();  (exit status 1 if any test failed). */
#ifndef ASGML_TAP_H
#define ASGML_TAP_H
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_count_, tap_failed_, tap_planned_;

static inline void tap_plan(int n) { tap_planned_ = n; printf("1..%d\n", n); fflush(stdout); }

static inline int ok(int cond, const char *fmt, ...) {
    va_list ap;
    tap_count_++;
    if (!cond) tap_failed_++;
    printf("%s %d - ", cond ? "ok" : "not ok", tap_count_);
    va_start(ap, fmt); vprintf(fmt, ap); va_end(ap);
    printf("\n"); fflush(stdout);
    return cond;
}

static inline void tap_skip(int n, const char *why) {
    for (int i = 0; i < n; i++) { tap_count_++; printf("ok %d # SKIP %s\n", tap_count_, why); }
    fflush(stdout);
}

static inline void tap_diag(const char *fmt, ...) {
    va_list ap; printf("# "); va_start(ap, fmt); vprintf(fmt, ap); va_end(ap); printf("\n"); fflush(stdout);
}

static inline void tap_skip_all(const char *why) { printf("1..0 # SKIP %s\n", why); fflush(stdout); exit(0); }

static inline int tap_done(void) {
    if (!tap_planned_) printf("1..%d\n", tap_count_);
    fflush(stdout);
    return tap_failed_ ? 1 : 0;
}
#endif
