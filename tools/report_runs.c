/* SPDX-License-Identifier: MIT */
/* report_runs.c - asgml-report: reading run directories (libcommon/RUNDIR.md),
 * choosing the metric of record, grouping runs and computing the
 * statistics of each group (report.h). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asgml/config.h"
#include "cli.h"
#include "report.h"

/* Config keys that always differ between runs and are not
 * hyper-parameters: compared on their last dotted component. */
static const char *const never_grouped[] = {
    "seed", "out", "out-dir", "output", "dir", "run-dir", "store", "store-path", "path",
    "threads", "num-threads", "jobs", "device", "devices", "gpu", "resume", NULL};

/* Per-step keys averaged into per-epoch curve points (method signals). */
int report_is_signal_key(const char *k)
{
    return !strncmp(k, "asgml.", 6) || !strncmp(k, "boost.", 6) || !strncmp(k, "ogm", 3) ||
           !strncmp(k, "probe.", 6);
}

int report_is_step_key(const char *k)
{
    static const char *const stems[] = {"asgml.tau.", "asgml.tau_hat.", "asgml.mask.",
                                        "asgml.age.", "asgml.stale.", NULL};
    for (int i = 0; stems[i]; i++)
        if (!strncmp(k, stems[i], strlen(stems[i])))
            return 1;
    return 0;
}

void report_format_number(char *buf, size_t size, double v)
{
    asgml_format_double(buf, size, v);
}

void report_note(report *rep, const char *fmt, ...)
{
    char buf[2048], **grown;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    grown = realloc(rep->notes, (rep->n_notes + 1) * sizeof *grown);
    if (!grown)
        return;
    rep->notes = grown;
    if ((rep->notes[rep->n_notes] = strdup(buf)))
        rep->n_notes++;
}

const char *report_record_name(report_record_kind k)
{
    return k == REPORT_BEST_VAL ? "best-val" : k == REPORT_BEST_TEST ? "best-test" : "last";
}

const char *report_record_description(report_record_kind k)
{
    return k == REPORT_BEST_VAL    ? "best epoch on validation accuracy"
           : k == REPORT_BEST_TEST ? "best epoch on test accuracy (selected on test: optimistic)"
                                   : "last epoch";
}

