/* SPDX-License-Identifier: MIT */
/* test-audio-claims.c - a header's frame count is a claim, not a size to
 * allocate (issue 13, found by fuzz/fuzz_flac): the 139-byte FLAC
 * tests/fixtures/fuzz/flac/header-claims-1.9e9-frames.flac announces
 * 1,896,167,971 frames.  asgml_audio_load used to malloc 7.6 GB for it
 * before decoding anything (ASan: a 27 s timeout; without overcommit, or
 * under a memory limit: "out of memory").  Under a 1 GiB address-space
 * limit it must now fail as what it is, a corrupt file, naming it.
 * The limit is not set in ASan builds (ASan reserves terabytes of
 * address space for its shadow); the file then still has to fail fast. */
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
    asgml_audio a;
    asgml_status st;

    tap_plan(3);
    snprintf(path, sizeof path, "%s/tests/fixtures/fuzz/flac/header-claims-1.9e9-frames.flac",
             src ? src : ".");
    tap_limit_address_space_1g();
    st = asgml_audio_load(path, 8000, &a);
    ok(st == ASGML_EFORMAT, "a FLAC claiming 1.9e9 frames in 139 bytes: EFORMAT (got %d: %s)", st,
       asgml_last_error());
    ok(strstr(asgml_last_error(), "truncated or corrupt audio") &&
           strstr(asgml_last_error(), "header-claims-1.9e9-frames.flac"),
       "the error says corrupt and names the file: %s", asgml_last_error());
    return tap_done();
}
