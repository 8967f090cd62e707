/* SPDX-License-Identifier: MIT */
/* asgml-probe.c - probe the encoders of trained checkpoints (asgml-probe(1)):
 * per checkpoint and modality, a fresh probe's accuracy and macro-F1 on
 * standardised encoder features, the fused model's accuracy with the
 * modality removed, and its exact Shapley contribution.  The work is
 * libcommon/probe_eval.c; this file parses options and prints. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "asgml/backend.h"
#include "asgml/common.h"
#include "asgml/probe_eval.h"
#include "asgml/store.h"
#include "cli.h"

static void usage(void)
{
    printf("Usage: asgml-probe [OPTION]... --store=STORE CHECKPOINT|RUNDIR...\n"
           "Probe the encoders of trained checkpoints: for every checkpoint (a run\n"
           "directory stands for all of its ckpt/epoch-NNNN.h5 in order) and every\n"
           "modality, train a fresh probe on the encoder's features of the train split\n"
           "and report its test accuracy and macro-F1, the fused model's test accuracy\n"
           "with that modality's features zeroed, and (N <= --shapley-max) its exact\n"
           "Shapley contribution to the fused test accuracy.\n"
           "\n"
           "  -s, --store=FILE       the HDF5 store (asgml-store(5)) to extract features from\n"
           "      --scheme=NAME      split scheme (default: the run's data.scheme, else the\n"
           "                         store's default)\n"
           "  -p, --probe=KIND       linear (default) or mlp (Linear-ReLU-Dropout-Linear, 256)\n"
           "      --steps=N          full-batch Adam steps per probe (default 300)\n"
           "      --lr=X             probe learning rate (default 0.01)\n"
           "      --seed=N           probe seed; modality m uses N+m (default 0)\n"
           "      --no-standardise   train probes on raw features\n"
           "  -b, --batch-size=N     extraction batch size (default 64)\n"
           "      --shapley-max=N    exact Shapley values when N modalities <= N (default 4,\n"
           "                         at most 8; 0 = never)\n"
           "  -f, --format=FMT       tsv (default: header + one row per checkpoint and\n"
           "                         modality) or json (one object per line)\n"
           "      --features=FILE    also write the raw features with labels (HDF5)\n"
           "  -d, --device=NAME      cpu (default) or cuda\n"
           "  -j, --threads=N        CPU threads (default: all)\n"
           "  -q, --quiet            no progress lines on stderr\n"
           "      --help             display this help and exit\n"
           "      --version          output version information and exit\n"
           "\n"
           "Exit status: 0 success, 1 failure (bad input, I/O, numerical stop), 2 usage\n"
           "or configuration error.  See asgml-probe(1).\n");
}

/* ---- the list of checkpoints -------------------------------------------------- */

typedef struct {
    char **v;
    int n, cap;
} strlist;

static int strlist_add(strlist *l, const char *s)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(s)))
        return -1;
    l->n++;
    return 0;
}

static void strlist_free(strlist *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* DIR/ckpt/epoch-*.h5 sorted (zero-padded, so by epoch), else DIR/ckpt/last.h5. */
static int add_rundir(strlist *out, const char *dir)
{
    char path[4096];
    strlist found = {0};
    DIR *d;
    struct dirent *e;
    struct stat sb;

    snprintf(path, sizeof path, "%s/ckpt", dir);
    if (!(d = opendir(path))) {
        cli_error("%s: %s (not a run directory?)", path, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "epoch-", 6) != 0 || len < 10 ||
            strcmp(e->d_name + len - 3, ".h5") != 0)
            continue;
        snprintf(path, sizeof path, "%s/ckpt/%s", dir, e->d_name);
        if (strlist_add(&found, path) != 0) {
            closedir(d);
            strlist_free(&found);
            cli_error("out of memory");
            return -1;
        }
    }
    closedir(d);
    if (found.n == 0) {
        snprintf(path, sizeof path, "%s/ckpt/last.h5", dir);
        if (stat(path, &sb) != 0) {
            cli_error("%s: no checkpoint in %s/ckpt", dir, dir);
            return -1;
        }
        if (strlist_add(&found, path) != 0) {
            cli_error("out of memory");
            return -1;
        }
    }
    if ((size_t)found.n > 1) qsort(found.v, (size_t)found.n, sizeof *found.v, cmp_str);
    for (int i = 0; i < found.n; i++)
        if (strlist_add(out, found.v[i]) != 0) {
            strlist_free(&found);
            cli_error("out of memory");
            return -1;
        }
    strlist_free(&found);
    return 0;
}