static json_t *load_object(const char *path, int required)
{
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    if (!j) {
        if (!required && access(path, F_OK) != 0)
            return NULL;
        if (err.line > 0)
            cli_error("%s:%d: %s", path, err.line, err.text);
        else
            cli_error("%s: %s", path, err.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        cli_error("%s: not a JSON object", path);
        json_decref(j);
        return NULL;
    }
    return j;
}

/* "runs/x/summary.json" or "runs/x/" -> "runs/x" */
static char *run_dir_of(const char *path)
{
    size_t len = strlen(path);
    char *d;
    struct stat st;
    if (len >= 12 && !strcmp(path + len - 12, "summary.json") &&
        (len == 12 || path[len - 13] == '/') && stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
        len = len > 12 ? len - 13 : 0;
        if (len == 0)
            return strdup(path[0] == '/' ? "/" : ".");
    }
    while (len > 1 && path[len - 1] == '/')
        len--;
    d = malloc(len + 1);
    if (d) {
        memcpy(d, path, len);
        d[len] = '\0';
    }
    return d;
}

int report_add_run(report *rep, const char *path)
{
    char file[4096];
    report_run *r, *grown;
    json_t *v;
    char *dir = run_dir_of(path);
    if (!dir) {
        cli_error("out of memory");
        return -1;
    }
    for (int i = 0; i < rep->n_runs; i++)
        if (!strcmp(rep->runs[i].dir, dir)) {   /* named twice: once is enough */
            free(dir);
            return 0;
        }
    grown = realloc(rep->runs, (rep->n_runs + 1) * sizeof *grown);
    if (!grown) {
        free(dir);
        cli_error("out of memory");
        return -1;
    }
    rep->runs = grown;
    r = &rep->runs[rep->n_runs];
    memset(r, 0, sizeof *r);
    r->dir = dir;
    r->record_epoch = -1;
    rep->n_runs++;
    snprintf(file, sizeof file, "%s/summary.json", dir);
    if (access(file, R_OK) != 0) {
        cli_error("%s: %s (not a run directory?)", file, strerror(errno));
        return -1;
    }
    if (!(r->summary = load_object(file, 1)))
        return -1;
    snprintf(file, sizeof file, "%s/config.json", dir);
    if (!(r->config = load_object(file, 1)))
        return -1;
    v = json_object_get(r->summary, "status");
    if (!json_is_string(v)) {
        cli_error("%s/summary.json: no \"status\" string", dir);
        return -1;
    }
    r->status = strdup(json_string_value(v));
    v = json_object_get(r->summary, "method");
    if (!json_is_string(v))
        v = json_object_get(r->config, "method");
    r->method = strdup(json_is_string(v) ? json_string_value(v) : "?");
    v = json_object_get(r->summary, "seed");
    if (!json_is_integer(v))
        v = json_object_get(r->config, "seed");
    if (json_is_integer(v)) {
        r->seed = (long)json_integer_value(v);
        r->has_seed = 1;
    }
    v = json_object_get(r->summary, "epochs_completed");
    r->epochs_completed = json_is_integer(v) ? (int)json_integer_value(v) : -1;
    if (!r->status || !r->method) {
        cli_error("out of memory");
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- log */

static json_t *epoch_slot(json_t *arr, long e)
{
    while ((long)json_array_size(arr) <= e)
        json_array_append_new(arr, json_object());
    return json_array_get(arr, e);
}

int report_load_log(report_run *run)
{
    char path[4096], *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    json_t *sums;   /* per epoch: key -> [sum, count] of per-step signals */
    FILE *f;
    if (run->epochs)
        return 0;
    snprintf(path, sizeof path, "%s/log.jsonl", run->dir);
    if (!(f = fopen(path, "r"))) {
        cli_error("%s: %s", path, strerror(errno));
        return -1;
    }
    run->epochs = json_array();
    run->steps = json_array();
    sums = json_array();
    while ((len = getline(&line, &cap, f)) > 0) {
        json_error_t err;
        json_t *rec, *e, *dst;
        const char *type, *key;
        json_t *val;
        lineno++;
        if (strspn(line, " \t\r\n") == (size_t)len)
            continue;
        rec = json_loads(line, 0, &err);
        if (!rec) {
            if (line[len - 1] != '\n' && run->status && strcmp(run->status, "complete")) {
                cli_warn("%s:%ld: ignoring the cut-off last line", path, lineno);
                break;
            }
            cli_error("%s:%ld: %s", path, lineno, err.text);
            goto fail;
        }
        type = json_string_value(json_object_get(rec, "type"));
        e = json_object_get(rec, "epoch");
        if (!type || !json_is_integer(e) || json_integer_value(e) < 0 ||
            json_integer_value(e) > 1000000) {
            cli_error("%s:%ld: a record needs \"type\" and a non-negative integer \"epoch\"",
                      path, lineno);
            json_decref(rec);
            goto fail;
        }
        if (!strcmp(type, "epoch")) {
            dst = epoch_slot(run->epochs, (long)json_integer_value(e));
            json_object_foreach(rec, key, val)
                if (json_is_number(val) && strcmp(key, "epoch"))
                    json_object_set(dst, key, val);
        } else if (!strcmp(type, "step")) {
            json_t *step = json_object_get(rec, "step");
            dst = epoch_slot(sums, (long)json_integer_value(e));
            if (json_is_integer(step) && json_integer_value(step) >= 0 &&
                json_integer_value(step) < 100000000) {
                json_t *sd = NULL;
                json_object_foreach(rec, key, val)
                    if (json_is_number(val) && report_is_step_key(key)) {
                        if (!sd)
                            sd = epoch_slot(run->steps, (long)json_integer_value(step));
                        json_object_set(sd, key, val);
                    }
            }
            json_object_foreach(rec, key, val) {
                json_t *acc;
                if (!json_is_number(val) || !report_is_signal_key(key))
                    continue;
                if (!(acc = json_object_get(dst, key)))
                    json_object_set_new(dst, key, acc = json_pack("[ff]", 0.0, 0.0));
                json_array_set_new(acc, 0, json_real(json_number_value(json_array_get(acc, 0)) +
                                                     json_number_value(val)));
                json_array_set_new(acc, 1, json_real(json_number_value(json_array_get(acc, 1)) +
                                                     1.0));
            }
        }
        json_decref(rec);
    }
    if (ferror(f)) {
        cli_error("%s: %s", path, strerror(errno));
        goto fail;
    }
    /* per-step signals: the mean over the steps of each epoch, unless the
     * epoch record already carries the key */
    for (size_t e = 0; e < json_array_size(sums); e++) {
        const char *key;
        json_t *acc, *dst = epoch_slot(run->epochs, (long)e);
        json_object_foreach(json_array_get(sums, e), key, acc)
            if (!json_object_get(dst, key))
                json_object_set_new(dst, key,
                                    json_real(json_number_value(json_array_get(acc, 0)) /
                                              json_number_value(json_array_get(acc, 1))));
    }
    json_decref(sums);
    free(line);
    fclose(f);
    return 0;
fail:
    json_decref(sums);
    free(line);
    fclose(f);
    return -1;
}

/* ----------------------------------------------------- metric of record */

static json_t *numbers_of(json_t *obj)
{
    json_t *out = json_object(), *v;
    const char *k;
    json_object_foreach(obj, k, v)
        if (json_is_number(v))
            json_object_set(out, k, v);
    return out;
}

/* The epoch with the largest `key` (earliest on ties), -1 when no epoch has it. */
static int best_epoch_in_log(json_t *epochs, const char *key)
{
    int best = -1;
    double bv = 0;
    for (size_t e = 0; e < json_array_size(epochs); e++) {
        json_t *v = json_object_get(json_array_get(epochs, e), key);
        if (json_is_number(v) && (best < 0 || json_number_value(v) > bv)) {
            best = (int)e;
            bv = json_number_value(v);
        }
    }
    return best;
}

int report_select_records(report *rep)
{
    for (int i = 0; i < rep->n_runs; i++) {
        report_run *r = &rep->runs[i];
        json_t *src = NULL, *ep;
        const char *want = rep->record == REPORT_BEST_VAL ? "val" : "test";
        if (rep->record == REPORT_LAST) {
            src = json_object_get(r->summary, "last");
        } else {
            json_t *best = json_object_get(r->summary, "best");
            const char *on = json_string_value(json_object_get(best, "selected_on"));
            if (json_is_object(best) && on && !strcmp(on, want))
                src = best;
        }
        if (json_is_object(src)) {
            r->record = numbers_of(src);
            ep = json_object_get(src, "epoch");
            r->record_epoch = json_is_integer(ep) ? (int)json_integer_value(ep) : -1;
            continue;
        }
        /* not in the summary: find the epoch in the log */
        if (report_load_log(r) != 0)
            return -1;
        if (rep->record == REPORT_LAST) {
            r->record_epoch = (int)json_array_size(r->epochs) - 1;
        } else {
            char key[16];
            snprintf(key, sizeof key, "%s.acc", want);
            r->record_epoch = best_epoch_in_log(r->epochs, key);
        }
        if (r->record_epoch >= 0)
            r->record = numbers_of(json_array_get(r->epochs, r->record_epoch));
    }
    return 0;
}

/* ------------------------------------------------------------ grouping */

static int never_grouped_key(const char *key, char **ignore, int n_ignore)
{
    const char *last = strrchr(key, '.');
    last = last ? last + 1 : key;
    for (int i = 0; never_grouped[i]; i++)
        if (!strcmp(last, never_grouped[i]))
            return 1;
    for (int i = 0; i < n_ignore; i++)
        if (!strcmp(key, ignore[i]))
            return 1;
    return 0;
}

/* Text of a config value as a label shows it. */
static char *value_text(json_t *v)
{
    char buf[64];
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        return strdup(buf);
    }
    if (json_is_real(v)) {
        report_format_number(buf, sizeof buf, json_real_value(v));
        return strdup(buf);
    }
    if (json_is_true(v) || json_is_false(v))
        return strdup(json_is_true(v) ? "true" : "false");
    return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
}

static int set_item(json_t *items, const char *key, json_t *v)
{
    char *t = value_text(v);
    if (!t)
        return -1;
    json_object_set_new(items, key, json_string(t));
    free(t);
    return 0;
}

/* The grouping items of one run: key -> value text. */
static json_t *grouping_items(const report_run *r, char **by, int n_by, char **ignore,
                              int n_ignore)
{
    json_t *items = json_object(), *v;
    const char *k;
    if (n_by > 0) {
        for (int i = 0; i < n_by; i++) {
            v = json_object_get(r->config, by[i]);
            if (v)
                set_item(items, by[i], v);
            else if (!strcmp(by[i], "method"))
                json_object_set_new(items, "method", json_string(r->method));
            else
                json_object_set_new(items, by[i], json_string("(unset)"));
        }
    } else {
        json_object_foreach(r->config, k, v)
            if (!never_grouped_key(k, ignore, n_ignore))
                set_item(items, k, v);
        if (!json_object_get(items, "method"))
            json_object_set_new(items, "method", json_string(r->method));
        v = json_object_get(json_object_get(r->summary, "store"), "checksum");
        if (json_is_string(v) && !never_grouped_key("store.checksum", ignore, n_ignore))
            json_object_set(items, "store.checksum", v);
    }
    /* runs that did not finish never mix with those that did */
    json_object_set_new(items, "status",
                        json_string(strcmp(r->status, "complete") ? r->status : "complete"));
    return items;
}

static char *canonical(json_t *items)
{
    char *s = json_dumps(items, JSON_COMPACT | JSON_SORT_KEYS);
    return s;
}

/* A key labels groups only if two groups that both have it disagree on its
 * value: keys that exist for some groups only (a method's own
 * hyper-parameters, one modality's transform) are already told apart by
 * the method and would only make labels unreadable. */
static int differs_between_groups(const report *rep, const char *key)
{
    const char *first = NULL;
    for (int g = 0; g < rep->n_groups; g++) {
        const char *v = json_string_value(json_object_get(rep->groups[g].items, key));
        if (!v)
            continue;
        if (!first)
            first = v;
        else if (strcmp(v, first))
            return 1;
    }
    return 0;
}

static const char *last_component(const char *key)
{
    const char *d = strrchr(key, '.');
    return d ? d + 1 : key;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Label = method + the keys whose values differ between groups (short
 * names where the last component is unambiguous) + [status]. */
static int make_labels(report *rep, int by_mode)
{
    char **keys = NULL;
    int nk = 0;
    for (int g = 0; g < rep->n_groups; g++) {
        const char *k;
        json_t *v;
        json_object_foreach(rep->groups[g].items, k, v) {
            int seen = 0;
            if (!strcmp(k, "method") || !strcmp(k, "status"))
                continue;
            for (int i = 0; i < nk && !seen; i++)
                seen = !strcmp(keys[i], k);
            if (seen || (!by_mode && !differs_between_groups(rep, k)))
                continue;
            keys = realloc(keys, (nk + 1) * sizeof *keys);
            keys[nk++] = (char *)k;
        }
    }
    if (nk > 1)   /* qsort(NULL, 0) is undefined (UBSan) */
        qsort(keys, nk, sizeof *keys, cmp_str);
    for (int g = 0; g < rep->n_groups; g++) {
        report_group *gr = &rep->groups[g];
        char label[4096] = "";
        size_t at = 0;
        const char *m = json_string_value(json_object_get(gr->items, "method"));
        if (m)
            at += snprintf(label + at, sizeof label - at, "%s", m);
        for (int i = 0; i < nk; i++) {
            const char *v = json_string_value(json_object_get(gr->items, keys[i]));
            const char *shown = last_component(keys[i]);
            int clash = 0;
            char shortv[16];
            if (!v)
                continue;
            for (int j = 0; j < nk; j++)
                clash |= j != i && !strcmp(last_component(keys[j]), shown);
            if (clash)
                shown = keys[i];
            if (!strcmp(keys[i], "store.checksum")) {   /* a hash: its first 8 digits */
                snprintf(shortv, sizeof shortv, "%.8s", v);
                v = shortv;
            }
            at += snprintf(label + at, at < sizeof label ? sizeof label - at : 0, "%s%s=%s",
                           at ? " " : "", shown, v);
        }
        if (strcmp(gr->status, "complete"))
            at += snprintf(label + at, at < sizeof label ? sizeof label - at : 0, "%s[%s]",
                           at ? " " : "", gr->status);
        if (!label[0])
            snprintf(label, sizeof label, "all runs");
        gr->label = strdup(label);
    }
    free(keys);
    /* two groups can only look alike through clipped text: number them */
    for (int g = 1; g < rep->n_groups; g++)
        for (int h = 0; h < g; h++)
            if (!strcmp(rep->groups[g].label, rep->groups[h].label)) {
                char buf[4200];
                snprintf(buf, sizeof buf, "%s #%d", rep->groups[g].label, g + 1);
                free(rep->groups[g].label);
                rep->groups[g].label = strdup(buf);
            }
    for (int g = 0; g < rep->n_groups; g++)
        if (!rep->groups[g].label)
            return -1;
    return 0;
}

int report_group_runs(report *rep, char **by, int n_by, char **ignore, int n_ignore)
{
    for (int i = 0; i < rep->n_runs; i++) {
        report_run *r = &rep->runs[i];
        json_t *items = grouping_items(r, by, n_by, ignore, n_ignore);
        char *key = canonical(items);
        report_group *g = NULL;
        if (!key) {
            json_decref(items);
            cli_error("out of memory");
            return -1;
        }
        for (int j = 0; j < rep->n_groups && !g; j++)
            if (!strcmp(rep->groups[j].key, key))
                g = &rep->groups[j];
        if (!g) {
            report_group *grown = realloc(rep->groups, (rep->n_groups + 1) * sizeof *grown);
            if (!grown) {
                free(key);
                json_decref(items);
                cli_error("out of memory");
                return -1;
            }
            rep->groups = grown;
            g = &rep->groups[rep->n_groups++];
            memset(g, 0, sizeof *g);
            g->key = key;
            g->items = items;
            g->method = strdup(r->method);
            g->status = strdup(json_string_value(json_object_get(items, "status")));
        } else {
            free(key);
            json_decref(items);
        }
        g->runs = realloc(g->runs, (g->n_runs + 1) * sizeof *g->runs);
        if (!g->runs || !g->method || !g->status) {
            cli_error("out of memory");
            return -1;
        }
        g->runs[g->n_runs++] = i;
    }
    if (make_labels(rep, n_by > 0) != 0) {
        cli_error("out of memory");
        return -1;
    }
    return 0;
}

static int have_metric(char **list, int n, const char *m)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i], m))
            return 1;
    return 0;
}

