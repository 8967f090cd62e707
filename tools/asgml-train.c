/* SPDX-License-Identifier: MIT */
/* asgml-train.c - train a multimodal model on an HDF5 store with one
 * training method or a composition "a+b" (asgml-train(1)).
 *
 * Configuration: built-in defaults < --config YAML (or, with --resume, the
 * run's config.json) < the options and --set, in command-line order.  The
 * engine (asgml/train.h) writes the run directory (libcommon/RUNDIR.md). */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgml/config.h"
#include "asgml/method.h"
#include "asgml/train.h"
#include "cli.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void usage(void)
{
    printf("Usage: asgml-train --store FILE --out DIR [OPTION]...\n"
           "  or:  asgml-train --resume --out DIR [OPTION]...\n"
           "Train a late-fusion multimodal model on an asgml store with a training method\n"
           "(or a composition \"a+b\") and write the run directory DIR.\n\n"
           "  -s, --store FILE       the HDF5 store (key: store)\n"
           "  -m, --method NAME      method or NAME+NAME... (key: method; default baseline)\n"
           "  -c, --config FILE      YAML configuration (nested keys become dotted keys)\n"
           "  -S, --set KEY=VALUE    set any configuration key (repeatable)\n"
           "      --seed N           run seed (key: seed; default 1)\n"
           "  -e, --epochs N         epochs (key: train.epochs; default 100)\n"
           "  -b, --batch-size N     batch size (key: data.batch-size; default 64)\n"
           "  -j, --threads N        CPU threads, 0 = all (key: backend.threads)\n"
           "      --device NAME      cpu or cuda (key: backend.device; default cpu)\n"
           "  -o, --out DIR          run directory (created; must not hold a run)\n"
           "      --resume           continue the run in DIR from DIR/ckpt/last.h5\n"
           "      --init FILE        start from the weights in FILE (HDF5: a checkpoint or a\n"
           "                         PyTorch state_dict written by asgml_torch; key: train.init)\n"
           "      --list-methods     list the training methods and exit\n"
           "  -q, --quiet            no progress on stderr\n"
           "      --help             display this help and exit\n"
           "      --version          output version information and exit\n\n"
           "Every configuration key, with its default, is listed in asgml-train(1).\n"
           "Exit status: 0 success, 1 failure (bad input, I/O, non-finite loss or\n"
           "gradient, interrupted), 2 usage or configuration error.\n");
}

static void list_methods(void)
{
    for (int i = 0; i < asgml_method_count(); i++) {
        const asgml_method_ops *m = asgml_method_at(i);
        printf("%-14s %s\n", m->name, m->summary ? m->summary : "");
    }
}

typedef struct progress_state {
    int quiet, tty;
} progress_state;

static void on_progress(void *user, const asgml_train_progress *p)
{
    progress_state *ps = user;
    if (ps->quiet)
        return;
    switch (p->kind) {
    case ASGML_PROGRESS_STEP:
        if (ps->tty)
            fprintf(stderr, "\repoch %d/%d  batch %d/%d  loss %.4f ", p->epoch + 1, p->num_epochs,
                    p->batch + 1, p->batches_per_epoch, p->loss);
        break;
    case ASGML_PROGRESS_EPOCH:
        fprintf(stderr, "%sepoch %d/%d: loss %.4f  train %.2f%%  test %.2f%%", ps->tty ? "\r" : "",
                p->epoch + 1, p->num_epochs, p->loss, 100 * p->train_acc, 100 * p->test_acc);
        if (!isnan(p->val_acc))
            fprintf(stderr, "  val %.2f%%", 100 * p->val_acc);
        fprintf(stderr, "  (%.1f s)%s\n", p->seconds, ps->tty ? "          " : "");
        break;
    case ASGML_PROGRESS_NOTE:
        fprintf(stderr, "%s: %s\n", cli_program_name, p->note);
        break;
    }
}

/* Exit status for a library error: configuration mistakes are usage errors. */
static int fail(asgml_status st)
{
    cli_error("%s", asgml_last_error());
    return st == ASGML_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
}

