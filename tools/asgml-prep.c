/* SPDX-License-Identifier: MIT */
/* asgml-prep.c - raw data sets into HDF5 feature stores (asgml-prep(1)).
 * Thin front end: options -> asgml_prep_options -> asgml_prep_run(); the
 * pipeline, the manifest and the store live in libasgml (prep.c,
 * manifest.c, store_write.c).  Also: `verify STORE...` and
 * `avdigits-manifest`. */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "asgml/common.h"
#include "asgml/prep.h"
#include "cli.h"

static void usage(void)
{
    printf("Usage: asgml-prep [OPTION]... MANIFEST -o STORE\n"
           "  or:  asgml-prep verify STORE...\n"
           "  or:  asgml-prep avdigits-manifest --src DIR [--seed N] [--reserve FILE] -o MANIFEST\n"
           "Decode the samples a manifest lists into an HDF5 feature store (asgml-store(5)).\n\n"
           "  -o, --output=STORE        store to write (temporary file + rename)\n"
           "      --classes=FILE        class names, one a line, in label order\n"
           "      --preset=NAME         avdigits, avdigits-clean, avdigits-vweak,\n"
           "                            avdigits-aweak, ogmge-stft, ogmge-paper, fbank-ast,\n"
           "                            af-mel, vggsound-ogm\n"
           "                            (options given too win)\n"
           "      --dataset=NAME        data set name recorded in the store\n"
           "      --seed=N              seed of every random draw (default 0)\n"
           "  -j, --jobs=N              decoding threads (default: all cores)\n"
           "      --skip-bad            skip bad samples instead of stopping\n"
           "      --max-bad=F           with --skip-bad, fail unless fewer than this\n"
           "                            fraction of the rows were skipped (default 0.05)\n"
           "      --keep-bad            keep a sample whose media fail, with zeros and its\n"
           "                            flags (AUDIO_/VIDEO_MISSING, _DECODE_ERROR)\n"
           "      --min-frames=N        flag FEW_FRAMES below N frames (default 0: off)\n"
           "      --av-tolerance=S      flag AV_DURATION_MISMATCH when the audio and the\n"
           "                            video_seconds column differ by more (default 0.5)\n"
           "      --default-split=NAME  split scheme trainers use by default\n"
           "      --created-utc=SECS    time stamp to record (default SOURCE_DATE_EPOCH or now)\n"
           "  -q, --quiet               no progress line, no summary\n\n"
           "Audio (NAME:audio columns):\n"
           "      --audio-rate=HZ       resample to HZ (0: keep; all clips must agree)\n"
           "      --resampler=R         soxr (libsoxr SOXR_HQ, librosa's soxr_hq) or src\n"
           "                            (libsamplerate sinc best) (default soxr)\n"
           "      --fit=MODE            tile, pad_end, pad_center or none (fbank, or mel\n"
           "                            with --mel-size: the clip's own length) (default tile)\n"
           "      --fit-seconds=S       fixed clip length (default 1)\n"
           "      --n-fft=N             FFT size (default 512)\n"
           "      --hop=N               hop in samples (default 128)\n"
           "      --win-length=N        Hann window length (default n-fft)\n"
           "      --no-center           no n_fft/2 padding at each end\n"
           "      --pad-mode=MODE       reflect or constant (default reflect)\n"
           "      --log-offset=X        spec = ln(|X| + X) (default 1e-7)\n"
           "      --no-wave             do not store the fitted wave\n"
           "      --spec-deflate=N      deflate level of spectrograms, 0-9 (default 1)\n"
           "      --audio-window=S      store the fitted wave only; the loader cuts S seconds\n"
           "                            and takes their STFT (default 0: off)\n"
           "      --audio-features=F    spec (STFT, /NAME/spec), fbank (Kaldi log-mel,\n"
           "                            /NAME/fbank (N, frames, bins)), psd (scipy\n"
           "                            spectrogram, nperseg n-fft, noverlap n-fft - hop,\n"
           "                            ln(PSD + log-offset), per-clip z-score) or mel\n"
           "                            (librosa mel, dB re max, top 80 dB, min-max to [0,1],\n"
           "                            bilinear to --mel-size) (default spec)\n"
           "      --fbank-mel-bins=N, --mel-bins=N\n"
           "                            mel bins of fbank and mel (default 128)\n"
           "      --mel-size=HxW        mel: bilinear output size, 0 = none (default 0;\n"
           "                            af-mel 128x128)\n"
           "      --fbank-rows=N        rows the model sees: the loader appends rows of a\n"
           "                            zero log-mel frame or cuts (default: the frames of\n"
           "                            --fit-seconds; fbank-ast 1024)\n"
           "      --fbank-norm, --no-fbank-norm\n"
           "                            AST normalisation (x + 4.503877) / (2 * 5.141276)\n"
           "                            of fbank (default on)\n\n"
           "Images (NAME:image, NAME:frames columns):\n"
           "      --image-channels=C    1 (grey) or 3 (RGB) (default 1)\n"
           "      --image-size=HxW      output size (default: the first image's)\n"
           "      --short-side=N        scale the short side to N, keep the aspect\n"
           "      --deflate=N           deflate level of integer data, 0-9 (default 4)\n\n"
           "Feature sequences (NAME:seq columns):\n"
           "      --seq-dim=D           features per step; NAME=D[,NAME=D]... per modality\n"
           "      --seq-len=L           fixed number of steps (pad with zeros/truncate);\n"
           "                            NAME=L[,NAME=L]... per modality\n"
           "      --seq-dataset=NAME    dataset inside HDF5 inputs (default features)\n\n"
           "Degradations (seeded per sample; applied mismatch, down, occlude, noise):\n"
           "      --img-mismatch=P      replace the image by one of another class\n"
           "      --img-reserve=FILE    LABEL<TAB>PATH images used by --img-mismatch\n"
           "      --img-noise=S         add N(0,S^2) in 0-255 units\n"
           "      --img-down=K          average-pool to KxK, upsample back\n"
           "      --img-occlude=M       zero M of the 16 cells of a 4x4 grid\n"
           "      --aud-snr-db=D        add white noise at D dB SNR\n"
           "      --corrupt-splits=S    all (default) or train\n\n"
           "avdigits-manifest:\n"
           "      --src=DIR             AV-Digits directory (fsdd/, mnist/)\n"
           "      --reserve=FILE        also write the reserve list for --img-mismatch\n\n"
           "      --help     display this help and exit\n"
           "      --version  output version information and exit\n\n"
           "Exit status: 0 success, 1 failure (bad input, I/O), 2 usage error.\n");
}

