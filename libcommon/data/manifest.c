/* SPDX-License-Identifier: MIT */
/* manifest.c - manifest parser (manifest.h) and the AV-Digits builder. */
#define _GNU_SOURCE
#include "data/manifest.h"
#include "data/decode.h"
#include "asgml/atomic_file.h"
#include "core/sha256.h"
#include "core/text.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const asgml_part_names[3] = {"train", "val", "test"};

const char *const asgml_flag_names[16] = {
    "AUDIO_MISSING", "AUDIO_DECODE_ERROR", "AUDIO_SILENT", "AUDIO_CLIPPED_INPUT", "AUDIO_TILED",
    "AUDIO_TRUNCATED", "VIDEO_MISSING", "VIDEO_DECODE_ERROR", "FEW_FRAMES", "AV_DURATION_MISMATCH",
    "KNOWN_BAD", "DUP_CONFLICT", "RESAMPLED_OR_DOWNMIXED", "NONFINITE_REPLACED", "?", "?"};

asgml_status asgml_flags_parse(const char *s, uint32_t *flags)
{
    char word[64];
    uint32_t v = 0;
    if (*s >= '0' && *s <= '9') {
        char *end;
        errno = 0;
        unsigned long n = strtoul(s, &end, 0);
        if (*end || errno || n > 0x3fff)
            return asgml_error(ASGML_EINVAL, "'%s' is not a flag mask (0 to 0x3fff)", s);
        *flags |= (uint32_t)n;
        return ASGML_OK;
    }
    while (*s) {
        size_t n = strcspn(s, ",|");
        int b = -1;
        if (n && n < sizeof word) {
            memcpy(word, s, n);
            word[n] = 0;
            for (int i = 0; i < 14; i++)
                if (!strcmp(word, asgml_flag_names[i])) b = i;
        }
        if (b < 0)
            return asgml_error(ASGML_EINVAL, "'%.*s' is not a status flag name (asgml-store(5), /meta/status)", (int)n, s);
        v |= 1u << b;
        s += n;
        if (*s) s++;
    }
    *flags |= v;
    return ASGML_OK;
}

const char *asgml_mod_kind_name(asgml_mod_kind k)
{
    static const char *n[] = {"audio", "image", "frames", "seq"};
    return (unsigned)k < 4 ? n[k] : "?";
}

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) s = NULL;
    va_end(ap);
    return s;
}

