/* SPDX-License-Identifier: MIT */
/* report_tsne.c - asgml-report --tsne FEATURES: feature-drift maps
 * (asgml-report(1), t-SNE maps).  For every checkpoint group of a features
 * file (asgml-probe --features) and every modality: the rows of one part
 * (test by default; every k-th row, k = ceil(n / max_points), when there
 * are more), an exact t-SNE map (asgml/tsne.h) and its trustworthiness at
 * k = 10.  Written into DIR:
 *   tsne.tsv                   one line per map: group, epochs, modality,
 *                              part, n, d, perplexity, init, iterations,
 *                              kl, trustworthiness
 *   tsne-GROUP-MOD.tsv         the map: row (in the part), label, class,
 *                              x, y
 *   tsne-GROUP-MOD.dat / .gp   the points for gnuplot, one block per class,
 *                              and the script that draws
 *   tsne-GROUP-MOD.png         (when gnuplot runs) coloured by class.
 * Every file is written under a temporary name and renamed when all are
 * complete (a failure leaves nothing behind). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/probe_eval.h"
#include "asgml/tsne.h"
#include "cli.h"
#include "report.h"

#define TSNE_TRUST_K 10

/* The rows kept: every k-th, k = ceil(n / max) (all when n <= max). */
static int64_t thin(float *x, int32_t *labels, int64_t n, int64_t d, long max, int64_t *rows)
{
    int64_t k = max > 0 && n > max ? (n + max - 1) / max : 1, m = 0;
    for (int64_t i = 0; i < n; i += k, m++) {
        rows[m] = i;
        if (m != i) {
            memmove(x + m * d, x + i * d, (size_t)d * sizeof *x);
            labels[m] = labels[i];
        }
    }
    return m;
}

static const char *class_name(const asgml_features_index *ix, int32_t c, char *buf, size_t n)
{
    if (c >= 0 && c < ix->num_classes && ix->class_names[c][0])
        return ix->class_names[c];
    snprintf(buf, n, "%d", (int)c);
    return buf;
}