enum {
    OPT_CLASSES = 256, OPT_PRESET, OPT_DATASET, OPT_SEED, OPT_SKIP_BAD, OPT_MAX_BAD,
    OPT_DEFAULT_SPLIT, OPT_CREATED, OPT_AUDIO_RATE, OPT_FIT, OPT_FIT_SECONDS, OPT_N_FFT, OPT_HOP,
    OPT_WIN, OPT_NO_CENTER, OPT_PAD_MODE, OPT_LOG_OFFSET, OPT_NO_WAVE, OPT_SPEC_DEFLATE,
    OPT_IMAGE_CHANNELS, OPT_IMAGE_SIZE, OPT_SHORT_SIDE, OPT_DEFLATE, OPT_SEQ_DIM, OPT_SEQ_LEN,
    OPT_SEQ_DATASET, OPT_IMG_MISMATCH, OPT_IMG_RESERVE, OPT_IMG_NOISE, OPT_IMG_DOWN,
    OPT_IMG_OCCLUDE, OPT_AUD_SNR, OPT_CORRUPT_SPLITS, OPT_AUDIO_FEATURES,
    OPT_FBANK_BINS, OPT_FBANK_ROWS, OPT_FBANK_NORM, OPT_NO_FBANK_NORM,
    OPT_KEEP_BAD, OPT_MIN_FRAMES, OPT_AV_TOL, OPT_AUDIO_WINDOW, OPT_SRC, OPT_RESERVE, OPT_HELP,
    OPT_VERSION, OPT_RESAMPLER, OPT_MEL_SIZE, OPT_MEL_BINS
};

