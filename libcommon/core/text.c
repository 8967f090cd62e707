/* SPDX-License-Identifier: MIT */
/* core/text.c - UTF-8 and ASCII checks (core/text.h); the UTF-8 rules are
 * libunistring's (u8_check: the well-formed sequences of the Unicode
 * Standard, Table 3-7). */
#include <string.h>
#include <unistr.h>

#include "core/text.h"

long asgml_utf8_bad(const char *s)
{
    const uint8_t *u = (const uint8_t *)s;
    const uint8_t *bad = u8_check(u, strlen(s));
    return bad ? (long)(bad - u) : -1;
}

long asgml_ascii_bad(const char *s)
{
    for (long i = 0; s[i]; i++)
        if ((unsigned char)s[i] >= 0x80)
            return i;
    return -1;
}