/* ---- output ----------------------------------------------------------------- */

static void json_string(const char *s)
{
    char *q = asgml_json_quote(s);
    fputs(q ? q : "null", stdout);
    free(q);
}

/* TSV fields must not hold tabs or newlines: those become spaces. */
static void tsv_string(const char *s)
{
    for (const char *p = s; *p; p++)
        putchar(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p);
}

static const char *const columns[] = {
    "checkpoint", "epoch", "method", "modality", "probe", "n_train", "n_test",
    "probe_train_acc", "probe_test_acc", "probe_test_f1", "fused_acc", "fused_f1",
    "removed_acc", "shapley"
};

static void print_rows(int json, const char *ckpt, const asgml_probe_subject *ps,
                       const asgml_probe_eval_result *r, const char *probe)
{
    for (int m = 0; m < r->num_modalities; m++) {
        double num[7] = { r->probe[m].train_acc, r->probe[m].test_acc, r->probe[m].test_f1,
                          r->fused_acc, r->fused_f1, r->removed_acc[m], r->shapley[m] };
        int nnum = r->has_shapley ? 7 : 6;
        if (json) {
            printf("{\"checkpoint\":");
            json_string(ckpt);
            printf(",\"epoch\":%d,\"method\":", ps->epochs_completed - 1);
            json_string(ps->method);
            printf(",\"modality\":");
            json_string(r->names[m]);
            printf(",\"probe\":\"%s\",\"n_train\":%lld,\"n_test\":%lld", probe,
                   (long long)r->n_train, (long long)r->n_test);
            for (int k = 0; k < 7; k++) {
                printf(",\"%s\":", columns[7 + k]);
                if (k < nnum)
                    printf("%.6f", num[k]);
                else
                    printf("null");
            }
            printf("}\n");
        } else {
            tsv_string(ckpt);
            printf("\t%d\t", ps->epochs_completed - 1);
            tsv_string(ps->method);
            putchar('\t');
            tsv_string(r->names[m]);
            printf("\t%s\t%lld\t%lld", probe, (long long)r->n_train, (long long)r->n_test);
            for (int k = 0; k < 7; k++) {
                if (k < nnum)
                    printf("\t%.6f", num[k]);
                else
                    printf("\tNA");
            }
            putchar('\n');
        }
    }
    fflush(stdout);
}

/* ---- main ------------------------------------------------------------------- */

static int exit_for(asgml_status st)
{
    return st == ASGML_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
}

/* The getopt_long switch over every option, then the run: one function,
 * long by design (coreutils style; the work itself is in the library). */
