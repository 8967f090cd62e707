/* SPDX-License-Identifier: MIT */
/* test-core-errors.c - the library's shared utilities of core/: the error
 * stamp (ASGML_ERR: "file.c:LINE: message", base name only), CK's early
 * return, and JSON quoting through jansson (asgml_json_quote), checked
 * against hand-written expected text. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "tap.h"

static int ck_calls;
static asgml_status fails(void) { ck_calls++; return ASGML_ERR(ASGML_EIO, "disk %s", "gone"); }
static asgml_status passes(void) { ck_calls++; return ASGML_OK; }
static asgml_status chain(void)
{
    CK(passes());
    CK(fails());
    CK(passes());        /* not reached */
    return ASGML_OK;
}

static int quoted(const char *in, const char *want)
{
    char *q = asgml_json_quote(in);
    int good = q && strcmp(q, want) == 0;
    if (!good) tap_diag("got %s, want %s", q ? q : "(null)", want);
    free(q);
    return good;
}

int main(void)
{
    tap_plan(9);
    int line = __LINE__ + 1;
    asgml_status st = ASGML_ERR(ASGML_EINVAL, "bad value %d", 7);
    char want[64];
    snprintf(want, sizeof want, "test-core-errors.c:%d: bad value 7", line);
    ok(st == ASGML_EINVAL, "ASGML_ERR returns its status");
    ok(strcmp(asgml_last_error(), want) == 0, "ASGML_ERR stamps base name and line: %s",
       asgml_last_error());
    ck_calls = 0;
    ok(chain() == ASGML_EIO && ck_calls == 2, "CK returns the first failure, skips the rest");
    ok(strstr(asgml_last_error(), ": disk gone") != NULL, "CK keeps the callee's message");
    ok(quoted("plain", "\"plain\""), "plain string");
    ok(quoted("a\"b\\c", "\"a\\\"b\\\\c\""), "quote and backslash escaped");
    ok(quoted("t\tn\n\x01", "\"t\\tn\\n\\u0001\""), "control characters escaped");
    ok(quoted("caf\xc3\xa9", "\"caf\xc3\xa9\""), "UTF-8 kept");
    ok(quoted("x\xff\xc3y", "\"x\xef\xbf\xbd\xef\xbf\xbdy\""), "invalid bytes become U+FFFD");
    return tap_done();
}
