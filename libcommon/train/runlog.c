/* SPDX-License-Identifier: MIT */
/* runlog.c - JSON-lines records for log.jsonl (asgml_log_* in asgml/runlog.h).
 *
 * A record is a list of (key, value) in insertion order; logging a key
 * again replaces its value in place.  Numbers are printed with the
 * shortest text that reads back exactly (asgml_format_double), integers
 * in decimal, so identical runs give byte-identical logs.  Non-finite
 * numbers are written as null (JSON has no NaN). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/config.h"
#include "asgml/runlog.h"

typedef enum { LV_NUM, LV_INT, LV_STR } log_kind;

typedef struct log_item {
    char *key;
    log_kind kind;
    double num;
    int64_t i;
    char *str;
} log_item;

struct asgml_log_record {
    log_item *items;
    int n, cap;
    int failed;        /* an allocation failed: json() returns NULL */
    char *json;        /* rendered text */
    size_t json_len, json_cap;
    int json_valid;
};

asgml_log_record *asgml_log_record_create(void)
{
    return calloc(1, sizeof(asgml_log_record));
}

void asgml_log_record_clear(asgml_log_record *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n; i++) {
        free(r->items[i].key);
        free(r->items[i].str);
    }
    r->n = 0;
    r->failed = 0;
    r->json_valid = 0;
}

void asgml_log_record_free(asgml_log_record *r)
{
    if (!r)
        return;
    asgml_log_record_clear(r);
    free(r->items);
    free(r->json);
    free(r);
}

static log_item *item_for(asgml_log_record *r, const char *key)
{
    r->json_valid = 0;
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->items[i].key, key) == 0) {
            free(r->items[i].str);
            r->items[i].str = NULL;
            return &r->items[i];
        }
    if (r->n == r->cap) {
        int ncap = r->cap ? 2 * r->cap : 32;
        log_item *ni = realloc(r->items, (size_t)ncap * sizeof *ni);
        if (!ni) {
            r->failed = 1;
            return NULL;
        }
        r->items = ni;
        r->cap = ncap;
    }
    memset(&r->items[r->n], 0, sizeof r->items[0]);
    r->items[r->n].key = strdup(key);
    if (!r->items[r->n].key) {
        r->failed = 1;
        return NULL;
    }
    return &r->items[r->n++];
}

void asgml_log_num(asgml_log_record *r, const char *key, double v)
{
    log_item *it = r ? item_for(r, key) : NULL;
    if (!it)
        return;
    it->kind = LV_NUM;
    it->num = v;
}

void asgml_log_int(asgml_log_record *r, const char *key, int64_t v)
{
    log_item *it = r ? item_for(r, key) : NULL;
    if (!it)
        return;
    it->kind = LV_INT;
    it->i = v;
}

void asgml_log_str(asgml_log_record *r, const char *key, const char *v)
{
    log_item *it = r ? item_for(r, key) : NULL;
    if (!it)
        return;
    it->kind = LV_STR;
    it->str = strdup(v ? v : "");
    if (!it->str)
        r->failed = 1;
}

/* runlog.h: "0 if present"; -1 when absent or not numeric. */
int asgml_log_record_get(const asgml_log_record *r, const char *key, double *v)
{
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->items[i].key, key) == 0) {
            if (r->items[i].kind == LV_NUM)
                *v = r->items[i].num;
            else if (r->items[i].kind == LV_INT)
                *v = (double)r->items[i].i;
            else
                return -1;
            return 0;
        }
    return -1;
}

static int put(asgml_log_record *r, const char *s, size_t len)
{
    if (r->json_len + len + 1 > r->json_cap) {
        size_t ncap = r->json_cap ? r->json_cap : 256;
        char *nj;
        while (ncap < r->json_len + len + 1)
            ncap *= 2;
        nj = realloc(r->json, ncap);
        if (!nj)
            return -1;
        r->json = nj;
        r->json_cap = ncap;
    }
    memcpy(r->json + r->json_len, s, len);
    r->json_len += len;
    r->json[r->json_len] = '\0';
    return 0;
}

static int put_string(asgml_log_record *r, const char *s)
{
    char *q = asgml_json_quote(s);
    int rc = q ? put(r, q, strlen(q)) : -1;
    free(q);
    return rc;
}

const char *asgml_log_record_json(asgml_log_record *r)
{
    if (r->failed)
        return NULL;
    if (r->json_valid)
        return r->json;
    r->json_len = 0;
    if (put(r, "{", 1))
        return NULL;
    for (int i = 0; i < r->n; i++) {
        const log_item *it = &r->items[i];
        char buf[48];
        int len;
        if ((i && put(r, ",", 1)) || put_string(r, it->key) || put(r, ":", 1))
            return NULL;
        switch (it->kind) {
        case LV_NUM:
            if (isfinite(it->num))
                len = asgml_format_double(buf, sizeof buf, it->num);
            else
                len = snprintf(buf, sizeof buf, "null");
            if (put(r, buf, (size_t)len))
                return NULL;
            break;
        case LV_INT:
            len = snprintf(buf, sizeof buf, "%" PRId64, it->i);
            if (put(r, buf, (size_t)len))
                return NULL;
            break;
        case LV_STR:
            if (put_string(r, it->str))
                return NULL;
            break;
        }
    }
    if (put(r, "}", 1))
        return NULL;
    r->json_valid = 1;
    return r->json;
}
