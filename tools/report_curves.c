/* SPDX-License-Identifier: MIT */
/* report_curves.c - asgml-report --curves: per-epoch curves from the
 * log.jsonl of every run, averaged over the seeds of each group with a
 * mean +- std band.  Written as data (curves.tsv, <plot>.dat), gnuplot
 * scripts (<plot>.gp) and a README; drawn to <plot>.png when gnuplot can
 * be run.  Plots:
 *   accuracy                train.acc, val.acc, test.acc (fused)
 *   accuracy-per-modality   <split>.acc.<modality>
 *   <stem>                  method signals (asgml.*, boost.*, ogm*, probe.*:
 *                           report_is_signal_key) with the
 *                           modality suffix removed, e.g. asgml.scale with
 *                           series audio and visual; per-step values are
 *                           averaged over the steps of each epoch.
 *   grad_energy, grad_energy_post
 *                           the epoch's mean squared encoder-gradient norm
 *                           before / after the methods' H2 (train.log-grad-energy)
 *   steps-<stem>            per optimiser step (x = step): the staleness
 *                           signals asgml.tau, tau_hat, mask, age, stale of
 *                           asgml-freq / asgml-stale (report_is_step_key),
 *                           the mean over the runs of a group at each step.
 * Every file is written to a temporary name in the directory and renamed
 * when all of them are complete. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "asgml/atomic_file.h"
#include "cli.h"
#include "report.h"

typedef struct curve {      /* one log key, drawn as one series of a plot */
    char *plot, *series, *key;
    int by_step;            /* x = optimiser step (steps-* plots), else epoch */
} curve;


static int cmp_curve(const void *a, const void *b)
{
    const curve *x = a, *y = b;
    int c = strcmp(x->plot, y->plot);
    return c ? c : strcmp(x->series, y->series);
}

static int is_modality(json_t *mods, const char *s)
{
    size_t i;
    json_t *m;
    json_array_foreach(mods, i, m)
        if (json_is_string(m) && !strcmp(json_string_value(m), s))
            return 1;
    return 0;
}

/* Plot and series of a per-epoch key; 0 when the key is not drawn. */
static int classify(const char *key, json_t *mods, char *plot, char *series, size_t size)
{
    const char *splits[] = {"train", "val", "test"};
    const char *dot = strrchr(key, '.');
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(splits[i]);
        if (strncmp(key, splits[i], n) || strncmp(key + n, ".acc", 4))
            continue;
        if (key[n + 4] == '\0') {
            snprintf(plot, size, "accuracy");
            snprintf(series, size, "%s", splits[i]);
            return 1;
        }
        if (key[n + 4] == '.' && is_modality(mods, key + n + 5)) {
            snprintf(plot, size, "accuracy-per-modality");
            snprintf(series, size, "%s %s", splits[i], key + n + 5);
            return 1;
        }
        return 0;
    }
    if (!strncmp(key, "grad_energy.", 12) || !strncmp(key, "grad_energy_post.", 17)) {
        if (!dot || !is_modality(mods, dot + 1))
            return 0;
        snprintf(plot, size, "%.*s", (int)(dot - key), key);
        snprintf(series, size, "%s", dot + 1);
        return 1;
    }
    if (!report_is_signal_key(key))
        return 0;
    if (dot && is_modality(mods, dot + 1)) {
        snprintf(plot, size, "%.*s", (int)(dot - key), key);
        snprintf(series, size, "%s", dot + 1);
    } else {
        snprintf(plot, size, "%s", key);
        snprintf(series, size, "all");
    }
    return 1;
}