static const struct option longopts[] = {
    {"output", required_argument, NULL, 'o'}, {"classes", required_argument, NULL, OPT_CLASSES},
    {"preset", required_argument, NULL, OPT_PRESET}, {"dataset", required_argument, NULL, OPT_DATASET},
    {"seed", required_argument, NULL, OPT_SEED}, {"jobs", required_argument, NULL, 'j'},
    {"skip-bad", no_argument, NULL, OPT_SKIP_BAD}, {"keep-bad", no_argument, NULL, OPT_KEEP_BAD},
    {"min-frames", required_argument, NULL, OPT_MIN_FRAMES}, {"av-tolerance", required_argument, NULL, OPT_AV_TOL},
    {"audio-window", required_argument, NULL, OPT_AUDIO_WINDOW}, {"max-bad", required_argument, NULL, OPT_MAX_BAD},
    {"default-split", required_argument, NULL, OPT_DEFAULT_SPLIT},
    {"created-utc", required_argument, NULL, OPT_CREATED}, {"quiet", no_argument, NULL, 'q'},
    {"audio-rate", required_argument, NULL, OPT_AUDIO_RATE}, {"fit", required_argument, NULL, OPT_FIT},
    {"fit-seconds", required_argument, NULL, OPT_FIT_SECONDS}, {"n-fft", required_argument, NULL, OPT_N_FFT},
    {"hop", required_argument, NULL, OPT_HOP}, {"win-length", required_argument, NULL, OPT_WIN},
    {"no-center", no_argument, NULL, OPT_NO_CENTER}, {"pad-mode", required_argument, NULL, OPT_PAD_MODE},
    {"log-offset", required_argument, NULL, OPT_LOG_OFFSET}, {"no-wave", no_argument, NULL, OPT_NO_WAVE},
    {"spec-deflate", required_argument, NULL, OPT_SPEC_DEFLATE},
    {"resampler", required_argument, NULL, OPT_RESAMPLER},
    {"audio-features", required_argument, NULL, OPT_AUDIO_FEATURES},
    {"fbank-mel-bins", required_argument, NULL, OPT_FBANK_BINS},
    {"mel-bins", required_argument, NULL, OPT_MEL_BINS}, {"mel-size", required_argument, NULL, OPT_MEL_SIZE},
    {"fbank-rows", required_argument, NULL, OPT_FBANK_ROWS},
    {"fbank-norm", no_argument, NULL, OPT_FBANK_NORM}, {"no-fbank-norm", no_argument, NULL, OPT_NO_FBANK_NORM},
    {"image-channels", required_argument, NULL, OPT_IMAGE_CHANNELS},
    {"image-size", required_argument, NULL, OPT_IMAGE_SIZE}, {"short-side", required_argument, NULL, OPT_SHORT_SIDE},
    {"deflate", required_argument, NULL, OPT_DEFLATE}, {"seq-dim", required_argument, NULL, OPT_SEQ_DIM},
    {"seq-len", required_argument, NULL, OPT_SEQ_LEN}, {"seq-dataset", required_argument, NULL, OPT_SEQ_DATASET},
    {"img-mismatch", required_argument, NULL, OPT_IMG_MISMATCH},
    {"img-reserve", required_argument, NULL, OPT_IMG_RESERVE}, {"img-noise", required_argument, NULL, OPT_IMG_NOISE},
    {"img-down", required_argument, NULL, OPT_IMG_DOWN}, {"img-occlude", required_argument, NULL, OPT_IMG_OCCLUDE},
    {"aud-snr-db", required_argument, NULL, OPT_AUD_SNR},
    {"corrupt-splits", required_argument, NULL, OPT_CORRUPT_SPLITS},
    {"src", required_argument, NULL, OPT_SRC}, {"reserve", required_argument, NULL, OPT_RESERVE},
    {"help", no_argument, NULL, OPT_HELP}, {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0}};

