/* SPDX-License-Identifier: MIT */
/* report_tensorboard.c - asgml-report --tensorboard DIR: every run's
 * log.jsonl as TensorBoard scalars (tfevents.h), so that asgml runs sit in
 * the same TensorBoard as a user's PyTorch runs.
 *
 * Per run, in DIR/LABEL/ (LABEL: the run path as given when it is relative
 * and has no "..", else its last component):
 *   events.out.tfevents.T.asgml      "train/KEY" for every number of every
 *                                    step record (x = global step),
 *                                    "epoch/KEY" for every number of every
 *                                    epoch record (x = epoch), and the
 *                                    official OGM-GE code's per-step tags
 *                                    (GeWu-Lab/OGM-GE_CVPR2022, main.py,
 *                                    train_epoch): "data/ratio v" (our
 *                                    ogm.rho.visual), "data/coefficient v"
 *                                    and "data/coefficient a" (ogm.k.*);
 *   Loss_Total Loss/, Loss_<M> Loss/, Evaluation_Total Accuracy/,
 *   Evaluation_<M> Accuracy/         what that code's writer.add_scalars
 *                                    ('Loss', {...}) and ('Evaluation', {...})
 *                                    write per epoch: one sub-run per key
 *                                    with tags "Loss" / "Evaluation";
 *                                    Total Loss = train.loss, <M> Loss = the
 *                                    epoch's mean of the step records'
 *                                    ce.<m>, accuracies = test.acc(.<m>);
 *                                    <M> = the modality name capitalised.
 * wall_time: the run's start (config.json's modification time, else
 * log.jsonl's) plus the durations (time_s) of the epochs before, steps
 * spread evenly over their epoch; T is that start in whole seconds.  The
 * same run directory always gives the same bytes. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "report.h"
#include "tfevents.h"

#define MAX_SUBRUNS 64

typedef struct tb_run {
    const char *dir;     /* DIR/LABEL */
    double t0;           /* wall time of the run's start */
    long start_s;
    tfevents main;
    struct { char *name; tfevents w; } sub[MAX_SUBRUNS];
    int n_sub;
} tb_run;

static int mkdir_p(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return -1;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                cli_error("%s: %s", p, strerror(errno));
                free(p);
                return -1;
            }
            if (!(*s = c))
                break;
        }
    }
    free(p);
    return 0;
}

static char *path_join3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 3;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, c ? "%s/%s/%s" : "%s/%s", a, b, c ? c : "");
    return s;
}

/* events.out.tfevents.T.asgml in DIR, opened for writing. */
static int open_events(tfevents *w, const char *dir, const tb_run *r)
{
    char name[64];
    snprintf(name, sizeof name, "events.out.tfevents.%ld.asgml", r->start_s);
    char *path = path_join3(dir, name, NULL);
    int st = path && mkdir_p(dir) == 0 ? tfevents_open(w, path, r->t0) : -1;
    free(path);
    return st;
}

/* The writer of sub-run NAME (created on first use). */
static tfevents *subrun(tb_run *r, const char *name)
{
    for (int i = 0; i < r->n_sub; i++)
        if (strcmp(r->sub[i].name, name) == 0)
            return &r->sub[i].w;
    if (r->n_sub == MAX_SUBRUNS) {
        cli_error("%s: more than %d TensorBoard sub-runs", r->dir, MAX_SUBRUNS);
        return NULL;
    }
    char *dir = path_join3(r->dir, name, NULL);
    if (!dir || !(r->sub[r->n_sub].name = strdup(name))) {
        free(dir);
        return NULL;
    }
    if (open_events(&r->sub[r->n_sub].w, dir, r) != 0) {
        free(dir);
        free(r->sub[r->n_sub].name);
        return NULL;
    }
    free(dir);
    return &r->sub[r->n_sub++].w;
}

/* "Loss" + "Audio Loss" -> sub-run "Loss_Audio Loss", tag "Loss". */
static int add_scalars(tb_run *r, const char *main_tag, const char *key, double wall,
                       int64_t step, double v)
{
    char name[256];
    snprintf(name, sizeof name, "%s_%s", main_tag, key);
    tfevents *w = subrun(r, name);
    return w ? tfevents_scalar(w, wall, step, main_tag, v) : -1;
}

