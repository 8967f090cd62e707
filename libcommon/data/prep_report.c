/* SPDX-License-Identifier: MIT */
/* prep_report.c - the per-sample report STORE.report.tsv of asgml-prep
 * (datasets.md 7.6: id, status flags, duration, frames, notes; asgml-prep(1),
 * FILES).  One line per manifest row in store order (ids sorted bytewise):
 *
 *   id  status  flags  audio_seconds  frames  what  note
 *
 * status is /meta/status in hex (0x0000), flags its names joined by ','
 * ("-" for none), audio_seconds the decoded clip's length before fitting
 * ("-" without audio), frames the stored frame count ("-" without frames),
 * what "stored", "stored with zeros: MODALITY: why" (--keep-bad) or
 * "skipped: MANIFEST:LINE: why" (--skip-bad), note the manifest's note
 * column ("-").  Written through a temporary file and renamed
 * (asgml/atomic_file.h), after the store. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/atomic_file.h"
#include "data/prep_ctx.h"

asgml_status prep_report_init(prep_ctx *c)
{
    size_t n = (size_t)c->m->nrows + 1;
    prep_report *r = &c->rep;
    r->status = calloc(n, sizeof *r->status);
    r->seconds = malloc(n * sizeof *r->seconds);
    r->frames = malloc(n * sizeof *r->frames);
    r->what = calloc(n, sizeof *r->what);
    if (!r->status || !r->seconds || !r->frames || !r->what)
        return asgml_error(ASGML_ENOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        r->seconds[k] = -1;
        r->frames[k] = -1;
    }
    return ASGML_OK;
}

void prep_report_row(prep_ctx *c, int64_t k, const slot *sl, const char *skipped_msg)
{
    prep_report *r = &c->rep;
    char *what = NULL;
    int rc;
    if (!r->what) return;
    if (!sl) {
        r->status[k] = c->m->rows[k].flags;
        rc = asprintf(&what, "skipped: %s", skipped_msg);
    } else {
        r->status[k] = sl->flags;
        r->seconds[k] = sl->audio_seconds;
        for (int mi = 0; mi < c->m->nmod; mi++)
            if (c->m->mod_kinds[mi] == ASGML_KIND_FRAMES && !sl->err) r->frames[k] = sl->count[mi];
        if (sl->err) rc = asprintf(&what, "%s: %s", c->o->skip_bad ? "skipped" : "failed", sl->err);
        else if (sl->kept_err) rc = asprintf(&what, "stored with zeros: %s", sl->kept_err);
        else rc = asprintf(&what, "stored");
    }
    free(r->what[k]);
    r->what[k] = rc < 0 ? NULL : what;
}

/* Tabs and line breaks inside a field would break the TSV. */
static void put_field(FILE *f, const char *s)
{
    if (!s || !*s) { fputc('-', f); return; }
    for (; *s; s++) fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

asgml_status prep_report_write(prep_ctx *c, const char *store_path)
{
    prep_report *r = &c->rep;
    asgml_atomic_file af;
    char *path = NULL;
    if (asprintf(&path, "%s.report.tsv", store_path) < 0) return asgml_error(ASGML_ENOMEM, "out of memory");
    asgml_status st = asgml_atomic_open(path, &af);
    free(path);
    if (st) return st;
    fputs("id\tstatus\tflags\taudio_seconds\tframes\twhat\tnote\n", af.f);
    for (int64_t k = 0; k < c->m->nrows; k++) {
        const asgml_manifest_row *row = &c->m->rows[k];
        uint32_t s = r->status[k];
        put_field(af.f, row->id);
        fprintf(af.f, "\t0x%04x\t", (unsigned)s);
        int any = 0;
        for (int b = 0; b < 14; b++)
            if (s >> b & 1) fprintf(af.f, "%s%s", any++ ? "," : "", asgml_flag_names[b]);
        if (!any) fputc('-', af.f);
        if (r->seconds[k] >= 0) fprintf(af.f, "\t%.3f", r->seconds[k]);
        else fputs("\t-", af.f);
        if (r->frames[k] >= 0) fprintf(af.f, "\t%lld\t", (long long)r->frames[k]);
        else fputs("\t-\t", af.f);
        put_field(af.f, r->what[k] ? r->what[k] : "not reached");
        fputc('\t', af.f);
        put_field(af.f, row->note);
        fputc('\n', af.f);
    }
    return asgml_atomic_commit(&af);
}

void prep_report_free(prep_ctx *c)
{
    prep_report *r = &c->rep;
    if (r->what)
        for (int64_t k = 0; k < c->m->nrows; k++) free(r->what[k]);
    free(r->what);
    free(r->status);
    free(r->seconds);
    free(r->frames);
    memset(r, 0, sizeof *r);
}
