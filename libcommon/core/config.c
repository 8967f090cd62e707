/* SPDX-License-Identifier: MIT */
/* config.c - run configuration: a flat, sorted map of dotted keys
 * (asgml/config.h).
 *
 * Every entry keeps its value as text, where it came from (source, for
 * messages: "default", "--set", "FILE:LINE") and whether it was set and
 * read.  Typed reads parse the text; an unset key is created from the
 * default, so the resolved configuration is exactly the set of keys read.
 * Entries are kept sorted by key (binary search), so output is sorted. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "asgml/config.h"

typedef enum { VT_NONE = 0, VT_DOUBLE, VT_INT, VT_BOOL, VT_STRING } value_type;

typedef struct entry {
    char *key, *value, *source;
    int set;             /* came from YAML/JSON/--set (not a default) */
    int read;            /* read by some code: part of the resolved config */
    int ignored;         /* set, unread, but in a namespace nobody uses this run */
    value_type type;     /* type of the last read */
} entry;

struct asgml_config {
    entry *e;
    int n, cap;
};

int asgml_format_double(char *buf, size_t size, double v)
{
    if (!isfinite(v))
        return snprintf(buf, size, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
    for (int prec = 1; prec <= 17; prec++) {
        int len = snprintf(buf, size, "%.*g", prec, v);
        if (len < 0 || (size_t)len >= size)
            return len;
        if (strtod(buf, NULL) == v)
            return len;
    }
    return snprintf(buf, size, "%.17g", v);
}

asgml_status asgml_config_create(asgml_config **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return asgml_error(ASGML_ENOMEM, "config: out of memory");
    return ASGML_OK;
}

void asgml_config_free(asgml_config *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++) {
        free(c->e[i].key);
        free(c->e[i].value);
        free(c->e[i].source);
    }
    free(c->e);
    free(c);
}

/* Index of key, or -(insertion point) - 1. */
static int find(const asgml_config *c, const char *key)
{
    int lo = 0, hi = c->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, cmp = strcmp(c->e[mid].key, key);
        if (cmp == 0)
            return mid;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -lo - 1;
}

