/* SPDX-License-Identifier: MIT */
/* report.h - the pieces of asgml-report: run loading and grouping
 * (report_runs.c), tables in five formats (report_format.c) and curves
 * (report_curves.c).  These are tool code: they print their errors with
 * cli_error() and return -1; main() turns that into exit status 1. */
#ifndef ASGML_TOOLS_REPORT_H
#define ASGML_TOOLS_REPORT_H

#include <stdio.h>

#include <jansson.h>

#include "asgml/stats.h"

/* The metric of record: which epoch of a run the table reports. */
typedef enum {
    REPORT_LAST = 0,      /* the last epoch trained */
    REPORT_BEST_VAL = 1,  /* the epoch with the best val.acc (needs a validation split) */
    REPORT_BEST_TEST = 2  /* the epoch with the best test.acc (optimistic: selected on test) */
} report_record_kind;

typedef enum { REPORT_TEST_AUTO = 0, REPORT_TEST_WELCH = 1, REPORT_TEST_PAIRED = 2 } report_test_mode;

typedef struct report_run {
    char *dir;            /* the run directory as named on input */
    char *status;         /* summary.json "status" */
    char *method;         /* summary "method", else config "method" */
    long seed;
    int has_seed;
    int epochs_completed; /* summary "epochs_completed" (-1 when absent) */
    json_t *config;       /* config.json: flat object of dotted keys */
    json_t *summary;      /* summary.json */
    json_t *record;       /* metric of record (object of numbers); NULL: unavailable */
    int record_epoch;
    json_t *epochs;       /* per-epoch objects from log.jsonl (NULL until loaded):
                           * epoch-record numbers plus per-epoch means of the
                           * method signals logged per step */
    json_t *steps;        /* per optimiser step (index = step; {} when not
                           * logged): the staleness signals of asgml-freq and
                           * asgml-stale (report_is_step_key), loaded with epochs */
} report_run;

/* Method signals drawn by --curves (per-step values averaged over each
 * epoch): asgml.* (ASGML v1 taus, masks, update rates), boost.* (asgml-boost's
 * scales and probe accuracies, asgml-methods(7)), ogm* (OGM-GE) and probe.*. */
int report_is_signal_key(const char *key);

/* Per-step keys kept for the steps-* curves: asgml.tau, tau_hat, mask, age,
 * stale (each .<modality>). */
int report_is_step_key(const char *key);

typedef struct report_cell {
    int n;                /* runs that have the metric */
    double *values;       /* n values (scaled), in the group's run order */
    long *seeds;          /* the run seeds of those values (-1: no seed) */
    asgml_summary s;      /* valid when n >= 1 */
    int has_test;         /* a comparison with the --vs group was made */
    const char *test_kind; /* "paired" or "welch" */
    asgml_ttest test;
    double p_holm;        /* test.p Holm-adjusted over the family of this metric's
                           * comparisons with the --vs group (NaN: no test) */
} report_cell;

typedef struct report_group {
    char *key;            /* canonical "k=v\n..." of the grouping keys */
    char *label;          /* "asgml-boost alpha=0.75" */
    char *method;
    char *status;         /* "complete" or the status of its runs */
    json_t *items;        /* grouping key -> value text */
    int *runs;            /* indices into report.runs */
    int n_runs;
    report_cell *cells;   /* one per metric */
} report_group;

typedef struct report {
    report_run *runs;
    int n_runs;
    report_group *groups;
    int n_groups;
    char **metrics;
    int n_metrics;
    report_record_kind record;
    int vs;               /* index of the --vs group, -1 for none */
    double scale;         /* 1, or 100 with --percent */
    int digits;           /* decimals in Markdown and LaTeX */
    char **notes;
    int n_notes;
} report;

/* report_runs.c */
int report_add_run(report *rep, const char *path);
int report_load_log(report_run *run);
int report_select_records(report *rep);
int report_group_runs(report *rep, char **by, int n_by, char **ignore, int n_ignore);
/* Default metrics (test.acc, test.f1, test.acc.<modality>...) or "all". */
int report_default_metrics(report *rep, int all);
void report_sort_groups(report *rep, const char *sort_key);
int report_find_group(const report *rep, const char *name);
/* The group holding run PATH (a run directory or its summary.json, the same
 * file as one of the runs read, however named), -1 if none. */
int report_find_run_group(const report *rep, const char *path);
int report_compute(report *rep, report_test_mode mode);
void report_note(report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report_free(report *rep);
const char *report_record_name(report_record_kind k);         /* "last" */
const char *report_record_description(report_record_kind k);  /* "last epoch" */
/* Shortest text that reads back as v ("0.75"). */
void report_format_number(char *buf, size_t size, double v);

/* report_format.c: format is markdown, latex, csv, tsv or json. */
int report_format_known(const char *format);
int report_write_table(FILE *f, const report *rep, const char *format);

/* report_curves.c: data files (and PNGs through gnuplot unless no_plot)
 * into dir, created if missing. */
int report_write_curves(report *rep, const char *dir, int no_plot);

/* The files of a figure directory (report_curves.c, used by report_tsne.c):
 * every file is opened under a temporary name in dir (report_open_tmp) and
 * committed when all are complete; report_run_gnuplot draws a PNG from a
 * script and a data file given by their temporary names.  Each prints its
 * error and returns NULL / -1. */
#include "asgml/atomic_file.h"
typedef asgml_atomic_file pending;   /* temporary file -> final name */
typedef struct curve_out {
    const char *dir;
    pending *files;
    int n_files;
} curve_out;
FILE *report_open_tmp(curve_out *out, const char *name);
int report_flush_tmp(FILE *f, const char *name);
void report_gp_quote(FILE *f, const char *s);
char *report_find_gnuplot(void);               /* $GNUPLOT or PATH; NULL: none */
const char *report_base_name(const char *path);
int report_run_gnuplot(const char *prog, const char *dir, const char *script,
                       const char *dat_tmp, const char *png_tmp, const char *png_final);
/* mkdir -p dir, recording the directories it creates in md; release them
 * with report_release_dirs(md, remove): remove != 0 after a failure rmdirs
 * them (the empty ones) so that a failed figure run leaves nothing. */
typedef struct report_made_dirs { char *path[64]; int n; } report_made_dirs;
int report_make_dir(const char *dir, report_made_dirs *md);
void report_release_dirs(report_made_dirs *md, int remove);
/* Commit out's files, then the PNGs (entries without a temporary file are
 * skipped); if one fails, the ones already committed are removed: 0 / -1. */
int report_commit_all(curve_out *out, pending *pngs, int n_png);

/* report_tsne.c: --tsne FEATURES: one t-SNE map per checkpoint group and
 * modality of a features file (asgml-probe --features) into dir. */
typedef struct report_tsne_options {
    const char *part;          /* "test" (default) or "train" */
    double perplexity;         /* 30 */
    long max_points;           /* 2000: every k-th row above it */
    long seed;                 /* -1: PCA initialisation, else random from this seed */
} report_tsne_options;
int report_write_tsne(const char *features, const char *dir, const report_tsne_options *o,
                      int no_plot);
/* --confusion FILE: per-class table and confusion matrix of a predictions
 * file (report_confusion.c) in markdown, csv, tsv or json; -1 after
 * printing the error. */
int report_write_confusion(FILE *f, const char *path, const char *format, int digits);

/* report_tensorboard.c: every run's log.jsonl as TensorBoard event files
 * in DIR/LABEL/ (the layout at the top of report_tensorboard.c). */
int report_write_tensorboard(report *rep, const char *dir);

#endif
