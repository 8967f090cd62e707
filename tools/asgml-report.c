/* SPDX-License-Identifier: MIT */
/* asgml-report.c - tables and curves over asgml-train run directories
 * (man asgml-report).  Runs are grouped by their resolved configuration
 * minus the seed (or --by KEYS); each group and metric gets n, mean,
 * sample std, min, max and a 95% Student-t interval, optionally compared
 * with one group (--vs) by a paired or Welch t-test. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asgml/common.h"
#include "asgml/atomic_file.h"
#include "cli.h"
#include "report.h"

static void usage(void)
{
    printf("Usage: asgml-report [OPTION]... [RUN]...\n"
           "Summarise asgml-train runs: group them by configuration (minus the seed),\n"
           "give n, mean, std, min, max and a 95%% confidence interval per metric, and\n"
           "draw per-epoch curves.  RUN is a run directory or its summary.json; with no\n"
           "RUN, or RUN '-', run paths are read one per line from standard input, so\n"
           "`find runs -name summary.json | asgml-report` works.\n\n"
           "  -f, --format=FMT     markdown (default), latex, csv, tsv or json\n"
           "  -o, --output=FILE    write the table to FILE instead of standard output\n"
           "  -m, --metrics=LIST   comma-separated metrics of the record, or 'all'\n"
           "                       (default: test.acc, test.f1, test.acc.<modality>)\n"
           "  -r, --record=WHICH   metric of record: last (default), best-val (epoch with\n"
           "                       the best val.acc) or best-test (best test.acc)\n"
           "      --by=KEYS        group by these comma-separated config keys only\n"
           "      --ignore=KEYS    config keys that never separate groups (added to seed,\n"
           "                       out, store, path, threads, jobs, device, ...)\n"
           "      --vs=GROUP       compare every group with GROUP (its label, or a unique\n"
           "                       part of it): difference and t-test p-value\n"
           "      --vs-run=RUN     compare every group with the group holding RUN (one of\n"
           "                       the runs read, named as a run directory or its\n"
           "                       summary.json)\n"
           "      --test=KIND      auto (default: paired when both groups have the same\n"
           "                       seeds, else Welch), paired or welch\n"
           "  -s, --sort=KEY       order groups by label (default) or by the mean of a\n"
           "                       metric, largest first\n"
           "      --percent        multiply metric values by 100\n"
           "      --digits=N       decimals in markdown and latex tables (default 4)\n"
           "  -c, --curves=DIR     also write per-epoch curves (data, gnuplot scripts and,\n"
           "                       when gnuplot is installed, PNGs) into DIR\n"
           "      --no-plot        write the curve data and scripts but do not run gnuplot\n"
           "      --tensorboard=DIR  also write every run's log as TensorBoard event\n"
           "                       files into DIR/RUN/ (scalars per step and per epoch)\n"
           "      --tsne=FILE      t-SNE maps of a features file (asgml-probe --features)\n"
           "                       instead of the runs table: one map per checkpoint and\n"
           "                       modality, coloured by class, into the --curves DIR\n"
           "      --tsne-part=PART the part mapped: test (default) or train\n"
           "      --perplexity=P   t-SNE perplexity (default 30)\n"
           "      --tsne-max=N     at most N points per map: every k-th row (default 2000)\n"
           "      --tsne-seed=N    random initialisation from seed N (default: PCA)\n"
           "      --confusion=FILE per-class table and confusion matrix of a predictions\n"
           "                       file (asgml-eval --predictions, .tsv or .h5) instead of\n"
           "                       the runs table (no RUN is read)\n"
           "      --help           display this help and exit\n"
           "      --version        output version information and exit\n\n"
           "Exit status: 0 success, 1 failure (unreadable run, no runs), 2 usage error.\n");
}

/* "a,b,c" -> {"a","b","c"} (empty items dropped); the strings live in s. */
static char **split_list(char *s, int *n)
{
    char **v = NULL, *save = NULL, *tok;
    *n = 0;
    for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char **grown = realloc(v, (*n + 1) * sizeof *v);
        if (!grown) {
            cli_error("out of memory");
            exit(CLI_EXIT_FAILURE);
        }
        v = grown;
        v[(*n)++] = tok;
    }
    return v;
}