static int valid_key(const char *k)
{
    if (!k || !*k || *k == '.')
        return 0;
    for (const char *p = k; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_')
            return 0;
    return k[strlen(k) - 1] != '.' && !strstr(k, "..");
}

/* Finds or inserts key; returns its entry or NULL (ENOMEM set). */
static entry *lookup_or_add(asgml_config *c, const char *key)
{
    int i = find(c, key);
    if (i >= 0)
        return &c->e[i];
    i = -i - 1;
    if (c->n == c->cap) {
        int ncap = c->cap ? 2 * c->cap : 64;
        entry *ne = realloc(c->e, (size_t)ncap * sizeof *ne);
        if (!ne) {
            asgml_error(ASGML_ENOMEM, "config: out of memory");
            return NULL;
        }
        c->e = ne;
        c->cap = ncap;
    }
    memmove(&c->e[i + 1], &c->e[i], (size_t)(c->n - i) * sizeof *c->e);
    memset(&c->e[i], 0, sizeof c->e[i]);
    c->e[i].key = strdup(key);
    if (!c->e[i].key) {
        memmove(&c->e[i], &c->e[i + 1], (size_t)(c->n - i) * sizeof *c->e);
        asgml_error(ASGML_ENOMEM, "config: out of memory");
        return NULL;
    }
    c->n++;
    return &c->e[i];
}

static asgml_status entry_assign(entry *e, const char *value, const char *source)
{
    char *v = strdup(value), *s = strdup(source ? source : "");
    if (!v || !s) {
        free(v);
        free(s);
        return asgml_error(ASGML_ENOMEM, "config: out of memory");
    }
    free(e->value);
    free(e->source);
    e->value = v;
    e->source = s;
    return ASGML_OK;
}

asgml_status asgml_config_set(asgml_config *c, const char *key, const char *value,
                              const char *source)
{
    entry *e;
    asgml_status st;
    if (!valid_key(key))
        return asgml_error(ASGML_EINVAL, "%s: invalid configuration key '%s'",
                           source ? source : "config", key ? key : "");
    if (!value)
        return asgml_error(ASGML_EINVAL, "%s: key '%s' has no value", source ? source : "config",
                           key);
    e = lookup_or_add(c, key);
    if (!e)
        return ASGML_ENOMEM;
    st = entry_assign(e, value, source);
    if (st == ASGML_OK)
        e->set = 1;
    return st;
}

asgml_status asgml_config_set_assignment(asgml_config *c, const char *assignment,
                                         const char *source)
{
    const char *eq = strchr(assignment, '=');
    char key[256];
    size_t kl;
    if (!eq)
        return asgml_error(ASGML_EINVAL, "%s: '%s' is not of the form key=value",
                           source ? source : "config", assignment);
    kl = (size_t)(eq - assignment);
    while (kl > 0 && isspace((unsigned char)assignment[kl - 1]))
        kl--;
    if (kl == 0 || kl >= sizeof key)
        return asgml_error(ASGML_EINVAL, "%s: '%s': bad key", source ? source : "config",
                           assignment);
    memcpy(key, assignment, kl);
    key[kl] = '\0';
    return asgml_config_set(c, key, eq + 1, source);
}

/* ---- typed reads ---------------------------------------------------------- */

/* Returns the entry of key, creating it from def_text when unset; marks it read. */
static entry *resolve(asgml_config *c, const char *key, const char *def_text, value_type t)
{
    entry *e = lookup_or_add(c, key);
    if (!e)
        return NULL;
    if (!e->value && entry_assign(e, def_text, "default") != ASGML_OK)
        return NULL;
    e->read = 1;
    e->type = t;
    return e;
}

static asgml_status parse_double(const entry *e, double *out)
{
    char *end;
    const char *s = e->value;
    while (isspace((unsigned char)*s))
        s++;
    errno = 0;
    *out = strtod(s, &end);
    while (end && isspace((unsigned char)*end))
        end++;
    if (!*s || *end || errno == ERANGE || !isfinite(*out))
        return asgml_error(ASGML_EINVAL, "%s: key '%s': '%s' is not a number", e->source,
                           e->key, e->value);
    return ASGML_OK;
}

asgml_status asgml_config_get_double(asgml_config *c, const char *key, double def, double *out)
{
    char buf[40];
    entry *e;
    asgml_format_double(buf, sizeof buf, def);
    e = resolve(c, key, buf, VT_DOUBLE);
    if (!e)
        return ASGML_ENOMEM;
    return parse_double(e, out);
}

asgml_status asgml_config_get_int(asgml_config *c, const char *key, long def, long *out)
{
    char buf[32], *end;
    const char *s;
    entry *e;
    snprintf(buf, sizeof buf, "%ld", def);
    e = resolve(c, key, buf, VT_INT);
    if (!e)
        return ASGML_ENOMEM;
    s = e->value;
    while (isspace((unsigned char)*s))
        s++;
    errno = 0;
    *out = strtol(s, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (!*s || *end || errno == ERANGE)
        return asgml_error(ASGML_EINVAL, "%s: key '%s': '%s' is not an integer", e->source,
                           e->key, e->value);
    return ASGML_OK;
}

asgml_status asgml_config_get_bool(asgml_config *c, const char *key, int def, int *out)
{
    static const char *const yes[] = { "1", "true", "yes", "on" };
    static const char *const no[] = { "0", "false", "no", "off" };
    entry *e = resolve(c, key, def ? "true" : "false", VT_BOOL);
    if (!e)
        return ASGML_ENOMEM;
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(e->value, yes[i]) == 0) {
            *out = 1;
            return ASGML_OK;
        }
        if (strcasecmp(e->value, no[i]) == 0) {
            *out = 0;
            return ASGML_OK;
        }
    }
    return asgml_error(ASGML_EINVAL, "%s: key '%s': '%s' is not a boolean (true/false)",
                       e->source, e->key, e->value);
}

asgml_status asgml_config_get_string(asgml_config *c, const char *key, const char *def,
                                     const char **out)
{
    entry *e = resolve(c, key, def ? def : "", VT_STRING);
    if (!e)
        return ASGML_ENOMEM;
    *out = e->value;
    return ASGML_OK;
}

