/* SPDX-License-Identifier: MIT */
/* test-image-claims.c - a PNG chunk's length is a claim, not a size to
 * allocate (issue 13, found by fuzz/fuzz_png): the 158-byte
 * tests/fixtures/fuzz/png/itxt-length-2g.png has an iTXt chunk that
 * declares 1,970,632,053 bytes.  libpng allocated that much before reading
 * it (ASan: out of memory after 11 s, reported as a timeout under load);
 * under a 1 GiB address-space limit the allocation failed with libpng's
 * warning "iTXt: out of memory" and the file ended up "truncated".
 * asgml_image_load now skips ancillary chunks unread, so the file is
 * truncated and nothing is allocated for the chunk: the error carries no
 * memory warning (asgml keeps libpng's last warning in the message).  The
 * limit is not set in ASan builds (see test-audio-claims.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/decode.h"
#include "memlimit.h"
#include "tap.h"

int main(void)
{
    const char *src = getenv("top_srcdir");
    char path[1024];
    asgml_image im;
    asgml_status st;

    tap_plan(3);
    snprintf(path, sizeof path, "%s/tests/fixtures/fuzz/png/itxt-length-2g.png", src ? src : ".");
    tap_limit_address_space_1g();
    st = asgml_image_load(path, 3, &im);
    ok(st == ASGML_EFORMAT, "a PNG whose iTXt chunk claims 1.97 GB in 158 bytes: EFORMAT (got %d: %s)", st,
       asgml_last_error());
    ok(strstr(asgml_last_error(), "corrupt PNG: truncated file") && !strstr(asgml_last_error(), "memory") &&
           strstr(asgml_last_error(), "itxt-length-2g.png"),
       "truncated, with no allocation for the chunk tried, and the file named: %s", asgml_last_error());
    if (st == ASGML_OK)
        asgml_image_free(&im);
    return tap_done();
}