static int read_stdin_runs(report *rep)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int st = 0;
    while (st == 0 && (len = getline(&line, &cap, stdin)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len > 0)
            st = report_add_run(rep, line);
    }
    if (st == 0 && ferror(stdin)) {
        cli_error("standard input: %s", strerror(errno));
        st = -1;
    }
    free(line);
    return st;
}

/* The table goes to a temporary file beside FILE, renamed when complete. */
static int write_output(const report *rep, const char *format, const char *path)
{
    asgml_atomic_file af;
    if (!path || !strcmp(path, "-"))
        return report_write_table(stdout, rep, format);
    if (asgml_atomic_open(path, &af) != ASGML_OK) {
        cli_error("%s", asgml_last_error());
        return -1;
    }
    if (report_write_table(af.f, rep, format) != 0) {
        cli_error("%s: write error: %s", path, strerror(errno ? errno : EIO));
        asgml_atomic_abort(&af);
        return -1;
    }
    if (asgml_atomic_commit(&af) != ASGML_OK) {
        cli_error("%s", asgml_last_error());
        return -1;
    }
    return 0;
}

/* --confusion: to standard output or atomically to FILE. */
static int write_confusion(const char *pred, const char *format, const char *path, int digits)
{
    asgml_atomic_file af;
    if (!path || !strcmp(path, "-"))
        return report_write_confusion(stdout, pred, format, digits);
    if (asgml_atomic_open(path, &af) != ASGML_OK) {
        cli_error("%s", asgml_last_error());
        return -1;
    }
    if (report_write_confusion(af.f, pred, format, digits) != 0) {
        asgml_atomic_abort(&af);
        return -1;
    }
    if (asgml_atomic_commit(&af) != ASGML_OK) {
        cli_error("%s", asgml_last_error());
        return -1;
    }
    return 0;
}

/* The getopt_long switch over every option, then the run: one function,
 * long by design (coreutils style; the work itself is in the library). */