/* Title and y label of a plot, in words. */
static void describe(const char *plot, char *title, char *ylabel, size_t size)
{
    const char *who = "", *rest = plot, *what, *per = "epoch";
    if (!strcmp(plot, "grad_energy") || !strcmp(plot, "grad_energy_post")) {
        snprintf(title, size, "Gradient energy of each encoder per epoch: mean over the steps "
                 "of ||g_m||^2, %s the methods' modulation (%s)",
                 plot[11] ? "after" : "before", plot);
        snprintf(ylabel, size, "mean squared gradient norm");
        return;
    }
    if (!strncmp(plot, "steps-", 6)) {
        plot += 6;
        per = "step";
    }
    if (!strcmp(plot, "accuracy")) {
        snprintf(title, size, "Accuracy of the fused model per epoch");
        snprintf(ylabel, size, "accuracy");
        return;
    }
    if (!strcmp(plot, "accuracy-per-modality")) {
        snprintf(title, size, "Accuracy of each modality's branch per epoch");
        snprintf(ylabel, size, "accuracy");
        return;
    }
    if (!strncmp(plot, "asgml.", 6))
        who = "ASGML", rest = plot + 6;
    else if (!strncmp(plot, "boost.", 6))
        who = "ASGML boost", rest = plot + 6;
    else if (!strncmp(plot, "probe.", 6))
        who = "Probe", rest = plot + 6;
    else if (!strncmp(plot, "ogm", 3)) {
        who = "OGM-GE";
        rest = strchr(plot, '.') ? strchr(plot, '.') + 1 : plot;
    }
    if (!strcmp(who, "ASGML boost") && !strcmp(rest, "acc"))
        what = "probe accuracy";
    else if (!strcmp(who, "ASGML boost") && !strcmp(rest, "ema"))
        what = "probe accuracy (EMA)";
    else if (!strcmp(who, "ASGML boost") && !strcmp(rest, "loss"))
        what = "probe loss";
    else if (!strcmp(who, "ASGML boost") && !strcmp(rest, "scale"))
        what = "encoder gradient scale c_m";
    else if (!strcmp(who, "ASGML boost") && !strcmp(rest, "target"))
        what = "target scale s_m";
    else if (!strcmp(rest, "tau_hat"))
        what = "update period tau_hat (steps)";
    else if (!strcmp(rest, "mask"))
        what = "update mask (1 = the encoder updates)";
    else if (!strcmp(rest, "age"))
        what = "gradient age (steps)";
    else if (!strcmp(rest, "stale"))
        what = "stale gradient used (1 = yes)";
    else if (strstr(rest, "tau"))
        what = "update threshold tau";
    else if (strstr(rest, "update_rate") || strstr(rest, "update-rate"))
        what = "encoder update rate (fraction of steps)";
    else if (strstr(rest, "scale"))
        what = "gradient boost scale";
    else if (strstr(rest, "coef") || !strcmp(rest, "k"))
        what = "gradient modulation coefficient k";
    else if (strstr(rest, "ema"))
        what = "accuracy (EMA)";
    else if (strstr(rest, "acc"))
        what = "accuracy";
    else
        what = rest;
    snprintf(title, size, "%s %s per %s (%s%s)", who, what, per, !strcmp(per, "step") ? "steps-" : "",
             plot);
    snprintf(ylabel, size, "%s", what);
}

/* ---------------------------------------------------------------- files */

/* A new temporary file for DIR/NAME; it stays open until the commit. */
FILE *report_open_tmp(curve_out *out, const char *name)
{
    char final[4096];
    pending *grown = realloc(out->files, (out->n_files + 1) * sizeof *grown);
    if (!grown) {
        cli_error("out of memory");
        return NULL;
    }
    out->files = grown;
    snprintf(final, sizeof final, "%s/%s", out->dir, name);
    if (asgml_atomic_open(final, &out->files[out->n_files]) != ASGML_OK) {
        cli_error("%s", asgml_last_error());
        return NULL;
    }
    return out->files[out->n_files++].f;
}

/* Flushes f (gnuplot reads it by name); asgml_atomic_commit closes it. */
int report_flush_tmp(FILE *f, const char *name)
{
    if ((fflush(f) != 0) | ferror(f)) {
        cli_error("%s: write error: %s", name, strerror(errno ? errno : EIO));
        return -1;
    }
    return 0;
}

void report_gp_quote(FILE *f, const char *s)   /* gnuplot single-quoted string */
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

/* The gnuplot program: $GNUPLOT, else gnuplot on PATH; NULL when none. */
char *report_find_gnuplot(void)
{
    const char *env = getenv("GNUPLOT"), *path = getenv("PATH");
    char buf[4096];
    if (env && *env)
        return strdup(env);
    while (path && *path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, sizeof buf, "%.*s/gnuplot", (int)n, n ? path : ".");
        if (access(buf, X_OK) == 0)
            return strdup(buf);
        path += n + (path[n] == ':');
    }
    return NULL;
}