/* ---- temporary file removal on SIGINT/SIGTERM/SIGHUP ----------------------------- */

static char temp_path[4096];
static volatile sig_atomic_t have_temp;

static void on_signal(int sig)
{
    if (have_temp) unlink(temp_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void temp_cb(void *ctx, const char *path)
{
    (void)ctx;
    have_temp = 0;
    if (path && strlen(path) < sizeof temp_path) {
        memcpy(temp_path, path, strlen(path) + 1);
        have_temp = 1;
    }
}

/* ---- progress --------------------------------------------------------------------- */

typedef struct progress { struct timespec t0; double last; int shown; } progress;

static double since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static void progress_cb(void *ctx, int64_t done, int64_t total)
{
    progress *p = ctx;
    double t = since(&p->t0);
    if (done < total && t - p->last < 0.1) return;
    p->last = t;
    double rate = t > 0 ? (double)done / t : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr, "\r%s: %lld/%lld samples, %.1f/s, ETA %.0f s   ", cli_program_name, (long long)done,
            (long long)total, rate, eta);
    if (done == total) fputc('\n', stderr);
    p->shown = 1;
}

/* argv joined with spaces; arguments with shell specials in single quotes */
/* The arguments that do not change the store (--jobs and --quiet): left out
 * of the recorded command line, so that stores made with other --jobs are
 * byte-identical (asgml-prep(1), -j).  Elements are remembered by pointer,
 * which getopt's permutation of argv keeps. */
enum { MAX_UNRECORDED = 32 };
static const char *unrecorded[MAX_UNRECORDED];
static int n_unrecorded;

static void unrecord(const char *arg)
{
    if (n_unrecorded < MAX_UNRECORDED) unrecorded[n_unrecorded++] = arg;
}

/* After getopt_long returned -j/--jobs: its element(s) are argv[optind - 1]
 * (value attached: -j2, --jobs=2, -qj2) or argv[optind - 2..optind - 1]. */
static void unrecord_jobs(char **argv, const char *arg)
{
    unrecord(argv[optind - 1]);
    if (arg == argv[optind - 1]) unrecord(argv[optind - 2]);
}

/* After -q/--quiet: only a whole element ("-q", "--quiet", "--qu"); a
 * cluster such as -qo FILE stays (it names the output). */
static void unrecord_quiet(char **argv)
{
    const char *e = argv[optind - 1];
    if (optind > 1 && (!strcmp(e, "-q") || !strncmp(e, "--q", 3))) unrecord(e);
}

static int is_unrecorded(const char *arg)
{
    for (int i = 0; i < n_unrecorded; i++)
        if (unrecorded[i] == arg) return 1;
    return 0;
}

static char *join_argv(int argc, char **argv)
{
    size_t n = 1;
    for (int i = 0; i < argc; i++) n += 4 * strlen(argv[i]) + 3;
    char *s = malloc(n), *p = s;
    if (!s) return NULL;
    for (int i = 0; i < argc; i++) {
        if (is_unrecorded(argv[i])) continue;
        int q = argv[i][0] == 0 || strpbrk(argv[i], " \t\n'\"\\$`*?[]{}()<>|&;#~!") != NULL;
        if (p > s) *p++ = ' ';
        if (q) *p++ = '\'';
        for (const char *c = argv[i]; *c; c++) {
            if (*c == '\'') { memcpy(p, "'\\''", 4); p += 4; }
            else *p++ = *c;
        }
        if (q) *p++ = '\'';
    }
    *p = 0;
    return s;
}

static int verify_main(int argc, char **argv)
{
    int rc = CLI_EXIT_OK;
    if (argc < 1) cli_usage_error("verify: missing STORE operand");
    for (int i = 0; i < argc; i++) {
        if (asgml_store_verify(argv[i]) != ASGML_OK) {
            cli_error("%s", asgml_last_error());
            rc = CLI_EXIT_FAILURE;
        } else {
            printf("%s: OK\n", argv[i]);
        }
    }
    return rc;
}

/* The getopt_long switch over every option, then the run: one function,
 * long by design (coreutils style; the work itself is in the library). */
int main(int argc, char **argv)
{
    cli_init(argv[0], "asgml-prep");
    int mode = 0; /* 0 prep, 1 avdigits-manifest */
    if (argc > 1 && !strcmp(argv[1], "verify")) {
        if (argc > 2 && !strcmp(argv[2], "--help")) { usage(); return CLI_EXIT_OK; }
        return verify_main(argc - 2, argv + 2);
    }
    if (argc > 1 && !strcmp(argv[1], "avdigits-manifest")) mode = 1;
    asgml_prep_options o;
    asgml_prep_defaults(&o);
    const char *env = getenv("SOURCE_DATE_EPOCH");
    if (env && *env) o.created_utc = cli_parse_long("SOURCE_DATE_EPOCH", env, 0, 253402300799L);
    /* the preset first, so that explicit options override it wherever they stand */
    for (int i = 1 + mode; i < argc; i++) {
        const char *name = NULL;
        if (!strcmp(argv[i], "--")) break;
        if (!strncmp(argv[i], "--preset=", 9)) name = argv[i] + 9;
        else if (!strcmp(argv[i], "--preset") && i + 1 < argc) name = argv[++i];
        if (name) {
            if (asgml_prep_preset(&o, name) != ASGML_OK) cli_usage_error("%s", asgml_last_error());
            o.preset = name;
        }
    }
    int quiet = 0, c;
    const char *src = NULL, *reserve = NULL, *corrupt = "all";
    optind = 1 + mode;
    while ((c = getopt_long(argc, argv, "o:j:q", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': o.out = optarg; break;
        case 'j':
            o.jobs = (int)cli_parse_long("--jobs", optarg, 1, 256);
            unrecord_jobs(argv, optarg);
            break;
        case 'q': quiet = 1; unrecord_quiet(argv); break;
        case OPT_CLASSES: o.classes = optarg; break;
        case OPT_PRESET: break; /* applied above */
        case OPT_DATASET: o.dataset = optarg; break;
        case OPT_SEED: o.seed = (uint64_t)cli_parse_long("--seed", optarg, 0, 0x7fffffffffffffffL); break;
        case OPT_SKIP_BAD: o.skip_bad = 1; break;
        case OPT_KEEP_BAD: o.keep_bad = 1; break;
        case OPT_MIN_FRAMES: o.min_frames = (int)cli_parse_long("--min-frames", optarg, 0, 1 << 20); break;
        case OPT_AV_TOL: o.av_tolerance = cli_parse_double("--av-tolerance", optarg, 0, 1e6); break;
        case OPT_AUDIO_WINDOW: o.audio_window = cli_parse_double("--audio-window", optarg, 0, 3600); break;
        case OPT_MAX_BAD: o.max_bad = cli_parse_double("--max-bad", optarg, 0, 1); break;
        case OPT_DEFAULT_SPLIT: o.default_split = optarg; break;
        case OPT_CREATED: o.created_utc = cli_parse_long("--created-utc", optarg, 0, 253402300799L); break;
        case OPT_AUDIO_RATE: o.audio_rate = (int)cli_parse_long("--audio-rate", optarg, 0, 768000); break;
        case OPT_FIT:
            if (strcmp(optarg, "tile") && strcmp(optarg, "pad_end") && strcmp(optarg, "pad_center") &&
                strcmp(optarg, "none"))
                cli_usage_error("--fit: '%s' is not tile, pad_end, pad_center or none", optarg);
            o.fit = optarg;
            break;
        case OPT_FIT_SECONDS: o.fit_seconds = cli_parse_double("--fit-seconds", optarg, 1e-3, 3600); break;
        case OPT_N_FFT: o.n_fft = (int)cli_parse_long("--n-fft", optarg, 2, 1 << 16); break;
        case OPT_HOP: o.hop = (int)cli_parse_long("--hop", optarg, 1, 1 << 16); break;
        case OPT_WIN: o.win_length = (int)cli_parse_long("--win-length", optarg, 1, 1 << 16); break;
        case OPT_NO_CENTER: o.center = 0; break;
        case OPT_PAD_MODE:
            if (strcmp(optarg, "reflect") && strcmp(optarg, "constant"))
                cli_usage_error("--pad-mode: '%s' is not reflect or constant", optarg);
            o.pad_mode = optarg;
            break;
        case OPT_LOG_OFFSET: o.log_offset = cli_parse_double("--log-offset", optarg, 1e-30, 1); break;
        case OPT_NO_WAVE: o.keep_wave = 0; break;
        case OPT_SPEC_DEFLATE: o.spec_deflate = (int)cli_parse_long("--spec-deflate", optarg, 0, 9); break;
        case OPT_RESAMPLER:
            if (strcmp(optarg, "soxr") && strcmp(optarg, "src"))
                cli_usage_error("--resampler: '%s' is not soxr or src", optarg);
            o.resampler = optarg;
            break;
        case OPT_AUDIO_FEATURES:
            if (strcmp(optarg, "spec") && strcmp(optarg, "fbank") && strcmp(optarg, "psd") && strcmp(optarg, "mel"))
                cli_usage_error("--audio-features: '%s' is not spec, fbank, psd or mel", optarg);
            o.audio_features = optarg;
            break;
        case OPT_FBANK_BINS: o.fbank_mel_bins = (int)cli_parse_long("--fbank-mel-bins", optarg, 3, 4096); break;
        case OPT_MEL_BINS: o.fbank_mel_bins = (int)cli_parse_long("--mel-bins", optarg, 3, 4096); break;
        case OPT_MEL_SIZE: {
            int h, w;
            char tail;
            if (!strcmp(optarg, "0")) h = w = 0;
            else if (sscanf(optarg, "%dx%d%c", &h, &w, &tail) != 2 || h < 1 || w < 1 || h > 16384 || w > 16384)
                cli_usage_error("--mel-size: '%s' is not HxW (1-16384 each) or 0", optarg);
            o.mel_h = h;
            o.mel_w = w;
            break;
        }
        case OPT_FBANK_ROWS: o.fbank_rows = (int)cli_parse_long("--fbank-rows", optarg, 1, 1 << 20); break;
        case OPT_FBANK_NORM: o.fbank_norm = 1; break;
        case OPT_NO_FBANK_NORM: o.fbank_norm = 0; break;
        case OPT_IMAGE_CHANNELS: o.image_channels = (int)cli_parse_long("--image-channels", optarg, 1, 3);
            if (o.image_channels == 2) cli_usage_error("--image-channels: 1 or 3, not 2");
            break;
        case OPT_IMAGE_SIZE: {
            int h, w;
            char tail;
            if (sscanf(optarg, "%dx%d%c", &h, &w, &tail) == 2) { /* HxW */ }
            else if (sscanf(optarg, "%d%c", &h, &tail) == 1) w = h;
            else cli_usage_error("--image-size: '%s' is not HxW or N", optarg);
            if (h < 1 || w < 1 || h > 16384 || w > 16384) cli_usage_error("--image-size: '%s' out of range", optarg);
            o.image_h = h;
            o.image_w = w;
            o.short_side = 0;
            break;
        }
        case OPT_SHORT_SIDE:
            o.short_side = (int)cli_parse_long("--short-side", optarg, 1, 16384);
            o.image_h = o.image_w = 0;
            break;
        case OPT_DEFLATE: o.deflate = (int)cli_parse_long("--deflate", optarg, 0, 9); break;
        case OPT_SEQ_DIM:
            if (strchr(optarg, '=')) { /* NAME=D[,NAME=D]... */
                for (const char *q = optarg; *q; q++)
                    if (!(*q == '=' || *q == ',' || *q == '_' || *q == '-' || (*q >= '0' && *q <= '9') ||
                          (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')))
                        cli_usage_error("--seq-dim: '%s' is not D or NAME=D[,NAME=D]...", optarg);
                o.seq_dims = optarg;
            } else {
                o.seq_dim = (int)cli_parse_long("--seq-dim", optarg, 1, 1 << 20);
            }
            break;
        case OPT_SEQ_LEN:
            if (strchr(optarg, '=')) { /* NAME=L[,NAME=L]... */
                for (const char *q = optarg; *q; q++)
                    if (!(*q == '=' || *q == ',' || *q == '_' || *q == '-' || (*q >= '0' && *q <= '9') ||
                          (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')))
                        cli_usage_error("--seq-len: '%s' is not L or NAME=L[,NAME=L]...", optarg);
                o.seq_lens = optarg;
            } else {
                o.seq_len = (int)cli_parse_long("--seq-len", optarg, 1, 1 << 20);
            }
            break;
        case OPT_SEQ_DATASET: o.seq_dataset = optarg; break;
        case OPT_IMG_MISMATCH: o.img_mismatch = cli_parse_double("--img-mismatch", optarg, 0, 1); break;
        case OPT_IMG_RESERVE: o.img_reserve = optarg; break;
        case OPT_IMG_NOISE: o.img_noise = cli_parse_double("--img-noise", optarg, 0, 1e4); break;
        case OPT_IMG_DOWN: o.img_down = (int)cli_parse_long("--img-down", optarg, 0, 16384); break;
        case OPT_IMG_OCCLUDE: o.img_occlude = (int)cli_parse_long("--img-occlude", optarg, 0, 16); break;
        case OPT_AUD_SNR: o.aud_snr_on = 1; o.aud_snr_db = cli_parse_double("--aud-snr-db", optarg, -100, 200); break;
        case OPT_CORRUPT_SPLITS:
            if (strcmp(optarg, "all") && strcmp(optarg, "train"))
                cli_usage_error("--corrupt-splits: '%s' is not all or train", optarg);
            corrupt = optarg;
            break;
        case OPT_SRC: src = optarg; break;
        case OPT_RESERVE: reserve = optarg; break;
        case OPT_HELP: usage(); return CLI_EXIT_OK;
        case OPT_VERSION: cli_version();
        default: cli_try_help();
        }
    }
    o.corrupt_train_only = !strcmp(corrupt, "train");
    if (!o.out) cli_usage_error("missing -o/--output");
    if (mode == 1) {
        if (!src) cli_usage_error("avdigits-manifest: missing --src DIR");
        if (optind < argc) cli_usage_error("avdigits-manifest: unexpected operand '%s'", argv[optind]);
        if (asgml_avdigits_manifest(src, o.seed, o.out, reserve) != ASGML_OK) {
            cli_error("%s", asgml_last_error());
            return CLI_EXIT_FAILURE;
        }
        return CLI_EXIT_OK;
    }
    if (src || reserve) cli_usage_error("--src and --reserve belong to avdigits-manifest");
    if (optind >= argc) cli_usage_error("missing MANIFEST operand");
    if (optind + 1 < argc) cli_usage_error("extra operand '%s'", argv[optind + 1]);
    if (o.img_mismatch > 0 && !o.img_reserve) cli_usage_error("--img-mismatch needs --img-reserve FILE");
    o.manifest = argv[optind];
    char *cmd = join_argv(argc, argv);
    o.command_line = cmd;
    progress pr = {0};
    clock_gettime(CLOCK_MONOTONIC, &pr.t0);
    if (!quiet && cli_stderr_is_tty()) { o.progress = progress_cb; o.progress_ctx = &pr; }
    o.temp_file = temp_cb;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    asgml_prep_result r;
    const char *prof = getenv("ASGML_PREP_PROFILE");   /* asgml-prep(1), ENVIRONMENT */
    o.profile = prof && *prof && strcmp(prof, "0");
    asgml_status st = asgml_prep_run(&o, &r);
    double secs = since(&pr.t0);
    if (!st && o.profile) {   /* CPU seconds per stage, all threads; to stderr even with -q */
        double tot = 0;
        for (int s = 0; s < ASGML_PREP_NSTAGES; s++) tot += r.stage_cpu[s];
        fprintf(stderr, "%s: profile: %.3f s CPU in %.3f s (%.2f cores), %.2f ms CPU a sample\n", cli_program_name,
                tot, secs, secs > 0 ? tot / secs : 0.0, r.kept ? 1e3 * tot / (double)r.kept : 0.0);
        for (int s = 0; s < ASGML_PREP_NSTAGES; s++)
            fprintf(stderr, "%s: profile:   %-9s %8.3f s %5.1f %%\n", cli_program_name, asgml_prep_stage_name(s),
                    r.stage_cpu[s], tot > 0 ? 100.0 * r.stage_cpu[s] / tot : 0.0);
    }
    if (pr.shown && st) fputc('\n', stderr);
    for (int64_t i = 0; i < r.skipped; i++) cli_error("%s (skipped)", r.skipped_msgs[i]);
    int rc = CLI_EXIT_OK;
    if (st) {
        cli_error("%s", asgml_last_error());
        rc = st == ASGML_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
    } else if (!quiet) {
        fprintf(stderr, "%s: %s: %lld samples (%lld rows, %lld skipped, %lld kept with zeros) in %.2f s, %.1f samples/s\n",
                cli_program_name, o.out, (long long)r.kept, (long long)r.rows, (long long)r.skipped,
                (long long)r.kept_bad, secs,
                secs > 0 ? (double)r.kept / secs : 0.0);
        static const char *flag[16] = {"AUDIO_MISSING", "AUDIO_DECODE_ERROR", "AUDIO_SILENT",
            "AUDIO_CLIPPED_INPUT", "AUDIO_TILED", "AUDIO_TRUNCATED", "VIDEO_MISSING", "VIDEO_DECODE_ERROR",
            "FEW_FRAMES", "AV_DURATION_MISMATCH", "KNOWN_BAD", "DUP_CONFLICT", "RESAMPLED_OR_DOWNMIXED",
            "NONFINITE_REPLACED", "?", "?"};
        for (int b = 0; b < 16; b++)
            if (r.flag_counts[b]) fprintf(stderr, "%s:   %-24s %lld\n", cli_program_name, flag[b], (long long)r.flag_counts[b]);
        if (r.mismatched) fprintf(stderr, "%s:   %-24s %lld\n", cli_program_name, "img_mismatch", (long long)r.mismatched);
        for (int d = 0; d < r.ndsets; d++)
            fprintf(stderr, "%s:   %-24s %.1f MB raw, %.1f MB stored\n", cli_program_name, r.dsets[d].path,
                    (double)r.dsets[d].raw_bytes / 1e6, (double)r.dsets[d].stored_bytes / 1e6);
        fprintf(stderr, "%s:   content_sha256 %s\n", cli_program_name, r.sha256);
        fprintf(stderr, "%s:   per-sample report %s.report.tsv\n", cli_program_name, o.out);
    }
    asgml_prep_result_free(&r);
    free(cmd);
    return rc;
}