/* The files of one map; y (n, 2). */
static int write_map(curve_out *out, const asgml_features_index *ix, const asgml_features_group *g,
                     const char *mod, const char *part, const int64_t *rows, const int32_t *labels,
                     const double *y, int64_t n, const char *gnuplot, pending *png)
{
    char stem[400], name[420], title[600], buf[32];
    FILE *tsv, *dat, *gp;
    int block = 0, maxc = -1;
    snprintf(stem, sizeof stem, "tsne-%s-%s", g->name, mod);
    snprintf(name, sizeof name, "%s.tsv", stem);
    if (!(tsv = report_open_tmp(out, name)))
        return -1;
    fprintf(tsv, "row\tlabel\tclass\tx\ty\n");
    for (int64_t i = 0; i < n; i++) {
        fprintf(tsv, "%lld\t%d\t%s\t%.9g\t%.9g\n", (long long)rows[i], (int)labels[i],
                class_name(ix, labels[i], buf, sizeof buf), y[2 * i], y[2 * i + 1]);
        if (labels[i] > maxc)
            maxc = labels[i];
    }
    snprintf(name, sizeof name, "%s.dat", stem);
    if (!(dat = report_open_tmp(out, name)))
        return -1;
    snprintf(name, sizeof name, "%s.gp", stem);
    if (!(gp = report_open_tmp(out, name)))
        return -1;
    snprintf(title, sizeof title, "t-SNE of the %s features, %s (%s, %d epochs), %s part",
             mod, g->name, g->method[0] ? g->method : "?", g->epochs_completed, part);
    fprintf(dat, "# %s.dat - written by asgml-report --tsne: %s\n"
            "# one block per class (gnuplot index 0, 1, ...); columns: x, y\n", stem, title);
    fprintf(gp, "# %s.gp - written by asgml-report --tsne; draws %s.png from %s.dat:\n"
            "#   gnuplot %s.gp\n", stem, stem, stem, stem);
    fprintf(gp, "if (!exists(\"datafile\")) datafile = '%s.dat'\n", stem);
    fprintf(gp, "if (!exists(\"outfile\")) outfile = '%s.png'\n", stem);
    fprintf(gp, "if (strstrt(GPVAL_TERMINALS, \"pngcairo\") > 0) {\n"
            "    set terminal pngcairo size 900,800 noenhanced font \",11\"\n"
            "} else {\n    set terminal png size 900,800 noenhanced\n}\n"
            "set output outfile\nset title ");
    report_gp_quote(gp, title);
    fprintf(gp, "\nset key outside right top box\nset size ratio -1\n"
            "unset xtics\nunset ytics\nplot \\\n");
    for (int c = 0; c <= maxc; c++) {
        int any = 0;
        for (int64_t i = 0; i < n; i++)
            if (labels[i] == c) {
                if (!any)
                    fprintf(dat, "%s# class %d %s\n", block ? "\n\n" : "", c,
                            class_name(ix, c, buf, sizeof buf));
                any = 1;
                fprintf(dat, "%.9g %.9g\n", y[2 * i], y[2 * i + 1]);
            }
        if (!any)
            continue;
        /* gnuplot cycles 8 colours: the point shape changes every 8 classes */
        fprintf(gp, "%s    datafile index %d using 1:2 with points pt %d ps 0.7 lc %d title ",
                block ? ", \\\n" : "", block, (int[]){7, 5, 9, 11, 13}[c / 8 % 5], c % 8 + 1);
        report_gp_quote(gp, class_name(ix, c, buf, sizeof buf));
        block++;
    }
    fputc('\n', gp);
    if (report_flush_tmp(gp, out->files[out->n_files - 1].tmp) != 0 ||
        report_flush_tmp(dat, out->files[out->n_files - 2].tmp) != 0 ||
        report_flush_tmp(tsv, out->files[out->n_files - 3].tmp) != 0)
        return -1;
    if (gnuplot && block > 0) {
        char final[4096];
        snprintf(final, sizeof final, "%s/%s.png", out->dir, stem);
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

/* One map: read, thin, embed, score, write; a line of tsne.tsv. */
static int one_map(curve_out *out, const char *features, const asgml_features_index *ix,
                   const asgml_features_group *g, const char *mod, const report_tsne_options *o,
                   FILE *summary, const char *gnuplot, pending *png)
{
    float *x = NULL;
    int32_t *labels = NULL;
    int64_t n, d, *rows = NULL;
    double *y = NULL, kl = NAN, trust = NAN;
    int iters = 0, st = -1;
    asgml_tsne_config c;
    asgml_status rc = asgml_features_read(features, g->name, o->part, mod, &x, &labels, &n, &d);
    if (rc != ASGML_OK) {
        cli_error("%s", asgml_last_error());
        return -1;
    }
    rows = malloc((size_t)(n > 0 ? n : 1) * sizeof *rows);
    y = malloc((size_t)(n > 0 ? n : 1) * 2 * sizeof *y);
    if (!rows || !y) {
        cli_error("out of memory");
        goto done;
    }
    n = thin(x, labels, n, d, o->max_points, rows);
    asgml_tsne_defaults(&c);
    c.perplexity = o->perplexity;
    if (o->seed >= 0) {
        c.init = ASGML_TSNE_INIT_RANDOM;
        c.seed = (uint64_t)o->seed;
    }
    if (!(o->perplexity < (double)(n - 1))) {
        cli_error("%s: %s/%s/%s: %lld points are too few for perplexity %g (it must be "
                  "below n - 1; lower --perplexity)", features, g->name, o->part, mod,
                  (long long)n, o->perplexity);
        goto done;
    }
    if ((rc = asgml_tsne_run(x, n, d, &c, y, &kl, &iters)) != ASGML_OK ||
        (n > 2 * TSNE_TRUST_K &&
         (rc = asgml_trustworthiness(x, n, d, y, 2, TSNE_TRUST_K, &trust)) != ASGML_OK)) {
        cli_error("%s: %s/%s/%s: %s", features, g->name, o->part, mod, asgml_last_error());
        goto done;
    }
    fprintf(summary, "%s\t%d\t%s\t%s\t%lld\t%lld\t%g\t%s\t%d\t%.6f\t%.6f\n", g->name,
            g->epochs_completed, mod, o->part, (long long)n, (long long)d, o->perplexity,
            o->seed >= 0 ? "random" : "pca", iters + 1, kl, trust);
    st = write_map(out, ix, g, mod, o->part, rows, labels, y, n, gnuplot, png);
done:
    free(x);
    free(labels);
    free(rows);
    free(y);
    return st;
}

int report_write_tsne(const char *features, const char *dir, const report_tsne_options *o,
                      int no_plot)
{
    curve_out out = {dir, NULL, 0};
    asgml_features_index ix;
    pending *pngs = NULL;
    int n_png = 0, st = -1, total = 0;
    char *gnuplot = no_plot ? NULL : report_find_gnuplot();
    FILE *summary;
    report_made_dirs md = {{NULL}, 0};
    if (asgml_features_index_read(features, &ix) != ASGML_OK) {
        cli_error("%s", asgml_last_error());
        free(gnuplot);
        return -1;
    }
    for (int g = 0; g < ix.num_groups; g++)
        total += ix.groups[g].num_modalities;
    pngs = calloc((size_t)total, sizeof *pngs);
    if (!pngs || report_make_dir(dir, &md) != 0 || !(summary = report_open_tmp(&out, "tsne.tsv")))
        goto done;
    fprintf(summary, "group\tepochs\tmodality\tpart\tn\td\tperplexity\tinit\titerations\tkl"
            "\ttrustworthiness_%d\n", TSNE_TRUST_K);
    for (int g = 0; g < ix.num_groups; g++)
        for (int m = 0; m < ix.groups[g].num_modalities; m++)
            if (one_map(&out, features, &ix, &ix.groups[g], ix.groups[g].modalities[m], o,
                        summary, gnuplot, &pngs[n_png++]) != 0)
                goto done;
    st = report_commit_all(&out, pngs, n_png);
done:
    report_release_dirs(&md, st != 0);
    for (int i = 0; i < out.n_files; i++)   /* a failure leaves nothing behind */
        asgml_atomic_abort(&out.files[i]);
    for (int i = 0; i < n_png; i++)
        asgml_atomic_abort(&pngs[i]);
    asgml_features_index_free(&ix);
    free(pngs);
    free(out.files);
    free(gnuplot);
    return st;
}