int asgml_config_is_set(const asgml_config *c, const char *key)
{
    int i = find(c, key);
    return i >= 0 && c->e[i].set;
}

/* Levenshtein distance, capped use for "did you mean". */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    int row[128];
    if (lb >= sizeof row / sizeof row[0])
        return 1000;
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int prev = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cur = row[j], best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

asgml_status asgml_config_check_unused(const asgml_config *c)
{
    for (int i = 0; i < c->n; i++) {
        const entry *e = &c->e[i];
        const char *best = NULL;
        int bestd = 3;
        if (!e->set || e->read || e->ignored)
            continue;
        for (int j = 0; j < c->n; j++) {
            int d;
            if (!c->e[j].read)
                continue;
            d = edit_distance(e->key, c->e[j].key);
            if (d < bestd) {
                bestd = d;
                best = c->e[j].key;
            }
        }
        if (best)
            return asgml_error(ASGML_EINVAL, "%s: unknown configuration key '%s' (did you mean '%s'?)",
                               e->source, e->key, best);
        return asgml_error(ASGML_EINVAL, "%s: unknown configuration key '%s'", e->source, e->key);
    }
    return ASGML_OK;
}

int asgml_config_ignore_prefix(asgml_config *c, const char *prefix)
{
    int count = 0;
    size_t len = strlen(prefix);
    for (int i = 0; i < c->n; i++) {
        entry *e = &c->e[i];
        if (e->set && !e->read && strncmp(e->key, prefix, len) == 0) {
            e->ignored = 1;
            count++;
        }
    }
    return count;
}

/* ---- JSON output ---------------------------------------------------------- */

static void write_json_string(FILE *f, const char *s)
{
    char *q = asgml_json_quote(s);
    fputs(q ? q : "null", f);
    free(q);
}

static void write_value(FILE *f, const entry *e)
{
    char buf[40];
    double d;
    long l;
    char *end;
    switch (e->type) {
    case VT_DOUBLE:
        d = strtod(e->value, &end);
        if (isfinite(d)) {
            asgml_format_double(buf, sizeof buf, d);
            fputs(buf, f);
            return;
        }
        break;
    case VT_INT:
        l = strtol(e->value, &end, 10);
        fprintf(f, "%ld", l);
        return;
    case VT_BOOL:
        fputs(strchr("1tTyY", e->value[0]) || strcasecmp(e->value, "on") == 0 ? "true" : "false",
              f);
        return;
    default:
        break;
    }
    write_json_string(f, e->value);
}

asgml_status asgml_config_write_json(const asgml_config *c, FILE *f)
{
    int first = 1;
    fputc('{', f);
    for (int i = 0; i < c->n; i++) {
        const entry *e = &c->e[i];
        if (!e->read)
            continue;
        fputs(first ? "\n  " : ",\n  ", f);
        first = 0;
        write_json_string(f, e->key);
        fputs(": ", f);
        write_value(f, e);
    }
    fputs(first ? "}\n" : "\n}\n", f);
    if (ferror(f))
        return asgml_error(ASGML_EIO, "config.json: write error");
    return ASGML_OK;
}

int asgml_config_count(const asgml_config *c)
{
    int k = 0;
    for (int i = 0; i < c->n; i++)
        k += c->e[i].read;
    return k;
}

static const entry *nth_read(const asgml_config *c, int idx)
{
    for (int i = 0; i < c->n; i++)
        if (c->e[i].read && idx-- == 0)
            return &c->e[i];
    return NULL;
}

const char *asgml_config_key(const asgml_config *c, int i)
{
    const entry *e = nth_read(c, i);
    return e ? e->key : NULL;
}

const char *asgml_config_value(const asgml_config *c, int i)
{
    const entry *e = nth_read(c, i);
    return e ? e->value : NULL;
}

/* ---- JSON input ----------------------------------------------------------- */