/* Whole file into memory, NUL-terminated. */
static asgml_status slurp(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return asgml_error(ASGML_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 65536, n = 0;
    char *b = malloc(cap);
    while (b) {
        size_t got = fread(b + n, 1, cap - n - 1, f);
        n += got;
        if (n < cap - 1) break;
        char *nb = realloc(b, cap *= 2);
        if (!nb) { free(b); b = NULL; }
        else b = nb;
    }
    int err = ferror(f);
    fclose(f);
    if (!b) return asgml_error(ASGML_ENOMEM, "%s: out of memory", path);
    if (err) { free(b); return asgml_error(ASGML_EIO, "%s: read error", path); }
    b[n] = 0;
    *buf = b;
    *len = n;
    return ASGML_OK;
}

/* Splits buf in place into lines (BOM skipped, trailing CR removed). */
static char **split_lines(char *buf, int *nlines)
{
    if ((unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB &&
        (unsigned char)buf[2] == 0xBF)
        memmove(buf, buf + 3, strlen(buf + 3) + 1);
    int n = 1;
    for (char *p = buf; *p; p++) n += *p == '\n';
    char **lines = malloc((size_t)(n + 1) * sizeof *lines);
    if (!lines) return NULL;
    int k = 0;
    char *p = buf;
    while (p) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r') p[l - 1] = 0;
        lines[k++] = p;
        p = nl ? nl + 1 : NULL;
    }
    if (k && lines[k - 1][0] == 0) k--; /* final newline */
    *nlines = k;
    return lines;
}

/* Splits a line in place at tabs; returns the field count (at most max). */
static int split_tabs(char *line, char **f, int max)
{
    int n = 0;
    for (;;) {
        char *t = strchr(line, '\t');
        if (n < max) f[n] = line;
        n++;
        if (!t) break;
        *t = 0;
        line = t + 1;
    }
    return n;
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int find_name(char **names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0) return i;
    return -1;
}

static char *resolve(const char *root, const char *p)
{
    if (!p[0] || strcmp(p, "-") == 0) return NULL;
    if (p[0] == '/' || !root || !root[0]) return strdup(p);
    return xprintf("%s/%s", root, p);
}

static char *dir_of(const char *path)
{
    const char *s = strrchr(path, '/');
    if (!s) return strdup(".");
    if (s == path) return strdup("/");
    return strndup(path, (size_t)(s - path));
}

/* Class list from a file: one per line, '#' comments and blank lines skipped. */
static asgml_status read_classes_file(const char *path, asgml_manifest *m)
{
    char *buf;
    size_t len;
    asgml_status st = slurp(path, &buf, &len);
    if (st) return st;
    int nl;
    char **lines = split_lines(buf, &nl);
    if (!lines) { free(buf); return asgml_error(ASGML_ENOMEM, "%s: out of memory", path); }
    m->classes = calloc((size_t)nl + 1, sizeof *m->classes);
    for (int i = 0; m->classes && i < nl && !st; i++) {
        if (!lines[i][0] || lines[i][0] == '#') continue;
        long bad = asgml_utf8_bad(lines[i]);
        if (bad >= 0)
            st = asgml_error(ASGML_EFORMAT, "%s:%d: class name: invalid UTF-8 at byte %ld", path, i + 1,
                             bad + 1);
        else if (find_name(m->classes, m->nclass, lines[i]) >= 0)
            st = asgml_error(ASGML_EFORMAT, "%s:%d: class '%s' listed twice", path, i + 1, lines[i]);
        else
            m->classes[m->nclass++] = strdup(lines[i]);
    }
    if (!st && m->nclass == 0) st = asgml_error(ASGML_EFORMAT, "%s: no class names", path);
    free(lines);
    free(buf);
    m->classes_source = strdup("option");
    return st;
}

static void row_error(const asgml_manifest *m, asgml_manifest_row *r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void row_error(const asgml_manifest *m, asgml_manifest_row *r, const char *fmt, ...)
{
    if (r->err) return; /* the first problem of a row is the one reported */
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    r->err = xprintf("%s:%d: %s", m->path, r->line, what);
}

static int cmp_rows(const void *a, const void *b)
{
    const asgml_manifest_row *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : x->line - y->line;
}

enum { COL_ID, COL_LABEL, COL_SPLIT, COL_GROUP, COL_META, COL_MOD, COL_FLAGS, COL_NOTE, COL_VSEC };
enum { MAXCOL = 64 };

/* State of one asgml_manifest_read: the column layout and the rows' label and group text. */
typedef struct {
    const char *path, *classes_path;
    char *mdir;
    char *f[MAXCOL];
    const char **ltext, **gtext; /* (nrows,) label and group text */
    int coltype[MAXCOL], colarg[MAXCOL], ncol;
} mreader;

/* One '#@' directive line: classes, dataset or root. */
static asgml_status read_directive(asgml_manifest *m, mreader *rd, char *l, int i)
{
    const char *path = rd->path;
    char **f = rd->f;
    asgml_status st = ASGML_OK;
    int nf = split_tabs(l + 2, f, MAXCOL);
    if (strcmp(f[0], "classes") == 0) {
        if (rd->classes_path) return ASGML_OK; /* the option wins */
        if (m->classes) return asgml_error(ASGML_EFORMAT, "%s:%d: second #@classes", path, i + 1);
        m->classes = calloc((size_t)nf, sizeof *m->classes);
        for (int k = 1; k < nf && k < MAXCOL; k++) {
            long bad = asgml_utf8_bad(f[k]);
            if (bad >= 0) {
                st = asgml_error(ASGML_EFORMAT, "%s:%d: #@classes: class %d: invalid UTF-8 at byte %ld",
                                 path, i + 1, k, bad + 1);
                break;
            }
            if (find_name(m->classes, m->nclass, f[k]) >= 0) {
                st = asgml_error(ASGML_EFORMAT, "%s:%d: class '%s' listed twice", path, i + 1, f[k]);
                break;
            }
            m->classes[m->nclass++] = strdup(f[k]);
        }
        if (!st && m->nclass == 0) st = asgml_error(ASGML_EFORMAT, "%s:%d: empty #@classes", path, i + 1);
        m->classes_source = strdup("directive");
    } else if (strcmp(f[0], "dataset") == 0 && nf == 2) {
        long bad = asgml_utf8_bad(f[1]);
        if (bad >= 0)
            return asgml_error(ASGML_EFORMAT, "%s:%d: #@dataset: invalid UTF-8 at byte %ld", path, i + 1,
                               bad + 1);
        free(m->dataset);
        m->dataset = strdup(f[1]);
    } else if (strcmp(f[0], "root") == 0 && nf == 2) {
        free(m->root);
        m->root = f[1][0] == '/' ? strdup(f[1]) : xprintf("%s/%s", rd->mdir, f[1]);
    } else {
        st = asgml_error(ASGML_EFORMAT, "%s:%d: unknown directive '#@%s' (classes, dataset, root)", path, i + 1, f[0]);
    }
    return st;
}

/* A meta:NAME[:int|str] header column. */
static asgml_status read_meta_column(asgml_manifest *m, mreader *rd, int c, int i)
{
    const char *path = rd->path, *name = rd->f[c];
    if (m->nmeta == ASGML_MANIFEST_MAX_META) return asgml_error(ASGML_EFORMAT, "%s:%d: too many meta columns", path, i + 1);
    char *mn = strdup(name + 5), *c2 = strchr(mn, ':');
    int isint = 0;
    if (c2) {
        isint = strcmp(c2 + 1, "int") == 0;
        if (!isint && strcmp(c2 + 1, "str") != 0) {
            free(mn);
            return asgml_error(ASGML_EFORMAT, "%s:%d: column '%s': type must be int or str", path, i + 1, name);
        }
        *c2 = 0;
    }
    if (!strcmp(mn, "id") || !strcmp(mn, "label") || !strcmp(mn, "status") || !strcmp(mn, "group") ||
        !strcmp(mn, "class_names") || !strcmp(mn, "group_names") || !strcmp(mn, "mismatch") ||
        !strcmp(mn, "image_label") || !strcmp(mn, "mismatch_file")) {
        asgml_status st = asgml_error(ASGML_EFORMAT, "%s:%d: column '%s': /meta/%s is reserved", path, i + 1, name, mn);
        free(mn);
        return st;
    }
    rd->coltype[c] = COL_META;
    rd->colarg[c] = m->nmeta;
    m->meta_is_int[m->nmeta] = isint;
    m->meta_names[m->nmeta++] = mn;
    return ASGML_OK;
}

/* A modality header column: NAME:KIND, or audio / visual alone. */
static asgml_status read_modality_column(asgml_manifest *m, mreader *rd, int c, int i)
{
    const char *path = rd->path, *name = rd->f[c];
    asgml_status st = ASGML_OK;
    char mname[64], kind[32] = "";
    snprintf(mname, sizeof mname, "%s", name);
    char *c3 = strchr(mname, ':');
    if (c3) { snprintf(kind, sizeof kind, "%s", c3 + 1); *c3 = 0; }
    else if (strcmp(mname, "audio") == 0) strcpy(kind, "audio");
    else if (strcmp(mname, "visual") == 0) strcpy(kind, "image");
    asgml_mod_kind k;
    if (!strcmp(kind, "audio")) k = ASGML_KIND_AUDIO;
    else if (!strcmp(kind, "image")) k = ASGML_KIND_IMAGE;
    else if (!strcmp(kind, "frames")) k = ASGML_KIND_FRAMES;
    else if (!strcmp(kind, "seq")) k = ASGML_KIND_SEQ;
    else return asgml_error(ASGML_EFORMAT, "%s:%d: column '%s': unknown column (modality columns are NAME:audio, NAME:image, NAME:frames or NAME:seq)", path, i + 1, name);
    int okname = mname[0] && strlen(mname) < 32;
    for (char *p = mname; *p; p++) okname &= isalnum((unsigned char)*p) || *p == '_' || *p == '-';
    if (!okname || !strcmp(mname, "meta") || !strcmp(mname, "splits") || !strcmp(mname, "stats"))
        return asgml_error(ASGML_EFORMAT, "%s:%d: column '%s': bad modality name", path, i + 1, name);
    if (m->nmod == ASGML_MANIFEST_MAX_MOD) return asgml_error(ASGML_EFORMAT, "%s:%d: too many modalities", path, i + 1);
    for (int q = 0; q < m->nmod; q++)
        if (!strcmp(m->mod_names[q], mname)) st = asgml_error(ASGML_EFORMAT, "%s:%d: modality '%s' twice", path, i + 1, mname);
    rd->coltype[c] = COL_MOD;
    rd->colarg[c] = m->nmod;
    snprintf(m->mod_names[m->nmod], 32, "%s", mname);
    m->mod_kinds[m->nmod++] = k;
    return st;
}

/* The header line: each column's type and argument. */
static asgml_status read_header(asgml_manifest *m, mreader *rd, char *l, int i)
{
    const char *path = rd->path;
    char **f = rd->f;
    asgml_status st = ASGML_OK;
    long bad = asgml_utf8_bad(l);   /* column names become HDF5 names and attributes */
    if (bad >= 0)
        return asgml_error(ASGML_EFORMAT, "%s:%d: header: invalid UTF-8 at byte %ld", path, i + 1, bad + 1);
    rd->ncol = split_tabs(l, f, MAXCOL);
    if (rd->ncol > MAXCOL) return asgml_error(ASGML_EFORMAT, "%s:%d: more than %d columns", path, i + 1, MAXCOL);
    int have_id = 0, have_label = 0;
    for (int c = 0; c < rd->ncol && !st; c++) {
        char *name = f[c], *colon = strchr(name, ':');
        if (find_name(f, c, name) >= 0) { st = asgml_error(ASGML_EFORMAT, "%s:%d: column '%s' twice", path, i + 1, name); break; }
        if (strcmp(name, "id") == 0) { rd->coltype[c] = COL_ID; have_id++; }
        else if (strcmp(name, "label") == 0) { rd->coltype[c] = COL_LABEL; have_label++; }
        else if (strcmp(name, "split") == 0 || strncmp(name, "split:", 6) == 0) {
            if (m->nscheme == ASGML_MANIFEST_MAX_SCHEMES) { st = asgml_error(ASGML_EFORMAT, "%s:%d: too many split columns", path, i + 1); break; }
            rd->coltype[c] = COL_SPLIT;
            rd->colarg[c] = m->nscheme;
            m->schemes[m->nscheme++] = strdup(colon && colon[1] ? colon + 1 : "default");
        } else if (strcmp(name, "group") == 0 || strncmp(name, "group:", 6) == 0) {
            if (m->has_group) { st = asgml_error(ASGML_EFORMAT, "%s:%d: more than one group column", path, i + 1); break; }
            rd->coltype[c] = COL_GROUP;
            m->has_group = 1;
            snprintf(m->group_kind, sizeof m->group_kind, "%s", colon && colon[1] ? colon + 1 : "group");
        } else if (strncmp(name, "meta:", 5) == 0 && name[5]) {
            st = read_meta_column(m, rd, c, i);
        } else if (strcmp(name, "flags") == 0) {
            rd->coltype[c] = COL_FLAGS;
        } else if (strcmp(name, "note") == 0) {
            rd->coltype[c] = COL_NOTE;
        } else if (strcmp(name, "video_seconds") == 0) {
            rd->coltype[c] = COL_VSEC;
        } else {
            st = read_modality_column(m, rd, c, i);
        }
    }
    if (!st && (have_id != 1 || have_label != 1))
        st = asgml_error(ASGML_EFORMAT, "%s:%d: the header needs the columns 'id' and 'label'", path, i + 1);
    if (!st && m->nmod == 0)
        st = asgml_error(ASGML_EFORMAT, "%s:%d: the header names no modality column", path, i + 1);
    return st;
}

/* One data row into a new m->rows entry; its problems go to the row's err. */
static asgml_status read_row(asgml_manifest *m, mreader *rd, char *l, int i)
{
    char **f = rd->f;
    asgml_manifest_row *nr = realloc(m->rows, (size_t)(m->nrows + 1) * sizeof *nr);
    const char **nl2 = realloc(rd->ltext, (size_t)(m->nrows + 1) * sizeof *nl2);
    if (nl2) rd->ltext = nl2;
    const char **ng2 = nl2 ? realloc(rd->gtext, (size_t)(m->nrows + 1) * sizeof *ng2) : NULL;
    if (ng2) rd->gtext = ng2;
    if (nr) m->rows = nr;
    if (!nr || !nl2 || !ng2) return asgml_error(ASGML_ENOMEM, "%s: out of memory", rd->path);
    asgml_manifest_row *r = &m->rows[m->nrows];
    rd->ltext[m->nrows] = rd->gtext[m->nrows] = NULL; /* label/group text, resolved later */
    m->nrows++;
    memset(r, 0, sizeof *r);
    r->line = i + 1;
    r->label = -1;
    r->group = -1;
    r->video_seconds = -1;
    for (int s = 0; s < ASGML_MANIFEST_MAX_SCHEMES; s++) r->part[s] = ASGML_PART_NONE;
    int nf = split_tabs(l, f, MAXCOL), ncol = rd->ncol;
    long bad;
    if (nf != ncol) {
        r->id = strdup(nf >= 1 ? f[0] : "");
        row_error(m, r, "%d columns, the header has %d", nf, ncol);
        return ASGML_OK;
    }
    for (int c = 0; c < ncol; c++) {
        int arg = rd->colarg[c];
        switch (rd->coltype[c]) {
        case COL_ID:
            r->id = strdup(f[c]);
            if (!f[c][0]) row_error(m, r, "empty id");
            else if ((bad = asgml_ascii_bad(f[c])) >= 0)   /* /meta/id is ASCII (asgml-store(5)) */
                row_error(m, r, "id: byte %ld (0x%02X) is not ASCII", bad + 1,
                          (unsigned)(unsigned char)f[c][bad]);
            break;
        case COL_LABEL:
            if ((bad = asgml_utf8_bad(f[c])) >= 0)
                row_error(m, r, "label: invalid UTF-8 at byte %ld", bad + 1);
            else
                rd->ltext[m->nrows - 1] = f[c];
            break;
        case COL_SPLIT: {
            const char *v = f[c];
            int p = ASGML_PART_NONE;
            if (!strcmp(v, "train")) p = ASGML_PART_TRAIN;
            else if (!strcmp(v, "val") || !strcmp(v, "valid") || !strcmp(v, "validation")) p = ASGML_PART_VAL;
            else if (!strcmp(v, "test")) p = ASGML_PART_TEST;
            else if (v[0] && strcmp(v, "-")) row_error(m, r, "split '%s' is not train, val, test or -", v);
            r->part[arg] = (signed char)p;
            break;
        }
        case COL_GROUP:
            if ((bad = asgml_utf8_bad(f[c])) >= 0)
                row_error(m, r, "group: invalid UTF-8 at byte %ld", bad + 1);
            else
                rd->gtext[m->nrows - 1] = f[c];
            break;
        case COL_META:
            if (m->meta_is_int[arg]) {
                char *end;
                errno = 0;
                long v = strtol(f[c], &end, 10);
                if (!f[c][0] || *end || errno || v < INT32_MIN || v > INT32_MAX)
                    row_error(m, r, "column meta:%s: '%s' is not an integer", m->meta_names[arg], f[c]);
            } else if ((bad = asgml_utf8_bad(f[c])) >= 0) {
                row_error(m, r, "column meta:%s: invalid UTF-8 at byte %ld", m->meta_names[arg], bad + 1);
            }
            r->meta[arg] = strdup(f[c]);
            break;
        case COL_FLAGS:
            if (f[c][0] && strcmp(f[c], "-") && asgml_flags_parse(f[c], &r->flags) != ASGML_OK)
                row_error(m, r, "column flags: %s", asgml_last_error());
            break;
        case COL_NOTE:
            if (f[c][0] && strcmp(f[c], "-")) r->note = strdup(f[c]);
            break;
        case COL_VSEC:
            if (f[c][0] && strcmp(f[c], "-")) {
                char *end;
                double v = strtod(f[c], &end);
                if (*end || !(v >= 0) || !isfinite(v))
                    row_error(m, r, "column video_seconds: '%s' is not a duration in seconds", f[c]);
                else r->video_seconds = v;
            }
            break;
        case COL_MOD:
            r->cell[arg] = m->mod_kinds[arg] == ASGML_KIND_FRAMES
                               ? (f[c][0] && strcmp(f[c], "-") ? strdup(f[c]) : NULL)
                               : resolve(m->root ? m->root : rd->mdir, f[c]);
            break;
        }
    }
    return ASGML_OK;
}

/* The class table (the sorted set of labels when neither option nor directive gave it),
   each row's label index and the sorted group names. */
static void resolve_classes(asgml_manifest *m, mreader *rd)
{
    const char **ltext = rd->ltext, **gtext = rd->gtext;
    if (!m->classes) {
        m->classes = calloc((size_t)m->nrows + 1, sizeof *m->classes);
        for (int64_t k = 0; m->classes && k < m->nrows; k++) {
            const char *lab = ltext[k];
            if (!lab || m->rows[k].err || !lab[0] || !strcmp(lab, "-")) continue;
            if (find_name(m->classes, m->nclass, lab) < 0) m->classes[m->nclass++] = strdup(lab);
        }
        if (m->classes) qsort(m->classes, (size_t)m->nclass, sizeof *m->classes, cmp_strp);
        m->classes_source = strdup("sorted_labels");
    }
    /* labels */
    for (int64_t k = 0; k < m->nrows; k++) {
        asgml_manifest_row *r = &m->rows[k];
        const char *lab = ltext[k];
        if (lab && lab[0] && strcmp(lab, "-")) {
            r->label = find_name(m->classes, m->nclass, lab);
            if (r->label < 0) row_error(m, r, "unknown label '%s'", lab);
        }
    }
    /* groups: sorted unique names */
    if (m->has_group) {
        m->group_names = calloc((size_t)m->nrows + 1, sizeof *m->group_names);
        for (int64_t k = 0; m->group_names && k < m->nrows; k++) {
            const char *g = gtext[k];
            if (g && g[0] && strcmp(g, "-") && find_name(m->group_names, m->ngroup, g) < 0)
                m->group_names[m->ngroup++] = strdup(g);
        }
        if ((size_t)m->ngroup > 1) qsort(m->group_names, (size_t)m->ngroup, sizeof *m->group_names, cmp_strp);
        for (int64_t k = 0; k < m->nrows; k++)
            if (gtext[k]) m->rows[k].group = find_name(m->group_names, m->ngroup, gtext[k]);
    }
}

/* Store order (by id), repeated ids marked, bad rows counted. */
static void sort_rows(asgml_manifest *m)
{
    if (m->nrows > 1)   /* qsort's base must not be NULL, even for 0 rows */
        if ((size_t)m->nrows > 1) qsort(m->rows, (size_t)m->nrows, sizeof *m->rows, cmp_rows);
    for (int64_t k = 1; k < m->nrows; k++) {
        asgml_manifest_row *a = &m->rows[k - 1], *b = &m->rows[k];
        if (b->id && a->id && b->id[0] && strcmp(a->id, b->id) == 0) {
            int first = a->line;
            for (int64_t j = k - 1; j > 0 && strcmp(m->rows[j - 1].id, b->id) == 0; j--) first = m->rows[j - 1].line;
            row_error(m, b, "duplicate id '%s' (first on line %d)", b->id, first);
        }
    }
    for (int64_t k = 0; k < m->nrows; k++) m->nbad += m->rows[k].err != NULL;
}

asgml_status asgml_manifest_read(const char *path, const char *classes_path, asgml_manifest **out)
{
    *out = NULL;
    asgml_manifest *m = calloc(1, sizeof *m);
    if (!m) return asgml_error(ASGML_ENOMEM, "%s: out of memory", path);
    m->path = strdup(path);
    char *buf = NULL;
    size_t len = 0;
    asgml_status st = slurp(path, &buf, &len);
    if (st) { asgml_manifest_free(m); return st; }
    {
        asgml_sha256 c;
        uint8_t d[32];
        asgml_sha256_init(&c);
        asgml_sha256_update(&c, buf, len);
        asgml_sha256_final(&c, d);
        asgml_sha256_hex(d, m->sha256);
    }
    if (memchr(buf, 0, len)) {
        free(buf);
        asgml_manifest_free(m);
        return asgml_error(ASGML_EFORMAT, "%s: contains NUL bytes (not a text manifest)", path);
    }
    int nl;
    char **lines = split_lines(buf, &nl);
    if (!lines) st = asgml_error(ASGML_ENOMEM, "%s: out of memory", path);
    if (!st && classes_path) st = read_classes_file(classes_path, m);
    mreader rd = {.path = path, .classes_path = classes_path, .mdir = dir_of(path)};
    int header = -1;
    for (int i = 0; !st && i < nl; i++) {
        char *l = lines[i];
        if (l[0] == '#') {
            if (strncmp(l, "#@", 2) == 0) st = read_directive(m, &rd, l, i);
            continue;
        }
        if (!l[0]) continue;
        if (header < 0) {
            header = i;
            st = read_header(m, &rd, l, i);
            continue;
        }
        st = read_row(m, &rd, l, i);
    }
    if (!st && header < 0) st = asgml_error(ASGML_EFORMAT, "%s: no header line", path);
    if (!st && !m->root) m->root = strdup(rd.mdir);
    if (!st) resolve_classes(m, &rd);
    free(rd.ltext);
    free(rd.gtext);
    free(lines);
    free(buf);
    free(rd.mdir);
    if (st) { asgml_manifest_free(m); return st; }
    sort_rows(m);
    if (m->nrows == 0) {
        asgml_manifest_free(m);
        return asgml_error(ASGML_EFORMAT, "%s: no samples", path);
    }
    *out = m;
    return ASGML_OK;
}

void asgml_manifest_free(asgml_manifest *m)
{
    if (!m) return;
    for (int64_t k = 0; k < m->nrows; k++) {
        asgml_manifest_row *r = &m->rows[k];
        free(r->id);
        free(r->err);
        free(r->note);
        for (int i = 0; i < ASGML_MANIFEST_MAX_META; i++) free(r->meta[i]);
        for (int i = 0; i < ASGML_MANIFEST_MAX_MOD; i++) free(r->cell[i]);
    }
    free(m->rows);
    if (m->classes) for (int i = 0; i < m->nclass; i++) free(m->classes[i]);
    free(m->classes);
    if (m->group_names) for (int i = 0; i < m->ngroup; i++) free(m->group_names[i]);
    free(m->group_names);
    for (int i = 0; i < m->nscheme; i++) free(m->schemes[i]);
    for (int i = 0; i < m->nmeta; i++) free(m->meta_names[i]);
    free(m->classes_source);
    free(m->dataset);
    free(m->root);
    free(m->path);
    free(m);
}

/* ---- frames cells ------------------------------------------------------------ */

void asgml_manifest_free_list(char **paths)
{
    if (!paths) return;
    for (char **p = paths; *p; p++) free(*p);
    free(paths);
}

static int push(char ***list, int *n, int *cap, char *s)
{
    if (!s) return -1;
    if (*n + 1 >= *cap) {
        int nc = *cap ? 2 * *cap : 16;
        char **nl = realloc(*list, (size_t)nc * sizeof *nl);
        if (!nl) { free(s); return -1; }
        *list = nl;
        *cap = nc;
    }
    (*list)[(*n)++] = s;
    (*list)[*n] = NULL;
    return 0;
}

asgml_status asgml_manifest_frame_list(const char *root, const char *cell, char ***paths, int *n)
{
    *paths = NULL;
    *n = 0;
    int cap = 0;
    char *copy = strdup(cell), *save = NULL;
    if (!copy) return asgml_error(ASGML_ENOMEM, "out of memory");
    asgml_status st = ASGML_OK;
    for (char *tok = strtok_r(copy, ";", &save); tok && !st; tok = strtok_r(NULL, ";", &save)) {
        if (!tok[0]) continue;
        char *full = resolve(root, tok);
        if (!full) continue;
        if (strpbrk(tok, "*?[")) {
            glob_t g;
            int e = glob(full, 0, NULL, &g); /* glob sorts with strcoll; re-sort bytewise */
            if (e == GLOB_NOMATCH) {
                st = asgml_error(ASGML_EIO, "%s: no file matches the pattern", full);
            } else if (e != 0) {
                st = asgml_error(ASGML_EIO, "%s: glob failed", full);
            } else {
                int first = *n;
                for (size_t k = 0; k < g.gl_pathc && !st; k++)
                    if (push(paths, n, &cap, strdup(g.gl_pathv[k])) != 0)
                        st = asgml_error(ASGML_ENOMEM, "out of memory");
                if (!st && (size_t)(*n - first) > 1) qsort(*paths + first, (size_t)(*n - first), sizeof **paths, cmp_strp);
            }
            if (e == 0) globfree(&g);
            free(full);
        } else if (push(paths, n, &cap, full) != 0) {
            st = asgml_error(ASGML_ENOMEM, "out of memory");
        }
    }
    free(copy);
    if (!st && *n == 0) st = asgml_error(ASGML_EFORMAT, "empty frame list");
    if (st) { asgml_manifest_free_list(*paths); *paths = NULL; *n = 0; }
    return st;
}

/* ---- reserve images ------------------------------------------------------------- */

void asgml_reserve_free(char ***per_class, int64_t *count, int nclass)
{
    if (per_class)
        for (int c = 0; c < nclass; c++) {
            for (int64_t k = 0; per_class[c] && k < count[c]; k++) free(per_class[c][k]);
            free(per_class[c]);
        }
    free(per_class);
    free(count);
}

asgml_status asgml_reserve_read(const char *path, const asgml_manifest *m, char ****per_class,
                                int64_t **count)
{
    char *buf;
    size_t len;
    asgml_status st = slurp(path, &buf, &len);
    if (st) return st;
    int nl;
    char **lines = split_lines(buf, &nl);
    char ***pc = calloc((size_t)m->nclass, sizeof *pc);
    int64_t *cnt = calloc((size_t)m->nclass, sizeof *cnt), *cap = calloc((size_t)m->nclass, sizeof *cap);
    char *root = dir_of(path);
    if (!lines || !pc || !cnt || !cap || !root) st = asgml_error(ASGML_ENOMEM, "%s: out of memory", path);
    for (int i = 0; !st && i < nl; i++) {
        char *f[3];
        if (!lines[i][0]) continue;
        if (lines[i][0] == '#') {
            if (strncmp(lines[i], "#@root\t", 7) == 0) {
                char *r = lines[i] + 7;
                char *nr = r[0] == '/' ? strdup(r) : xprintf("%s/%s", root, r);
                free(root);
                root = nr;
            }
            continue;
        }
        if (split_tabs(lines[i], f, 3) != 2) {
            st = asgml_error(ASGML_EFORMAT, "%s:%d: expected LABEL<TAB>PATH", path, i + 1);
            break;
        }
        int c = find_name(m->classes, m->nclass, f[0]);
        if (c < 0) { st = asgml_error(ASGML_EFORMAT, "%s:%d: unknown label '%s'", path, i + 1, f[0]); break; }
        if (cnt[c] == cap[c]) {
            int64_t ncap = cap[c] ? 2 * cap[c] : 64;
            char **np = realloc(pc[c], (size_t)ncap * sizeof *np);
            if (!np) { st = asgml_error(ASGML_ENOMEM, "%s: out of memory", path); break; }
            pc[c] = np;
            cap[c] = ncap;
        }
        pc[c][cnt[c]] = resolve(root, f[1]);
        if (!pc[c][cnt[c]]) { st = asgml_error(ASGML_EFORMAT, "%s:%d: empty path", path, i + 1); break; }
        cnt[c]++;
    }
    free(cap);
    free(root);
    free(lines);
    free(buf);
    if (st) { asgml_reserve_free(pc, cnt, m->nclass); return st; }
    *per_class = pc;
    *count = cnt;
    return ASGML_OK;
}

/* ---- AV-Digits builder -------------------------------------------------------------- */

typedef struct fsdd_clip { int digit, take; char speaker[64]; char name[128]; } fsdd_clip;

static int cmp_clip_take(const void *a, const void *b)
{
    const fsdd_clip *x = a, *y = b;
    if (x->digit != y->digit) return x->digit - y->digit;
    if (x->take != y->take) return x->take - y->take;
    return strcmp(x->speaker, y->speaker);
}

/* Sorted names in dir ending in suffix. */
static asgml_status list_dir(const char *dir, const char *suffix, char ***names, int *n)
{
    DIR *d = opendir(dir);
    if (!d) return asgml_error(ASGML_EIO, "%s: %s", dir, strerror(errno));
    int cap = 0;
    *names = NULL;
    *n = 0;
    struct dirent *e;
    size_t sl = strlen(suffix);
    asgml_status st = ASGML_OK;
    while (!st && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l <= sl || strcmp(e->d_name + l - sl, suffix) != 0 || e->d_name[0] == '.') continue;
        if (push(names, n, &cap, strdup(e->d_name)) != 0) st = asgml_error(ASGML_ENOMEM, "out of memory");
    }
    closedir(d);
    if (!st && *n) qsort(*names, (size_t)*n, sizeof **names, cmp_strp);
    return st;
}

static asgml_status write_file_atomic(const char *path, const char *data, size_t len)
{
    asgml_atomic_file af;
    asgml_status st = asgml_atomic_open(path, &af);
    if (st) return st;
    if (fwrite(data, 1, len, af.f) != len) {
        st = asgml_error(ASGML_EIO, "%s: write error: %s", path, strerror(errno));
        asgml_atomic_abort(&af);
        return st;
    }
    return asgml_atomic_commit(&af);
}

typedef struct strbuf { char *s; size_t n, cap; int oom; } strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->oom || need < 0) { b->oom = 1; return; }
    if (b->n + (size_t)need + 1 > b->cap) {
        size_t nc = (b->cap ? b->cap : 4096);
        while (nc < b->n + (size_t)need + 1) nc *= 2;
        char *ns = realloc(b->s, nc);
        if (!ns) { b->oom = 1; return; }
        b->s = ns;
        b->cap = nc;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)need + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)need;
}

