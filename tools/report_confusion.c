/* SPDX-License-Identifier: MIT */
/* report_confusion.c - asgml-report --confusion FILE: the per-class table
 * and the confusion matrix of a predictions file (asgml-eval(1),
 * asgml/predict.h).
 *
 * M[i][j] = number of samples of true class i predicted as j.  Per class c:
 * support = sum_j M[c][j], predicted = sum_i M[i][c], correct = M[c][c],
 * recall = correct / support, precision = correct / predicted (NA for an
 * empty denominator), f1 = 2 P R / (P + R) (0 when either is NA or 0).
 * Overall: accuracy = sum_c M[c][c] / n and macro-F1 = mean over classes. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asgml/predict.h"
#include "cli.h"
#include "report.h"

typedef struct { char s[96]; } cell;

static void fmt_ratio(cell *c, int64_t a, int64_t b, int digits, int json)
{
    if (!b)
        snprintf(c->s, sizeof c->s, "%s", json ? "null" : "NA");
    else
        snprintf(c->s, sizeof c->s, "%.*f", digits, (double)a / (double)b);
}

/* A name in a delimited table: csv quotes, tsv/markdown replace separators. */
static void put_name(FILE *f, const char *s, const char *format)
{
    if (!strcmp(format, "json")) {
        char *q = asgml_json_quote(s);
        fputs(q ? q : "null", f);
        free(q);
    } else if (!strcmp(format, "csv") && strpbrk(s, ",\"\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        for (; *s; s++)
            fputc(*s == '\t' || *s == '\n' || *s == '|' ? ' ' : *s, f);
    }
}

/* One table: header h[0..nc-1]; rows of cells, column 1 of each row a name. */
static void table(FILE *f, const char *format, const char *const *h, int nc, cell *rows,
                  char *const *names, int nr)
{
    int md = !strcmp(format, "markdown");
    const char *sep = md ? " | " : !strcmp(format, "csv") ? "," : "\t";
    if (md)
        fputs("| ", f);
    for (int k = 0; k < nc; k++)
        fprintf(f, "%s%s", k ? sep : "", h[k]);
    fputs(md ? " |\n|" : "\n", f);
    for (int k = 0; md && k < nc; k++)
        fputs(k == 1 ? "---|" : "---:|", f);
    if (md)
        fputc('\n', f);
    for (int r = 0; r < nr; r++) {
        if (md)
            fputs("| ", f);
        for (int k = 0; k < nc; k++) {
            if (k)
                fputs(sep, f);
            if (k == 1)
                put_name(f, names[r], format);
            else
                fputs(rows[(size_t)r * nc + k].s, f);
        }
        fputs(md ? " |\n" : "\n", f);
    }
}

int report_write_confusion(FILE *f, const char *path, const char *format, int digits)
{
    static const char *const h[] = { "class", "name", "support", "predicted", "correct",
                                     "recall", "precision", "f1" };
    asgml_predictions p;
    int C, json = !strcmp(format, "json");
    int64_t *M, correct = 0;
    double macro_f1 = 0;
    cell *rows, *mrows, acc, mf1;
    const char **mh;
    if (!strcmp(format, "latex")) {
        cli_error("--confusion: format latex is not supported (markdown, csv, tsv, json)");
        return -1;
    }
    if (asgml_predictions_read(path, &p) != ASGML_OK) {
        cli_error("%s", asgml_last_error());
        return -1;
    }
    C = p.num_classes;
    M = calloc((size_t)C * (size_t)C, sizeof *M);
    rows = calloc((size_t)C * 8, sizeof *rows);
    mrows = calloc((size_t)C * (size_t)(C + 2), sizeof *mrows);
    mh = calloc((size_t)C + 2, sizeof *mh);
    if (!M || !rows || !mrows || !mh) {
        free(M), free(rows), free(mrows), free(mh);
        asgml_predictions_free(&p);
        cli_error("out of memory");
        return -1;
    }
    for (int64_t i = 0; i < p.n; i++) {
        M[(size_t)p.labels[i] * C + p.pred[i]]++;
        correct += p.labels[i] == p.pred[i];
    }
    for (int c = 0; c < C; c++) {
        int64_t sup = 0, pred = 0, ok = M[(size_t)c * C + c];
        double r, pr, f1;
        cell *row = rows + (size_t)c * 8;
        for (int j = 0; j < C; j++) {
            sup += M[(size_t)c * C + j];
            pred += M[(size_t)j * C + c];
        }
        r = sup ? (double)ok / (double)sup : 0.0;
        pr = pred ? (double)ok / (double)pred : 0.0;
        f1 = r + pr > 0 ? 2 * pr * r / (pr + r) : 0.0;
        macro_f1 += f1 / C;
        snprintf(row[0].s, sizeof row[0].s, "%d", c);
        snprintf(row[2].s, sizeof row[2].s, "%lld", (long long)sup);
        snprintf(row[3].s, sizeof row[3].s, "%lld", (long long)pred);
        snprintf(row[4].s, sizeof row[4].s, "%lld", (long long)ok);
        fmt_ratio(&row[5], ok, sup, json ? 10 : digits, json);
        fmt_ratio(&row[6], ok, pred, json ? 10 : digits, json);
        snprintf(row[7].s, sizeof row[7].s, "%.*f", json ? 10 : digits, f1);
        snprintf(mrows[(size_t)c * (C + 2)].s, sizeof row[0].s, "%d", c);
        for (int j = 0; j < C; j++)
            snprintf(mrows[(size_t)c * (C + 2) + 2 + j].s, sizeof row[0].s, "%lld",
                     (long long)M[(size_t)c * C + j]);
    }
    fmt_ratio(&acc, correct, p.n, json ? 10 : digits, json);
    snprintf(mf1.s, sizeof mf1.s, "%.*f", json ? 10 : digits, macro_f1);
    if (json) {
        fputs("{\"file\":", f);
        put_name(f, path, "json");
        fprintf(f, ",\"n\":%lld,\"correct\":%lld,\"accuracy\":%s,\"macro_f1\":%s,\"classes\":[",
                (long long)p.n, (long long)correct, acc.s, mf1.s);
        for (int c = 0; c < C; c++) {
            cell *row = rows + (size_t)c * 8;
            fprintf(f, "%s{\"class\":%d,\"name\":", c ? "," : "", c);
            put_name(f, p.class_names[c], "json");
            fprintf(f, ",\"support\":%s,\"predicted\":%s,\"correct\":%s,\"recall\":%s,"
                    "\"precision\":%s,\"f1\":%s}", row[2].s, row[3].s, row[4].s, row[5].s,
                    row[6].s, row[7].s);
        }
        fputs("],\"confusion\":[", f);
        for (int c = 0; c < C; c++) {
            fprintf(f, "%s[", c ? "," : "");
            for (int j = 0; j < C; j++)
                fprintf(f, "%s%lld", j ? "," : "", (long long)M[(size_t)c * C + j]);
            fputc(']', f);
        }
        fputs("]}\n", f);
    } else {
        int md = !strcmp(format, "markdown");
        char (*colname)[16] = calloc((size_t)C, sizeof *colname);
        if (md)
            fprintf(f, "Predictions: %s\n\n", path);
        fprintf(f, "%sn = %lld, correct = %lld, accuracy = %s, macro-F1 = %s\n\n",
                md ? "" : "# ", (long long)p.n, (long long)correct, acc.s, mf1.s);
        table(f, format, h, 8, rows, p.class_names, C);
        fprintf(f, "\n%sconfusion matrix: rows = true class, columns = predicted class\n\n",
                md ? "" : "# ");
        mh[0] = "class";
        mh[1] = "name";
        for (int j = 0; colname && j < C; j++) {
            snprintf(colname[j], sizeof colname[j], "pred.%d", j);
            mh[2 + j] = colname[j];
        }
        if (colname)
            table(f, format, mh, C + 2, mrows, p.class_names, C);
        free(colname);
    }
    free(M);
    free(rows);
    free(mrows);
    free(mh);
    asgml_predictions_free(&p);
    return ferror(f) ? -1 : 0;
}