int main(int argc, char **argv)
{
    enum { OPT_BY = 256, OPT_IGNORE, OPT_VS, OPT_VS_RUN, OPT_TEST, OPT_PERCENT, OPT_DIGITS,
           OPT_NO_PLOT, OPT_TENSORBOARD, OPT_CONFUSION, OPT_TSNE, OPT_TSNE_PART, OPT_PERPLEXITY,
           OPT_TSNE_MAX, OPT_TSNE_SEED, OPT_HELP, OPT_VERSION };
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"metrics", required_argument, NULL, 'm'},
        {"record", required_argument, NULL, 'r'},
        {"by", required_argument, NULL, OPT_BY},
        {"ignore", required_argument, NULL, OPT_IGNORE},
        {"vs", required_argument, NULL, OPT_VS},
        {"vs-run", required_argument, NULL, OPT_VS_RUN},
        {"test", required_argument, NULL, OPT_TEST},
        {"sort", required_argument, NULL, 's'},
        {"percent", no_argument, NULL, OPT_PERCENT},
        {"digits", required_argument, NULL, OPT_DIGITS},
        {"curves", required_argument, NULL, 'c'},
        {"no-plot", no_argument, NULL, OPT_NO_PLOT},
        {"tensorboard", required_argument, NULL, OPT_TENSORBOARD},
        {"confusion", required_argument, NULL, OPT_CONFUSION},
        {"tsne", required_argument, NULL, OPT_TSNE},
        {"tsne-part", required_argument, NULL, OPT_TSNE_PART},
        {"perplexity", required_argument, NULL, OPT_PERPLEXITY},
        {"tsne-max", required_argument, NULL, OPT_TSNE_MAX},
        {"tsne-seed", required_argument, NULL, OPT_TSNE_SEED},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0}};
    const char *format = "markdown", *output = NULL, *vs = NULL, *sort = NULL, *curves = NULL;
    const char *tensorboard = NULL, *vs_run = NULL;
    const char *confusion = NULL, *tsne = NULL;
    report_tsne_options tsne_opt = {"test", 30.0, 2000, -1};
    char **by = NULL, **ignore = NULL, **metrics = NULL;
    int n_by = 0, n_ignore = 0, n_metrics = 0, all_metrics = 0, no_plot = 0, c, st = 0;
    report_test_mode test = REPORT_TEST_AUTO;
    report rep;

    cli_init(argv[0], "asgml-report");
    memset(&rep, 0, sizeof rep);
    rep.vs = -1;
    rep.scale = 1.0;
    rep.digits = 4;
    while ((c = getopt_long(argc, argv, "f:o:m:r:s:c:", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!report_format_known(optarg))
                cli_usage_error("--format: unknown format '%s' (markdown, latex, csv, tsv, "
                                "json)", optarg);
            format = optarg;
            break;
        case 'o': output = optarg; break;
        case 'm':
            if (!strcmp(optarg, "all"))
                all_metrics = 1;
            else if (!(metrics = split_list(optarg, &n_metrics)) || n_metrics == 0)
                cli_usage_error("--metrics: empty list");
            break;
        case 'r':
            if (!strcmp(optarg, "last"))
                rep.record = REPORT_LAST;
            else if (!strcmp(optarg, "best-val"))
                rep.record = REPORT_BEST_VAL;
            else if (!strcmp(optarg, "best-test"))
                rep.record = REPORT_BEST_TEST;
            else
                cli_usage_error("--record: '%s' is not last, best-val or best-test", optarg);
            break;
        case OPT_BY:
            if (!(by = split_list(optarg, &n_by)) || n_by == 0)
                cli_usage_error("--by: empty list");
            break;
        case OPT_IGNORE: ignore = split_list(optarg, &n_ignore); break;
        case OPT_VS: vs = optarg; break;
        case OPT_VS_RUN: vs_run = optarg; break;
        case OPT_TEST:
            if (!strcmp(optarg, "auto"))
                test = REPORT_TEST_AUTO;
            else if (!strcmp(optarg, "paired"))
                test = REPORT_TEST_PAIRED;
            else if (!strcmp(optarg, "welch"))
                test = REPORT_TEST_WELCH;
            else
                cli_usage_error("--test: '%s' is not auto, paired or welch", optarg);
            break;
        case 's': sort = optarg; break;
        case OPT_PERCENT: rep.scale = 100.0; break;
        case OPT_DIGITS: rep.digits = (int)cli_parse_long("--digits", optarg, 0, 12); break;
        case 'c': curves = optarg; break;
        case OPT_TENSORBOARD: tensorboard = optarg; break;
        case OPT_NO_PLOT: no_plot = 1; break;
        case OPT_CONFUSION: confusion = optarg; break;
        case OPT_TSNE: tsne = optarg; break;
        case OPT_TSNE_PART:
            if (strcmp(optarg, "test") && strcmp(optarg, "train"))
                cli_usage_error("--tsne-part: '%s' is not test or train", optarg);
            tsne_opt.part = optarg;
            break;
        case OPT_PERPLEXITY:
            tsne_opt.perplexity = cli_parse_double("--perplexity", optarg, 1e-3, 1e6);
            break;
        case OPT_TSNE_MAX: tsne_opt.max_points = cli_parse_long("--tsne-max", optarg, 3, 100000);
            break;
        case OPT_TSNE_SEED:
            tsne_opt.seed = cli_parse_long("--tsne-seed", optarg, 0, 2147483647L);
            break;
        case OPT_HELP: usage(); return CLI_EXIT_OK;
        case OPT_VERSION: cli_version();
        default: cli_try_help();
        }
    }

    if (tsne) {
        if (confusion)
            cli_usage_error("--tsne and --confusion are separate modes; give one");
        if (optind < argc)
            cli_usage_error("--tsne reads a features file, not runs ('%s')", argv[optind]);
        if (!curves)
            cli_usage_error("--tsne needs --curves=DIR, the directory for the maps");
        st = report_write_tsne(tsne, curves, &tsne_opt, no_plot);
        free(by);
        free(ignore);
        free(metrics);
        return st == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    }
    if (confusion) {
        if (optind < argc)
            cli_usage_error("--confusion reads a predictions file, not runs ('%s')", argv[optind]);
        st = write_confusion(confusion, format, output, rep.digits);
        free(by);
        free(ignore);
        free(metrics);
        return st == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    }
    if (optind == argc)
        st = read_stdin_runs(&rep);
    for (int i = optind; i < argc && st == 0; i++)
        st = strcmp(argv[i], "-") ? report_add_run(&rep, argv[i]) : read_stdin_runs(&rep);
    if (st == 0 && rep.n_runs == 0) {
        cli_error("no runs given (name run directories, or pipe their paths to standard "
                  "input)");
        st = -1;
    }
    if (st == 0)
        st = report_select_records(&rep);
    if (st == 0)
        st = report_group_runs(&rep, by, n_by, ignore, n_ignore);
    if (st == 0 && n_metrics > 0) {
        for (int m = 0; m < n_metrics; m++) {
            int found = 0;
            for (int r = 0; r < rep.n_runs && !found; r++)
                found = json_object_get(rep.runs[r].record, metrics[m]) != NULL;
            if (!found)
                cli_usage_error("--metrics: no run has '%s' in its %s record", metrics[m],
                                report_record_name(rep.record));
        }
        rep.metrics = malloc(n_metrics * sizeof *rep.metrics);
        for (int m = 0; rep.metrics && m < n_metrics; m++)
            if ((rep.metrics[m] = strdup(metrics[m])))
                rep.n_metrics++;
        if (rep.n_metrics != n_metrics) {
            cli_error("out of memory");
            st = -1;
        }
    } else if (st == 0) {
        st = report_default_metrics(&rep, all_metrics);
        if (st == 0 && rep.n_metrics == 0) {
            cli_error("the %s records of these runs hold no metrics",
                      report_record_name(rep.record));
            st = -1;
        }
    }
    if (st == 0 && sort && strcmp(sort, "label")) {
        int known = 0;
        for (int m = 0; m < rep.n_metrics; m++)
            known |= !strcmp(rep.metrics[m], sort);
        if (!known)
            cli_usage_error("--sort: '%s' is neither 'label' nor a reported metric", sort);
    }
    if (vs && vs_run)
        cli_usage_error("--vs and --vs-run name the reference group twice; give one");
    if (st == 0 && vs_run) {
        rep.vs = report_find_run_group(&rep, vs_run);
        if (rep.vs < 0)
            cli_usage_error("--vs-run: '%s' is not one of the runs read", vs_run);
    }
    if (st == 0 && vs) {
        rep.vs = report_find_group(&rep, vs);
        if (rep.vs < 0) {
            for (int g = 0; g < rep.n_groups; g++)
                fprintf(stderr, "%s: group: %s\n", cli_program_name, rep.groups[g].label);
            cli_usage_error("--vs: '%s' names %s group", vs, rep.vs == -2 ? "more than one"
                                                                            : "no");
        }
    }
    if (st == 0)
        st = report_compute(&rep, test);
    if (st == 0)
        report_sort_groups(&rep, sort && strcmp(sort, "label") ? sort : NULL);
    if (st == 0 && curves)
        st = report_write_curves(&rep, curves, no_plot);
    if (st == 0 && tensorboard)
        st = report_write_tensorboard(&rep, tensorboard);
    if (st == 0)
        st = write_output(&rep, format, output);
    report_free(&rep);
    free(by);
    free(ignore);
    free(metrics);
    return st == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