typedef struct av_row { char id[128]; char line[512]; } av_row;

static int cmp_avrow(const void *a, const void *b)
{
    return strcmp(((const av_row *)a)->id, ((const av_row *)b)->id);
}

asgml_status asgml_avdigits_manifest(const char *src, uint64_t seed, const char *manifest_out,
                                     const char *reserve_out)
{
    char *absrc = realpath(src, NULL);
    if (!absrc) return asgml_error(ASGML_EIO, "%s: %s", src, strerror(errno));
    char *fdir = xprintf("%s/fsdd", absrc);
    char **wavs = NULL;
    int nwav = 0;
    asgml_status st = fdir ? list_dir(fdir, ".wav", &wavs, &nwav) : asgml_error(ASGML_ENOMEM, "out of memory");
    fsdd_clip *clips = st ? NULL : calloc((size_t)nwav + 1, sizeof *clips);
    int nclip = 0;
    if (!st && !clips) st = asgml_error(ASGML_ENOMEM, "out of memory");
    for (int i = 0; !st && i < nwav; i++) {
        fsdd_clip *c = &clips[nclip];
        char tail[8];
        /* {digit}_{speaker}_{take}.wav */
        if (sscanf(wavs[i], "%d_%63[^_]_%d%7s", &c->digit, c->speaker, &c->take, tail) != 4 ||
            strcmp(tail, ".wav") != 0 || c->digit < 0 || c->digit > 9 || c->take < 0 ||
            strlen(wavs[i]) >= sizeof c->name) {
            st = asgml_error(ASGML_EFORMAT, "%s/%s: name is not {digit}_{speaker}_{take}.wav", fdir, wavs[i]);
            break;
        }
        snprintf(c->name, sizeof c->name, "%.*s", (int)strlen(wavs[i]) - 4, wavs[i]);
        nclip++;
    }
    if (!st && nclip == 0) st = asgml_error(ASGML_EFORMAT, "%s: no .wav files", fdir ? fdir : src);
    if (!st && (size_t)nclip > 1) qsort(clips, (size_t)nclip, sizeof *clips, cmp_clip_take);
    av_row *rows = st ? NULL : calloc((size_t)nclip, sizeof *rows);
    if (!st && !rows) st = asgml_error(ASGML_ENOMEM, "out of memory");
    strbuf res = {0};
    sb_printf(&res, "# AV-Digits reserve images for --img-mismatch (seed %llu): LABEL<TAB>PATH,\n"
                    "# per digit in the order of its shuffled MNIST list after the paired ones.\n"
                    "#@root\t%s\n", (unsigned long long)seed, absrc);
    int nrow = 0;
    for (int d = 0; !st && d <= 9; d++) {
        char *mdir = xprintf("%s/mnist/%d", absrc, d);
        char **imgs = NULL;
        int nimg = 0;
        st = mdir ? list_dir(mdir, ".png", &imgs, &nimg) : asgml_error(ASGML_ENOMEM, "out of memory");
        int64_t *perm = st ? NULL : malloc((size_t)(nimg + 1) * sizeof *perm);
        if (!st && !perm) st = asgml_error(ASGML_ENOMEM, "out of memory");
        if (!st) {
            for (int k = 0; k < nimg; k++) perm[k] = k;
            asgml_splitmix r;
            asgml_splitmix_init(&r, seed, 100 + (uint64_t)d);
            asgml_splitmix_shuffle(&r, perm, nimg);
            int k = 0;
            for (int i = 0; i < nclip; i++) {
                fsdd_clip *c = &clips[i];
                if (c->digit != d) continue;
                if (k >= nimg) {
                    st = asgml_error(ASGML_EFORMAT, "%s: %d images for more clips of digit %d", mdir, nimg, d);
                    break;
                }
                const char *split = c->take <= 4 ? "test" : "train";
                const char *splitv = c->take <= 4 ? "test" : c->take <= 9 ? "val" : "train";
                av_row *ar = &rows[nrow++];
                snprintf(ar->id, sizeof ar->id, "%s", c->name);
                snprintf(ar->line, sizeof ar->line, "%s\t%d\t%s\t%s\t%s\t%d\tmnist/%d/%s\tfsdd/%s.wav\tmnist/%d/%s\n",
                         c->name, d, split, splitv, c->speaker, c->take, d, imgs[perm[k]], c->name, d,
                         imgs[perm[k]]);
                k++;
            }
            for (; !st && k < nimg; k++) sb_printf(&res, "%d\tmnist/%d/%s\n", d, d, imgs[perm[k]]);
        }
        free(perm);
        if (imgs) { for (int k = 0; k < nimg; k++) free(imgs[k]); free(imgs); }
        free(mdir);
    }
    strbuf man = {0};
    if (!st) {
        if ((size_t)nrow > 1) qsort(rows, (size_t)nrow, sizeof *rows, cmp_avrow);
        sb_printf(&man, "# AV-Digits manifest: FSDD clips paired with distinct MNIST images of the same\n"
                        "# digit (datasets.md 8.3), seed %llu.  Built by asgml-prep avdigits-manifest.\n"
                        "#@dataset\tavdigits\n#@classes\t0\t1\t2\t3\t4\t5\t6\t7\t8\t9\n#@root\t%s\n"
                        "id\tlabel\tsplit:fsdd\tsplit:fsdd_val\tgroup:speaker\tmeta:take:int\t"
                        "meta:mnist_file\taudio\tvisual\n", (unsigned long long)seed, absrc);
        for (int i = 0; i < nrow; i++) sb_printf(&man, "%s", rows[i].line);
        if (man.oom || res.oom) st = asgml_error(ASGML_ENOMEM, "out of memory");
    }
    if (!st) st = write_file_atomic(manifest_out, man.s, man.n);
    if (!st && reserve_out) st = write_file_atomic(reserve_out, res.s, res.n);
    free(man.s);
    free(res.s);
    free(rows);
    free(clips);
    if (wavs) { for (int i = 0; i < nwav; i++) free(wavs[i]); free(wavs); }
    free(fdir);
    free(absrc);
    return st;
}