int main(int argc, char **argv)
{
    enum { OPT_SEED = 256, OPT_DEVICE, OPT_RESUME, OPT_INIT, OPT_LIST, OPT_HELP, OPT_VERSION };
    static const struct option longopts[] = {
        { "store", required_argument, NULL, 's' },
        { "method", required_argument, NULL, 'm' },
        { "config", required_argument, NULL, 'c' },
        { "set", required_argument, NULL, 'S' },
        { "seed", required_argument, NULL, OPT_SEED },
        { "epochs", required_argument, NULL, 'e' },
        { "batch-size", required_argument, NULL, 'b' },
        { "threads", required_argument, NULL, 'j' },
        { "device", required_argument, NULL, OPT_DEVICE },
        { "out", required_argument, NULL, 'o' },
        { "resume", no_argument, NULL, OPT_RESUME },
        { "init", required_argument, NULL, OPT_INIT },
        { "list-methods", no_argument, NULL, OPT_LIST },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, OPT_HELP },
        { "version", no_argument, NULL, OPT_VERSION },
        { NULL, 0, NULL, 0 }
    };
    /* options that are configuration keys, applied after the files */
    struct { const char *key, *value, *source; } sets[256];
    int nsets = 0, c, resume = 0;
    const char *yaml = NULL, *out = NULL;
    progress_state ps = { 0, 0 };
    asgml_config *cfg;
    asgml_train *t;
    asgml_train_options opt;
    asgml_run_status rs;
    asgml_status st;
    const char *store;

    cli_init(argv[0], "asgml-train");
    cli_passive_openmp(argv);
    while ((c = getopt_long(argc, argv, "s:m:c:S:e:b:j:o:q", longopts, NULL)) != -1) {
        const char *key = NULL, *source = NULL;
        switch (c) {
        case 's': key = "store"; source = "--store"; break;
        case 'm': key = "method"; source = "--method"; break;
        case 'c': yaml = optarg; break;
        case 'S': key = ""; source = "--set"; break;
        case OPT_SEED:
            cli_parse_long("--seed", optarg, 0, 0x7fffffffL);
            key = "seed"; source = "--seed"; break;
        case 'e':
            cli_parse_long("--epochs", optarg, 1, 100000);
            key = "train.epochs"; source = "--epochs"; break;
        case 'b':
            cli_parse_long("--batch-size", optarg, 1, 65536);
            key = "data.batch-size"; source = "--batch-size"; break;
        case 'j':
            cli_parse_long("--threads", optarg, 0, 4096);
            key = "backend.threads"; source = "--threads"; break;
        case OPT_DEVICE: key = "backend.device"; source = "--device"; break;
        case 'o': out = optarg; break;
        case OPT_RESUME: resume = 1; break;
        case OPT_INIT: key = "train.init"; source = "--init"; break;
        case OPT_LIST: list_methods(); return CLI_EXIT_OK;
        case 'q': ps.quiet = 1; break;
        case OPT_HELP: usage(); return CLI_EXIT_OK;
        case OPT_VERSION: cli_version();
        default:
            fprintf(stderr, "Try '%s --help' for more information.\n", cli_program_name);
            return CLI_EXIT_USAGE;
        }
        if (key) {
            if (nsets == (int)(sizeof sets / sizeof sets[0]))
                cli_usage_error("too many options");
            sets[nsets].key = key;
            sets[nsets].value = optarg;
            sets[nsets].source = source;
            nsets++;
        }
    }
    if (optind < argc)
        cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (!out)
        cli_usage_error("--out DIR is required");
    if (resume && yaml)
        cli_usage_error("--resume takes the configuration from %s/config.json, not --config", out);

    if (asgml_config_create(&cfg) != ASGML_OK)
        return fail(ASGML_ENOMEM);
    if (resume) {
        char path[4096];
        snprintf(path, sizeof path, "%s/config.json", out);
        if (access(path, R_OK) != 0) {
            cli_error("%s: no run to resume (cannot read it)", path);
            asgml_config_free(cfg);
            return CLI_EXIT_FAILURE;
        }
        st = asgml_config_load_json(cfg, path);
    } else {
        st = yaml ? asgml_config_load_yaml(cfg, yaml) : ASGML_OK;
    }
    for (int i = 0; i < nsets && st == ASGML_OK; i++)
        st = *sets[i].key ? asgml_config_set(cfg, sets[i].key, sets[i].value, sets[i].source)
                          : asgml_config_set_assignment(cfg, sets[i].value, sets[i].source);
    if (st == ASGML_OK)
        st = asgml_config_get_string(cfg, "store", "", &store);
    if (st != ASGML_OK) {
        int rc = st == ASGML_EIO ? (cli_error("%s", asgml_last_error()), CLI_EXIT_FAILURE)
                                 : fail(st == ASGML_ENOMEM ? st : ASGML_EINVAL);
        asgml_config_free(cfg);
        return rc;
    }
    if (!*store) {
        asgml_config_free(cfg);
        cli_usage_error("--store FILE is required");
    }

    memset(&opt, 0, sizeof opt);
    opt.store_path = store;
    opt.out_dir = out;
    opt.resume = resume;
    opt.progress = on_progress;
    opt.progress_user = &ps;
    opt.interrupt = &interrupted;
    ps.tty = cli_stderr_is_tty();
    st = asgml_train_create(cfg, &opt, &t);
    if (st == ASGML_OK && (st = asgml_config_check_unused(cfg)) != ASGML_OK) {
        asgml_train_free(t);
        t = NULL;
    }
    if (st != ASGML_OK) {
        int rc = fail(st);
        asgml_config_free(cfg);
        return rc;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    st = asgml_train_run(t, &rs);
    asgml_train_free(t);
    asgml_config_free(cfg);
    if (st != ASGML_OK)
        return fail(st == ASGML_EINVAL ? st : ASGML_EIO);
    if (rs == ASGML_RUN_INTERRUPTED) {
        cli_error("interrupted; continue with: asgml-train --resume --out %s", out);
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}