static int add_metric(report *rep, const char *m)
{
    char **grown;
    if (have_metric(rep->metrics, rep->n_metrics, m))
        return 0;
    grown = realloc(rep->metrics, (rep->n_metrics + 1) * sizeof *grown);
    if (!grown || !(grown[rep->n_metrics] = strdup(m))) {
        if (grown)
            rep->metrics = grown;
        cli_error("out of memory");
        return -1;
    }
    rep->metrics = grown;
    rep->n_metrics++;
    return 0;
}

int report_default_metrics(report *rep, int all)
{
    static const char *const first[] = {"test.acc", "test.f1", NULL};
    char **rest = NULL;
    int nrest = 0, st = 0;
    for (int i = 0; first[i]; i++)
        for (int r = 0; r < rep->n_runs; r++)
            if (json_object_get(rep->runs[r].record, first[i])) {
                if (add_metric(rep, first[i]))
                    return -1;
                break;
            }
    /* then test.acc.<modality> (or, with all, every number but the epoch) */
    for (int r = 0; r < rep->n_runs; r++) {
        const char *k;
        json_t *v;
        json_object_foreach(rep->runs[r].record, k, v) {
            int take = all ? strcmp(k, "epoch") != 0 : !strncmp(k, "test.acc.", 9);
            if (take && !have_metric(rep->metrics, rep->n_metrics, k) &&
                !have_metric(rest, nrest, k)) {
                rest = realloc(rest, (nrest + 1) * sizeof *rest);
                rest[nrest++] = (char *)k;
            }
        }
    }
    if (nrest > 1) qsort(rest, nrest, sizeof *rest, cmp_str);
    for (int i = 0; i < nrest && !st; i++)
        st = add_metric(rep, rest[i]);
    free(rest);
    return st;
}

