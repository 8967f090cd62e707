/* SPDX-License-Identifier: MIT */
/* asgml-eval.c - per-sample predictions of one checkpoint on one split
 * (asgml-eval(1)): id, label, predicted class, fused and unimodal logits,
 * as TSV or HDF5 (asgml/predict.h), and the accuracy on stdout.
 *
 * A tool of its own rather than an option of asgml-probe: predictions need
 * no probe training (asgml-probe trains one per modality and checkpoint),
 * and they are one file per checkpoint and split, where asgml-probe
 * summarises many checkpoints in one table. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "asgml/backend.h"
#include "asgml/predict.h"
#include "asgml/store.h"
#include "cli.h"

static void usage(void)
{
    printf("Usage: asgml-eval [OPTION]... --store=STORE --predictions=FILE CHECKPOINT|RUNDIR\n"
           "Run a trained model (a checkpoint, or RUNDIR/ckpt/last.h5) over one split of the\n"
           "store and write one row per sample: id, label, predicted class, fused logits\n"
           "and each modality's logits.  Prints the accuracy (correct/n) on stdout.\n"
           "\n"
           "  -s, --store=FILE        the HDF5 store (asgml-store(5))\n"
           "  -P, --predictions=FILE  output: FILE.tsv (text) or FILE.h5 (HDF5)\n"
           "      --split=PART        test (default), train or val\n"
           "      --scheme=NAME       split scheme (default: the run's data.scheme, else\n"
           "                          the store's default)\n"
           "  -b, --batch-size=N      inference batch size (default 64)\n"
           "  -d, --device=NAME       cpu (default) or cuda\n"
           "  -j, --threads=N         CPU threads (default: all)\n"
           "      --help              display this help and exit\n"
           "      --version           output version information and exit\n"
           "\n"
           "Exit status: 0 success, 1 failure (bad input, I/O), 2 usage error.\n"
           "See asgml-eval(1).\n");
}

int main(int argc, char **argv)
{
    enum { OPT_SPLIT = 256, OPT_SCHEME };
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},
        {"predictions", required_argument, NULL, 'P'},
        {"split", required_argument, NULL, OPT_SPLIT},
        {"scheme", required_argument, NULL, OPT_SCHEME},
        {"batch-size", required_argument, NULL, 'b'},
        {"device", required_argument, NULL, 'd'},
        {"threads", required_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    const char *store_path = NULL, *out = NULL, *split = "test", *scheme = NULL;
    const char *device = "cpu";
    char ckpt[4096];
    int batch = 64, threads = 0, c, rc = CLI_EXIT_FAILURE;
    asgml_store *store = NULL;
    asgml_backend *be = NULL;
    asgml_backend_options bo;
    asgml_probe_subject ps;
    asgml_predictions p;
    asgml_status st;
    struct stat sb;
    size_t len;
    int64_t correct = 0;

    cli_init(argv[0], "asgml-eval");
    cli_passive_openmp(argv);
    while ((c = getopt_long(argc, argv, "s:P:b:d:j:", longopts, NULL)) != -1) {
        switch (c) {
        case 's': store_path = optarg; break;
        case 'P': out = optarg; break;
        case OPT_SPLIT:
            if (strcmp(optarg, "test") && strcmp(optarg, "train") && strcmp(optarg, "val"))
                cli_usage_error("--split: '%s' is not test, train or val", optarg);
            split = optarg;
            break;
        case OPT_SCHEME: scheme = optarg; break;
        case 'b': batch = (int)cli_parse_long("--batch-size", optarg, 1, 65536); break;
        case 'd': device = optarg; break;
        case 'j': threads = (int)cli_parse_long("--threads", optarg, 0, 4096); break;
        case 'h': usage(); return CLI_EXIT_OK;
        case 'V': cli_version();
        default: cli_try_help();
        }
    }
    if (!store_path)
        cli_usage_error("--store is required");
    if (!out)
        cli_usage_error("--predictions FILE is required");
    len = strlen(out);
    if (!(len > 4 && strcmp(out + len - 4, ".tsv") == 0) &&
        !(len > 3 && strcmp(out + len - 3, ".h5") == 0))
        cli_usage_error("--predictions: '%s' ends neither in .tsv nor in .h5", out);
    if (optind + 1 != argc)
        cli_usage_error(optind >= argc ? "no checkpoint given" : "one checkpoint at a time");
    if (stat(argv[optind], &sb) != 0) {
        cli_error("%s: %s", argv[optind], strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    snprintf(ckpt, sizeof ckpt, S_ISDIR(sb.st_mode) ? "%s/ckpt/last.h5" : "%s", argv[optind]);

    if ((st = asgml_store_open(store_path, &store)) != ASGML_OK) {
        cli_error("%s", asgml_last_error());
        return CLI_EXIT_FAILURE;
    }
    memset(&bo, 0, sizeof bo);
    bo.num_threads = threads;
    bo.deterministic = 1;
    bo.tf32 = -1;
    if ((st = asgml_backend_create(device, &bo, &be)) != ASGML_OK) {
        cli_error("%s", asgml_last_error());
        rc = st == ASGML_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
        asgml_store_close(store);
        return rc;
    }
    st = asgml_probe_eval_load(be, ckpt, store, store_path, batch, &ps);
    if (st == ASGML_OK) {
        const char *sum = asgml_store_checksum(store);
        if (ps.store_checksum[0] && sum && strcmp(ps.store_checksum, sum) != 0)
            cli_warn("%s: trained on store %.12s..., evaluating on store %.12s... (%s)", ckpt,
                     ps.store_checksum, sum, store_path);
        st = asgml_predict(be, &ps, store, ckpt, scheme, split, batch, &p);
        if (st == ASGML_OK) {
            st = asgml_predictions_write(out, &p);
            for (int64_t i = 0; i < p.n; i++)
                correct += p.pred[i] == p.labels[i];
            if (st == ASGML_OK) {
                printf("checkpoint\tsplit\tn\tcorrect\taccuracy\n%s\t%s\t%lld\t%lld\t%.6f\n",
                       ckpt, split, (long long)p.n, (long long)correct,
                       p.n ? (double)correct / (double)p.n : 0.0);
                rc = CLI_EXIT_OK;
            }
            asgml_predictions_free(&p);
        }
        asgml_probe_eval_unload(&ps);
    }
    if (st != ASGML_OK)
        cli_error("%s", asgml_last_error());
    asgml_backend_destroy(be);
    asgml_store_close(store);
    return rc;
}
