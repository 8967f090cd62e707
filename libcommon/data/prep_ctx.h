/* SPDX-License-Identifier: MIT */
/* prep_ctx.h - the state of one asgml-prep run, shared by prep.c (the
 * decoding pipeline) and prep_metadata.c (the store's metadata, splits and
 * attributes).  Private to libasgml. */
#ifndef ASGML_DATA_PREP_CTX_H
#define ASGML_DATA_PREP_CTX_H

#include <pthread.h>

#include "data/decode.h"
#include "data/manifest.h"
#include "asgml/prep.h"
#include "data/store_write.h"
#include "data/store_chunk.h"
#include "data/prep_stats.h"

#define MAXM ASGML_MANIFEST_MAX_MOD

/* ---- per-run context ------------------------------------------------------------ */

typedef struct slot {
    int ready;
    char *err;                   /* NULL or the reason the sample is bad */
    uint32_t flags;              /* ASGML_FLAG_* */
    int mismatched;
    char *kept_err;              /* keep_bad: why the zeros (err is then NULL) */
    double audio_seconds;        /* decoded clip length; < 0 = no audio decoded */
    int fatal;                   /* err is not the sample's fault (encoding ran out of memory) */
    void *data[MAXM];            /* spec (F,T) f32 | image (H,W[,C]) u8 | frames (n,H,W,C) u8 | seq (L,D) f32 */
    void *aux[MAXM];             /* wave (L,) i16 | clean image | - | - */
    int64_t count[MAXM];         /* frames: n; seq: valid steps */
    size_t cap[MAXM];            /* bytes allocated in data (frames, fbank rows grow) */
    size_t aux_cap[MAXM];        /* bytes allocated in aux (native-length waves grow) */
    int64_t aux_count[MAXM];     /* native wave: samples */
    prep_moments mom[MAXM][2];   /* training rows: moments of data, aux (prep_stats.h) */
    asgml_sw_chunk *enc[MAXM][2]; /* direct datasets: the sample's chunks encoded by the worker
                                    (frames: one per frame), written as they are */
    int64_t nenc[MAXM][2], enc_cap[MAXM][2];
} slot;

typedef struct prep_report {
    uint32_t *status;            /* (nrows) */
    double *seconds;             /* (nrows) audio seconds, < 0 none */
    int64_t *frames;             /* (nrows) frames, -1 none */
    char **what;                 /* (nrows) malloc'd; NULL = not reached */
} prep_report;

typedef struct prep_ctx {
    const asgml_prep_options *o;
    asgml_manifest *m;
    int64_t *cand;               /* (ncand,) manifest row indices to decode */
    int64_t ncand;
    char **mismatch_path;        /* (nrows,) replacement image or NULL */
    int default_scheme;          /* index into m->schemes, -1 none */
    /* shapes fixed before decoding */
    int rate;                    /* Hz */
    int64_t fit_len;             /* samples */
    int spec_f, spec_t;
    int img_h, img_w, img_c;
    int seq_dim[MAXM];           /* D per seq modality */
    int seq_len[MAXM];           /* L per seq modality */
    int64_t window;              /* audio_window in samples (> 0: the wave is the sample dataset) */
    int corrupt_img, corrupt_aud;
    asgml_stft_params stft;
    int use_fbank;               /* audio features: Kaldi fbank rows + fbank_offset (spec_f = frames
                                    of the fitted length, spec_t = mel bins); count = rows */
    int native;                  /* fit "none": fbank and wave at the clip's own length */
    int64_t fbank_rows;          /* the model's row count (attribute target_rows) */
    int rows_ds[MAXM][2];        /* 1: that dataset is rows + offsets (fbank, native wave) */
    int64_t *row_off[MAXM][2];   /* (N+1) offsets of those datasets */
    asgml_fbank_params fbank;
    int use_psd;                 /* audio features "psd" (spectral.c; spec_f x spec_t in /spec) */
    int use_mel;                 /* audio features "mel" (spectral.c; mel_h x mel_w in /spec) */
    asgml_psd_params psd;
    asgml_mel_params mel;
    prep_moments stats[MAXM][2]; /* /stats: training rows merged in store order */
    prep_report rep;             /* per manifest row: what happened (prep_report.c) */
    asgml_resampler rs;          /* --resampler */
    int direct[MAXM][2];         /* 1: that dataset's chunks are encoded by the workers */
    asgml_sw_codec codec[MAXM][2];
    double prof[ASGML_PREP_NSTAGES]; /* options.profile: the workers' CPU seconds per stage */
    /* ring */
    slot *slots;
    int nslots;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_ready;
    int64_t next, written;
    int stop;
} prep_ctx;

/* The per-sample report OUT.report.tsv (prep_report.c): one line per
 * manifest row in store order: id, status (hex), flag names, audio
 * seconds, frames, what happened (stored, stored with zeros, skipped) and
 * the manifest's note. */
asgml_status prep_report_init(prep_ctx *c);
/* Row k: decoded into slot sl (sl NULL: skipped before decoding with msg). */
void prep_report_row(prep_ctx *c, int64_t k, const slot *sl, const char *skipped_msg);
/* Writes OUT.report.tsv through a temporary file (asgml/atomic_file.h). */
asgml_status prep_report_write(prep_ctx *c, const char *store_path);
void prep_report_free(prep_ctx *c);

/* /stats (prep_sample_stats.c): the dimension D of modality mi's main
 * (a = 0) or auxiliary (a = 1: wave, image_clean, a windowed wave's
 * spectrogram) statistics, 0 = none; the moments of one decoded sample into
 * sl->mom; the merged moments c->stats written under /stats. */
int prep_stats_dim(const prep_ctx *c, int mi, int a);
asgml_status prep_sample_moments(const prep_ctx *c, slot *sl);
asgml_status prep_write_stats(prep_ctx *c, asgml_store_writer *w);

/* Writes meta, splits and attributes for the kept samples kept[0..n)
 * (prep_metadata.c). */
asgml_status prep_write_metadata(prep_ctx *c, asgml_store_writer *w, const int64_t *kept, int64_t n,
                                 const uint32_t *status, const uint8_t *mism, asgml_prep_result *res);

#endif