/* ------------------------------------------------------------ statistics */

static int sort_metric = -1;

static int cmp_groups(const void *a, const void *b)
{
    const report_group *x = a, *y = b;
    if (sort_metric >= 0) {
        const report_cell *cx = &x->cells[sort_metric], *cy = &y->cells[sort_metric];
        if (cx->n > 0 && cy->n == 0)
            return -1;
        if (cy->n > 0 && cx->n == 0)
            return 1;
        if (cx->n > 0 && cx->s.mean != cy->s.mean)
            return cx->s.mean > cy->s.mean ? -1 : 1;
    }
    return strcmp(x->label, y->label);
}

/* Sorts by label, or by the mean of a metric (largest first). */
void report_sort_groups(report *rep, const char *sort_key)
{
    char *vs_label = rep->vs >= 0 ? rep->groups[rep->vs].label : NULL;
    sort_metric = -1;
    for (int m = 0; sort_key && m < rep->n_metrics; m++)
        if (!strcmp(rep->metrics[m], sort_key))
            sort_metric = m;
    if (rep->n_groups > 1) qsort(rep->groups, rep->n_groups, sizeof *rep->groups, cmp_groups);
    for (int g = 0; vs_label && g < rep->n_groups; g++)
        if (rep->groups[g].label == vs_label)
            rep->vs = g;
}