asgml_status asgml_config_load_json(asgml_config *c, const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr), *v;
    const char *key;
    asgml_status st = ASGML_OK;
    if (!root)
        return asgml_error(ASGML_EFORMAT, "%s:%d: %s", path, jerr.line, jerr.text);
    if (!json_is_object(root)) {
        json_decref(root);
        return asgml_error(ASGML_EFORMAT, "%s: not a JSON object", path);
    }
    json_object_foreach(root, key, v) {
        char buf[64];
        const char *text = buf;
        if (json_is_string(v))
            text = json_string_value(v);
        else if (json_is_integer(v))
            snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_real(v))
            asgml_format_double(buf, sizeof buf, json_real_value(v));
        else if (json_is_boolean(v))
            text = json_is_true(v) ? "true" : "false";
        else {
            st = asgml_error(ASGML_EFORMAT, "%s: key '%s': value is not a number, string or boolean",
                             path, key);
            break;
        }
        st = asgml_config_set(c, key, text, path);
        if (st != ASGML_OK)
            break;
    }
    json_decref(root);
    return st;
}

/* ---- YAML input ----------------------------------------------------------- */

#define MAX_DEPTH 16

typedef struct yaml_state {
    asgml_config *c;
    const char *path;
    char prefix[MAX_DEPTH][128];  /* key of each open mapping level */
    int depth;                    /* open mappings */
    int expect_key;               /* in a mapping: next scalar is a key */
    char key[128];                /* pending key awaiting its value */
    char *seq;                    /* joined scalars of an open sequence */
    size_t seq_len;
    int in_seq, seq_line;
    char **seen;                  /* full keys given so far (mappings included) */
    int *seen_line, nseen, seen_cap;
} yaml_state;

static asgml_status full_key(yaml_state *y, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 1; i < y->depth; i++) {
        int w = snprintf(out + len, n - len, "%s.", y->prefix[i]);
        if (w < 0 || (size_t)w >= n - len)
            return asgml_error(ASGML_EINVAL, "%s: key too long", y->path);
        len += (size_t)w;
    }
    if ((size_t)snprintf(out + len, n - len, "%s", y->key) >= n - len)
        return asgml_error(ASGML_EINVAL, "%s: key too long", y->path);
    return ASGML_OK;
}

/* A key given twice in one file is an error naming both lines (YAML 1.2
 * requires unique mapping keys; libyaml does not check, and "last wins"
 * hid typos such as two optim: blocks).  The full dotted key is compared,
 * so "optim: {lr: 1}" and "optim.lr: 2" collide too. */
static asgml_status yaml_key_once(yaml_state *y, int line)
{
    char key[512];
    asgml_status st = full_key(y, key, sizeof key);
    if (st != ASGML_OK)
        return st;
    for (int i = 0; i < y->nseen; i++)
        if (!strcmp(y->seen[i], key))
            return asgml_error(ASGML_EINVAL, "%s:%d: key '%s' given twice (first on line %d)", y->path,
                               line, key, y->seen_line[i]);
    if (y->nseen == y->seen_cap) {
        int ncap = y->seen_cap ? 2 * y->seen_cap : 32;
        char **ns = realloc(y->seen, (size_t)ncap * sizeof *ns);
        int *nl = ns ? realloc(y->seen_line, (size_t)ncap * sizeof *nl) : NULL;
        if (ns) y->seen = ns;
        if (nl) y->seen_line = nl;
        if (!ns || !nl)
            return asgml_error(ASGML_ENOMEM, "%s: out of memory", y->path);
        y->seen_cap = ncap;
    }
    if (!(y->seen[y->nseen] = strdup(key)))
        return asgml_error(ASGML_ENOMEM, "%s: out of memory", y->path);
    y->seen_line[y->nseen++] = line;
    return ASGML_OK;
}

static asgml_status yaml_set(yaml_state *y, const char *value, int line)
{
    char key[512], src[600];
    asgml_status st = full_key(y, key, sizeof key);
    if (st != ASGML_OK)
        return st;
    snprintf(src, sizeof src, "%s:%d", y->path, line);
    return asgml_config_set(y->c, key, value, src);
}