static void capitalise(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
    dst[0] = (char)toupper((unsigned char)dst[0]);
}

/* The log's records, one json_t each (NULL entries for blank lines). */
static json_t *read_log(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error("%s: %s", path, strerror(errno));
        return NULL;
    }
    json_t *recs = json_array();
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        json_error_t err;
        json_t *rec = json_loads(line, 0, &err);
        if (!json_is_object(rec)) {
            cli_error("%s:%ld: %s", path, lineno, rec ? "not a JSON object" : err.text);
            json_decref(rec);
            json_decref(recs);
            recs = NULL;
            break;
        }
        json_array_append_new(recs, rec);
    }
    free(line);
    fclose(f);
    return recs;
}

static const char *rec_type(json_t *rec)
{
    const char *t = json_string_value(json_object_get(rec, "type"));
    return t ? t : "";
}

static int is_index_key(const char *k)
{
    return !strcmp(k, "type") || !strcmp(k, "epoch") || !strcmp(k, "batch") || !strcmp(k, "step");
}

/* Every number of REC as PREFIX/KEY at STEP. */
static int write_numbers(tfevents *w, json_t *rec, const char *prefix, double wall, int64_t step)
{
    const char *k;
    json_t *v;
    char tag[512];
    json_object_foreach(rec, k, v) {
        if (is_index_key(k) || !json_is_number(v))
            continue;
        snprintf(tag, sizeof tag, "%s/%s", prefix, k);
        if (tfevents_scalar(w, wall, step, tag, json_number_value(v)) != 0)
            return -1;
    }
    return 0;
}