/* Exact label, else a unique substring of one. */
int report_find_group(const report *rep, const char *name)
{
    int found = -1;
    for (int g = 0; g < rep->n_groups; g++)
        if (!strcmp(rep->groups[g].label, name))
            return g;
    for (int g = 0; g < rep->n_groups; g++)
        if (strstr(rep->groups[g].label, name)) {
            if (found >= 0)
                return -2;
            found = g;
        }
    return found;
}

int report_find_run_group(const report *rep, const char *path)
{
    char *dir = run_dir_of(path);
    struct stat want, have;
    int r = -1;
    if (!dir)
        return -1;
    if (stat(dir, &want) != 0) {
        free(dir);
        return -1;
    }
    for (int i = 0; i < rep->n_runs && r < 0; i++)
        if (!strcmp(rep->runs[i].dir, dir) ||
            (stat(rep->runs[i].dir, &have) == 0 && have.st_dev == want.st_dev &&
             have.st_ino == want.st_ino))
            r = i;
    free(dir);
    for (int g = 0; r >= 0 && g < rep->n_groups; g++)
        for (int k = 0; k < rep->groups[g].n_runs; k++)
            if (rep->groups[g].runs[k] == r)
                return g;
    return -1;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* The pairs of a paired test: both cells have the same distinct seeds. */
static int same_seeds(const report_cell *a, const report_cell *b)
{
    long *sa, *sb;
    int same = a->n == b->n && a->n >= 2;
    if (!same)
        return 0;
    sa = malloc(a->n * sizeof *sa);
    sb = malloc(b->n * sizeof *sb);
    if (!sa || !sb) {
        free(sa);
        free(sb);
        return 0;
    }
    memcpy(sa, a->seeds, a->n * sizeof *sa);
    memcpy(sb, b->seeds, b->n * sizeof *sb);
    if (a->n > 1) qsort(sa, a->n, sizeof *sa, cmp_long);
    if (b->n > 1) qsort(sb, b->n, sizeof *sb, cmp_long);
    for (int i = 0; i < a->n && same; i++)
        same = sa[i] >= 0 && sa[i] == sb[i] && (i == 0 || sa[i] != sa[i - 1]);
    free(sa);
    free(sb);
    return same;
}

static void compare(report *rep, report_cell *c, const report_cell *ref, report_test_mode mode,
                    const char *label, const char *metric)
{
    int paired = same_seeds(c, ref);
    if (c->n < 2 || ref->n < 2)
        return;
    if (mode == REPORT_TEST_PAIRED && !paired) {
        report_note(rep, "%s, %s: no paired test: the seeds differ from the --vs group's",
                    label, metric);
        return;
    }
    if (paired && mode != REPORT_TEST_WELCH) {
        double *x = malloc(c->n * sizeof *x), *y = malloc(c->n * sizeof *y);
        if (x && y) {   /* line the values up by seed */
            for (int i = 0; i < c->n; i++) {
                x[i] = c->values[i];
                for (int j = 0; j < ref->n; j++)
                    if (ref->seeds[j] == c->seeds[i])
                        y[i] = ref->values[j];
            }
            c->has_test = asgml_paired_test(x, y, c->n, &c->test) == ASGML_OK;
            c->test_kind = "paired";
        }
        free(x);
        free(y);
        return;
    }
    c->has_test = asgml_welch_test(c->values, c->n, ref->values, ref->n, &c->test) == ASGML_OK;
    c->test_kind = "welch";
}

int report_compute(report *rep, report_test_mode mode)
{
    for (int g = 0; g < rep->n_groups; g++) {
        report_group *gr = &rep->groups[g];
        int missing = 0;
        gr->cells = calloc(rep->n_metrics, sizeof *gr->cells);
        if (!gr->cells)
            goto nomem;
        for (int m = 0; m < rep->n_metrics; m++) {
            report_cell *c = &gr->cells[m];
            c->values = malloc(gr->n_runs * sizeof *c->values);
            c->seeds = malloc(gr->n_runs * sizeof *c->seeds);
            if (!c->values || !c->seeds)
                goto nomem;
            for (int i = 0; i < gr->n_runs; i++) {
                const report_run *r = &rep->runs[gr->runs[i]];
                json_t *v = json_object_get(r->record, rep->metrics[m]);
                if (!json_is_number(v))
                    continue;
                c->values[c->n] = json_number_value(v) * rep->scale;
                c->seeds[c->n++] = r->has_seed ? r->seed : -1;
            }
            if (c->n > 0 && asgml_summarize(c->values, c->n, 0.95, &c->s) != ASGML_OK) {
                cli_error("group '%s', %s: %s", gr->label, rep->metrics[m], asgml_last_error());
                return -1;
            }
        }
        for (int i = 0; i < gr->n_runs; i++)
            missing += rep->runs[gr->runs[i]].record == NULL;
        if (missing) {
            report_note(rep, "%s: %s is unavailable for %d of %d run%s (%s)", gr->label,
                        report_record_name(rep->record), missing, gr->n_runs,
                        gr->n_runs == 1 ? "" : "s",
                        rep->record == REPORT_BEST_VAL ? "no val.acc: no validation split"
                                                       : "no epoch in the log");
        }
        if (strcmp(gr->status, "complete")) {
            char runs[1024] = "";
            size_t at = 0;
            for (int i = 0; i < gr->n_runs && at < sizeof runs; i++) {
                const report_run *r = &rep->runs[gr->runs[i]];
                at += snprintf(runs + at, sizeof runs - at, "%s%s (%d epoch%s)", i ? ", " : "",
                               r->dir, r->epochs_completed,
                               r->epochs_completed == 1 ? "" : "s");
            }
            report_note(rep, "%s: summary status '%s', not complete; reported as a group of "
                        "its own, not mixed with finished runs: %s", gr->label, gr->status, runs);
        }
        /* the same seed twice is legal (copies), but worth knowing */
        for (int i = 0; i < gr->n_runs; i++)
            for (int j = 0; j < i; j++) {
                const report_run *a = &rep->runs[gr->runs[i]], *b = &rep->runs[gr->runs[j]];
                if (a->has_seed && b->has_seed && a->seed == b->seed)
                    report_note(rep, "%s: seed %ld appears in two runs (%s, %s)", gr->label,
                                a->seed, b->dir, a->dir);
            }
    }
    if (rep->vs >= 0)
        for (int g = 0; g < rep->n_groups; g++)
            for (int m = 0; m < rep->n_metrics && g != rep->vs; m++)
                compare(rep, &rep->groups[g].cells[m], &rep->groups[rep->vs].cells[m], mode,
                        rep->groups[g].label, rep->metrics[m]);
    /* Holm over the comparisons of each metric (one family per metric:
     * every group against the --vs group) */
    for (int m = 0; m < rep->n_metrics && rep->vs >= 0; m++) {
        double *p = malloc((size_t)rep->n_groups * sizeof *p);
        if (!p)
            goto nomem;
        for (int g = 0; g < rep->n_groups; g++) {
            const report_cell *c = &rep->groups[g].cells[m];
            p[g] = g != rep->vs && c->has_test ? c->test.p : NAN;
        }
        if (asgml_holm(p, rep->n_groups, p) != ASGML_OK) {
            free(p);
            cli_error("%s: Holm adjustment: %s", rep->metrics[m], asgml_last_error());
            return -1;
        }
        for (int g = 0; g < rep->n_groups; g++)
            rep->groups[g].cells[m].p_holm = p[g];
        free(p);
    }
    return 0;
nomem:
    cli_error("out of memory");
    return -1;
}

void report_free(report *rep)
{
    for (int i = 0; i < rep->n_runs; i++) {
        report_run *r = &rep->runs[i];
        free(r->dir);
        free(r->status);
        free(r->method);
        json_decref(r->config);
        json_decref(r->summary);
        json_decref(r->record);
        json_decref(r->epochs);
        json_decref(r->steps);
    }
    for (int g = 0; g < rep->n_groups; g++) {
        report_group *gr = &rep->groups[g];
        for (int m = 0; gr->cells && m < rep->n_metrics; m++) {
            free(gr->cells[m].values);
            free(gr->cells[m].seeds);
        }
        free(gr->cells);
        free(gr->key);
        free(gr->label);
        free(gr->method);
        free(gr->status);
        free(gr->runs);
        json_decref(gr->items);
    }
    for (int i = 0; i < rep->n_metrics; i++)
        free(rep->metrics[i]);
    for (int i = 0; i < rep->n_notes; i++)
        free(rep->notes[i]);
    free(rep->runs);
    free(rep->groups);
    free(rep->metrics);
    free(rep->notes);
    memset(rep, 0, sizeof *rep);
}
