/* SPDX-License-Identifier: MIT */
/* json.c - JSON string quoting through jansson (asgml/common.h).
 *
 * jansson refuses strings that are not UTF-8; paths and labels read from
 * users' files may hold other bytes, so those are replaced by U+FFFD
 * before quoting (the JSON stays valid; the raw bytes are not
 * representable in JSON anyway). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "asgml/common.h"

/* length of the valid UTF-8 sequence at p (1..4), 0 if invalid */
static size_t utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80) return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) return (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (p[0] >= 0xe0 && p[0] <= 0xef) {
        if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80) return 0;
        if (p[0] == 0xe0 && p[1] < 0xa0) return 0;        /* overlong */
        if (p[0] == 0xed && p[1] > 0x9f) return 0;        /* surrogates */
        return 3;
    }
    if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        if ((p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80) return 0;
        if (p[0] == 0xf0 && p[1] < 0x90) return 0;
        if (p[0] == 0xf4 && p[1] > 0x8f) return 0;
        return 4;
    }
    return 0;
}

/* s with every invalid byte replaced by U+FFFD; malloc'd, NULL on ENOMEM */
static char *utf8_repair(const char *s)
{
    size_t n = strlen(s), o = 0;
    char *out = malloc(3 * n + 1);
    if (!out) return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t k = utf8_len(p);
        if (k) { memcpy(out + o, p, k); o += k; p += k; }
        else { memcpy(out + o, "\xef\xbf\xbd", 3); o += 3; p++; }
    }
    out[o] = '\0';
    return out;
}

char *asgml_json_quote(const char *s)
{
    json_t *j = json_string(s);
    char *out;
    if (!j) {
        char *fixed = utf8_repair(s);
        j = fixed ? json_string(fixed) : NULL;
        free(fixed);
        if (!j) return NULL;
    }
    out = json_dumps(j, JSON_ENCODE_ANY);
    json_decref(j);
    return out;
}
