/* SPDX-License-Identifier: MIT */
/* report_format.c - asgml-report tables: Markdown (one row per group and
 * metric), LaTeX (booktabs, one row per group, best mean in bold), CSV and
 * TSV (tidy rows with every statistic), JSON (everything, including the
 * per-run values).  Machine formats print 12 significant digits; Markdown
 * and LaTeX print `digits` decimals. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static const char *const formats[] = {"markdown", "latex", "csv", "tsv", "json", NULL};

int report_format_known(const char *format)
{
    for (int i = 0; formats[i]; i++)
        if (!strcmp(formats[i], format))
            return 1;
    return 0;
}

/* Machine formats: 12 significant digits, "" for undefined values. */
static const char *num(char *buf, size_t size, double v)
{
    if (isnan(v))
        buf[0] = '\0';
    else if (isinf(v))
        snprintf(buf, size, "%s", v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, size, "%.12g", v == 0.0 ? 0.0 : v);   /* no "-0" */
    return buf;
}

/* Human formats: fixed decimals; `none` for undefined values. */
static const char *fixed(char *buf, size_t size, double v, int digits, const char *none)
{
    if (isnan(v))
        snprintf(buf, size, "%s", none);
    else {
        snprintf(buf, size, "%.*f", digits, v);
        if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
            memmove(buf, buf + 1, strlen(buf));   /* "-0.0000" -> "0.0000" */
    }
    return buf;
}

static const char *pvalue(char *buf, size_t size, double p)
{
    if (isnan(p))
        snprintf(buf, size, "n/a");
    else if (p < 0.001)
        snprintf(buf, size, "<0.001");
    else
        snprintf(buf, size, "%.3f", p);
    return buf;
}

static int lower_is_better(const char *metric)
{
    return strstr(metric, "loss") != NULL;
}

static void seeds_text(char *buf, size_t size, const report *rep, const report_group *g,
                       const char *sep)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < g->n_runs && at < size; i++) {
        const report_run *r = &rep->runs[g->runs[i]];
        if (r->has_seed)
            at += snprintf(buf + at, size - at, "%s%ld", at ? sep : "", r->seed);
    }
}

static const char *vs_label(const report *rep)
{
    return rep->vs >= 0 ? rep->groups[rep->vs].label : NULL;
}

/* ------------------------------------------------------------- Markdown */

