/* SPDX-License-Identifier: MIT */
/* memlimit.h - tap_limit_address_space_1g(): one TAP check that limits the
 * test's address space to 1 GiB (setrlimit RLIMIT_AS), so that an
 * allocation sized by a file's claim fails instead of succeeding under
 * overcommit; a SKIP in ASan builds, which reserve terabytes of address
 * space for their shadow memory.  Used by the *-claims tests. */
#ifndef ASGML_TEST_MEMLIMIT_H
#define ASGML_TEST_MEMLIMIT_H
#include <sys/resource.h>

#include "tap.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASGML_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASGML_TEST_ASAN 1
#endif
#endif

static void tap_limit_address_space_1g(void)
{
#ifndef ASGML_TEST_ASAN
    struct rlimit rl = { (rlim_t)1 << 30, (rlim_t)1 << 30 };
    ok(setrlimit(RLIMIT_AS, &rl) == 0, "address space limited to 1 GiB");
#else
    ok(1, "# SKIP no address-space limit under ASan");
#endif
}
#endif