static asgml_status yaml_event(yaml_state *y, const yaml_event_t *ev)
{
    int line = (int)ev->start_mark.line + 1;
    switch (ev->type) {
    case YAML_MAPPING_START_EVENT:
        if (y->in_seq)
            return asgml_error(ASGML_EINVAL, "%s:%d: mappings inside lists are not supported",
                               y->path, line);
        if (y->depth > 0 && y->expect_key)
            return asgml_error(ASGML_EINVAL, "%s:%d: a mapping cannot be a key", y->path, line);
        if (y->depth >= MAX_DEPTH)
            return asgml_error(ASGML_EINVAL, "%s:%d: nesting too deep", y->path, line);
        snprintf(y->prefix[y->depth], sizeof y->prefix[0], "%s", y->key);
        y->depth++;
        y->expect_key = 1;
        return ASGML_OK;
    case YAML_MAPPING_END_EVENT:
        y->depth--;
        y->expect_key = 1;
        if (y->depth > 0)
            snprintf(y->key, sizeof y->key, "%s", y->prefix[y->depth]);
        return ASGML_OK;
    case YAML_SEQUENCE_START_EVENT:
        if (y->depth == 0 || y->expect_key || y->in_seq)
            return asgml_error(ASGML_EINVAL, "%s:%d: a list is only allowed as a value", y->path,
                               line);
        y->in_seq = 1;
        y->seq_len = 0;
        y->seq_line = line;
        return ASGML_OK;
    case YAML_SEQUENCE_END_EVENT: {
        asgml_status st = yaml_set(y, y->seq ? y->seq : "", y->seq_line);
        y->in_seq = 0;
        if (y->seq)
            y->seq[0] = '\0';
        y->expect_key = 1;
        return st;
    }
    case YAML_SCALAR_EVENT: {
        const char *v = (const char *)ev->data.scalar.value;
        size_t vl = ev->data.scalar.length;
        if (y->depth == 0)
            return asgml_error(ASGML_EINVAL, "%s:%d: the top level must be a mapping", y->path,
                               line);
        if (y->in_seq) {
            char *ns = realloc(y->seq, y->seq_len + vl + 2);
            if (!ns)
                return asgml_error(ASGML_ENOMEM, "%s: out of memory", y->path);
            y->seq = ns;
            if (y->seq_len)
                y->seq[y->seq_len++] = ',';
            memcpy(y->seq + y->seq_len, v, vl);
            y->seq_len += vl;
            y->seq[y->seq_len] = '\0';
            return ASGML_OK;
        }
        if (y->expect_key) {
            if (vl == 0 || vl >= sizeof y->key)
                return asgml_error(ASGML_EINVAL, "%s:%d: bad key '%s'", y->path, line, v);
            memcpy(y->key, v, vl + 1);
            y->expect_key = 0;
            return yaml_key_once(y, line);
        }
        y->expect_key = 1;
        return yaml_set(y, v, line);
    }
    case YAML_ALIAS_EVENT:
        return asgml_error(ASGML_EINVAL, "%s:%d: YAML aliases are not supported", y->path, line);
    default:
        return ASGML_OK;
    }
}

asgml_status asgml_config_load_yaml(asgml_config *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    yaml_parser_t parser;
    yaml_state y;
    asgml_status st = ASGML_OK;
    int done = 0;
    if (!f)
        return asgml_error(ASGML_EIO, "%s: %s", path, strerror(errno));
    if (!yaml_parser_initialize(&parser)) {
        fclose(f);
        return asgml_error(ASGML_ENOMEM, "%s: cannot initialise the YAML parser", path);
    }
    yaml_parser_set_input_file(&parser, f);
    memset(&y, 0, sizeof y);
    y.c = c;
    y.path = path;
    while (!done && st == ASGML_OK) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            st = asgml_error(ASGML_EINVAL, "%s:%d: %s", path, (int)parser.problem_mark.line + 1,
                             parser.problem ? parser.problem : "YAML syntax error");
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        st = yaml_event(&y, &ev);
        yaml_event_delete(&ev);
    }
    free(y.seq);
    for (int i = 0; i < y.nseen; i++)
        free(y.seen[i]);
    free(y.seen);
    free(y.seen_line);
    yaml_parser_delete(&parser);
    fclose(f);
    return st;
}