const char *report_base_name(const char *path)
{
    return strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
}

/* Runs `prog -e "datafile='D'; outfile='P'" script` inside dir, on the
 * temporary names of the data file and the PNG (mkstemp names: no quotes). */
int report_run_gnuplot(const char *prog, const char *dir, const char *script,
                       const char *dat_tmp, const char *png_tmp, const char *png_final)
{
    char expr[8400];
    int status;
    pid_t pid;
    snprintf(expr, sizeof expr, "datafile='%s'; outfile='%s'", report_base_name(dat_tmp),
             report_base_name(png_tmp));
    fflush(NULL);
    if ((pid = fork()) < 0) {
        cli_error("fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        if (chdir(dir) != 0)
            _exit(127);
        execlp(prog, prog, "-e", expr, script, (char *)NULL);
        fprintf(stderr, "%s: %s: %s\n", cli_program_name, prog, strerror(errno));
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            cli_error("waitpid: %s", strerror(errno));
            return -1;
        }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        cli_error("%s: %s failed (status %d)", png_final, prog,
                  WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- curves */

/* n, mean, std over the runs of a group at one epoch (or step); n = 0: no value. */
static int point(const report *rep, const report_group *g, const char *key, int e, int by_step,
                 asgml_summary *s)
{
    double *v = malloc((g->n_runs + 1) * sizeof *v);
    int n = 0;
    if (!v)
        return 0;
    for (int i = 0; i < g->n_runs; i++) {
        const report_run *r = &rep->runs[g->runs[i]];
        json_t *x = json_object_get(json_array_get(by_step ? r->steps : r->epochs, e), key);
        if (json_is_number(x) && isfinite(json_number_value(x)))
            v[n++] = json_number_value(x);
    }
    if (n == 0 || asgml_summarize(v, n, 0.95, s) != ASGML_OK)
        n = 0;
    free(v);
    return n;
}

static void tsv_num(FILE *f, double v)
{
    char buf[64];
    if (isnan(v))
        buf[0] = '\0';
    else
        snprintf(buf, sizeof buf, "%.12g", v);
    fprintf(f, "\t%s", buf);
}

static int write_plot(curve_out *out, const report *rep, const curve *c, int nc, const int *max_x,
                      FILE *tsv, const char *gnuplot, pending *png)
{
    char name[512], title[512], ylabel[512];
    FILE *dat, *gp;
    int block = 0, series_no = 0, n_lines = 0;
    const char *prev_series = NULL;
    int max_epoch = max_x[c[0].by_step];   /* the last epoch, or step */
    snprintf(name, sizeof name, "%s.dat", c[0].plot);
    if (!(dat = report_open_tmp(out, name)))
        return -1;
    snprintf(name, sizeof name, "%s.gp", c[0].plot);
    if (!(gp = report_open_tmp(out, name)))
        return -1;
    describe(c[0].plot, title, ylabel, sizeof title);
    fprintf(dat, "# %s.dat - written by asgml-report: %s\n"
            "# one block per group and series (gnuplot index 0, 1, ...); columns:\n"
            "# epoch, mean, mean - std, mean + std, n (runs); std is the sample standard\n"
            "# deviation over the seeds of the group (0 when n = 1)\n", c[0].plot, title);
    fprintf(gp, "# %s.gp - written by asgml-report; draws %s.png from %s.dat:\n"
            "#   gnuplot %s.gp\n", c[0].plot, c[0].plot, c[0].plot, c[0].plot);
    fprintf(gp, "if (!exists(\"datafile\")) datafile = '%s.dat'\n", c[0].plot);
    fprintf(gp, "if (!exists(\"outfile\")) outfile = '%s.png'\n", c[0].plot);
    /* the legend goes below the graph, one line per curve */
    for (int i = 0; i < nc; i++)
        for (int g = 0; g < rep->n_groups; g++)
            for (int e = 0; e <= max_epoch; e++) {
                asgml_summary s;
                if (point(rep, &rep->groups[g], c[i].key, e, c[i].by_step, &s)) {
                    n_lines++;
                    break;
                }
            }
    fprintf(gp, "if (strstrt(GPVAL_TERMINALS, \"pngcairo\") > 0) {\n"
            "    set terminal pngcairo size 1000,%d noenhanced font \",11\"\n"
            "} else {\n    set terminal png size 1000,%d noenhanced\n}\n"
            "set output outfile\nset title ", 560 + 20 * n_lines, 560 + 20 * n_lines);
    report_gp_quote(gp, title);
    fprintf(gp, " . \"\\nline: mean over the seeds of a group; band: mean +/- sample std\"\n"
            "set xlabel '%s'\nset ylabel ", c[0].by_step ? "step" : "epoch");
    report_gp_quote(gp, ylabel);
    fprintf(gp, "\nset key below left Left reverse maxcols 1 box\nset grid\n%s"
            "set style fill transparent solid 0.18 noborder\nplot \\\n",
            c[0].by_step ? "" : "set xtics 1\n");
    for (int i = 0; i < nc; i++) {
        if (!prev_series || strcmp(prev_series, c[i].series))
            series_no++;
        prev_series = c[i].series;
        for (int g = 0; g < rep->n_groups; g++) {
            const report_group *gr = &rep->groups[g];
            asgml_summary s;
            int any = 0;
            char legend[1200];
            for (int e = 0; e <= max_epoch; e++) {
                int n = point(rep, gr, c[i].key, e, c[i].by_step, &s);
                if (!n)
                    continue;
                if (!any)
                    fprintf(dat, "%s# group: %s\n# series: %s (log key %s)\n", block ? "\n\n" : "",
                            gr->label, c[i].series, c[i].key);
                any = 1;
                fprintf(tsv, "%s\t%s\t%s\t%s\t%d\t%d", gr->label, c[i].plot, c[i].series,
                        c[i].key, e, n);
                tsv_num(tsv, s.mean);
                tsv_num(tsv, s.sd);
                fputc('\n', tsv);
                if (n < 2)
                    s.sd = 0.0;
                fprintf(dat, "%d %.12g %.12g %.12g %d\n", e, s.mean, s.mean - s.sd,
                        s.mean + s.sd, n);
            }
            if (!any)
                continue;
            snprintf(legend, sizeof legend, "%s: %s", gr->label, c[i].series);
            fprintf(gp, "%s    datafile index %d using 1:3:4 with filledcurves lc %d notitle, \\\n"
                    "    datafile index %d using 1:2 ", block ? ", \\\n" : "", block, g + 1,
                    block);
            if (c[0].by_step)   /* per step: a step line (thousands of points) */
                fprintf(gp, "with steps lc %d dt %d lw 2 title ", g + 1, series_no);
            else
                fprintf(gp, "with linespoints lc %d dt %d pt %d lw 2 title ", g + 1, series_no,
                        series_no + 5);
            report_gp_quote(gp, legend);
            block++;
        }
    }
    fputc('\n', gp);
    if (report_flush_tmp(gp, out->files[out->n_files - 1].tmp) != 0 ||
        report_flush_tmp(dat, out->files[out->n_files - 2].tmp) != 0)
        return -1;
    if (gnuplot && block > 0) {
        char final[4096];
        snprintf(final, sizeof final, "%s/%s.png", out->dir, c[0].plot);
        if (asgml_atomic_reserve(final, png) != ASGML_OK) {
            cli_error("%s", asgml_last_error());
            return -1;
        }
        return report_run_gnuplot(gnuplot, out->dir,
                                  report_base_name(out->files[out->n_files - 1].tmp),
                           out->files[out->n_files - 2].tmp, png->tmp, png->path);
    }
    return 0;
}

/* mkdir -p DIR; the directories it creates go to md (outermost first, at
 * most 64) so that a failure can remove them again (issue 13, item 8: a
 * failed --curves left an empty directory). */
int report_make_dir(const char *dir, report_made_dirs *md)
{
    char buf[4096];
    size_t len = strlen(dir);
    if (len >= sizeof buf) {
        cli_error("%s: name too long", dir);
        return -1;
    }
    memcpy(buf, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {   /* mkdir -p */
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, 0777) == 0) {
            if (md->n < 64 && !(md->path[md->n++] = strdup(buf))) {
                md->n--;
                cli_error("out of memory");
                return -1;
            }
        } else if (errno != EEXIST) {
            cli_error("%s: %s", buf, strerror(errno));
            return -1;
        }
        buf[i] = dir[i];
    }
    return 0;
}

void report_release_dirs(report_made_dirs *md, int remove)
{
    while (md->n > 0) {
        md->n--;
        if (remove)
            rmdir(md->path[md->n]);   /* only if empty: never what was there before */
        free(md->path[md->n]);
    }
}

int report_commit_all(curve_out *out, pending *pngs, int n_png)
{
    char **done = calloc((size_t)(out->n_files + n_png) + 1, sizeof *done);
    int n_done = 0, st = -1;
    if (!done) {
        cli_error("out of memory");
        return -1;
    }
    for (int i = 0; i < out->n_files + n_png; i++) {
        pending *p = i < out->n_files ? &out->files[i] : &pngs[i - out->n_files];
        if (!p->tmp)
            continue;
        if (!(done[n_done] = strdup(p->path))) {
            cli_error("out of memory");
            goto out;
        }
        if (asgml_atomic_commit(p) != ASGML_OK) {
            free(done[n_done]);
            cli_error("%s", asgml_last_error());
            goto out;
        }
        n_done++;
    }
    st = 0;
out:
    for (int i = 0; i < n_done; i++) {   /* a failure after some commits: remove them */
        if (st != 0)
            unlink(done[i]);
        free(done[i]);
    }
    free(done);
    return st;
}

/* a new curve; -1 when out of memory */
static int add_curve(curve **c, int *n, const char *plot, const char *series, const char *key,
                     int by_step)
{
    curve *grown = realloc(*c, (*n + 1) * sizeof **c);
    if (!grown)
        return -1;
    *c = grown;
    grown[*n].plot = strdup(plot);
    grown[*n].series = strdup(series);
    grown[*n].key = strdup(key);
    grown[*n].by_step = by_step;
    (*n)++;
    return 0;
}

/* max_x[0]: the last epoch, max_x[1]: the last step of any run */
static int collect_curves(report *rep, curve **out, int *n_out, int *max_x)
{
    int *max_epoch = &max_x[0];
    curve *c = NULL;
    int n = 0;
    *max_epoch = -1;
    max_x[1] = -1;
    for (int r = 0; r < rep->n_runs; r++) {
        report_run *run = &rep->runs[r];
        json_t *mods = json_object_get(run->summary, "modalities");
        if (report_load_log(run) != 0)
            return -1;
        if ((int)json_array_size(run->epochs) - 1 > *max_epoch)
            *max_epoch = (int)json_array_size(run->epochs) - 1;
        for (size_t e = 0; e < json_array_size(run->epochs); e++) {
            const char *k;
            json_t *v;
            json_object_foreach(json_array_get(run->epochs, e), k, v) {
                char plot[256], series[256];
                int seen = 0;
                for (int i = 0; i < n && !seen; i++)
                    seen = !c[i].by_step && !strcmp(c[i].key, k);
                if (seen || !classify(k, mods, plot, series, sizeof plot))
                    continue;
                if (add_curve(&c, &n, plot, series, k, 0) != 0)
                    goto oom;
            }
        }
        if ((int)json_array_size(run->steps) - 1 > max_x[1])
            max_x[1] = (int)json_array_size(run->steps) - 1;
        for (size_t t = 0; t < json_array_size(run->steps); t++) {   /* steps-<stem> */
            const char *k;
            json_t *v;
            json_object_foreach(json_array_get(run->steps, t), k, v) {
                char plot[256];
                const char *dot = strrchr(k, '.');
                int seen = 0;
                for (int i = 0; i < n && !seen; i++)
                    seen = c[i].by_step && !strcmp(c[i].key, k);
                if (seen || !dot || !is_modality(mods, dot + 1))
                    continue;
                snprintf(plot, sizeof plot, "steps-%.*s", (int)(dot - k), k);
                if (add_curve(&c, &n, plot, dot + 1, k, 1) != 0)
                    goto oom;
            }
        }
    }
    if (n > 1) qsort(c, n, sizeof *c, cmp_curve);
    *out = c;
    *n_out = n;
    return 0;
oom:
    cli_error("out of memory");
    *out = c;
    *n_out = n;
    return -1;
}

static void write_readme(FILE *f, const report *rep, const curve *c, int nc, const char *gnuplot)
{
    fprintf(f, "Training curves written by asgml-report from the log.jsonl of each run,\n"
            "averaged over the runs (seeds) of each group.\n\n"
            "curves.tsv   every point: group, plot, series, log key, epoch, n (runs),\n"
            "             mean, std (sample standard deviation over the seeds; empty when n = 1)\n"
            "PLOT.dat     the same points for gnuplot, one block per group and series\n"
            "PLOT.gp      the gnuplot script that draws PLOT.png\n\n"
            "To draw the PNGs: install gnuplot (Debian: apt-get install gnuplot-nox) and run\n"
            "`gnuplot PLOT.gp` in this directory; asgml-report draws them itself when\n"
            "gnuplot is on PATH (or named by $GNUPLOT) and --no-plot is not given.%s\n\n"
            "Method signals logged per step (asgml.*, boost.*, ogm*, probe.*) are\n"
            "averaged over the steps of each epoch first.\n\nPlots:\n",
            gnuplot ? "" : "\n(No PNGs were drawn this time.)");
    for (int i = 0; i < nc; i++)
        if (c[i].by_step) {
            fprintf(f, "steps-* plots are per optimiser step (x = step; in curves.tsv the epoch\n"
                    "column holds the step there), the mean over the runs of a group.\n");
            break;
        }
    for (int i = 0; i < nc; i++)
        if (i == 0 || strcmp(c[i].plot, c[i - 1].plot)) {
            char title[512], ylabel[512];
            describe(c[i].plot, title, ylabel, sizeof title);
            fprintf(f, "  %-24s %s\n", c[i].plot, title);
        }
    fprintf(f, "\nGroups:\n");
    for (int g = 0; g < rep->n_groups; g++) {
        const report_group *gr = &rep->groups[g];
        fprintf(f, "  %s:", gr->label);
        for (int i = 0; i < gr->n_runs; i++)
            fprintf(f, " %s", rep->runs[gr->runs[i]].dir);
        fputc('\n', f);
    }
}

int report_write_curves(report *rep, const char *dir, int no_plot)
{
    curve_out out = {dir, NULL, 0};
    curve *c = NULL;
    pending *pngs = NULL;
    int nc = 0, max_x[2], st = -1, n_png = 0;
    char *gnuplot = no_plot ? NULL : report_find_gnuplot();
    FILE *tsv = NULL, *readme;
    report_made_dirs md = {{NULL}, 0};
    if (collect_curves(rep, &c, &nc, max_x) != 0)
        goto done;
    if (nc == 0) {
        cli_error("no run log has per-epoch curves to draw");
        goto done;
    }
    if (report_make_dir(dir, &md) != 0)
        goto done;
    pngs = calloc(nc, sizeof *pngs);
    if (!pngs || !(tsv = report_open_tmp(&out, "curves.tsv")))
        goto done;
    fprintf(tsv, "group\tplot\tseries\tkey\tepoch\tn\tmean\tstd\n");
    for (int i = 0; i < nc;) {
        int j = i;
        while (j < nc && !strcmp(c[j].plot, c[i].plot))
            j++;
        if (write_plot(&out, rep, c + i, j - i, max_x, tsv, gnuplot, &pngs[n_png++]) != 0)
            goto done;
        i = j;
    }
    if (!(readme = report_open_tmp(&out, "README")))
        goto done;
    write_readme(readme, rep, c, nc, gnuplot);
    st = report_commit_all(&out, pngs, n_png);
done:
    report_release_dirs(&md, st != 0);
    for (int i = 0; i < out.n_files; i++)   /* a failure leaves nothing behind */
        asgml_atomic_abort(&out.files[i]);
    for (int i = 0; i < n_png; i++)
        asgml_atomic_abort(&pngs[i]);
    for (int i = 0; i < nc; i++) {
        free(c[i].plot);
        free(c[i].series);
        free(c[i].key);
    }
    free(c);
    free(pngs);
    free(out.files);
    free(gnuplot);
    return st;
}