static void md_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|' || *s == '*' || *s == '_' || *s == '`' || *s == '\\')
            fputc('\\', f);
        fputc(*s == '\n' ? ' ' : *s, f);
    }
}

static void write_markdown(FILE *f, const report *rep)
{
    char a[64], b[64], c[64], d[64];
    int dg = rep->digits;
    fprintf(f, "Metric of record: %s (`--record %s`).  Per group of runs: n, mean, sample "
            "standard deviation, min, max and the 95%% confidence interval of the mean "
            "(Student t)%s.\n\n", report_record_description(rep->record),
            report_record_name(rep->record), rep->scale != 1.0 ? "; values in percent" : "");
    fprintf(f, "| Group | Metric | n | Mean | Std | Min | Max | 95%% CI |");
    if (rep->vs >= 0) {
        fprintf(f, " Δ vs ");
        md_text(f, vs_label(rep));
        fprintf(f, " | p | p (Holm) | Test |");
    }
    fprintf(f, "\n|:--|:--|--:|--:|--:|--:|--:|:--|%s\n", rep->vs >= 0 ? "--:|--:|--:|:--|" : "");
    for (int g = 0; g < rep->n_groups; g++) {
        const report_group *gr = &rep->groups[g];
        for (int m = 0; m < rep->n_metrics; m++) {
            const report_cell *cl = &gr->cells[m];
            fputs("| ", f);
            md_text(f, gr->label);
            fputs(" | ", f);
            md_text(f, rep->metrics[m]);
            if (cl->n == 0)
                fprintf(f, " | 0 | n/a | n/a | n/a | n/a | n/a |");
            else {
                fprintf(f, " | %d | %s | %s | ", cl->n, fixed(a, sizeof a, cl->s.mean, dg, "n/a"),
                        fixed(b, sizeof b, cl->s.sd, dg, "n/a"));
                fprintf(f, "%s | %s | ", fixed(a, sizeof a, cl->s.min, dg, "n/a"),
                        fixed(b, sizeof b, cl->s.max, dg, "n/a"));
                if (isnan(cl->s.ci_lo))
                    fprintf(f, "n/a |");
                else
                    fprintf(f, "[%s, %s] |", fixed(c, sizeof c, cl->s.ci_lo, dg, ""),
                            fixed(d, sizeof d, cl->s.ci_hi, dg, ""));
            }
            if (rep->vs >= 0) {
                if (g == rep->vs)
                    fprintf(f, " (reference) | | | |");
                else if (!cl->has_test)
                    fprintf(f, " n/a | n/a | n/a | |");
                else {
                    snprintf(a, sizeof a, "%+.*f", dg, cl->test.diff);
                    fprintf(f, " %s | %s |", a, pvalue(b, sizeof b, cl->test.p));
                    fprintf(f, " %s | %s |", pvalue(b, sizeof b, cl->p_holm),
                            !strcmp(cl->test_kind, "paired") ? "paired t" : "Welch t");
                }
            }
            fputc('\n', f);
        }
    }
    fprintf(f, "\nGroups:\n\n");
    for (int g = 0; g < rep->n_groups; g++) {
        const report_group *gr = &rep->groups[g];
        char seeds[1024];
        seeds_text(seeds, sizeof seeds, rep, gr, ", ");
        fputs("- ", f);
        md_text(f, gr->label);
        fprintf(f, ": %d run%s%s%s%s:", gr->n_runs, gr->n_runs == 1 ? "" : "s",
                !seeds[0] ? "" : strchr(seeds, ',') ? " (seeds " : " (seed ", seeds,
                seeds[0] ? ")" : "");
        for (int i = 0; i < gr->n_runs; i++) {
            fputs(i ? ", " : " ", f);
            md_text(f, rep->runs[gr->runs[i]].dir);
        }
        fputc('\n', f);
    }
    if (rep->n_notes > 0) {
        fprintf(f, "\nNotes:\n\n");
        for (int i = 0; i < rep->n_notes; i++) {
            fputs("- ", f);
            md_text(f, rep->notes[i]);
            fputc('\n', f);
        }
    }
}

/* ---------------------------------------------------------------- LaTeX */

static void tex_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': case '%': case '$': case '#': case '_': case '{': case '}':
            fprintf(f, "\\%c", *s);
            break;
        case '~': fputs("\\textasciitilde{}", f); break;
        case '^': fputs("\\textasciicircum{}", f); break;
        case '\\': fputs("\\textbackslash{}", f); break;
        case '\n': fputc(' ', f); break;
        default: fputc(*s, f);
        }
    }
}

static void write_latex(FILE *f, const report *rep)
{
    char a[64], b[64], c[64];
    int dg = rep->digits;
    fprintf(f, "%% asgml-report: metric of record: %s (--record %s).\n",
            report_record_description(rep->record), report_record_name(rep->record));
    fprintf(f, "%% Cells: mean $\\pm$ sample std over seeds%s, 95%% confidence interval of "
            "the mean\n%% (Student t) in brackets; bold: best mean per column among groups "
            "whose runs all completed.\n", rep->scale != 1.0 ? " (percent)" : "");
    if (rep->vs >= 0) {
        fprintf(f, "%% Delta and p: difference to ");
        fputs(vs_label(rep), f);
        fprintf(f, " and the two-sided t-test p-value (paired by seed when the seeds match).\n");
    }
    fprintf(f, "%% Needs \\usepackage{booktabs}.\n\\begin{tabular}{lr");
    for (int m = 0; m < rep->n_metrics; m++)
        fputc('c', f);
    fprintf(f, "}\n\\toprule\nGroup & $n$");
    for (int m = 0; m < rep->n_metrics; m++) {
        fputs(" & ", f);
        tex_text(f, rep->metrics[m]);
    }
    fprintf(f, " \\\\\n\\midrule\n");
    for (int g = 0; g < rep->n_groups; g++) {
        const report_group *gr = &rep->groups[g];
        tex_text(f, gr->label);
        fprintf(f, " & %d", gr->n_runs);
        for (int m = 0; m < rep->n_metrics; m++) {
            const report_cell *cl = &gr->cells[m];
            int bold = 0;
            fputs(" & ", f);
            if (cl->n == 0) {
                fputs("--", f);
                continue;
            }
            /* bold when no complete group has a better mean at the shown precision */
            if (!strcmp(gr->status, "complete")) {
                double mine = atof(fixed(a, sizeof a, cl->s.mean, dg, "0"));
                bold = 1;
                for (int h = 0; h < rep->n_groups; h++) {
                    const report_cell *o = &rep->groups[h].cells[m];
                    double other;
                    if (o->n == 0 || strcmp(rep->groups[h].status, "complete"))
                        continue;
                    other = atof(fixed(b, sizeof b, o->s.mean, dg, "0"));
                    if (lower_is_better(rep->metrics[m]) ? other < mine : other > mine)
                        bold = 0;
                }
            }
            fixed(a, sizeof a, cl->s.mean, dg, "--");
            fprintf(f, bold ? "\\textbf{%s}" : "%s", a);
            if (cl->n >= 2)
                fprintf(f, " $\\pm$ %s {\\scriptsize[%s, %s]}", fixed(a, sizeof a, cl->s.sd, dg, ""),
                        fixed(b, sizeof b, cl->s.ci_lo, dg, ""),
                        fixed(c, sizeof c, cl->s.ci_hi, dg, ""));
            else
                fprintf(f, " {\\scriptsize($n = %d$)}", cl->n);
            if (cl->has_test)
                fprintf(f, " {\\scriptsize$\\Delta$ %+.*f, $p$ %s%s}", dg, cl->test.diff,
                        cl->test.p < 0.001 ? "" : "= ", pvalue(a, sizeof a, cl->test.p));
        }
        fprintf(f, " \\\\\n");
    }
    fprintf(f, "\\bottomrule\n\\end{tabular}\n");
    for (int i = 0; i < rep->n_notes; i++)
        fprintf(f, "%% Note: %s\n", rep->notes[i]);
}

/* ------------------------------------------------------------ CSV / TSV */

static void sv_field(FILE *f, const char *s, char sep)
{
    if (sep == ',' && strpbrk(s, ",\"\n\r")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else if (sep == '\t') {
        for (; *s; s++)
            fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
    } else {
        fputs(s, f);
    }
}

static void write_sv(FILE *f, const report *rep, char sep)
{
    static const char *const head[] = {"group", "status", "record", "metric", "n", "mean",
                                       "std", "min", "max", "ci95_lo", "ci95_hi", "seeds", NULL};
    static const char *const vs_head[] = {"vs", "diff", "test", "t", "df", "p", "p_holm", NULL};
    char buf[64], seeds[1024];
    for (int i = 0; head[i]; i++)
        fprintf(f, "%s%s", i ? (sep == ',' ? "," : "\t") : "", head[i]);
    for (int i = 0; rep->vs >= 0 && vs_head[i]; i++)
        fprintf(f, "%c%s", sep, vs_head[i]);
    fputc('\n', f);
    for (int g = 0; g < rep->n_groups; g++) {
        const report_group *gr = &rep->groups[g];
        seeds_text(seeds, sizeof seeds, rep, gr, " ");
        for (int m = 0; m < rep->n_metrics; m++) {
            const report_cell *cl = &gr->cells[m];
            double stats[6] = {cl->s.mean, cl->s.sd, cl->s.min, cl->s.max, cl->s.ci_lo,
                               cl->s.ci_hi};
            sv_field(f, gr->label, sep);
            fputc(sep, f);
            sv_field(f, gr->status, sep);
            fprintf(f, "%c%s%c", sep, report_record_name(rep->record), sep);
            sv_field(f, rep->metrics[m], sep);
            fprintf(f, "%c%d", sep, cl->n);
            for (int i = 0; i < 6; i++)
                fprintf(f, "%c%s", sep, cl->n ? num(buf, sizeof buf, stats[i]) : "");
            fputc(sep, f);
            sv_field(f, seeds, sep);
            if (rep->vs >= 0) {
                double t[4] = {cl->test.diff, cl->test.t, cl->test.df, cl->test.p};
                fputc(sep, f);
                sv_field(f, vs_label(rep), sep);
                fprintf(f, "%c%s", sep, cl->has_test ? num(buf, sizeof buf, t[0]) : "");
                fprintf(f, "%c%s", sep, cl->has_test ? cl->test_kind : "");
                for (int i = 1; i < 4; i++)
                    fprintf(f, "%c%s", sep, cl->has_test ? num(buf, sizeof buf, t[i]) : "");
                fprintf(f, "%c%s", sep, cl->has_test ? num(buf, sizeof buf, cl->p_holm) : "");
            }
            fputc('\n', f);
        }
    }
}

/* ----------------------------------------------------------------- JSON */

static void js_str(FILE *f, const char *s)
{
    char *q = asgml_json_quote(s);
    fputs(q ? q : "null", f);
    free(q);
}

static void js_num(FILE *f, double v)
{
    char buf[64];
    fputs(isfinite(v) ? num(buf, sizeof buf, v) : "null", f);
}

static void write_json(FILE *f, const report *rep)
{
    fprintf(f, "{\n  \"record\": \"%s\",\n  \"record_description\": ",
            report_record_name(rep->record));
    js_str(f, report_record_description(rep->record));
    fprintf(f, ",\n  \"confidence\": 0.95,\n  \"scale\": ");
    js_num(f, rep->scale);
    fprintf(f, ",\n  \"vs\": ");
    if (rep->vs >= 0)
        js_str(f, vs_label(rep));
    else
        fputs("null", f);
    fprintf(f, ",\n  \"metrics\": [");
    for (int m = 0; m < rep->n_metrics; m++) {
        fputs(m ? ", " : "", f);
        js_str(f, rep->metrics[m]);
    }
    fprintf(f, "],\n  \"groups\": [");
    for (int g = 0; g < rep->n_groups; g++) {
        const report_group *gr = &rep->groups[g];
        const char *k;
        json_t *v;
        int first = 1;
        fprintf(f, "%s\n    {\n      \"label\": ", g ? "," : "");
        js_str(f, gr->label);
        fprintf(f, ",\n      \"method\": ");
        js_str(f, gr->method);
        fprintf(f, ",\n      \"status\": ");
        js_str(f, gr->status);
        fprintf(f, ",\n      \"grouping\": {");
        json_object_foreach(gr->items, k, v) {
            if (!strcmp(k, "status"))
                continue;
            fprintf(f, "%s", first ? "" : ", ");
            js_str(f, k);
            fputs(": ", f);
            js_str(f, json_string_value(v));
            first = 0;
        }
        fprintf(f, "},\n      \"runs\": [");
        for (int i = 0; i < gr->n_runs; i++) {
            const report_run *r = &rep->runs[gr->runs[i]];
            fprintf(f, "%s{\"dir\": ", i ? ", " : "");
            js_str(f, r->dir);
            fprintf(f, ", \"seed\": ");
            if (r->has_seed)
                fprintf(f, "%ld", r->seed);
            else
                fputs("null", f);
            fprintf(f, ", \"status\": ");
            js_str(f, r->status);
            fprintf(f, ", \"epoch\": ");
            if (r->record && r->record_epoch >= 0)
                fprintf(f, "%d}", r->record_epoch);
            else
                fputs("null}", f);
        }
        fprintf(f, "],\n      \"metrics\": {");
        for (int m = 0; m < rep->n_metrics; m++) {
            const report_cell *cl = &gr->cells[m];
            fprintf(f, "%s\n        ", m ? "," : "");
            js_str(f, rep->metrics[m]);
            fprintf(f, ": {\"n\": %d", cl->n);
            if (cl->n > 0) {
                fputs(", \"mean\": ", f);
                js_num(f, cl->s.mean);
                fputs(", \"std\": ", f);
                js_num(f, cl->s.sd);
                fputs(", \"min\": ", f);
                js_num(f, cl->s.min);
                fputs(", \"max\": ", f);
                js_num(f, cl->s.max);
                fputs(", \"ci95\": [", f);
                js_num(f, cl->s.ci_lo);
                fputs(", ", f);
                js_num(f, cl->s.ci_hi);
                fputs("], \"values\": [", f);
                for (int i = 0; i < cl->n; i++) {
                    fputs(i ? ", " : "", f);
                    js_num(f, cl->values[i]);
                }
                fputc(']', f);
            }
            if (cl->has_test) {
                fprintf(f, ",\n          \"vs\": {\"test\": \"%s\", \"diff\": ", cl->test_kind);
                js_num(f, cl->test.diff);
                fputs(", \"t\": ", f);
                js_num(f, cl->test.t);
                fputs(", \"df\": ", f);
                js_num(f, cl->test.df);
                fputs(", \"p\": ", f);
                js_num(f, cl->test.p);
                fputs(", \"p_holm\": ", f);
                js_num(f, cl->p_holm);
                fputc('}', f);
            }
            fputc('}', f);
        }
        fprintf(f, "\n      }\n    }");
    }
    fprintf(f, "\n  ],\n  \"notes\": [");
    for (int i = 0; i < rep->n_notes; i++) {
        fprintf(f, "%s\n    ", i ? "," : "");
        js_str(f, rep->notes[i]);
    }
    fprintf(f, "%s]\n}\n", rep->n_notes ? "\n  " : "");
}

int report_write_table(FILE *f, const report *rep, const char *format)
{
    if (!strcmp(format, "markdown"))
        write_markdown(f, rep);
    else if (!strcmp(format, "latex"))
        write_latex(f, rep);
    else if (!strcmp(format, "csv"))
        write_sv(f, rep, ',');
    else if (!strcmp(format, "tsv"))
        write_sv(f, rep, '\t');
    else if (!strcmp(format, "json"))
        write_json(f, rep);
    else
        return -1;
    return ferror(f) ? -1 : 0;
}