/* The official OGM-GE per-step tags, where the run logged their values. */
static int write_ogm_tags(tfevents *w, json_t *rec, double wall, int64_t step)
{
    static const char *const map[][2] = {
        {"ogm.rho.visual", "data/ratio v"},
        {"ogm.k.visual", "data/coefficient v"},
        {"ogm.k.audio", "data/coefficient a"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        json_t *v = json_object_get(rec, map[i][0]);
        if (json_is_number(v) && tfevents_scalar(w, wall, step, map[i][1], json_number_value(v)))
            return -1;
    }
    return 0;
}

/* Loss / Evaluation sub-runs of epoch record EREC; CE_SUM holds the sums
 * of the epoch's step records' ce.<m> (N_CE of them). */
static int write_epoch_scalars(tb_run *r, json_t *erec, json_t *ce_sum, int n_ce, double wall,
                               int64_t epoch)
{
    json_t *v;
    const char *k;
    char key[256], cap[200];
    if (json_is_number(v = json_object_get(erec, "train.loss"))
        && add_scalars(r, "Loss", "Total Loss", wall, epoch, json_number_value(v)))
        return -1;
    json_object_foreach(ce_sum, k, v) {
        capitalise(cap, sizeof cap, k);
        snprintf(key, sizeof key, "%s Loss", cap);
        if (n_ce > 0 && add_scalars(r, "Loss", key, wall, epoch, json_number_value(v) / n_ce))
            return -1;
    }
    if (json_is_number(v = json_object_get(erec, "test.acc"))
        && add_scalars(r, "Evaluation", "Total Accuracy", wall, epoch, json_number_value(v)))
        return -1;
    json_object_foreach(erec, k, v) {
        if (strncmp(k, "test.acc.", 9) != 0 || !json_is_number(v))
            continue;
        capitalise(cap, sizeof cap, k + 9);
        snprintf(key, sizeof key, "%s Accuracy", cap);
        if (add_scalars(r, "Evaluation", key, wall, epoch, json_number_value(v)))
            return -1;
    }
    return 0;
}

/* Two passes over the records: the first finds each epoch's duration and
 * number of steps (for the wall times), the second writes. */
static int write_run(tb_run *r, json_t *recs)
{
    size_t n = json_array_size(recs), i, first = 0;
    double cum = 0;
    json_t *ce_sum = json_object();
    int n_ce = 0, st = 0;
    while (st == 0 && first < n) {
        /* the epoch's step records are [first, e); e is its epoch record */
        size_t e = first;
        while (e < n && strcmp(rec_type(json_array_get(recs, e)), "epoch") != 0)
            e++;
        json_t *erec = e < n ? json_array_get(recs, e) : NULL;
        double dur = erec ? json_number_value(json_object_get(erec, "time_s")) : 0;
        if (!isfinite(dur) || dur < 0)
            dur = 0;
        size_t n_steps = 0;
        for (i = first; i < e; i++)
            n_steps += strcmp(rec_type(json_array_get(recs, i)), "step") == 0;
        size_t k = 0;
        json_object_clear(ce_sum);
        n_ce = 0;
        for (i = first; st == 0 && i < e; i++) {
            json_t *rec = json_array_get(recs, i);
            if (strcmp(rec_type(rec), "step") != 0)
                continue;
            double wall = r->t0 + cum + dur * (double)(++k) / (double)n_steps;
            int64_t step = (int64_t)json_integer_value(json_object_get(rec, "step"));
            st = write_numbers(&r->main, rec, "train", wall, step);
            if (st == 0)
                st = write_ogm_tags(&r->main, rec, wall, step);
            const char *key;
            json_t *v;
            int had = 0;
            json_object_foreach(rec, key, v) {
                if (strncmp(key, "ce.", 3) != 0 || !json_is_number(v))
                    continue;
                json_t *s = json_object_get(ce_sum, key + 3);
                json_object_set_new(ce_sum, key + 3,
                                    json_real((s ? json_number_value(s) : 0) + json_number_value(v)));
                had = 1;
            }
            n_ce += had;
        }
        if (erec && st == 0) {
            cum += dur;
            int64_t epoch = (int64_t)json_integer_value(json_object_get(erec, "epoch"));
            st = write_numbers(&r->main, erec, "epoch", r->t0 + cum, epoch);
            if (st == 0)
                st = write_epoch_scalars(r, erec, ce_sum, n_ce, r->t0 + cum, epoch);
        }
        first = e + 1;
    }
    json_decref(ce_sum);
    return st;
}

/* DIR/LABEL for run path P. */
static char *run_label_dir(const char *dir, const char *p)
{
    char *s = strdup(p), *label;
    if (!s)
        return NULL;
    size_t len = strlen(s);
    if (len > 13 && strcmp(s + len - 13, "/summary.json") == 0)
        s[len -= 13] = '\0';
    while (len > 1 && s[len - 1] == '/')
        s[--len] = '\0';
    label = s;
    while (strncmp(label, "./", 2) == 0)
        label += 2;
    if (label[0] == '/' || strstr(label, "..") || !*label || !strcmp(label, ".")) {
        char *slash = strrchr(s, '/');
        label = slash && slash[1] ? slash + 1 : s;
    }
    char *out = path_join3(dir, label, NULL);
    free(s);
    return out;
}

static double start_time(const char *run_dir, long *start_s)
{
    const char *names[] = {"config.json", "log.jsonl"};
    struct stat sb;
    for (int i = 0; i < 2; i++) {
        char *p = path_join3(run_dir, names[i], NULL);
        int ok = p && stat(p, &sb) == 0;
        free(p);
        if (ok) {
            *start_s = (long)sb.st_mtim.tv_sec;
            return (double)sb.st_mtim.tv_sec + 1e-9 * (double)sb.st_mtim.tv_nsec;
        }
    }
    *start_s = 0;
    return 0;
}

int report_write_tensorboard(report *rep, const char *dir)
{
    int st = 0;
    for (int i = 0; st == 0 && i < rep->n_runs; i++) {
        const char *rd = rep->runs[i].dir;
        char *log = path_join3(rd, "log.jsonl", NULL);
        char *out = run_label_dir(dir, rd);
        json_t *recs = log && out ? read_log(log) : NULL;
        tb_run r;
        memset(&r, 0, sizeof r);
        r.dir = out;
        r.t0 = start_time(rd, &r.start_s);
        st = recs ? open_events(&r.main, out, &r) : -1;
        if (st == 0) {
            st = write_run(&r, recs);
            if (st == 0)
                st = tfevents_close(&r.main);
            else
                tfevents_abort(&r.main);
        }
        for (int j = 0; j < r.n_sub; j++) {
            if (st == 0)
                st = tfevents_close(&r.sub[j].w);
            else
                tfevents_abort(&r.sub[j].w);
            free(r.sub[j].name);
        }
        json_decref(recs);
        free(log);
        free(out);
    }
    return st;
}