int main(int argc, char **argv)
{
    enum { OPT_SCHEME = 256, OPT_STEPS, OPT_LR, OPT_SEED, OPT_NO_STD, OPT_SHAPLEY,
           OPT_FEATURES };
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},
        {"scheme", required_argument, NULL, OPT_SCHEME},
        {"probe", required_argument, NULL, 'p'},
        {"steps", required_argument, NULL, OPT_STEPS},
        {"lr", required_argument, NULL, OPT_LR},
        {"seed", required_argument, NULL, OPT_SEED},
        {"no-standardise", no_argument, NULL, OPT_NO_STD},
        {"no-standardize", no_argument, NULL, OPT_NO_STD},
        {"batch-size", required_argument, NULL, 'b'},
        {"shapley-max", required_argument, NULL, OPT_SHAPLEY},
        {"format", required_argument, NULL, 'f'},
        {"features", required_argument, NULL, OPT_FEATURES},
        {"device", required_argument, NULL, 'd'},
        {"threads", required_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    asgml_probe_eval_options o;
    const char *store_path = NULL, *scheme = NULL, *features = NULL, *device = "cpu";
    const char *probe_name = "linear";
    int json = 0, quiet = 0, threads = 0, c, rc = CLI_EXIT_OK;
    strlist ckpts = {0}, groups = {0};
    asgml_store *store = NULL;
    asgml_backend *be = NULL;
    asgml_features_writer *fw = NULL;
    asgml_backend_options bo;
    asgml_status st;

    cli_init(argv[0], "asgml-probe");
    cli_passive_openmp(argv);
    asgml_probe_eval_defaults(&o);
    while ((c = getopt_long(argc, argv, "s:p:b:f:d:j:q", longopts, NULL)) != -1) {
        switch (c) {
        case 's': store_path = optarg; break;
        case OPT_SCHEME: scheme = optarg; break;
        case 'p':
            if (strcmp(optarg, "linear") == 0)
                o.kind = ASGML_PROBE_LINEAR;
            else if (strcmp(optarg, "mlp") == 0 || strcmp(optarg, "mlp_1layer") == 0)
                o.kind = ASGML_PROBE_MLP;
            else
                cli_usage_error("--probe: '%s' is not linear or mlp", optarg);
            probe_name = o.kind == ASGML_PROBE_MLP ? "mlp" : "linear";
            break;
        case OPT_STEPS: o.steps = (int)cli_parse_long("--steps", optarg, 0, 1000000); break;
        case OPT_LR: o.lr = cli_parse_double("--lr", optarg, 1e-12, 1e3); break;
        case OPT_SEED: o.seed = (uint64_t)cli_parse_long("--seed", optarg, 0, 0x7fffffffffffffffL); break;
        case OPT_NO_STD: o.standardise = 0; break;
        case 'b': o.batch_size = (int)cli_parse_long("--batch-size", optarg, 1, 65536); break;
        case OPT_SHAPLEY:
            o.shapley_max = (int)cli_parse_long("--shapley-max", optarg, 0,
                                                ASGML_PROBE_EVAL_MAX_SHAPLEY);
            break;
        case 'f':
            if (strcmp(optarg, "tsv") == 0)
                json = 0;
            else if (strcmp(optarg, "json") == 0 || strcmp(optarg, "jsonl") == 0)
                json = 1;
            else
                cli_usage_error("--format: '%s' is not tsv or json", optarg);
            break;
        case OPT_FEATURES: features = optarg; break;
        case 'd': device = optarg; break;
        case 'j': threads = (int)cli_parse_long("--threads", optarg, 0, 4096); break;
        case 'q': quiet = 1; break;
        case 'h': usage(); return CLI_EXIT_OK;
        case 'V': cli_version();
        default: cli_try_help();
        }
    }
    if (!store_path)
        cli_usage_error("--store is required");
    if (optind >= argc)
        cli_usage_error("no checkpoint or run directory given");

    for (int i = optind; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            cli_error("%s: %s", argv[i], strerror(errno));
            rc = CLI_EXIT_FAILURE;
            goto out;
        }
        if (S_ISDIR(sb.st_mode) ? add_rundir(&ckpts, argv[i]) : strlist_add(&ckpts, argv[i])) {
            rc = CLI_EXIT_FAILURE;
            goto out;
        }
    }

    if ((st = asgml_store_open(store_path, &store)) != ASGML_OK) {
        cli_error("%s", asgml_last_error());
        rc = CLI_EXIT_FAILURE;
        goto out;
    }
    memset(&bo, 0, sizeof bo);
    bo.num_threads = threads;
    bo.deterministic = 1;
    bo.tf32 = -1;
    if ((st = asgml_backend_create(device, &bo, &be)) != ASGML_OK) {
        cli_error("%s", asgml_last_error());
        rc = st == ASGML_EDEVICE || st == ASGML_ENOTSUP ? CLI_EXIT_FAILURE : exit_for(st);
        goto out;
    }
    if (features && (st = asgml_features_writer_create(features, store, &fw)) != ASGML_OK) {
        cli_error("%s", asgml_last_error());
        rc = CLI_EXIT_FAILURE;
        goto out;
    }

    if (!json) {
        for (size_t k = 0; k < sizeof columns / sizeof columns[0]; k++)
            printf("%s%s", k ? "\t" : "", columns[k]);
        putchar('\n');
    }
    for (int i = 0; i < ckpts.n; i++) {
        asgml_probe_subject ps;
        asgml_probe_eval_result res;
        asgml_probe_eval_options oi = o;
        const char *sum = asgml_store_checksum(store);

        if (!quiet && cli_stderr_is_tty())
            fprintf(stderr, "asgml-probe: [%d/%d] %s\n", i + 1, ckpts.n, ckpts.v[i]);
        st = asgml_probe_eval_load(be, ckpts.v[i], store, store_path, o.batch_size, &ps);
        if (st != ASGML_OK) {
            cli_error("%s", asgml_last_error());
            rc = CLI_EXIT_FAILURE;
            goto out;
        }
        if (ps.store_checksum[0] && sum && strcmp(ps.store_checksum, sum) != 0)
            cli_warn("%s: trained on store %.12s..., probing store %.12s... (%s)", ckpts.v[i],
                     ps.store_checksum, sum, store_path);
        oi.scheme = scheme ? scheme : ps.scheme[0] ? ps.scheme : NULL;
        st = asgml_probe_eval_model(be, ps.model, store, ps.tf, &oi, fw != NULL, &res);
        if (st != ASGML_OK) {
            cli_error("%s: %s", ckpts.v[i], asgml_last_error());
            asgml_probe_eval_unload(&ps);
            rc = exit_for(st);
            goto out;
        }
        print_rows(json, ckpts.v[i], &ps, &res, probe_name);
        if (fw) {
            /* group: the checkpoint's file name without .h5, made unique */
            char group[128];
            const char *base = strrchr(ckpts.v[i], '/');
            size_t len;
            int dup = 0;
            base = base ? base + 1 : ckpts.v[i];
            snprintf(group, sizeof group, "%s", base);
            len = strlen(group);
            if (len > 3 && strcmp(group + len - 3, ".h5") == 0)
                group[len - 3] = '\0';
            for (int g = 0; g < groups.n; g++)
                dup |= strcmp(groups.v[g], group) == 0;
            if (dup)
                snprintf(group + strlen(group), sizeof group - strlen(group), "-%d", i + 1);
            st = strlist_add(&groups, group) ? asgml_error(ASGML_ENOMEM, "out of memory")
                                             : asgml_features_writer_add(fw, group, ckpts.v[i],
                                                                         &ps, &res);
        }
        asgml_probe_eval_result_free(&res);
        asgml_probe_eval_unload(&ps);
        if (st != ASGML_OK) {
            cli_error("%s: %s", features, asgml_last_error());
            rc = CLI_EXIT_FAILURE;
            goto out;
        }
    }
    if (fw) {
        st = asgml_features_writer_commit(fw);
        fw = NULL;
        if (st != ASGML_OK) {
            cli_error("%s", asgml_last_error());
            rc = CLI_EXIT_FAILURE;
        }
    }
out:
    asgml_features_writer_abort(fw);
    asgml_backend_destroy(be);
    asgml_store_close(store);
    strlist_free(&ckpts);
    strlist_free(&groups);
    return rc;
}
