/* SPDX-License-Identifier: MIT */
/* manifest.h - the asgml-prep input manifest (format: asgml-prep(1),
 * section MANIFEST) and the AV-Digits manifest builder.  Private to libasgml.
 *
 * A manifest is UTF-8 TSV.  Optional directives "#@classes", "#@dataset" and
 * "#@root" come first; other lines starting with '#' and blank lines are
 * ignored; a BOM and CRs are skipped.  The first other line is the header:
 *   id  label  [split[:SCHEME]]...  [group[:KIND]]  [meta:NAME[:int]]...
 *   [flags] [note] [video_seconds]
 *   NAME:KIND...            KIND = audio | image | frames | seq
 * flags: status flag names (asgml_flag_names) or a number, ORed into
 * /meta/status; note: text for the report; video_seconds: the video's
 * duration, compared with the audio's (AV_DURATION_MISMATCH).
 * ("audio" alone means audio:audio, "visual" alone visual:image).  Rows are
 * returned sorted bytewise by id, which is the store order. */
#ifndef ASGML_MANIFEST_H
#define ASGML_MANIFEST_H

#include "asgml/common.h"
#include "asgml/prep.h"

#define ASGML_MANIFEST_MAX_MOD 8
#define ASGML_MANIFEST_MAX_SCHEMES 8
#define ASGML_MANIFEST_MAX_META 16

typedef enum asgml_mod_kind {
    ASGML_KIND_AUDIO, ASGML_KIND_IMAGE, ASGML_KIND_FRAMES, ASGML_KIND_SEQ
} asgml_mod_kind;

const char *asgml_mod_kind_name(asgml_mod_kind k);

/* Split part codes */
enum { ASGML_PART_NONE = -1, ASGML_PART_TRAIN = 0, ASGML_PART_VAL = 1, ASGML_PART_TEST = 2 };
extern const char *const asgml_part_names[3]; /* "train", "val", "test" */

typedef struct asgml_manifest_row {
    char *id;
    int line;                       /* 1-based line in the manifest */
    int label;                      /* index into classes, -1 = none */
    signed char part[ASGML_MANIFEST_MAX_SCHEMES]; /* ASGML_PART_* per scheme */
    int group;                      /* index into group_names, -1 = none */
    char *meta[ASGML_MANIFEST_MAX_META];
    char *cell[ASGML_MANIFEST_MAX_MOD]; /* path (resolved against root); frames: raw cell */
    char *err;                      /* NULL, or "MANIFEST:LINE: what is wrong" */
    uint32_t flags;                 /* flags column: ASGML_FLAG_* set by the manifest's builder */
    char *note;                     /* note column or NULL */
    double video_seconds;           /* video_seconds column; < 0 = not given */
} asgml_manifest_row;

typedef struct asgml_manifest {
    char *path;                     /* as given */
    char *root;                     /* directory relative paths are resolved against */
    char *dataset;                  /* "#@dataset" or NULL */
    char sha256[65];                /* of the manifest file's bytes */
    int nclass;
    char **classes;
    char *classes_source;           /* "option", "directive" or "sorted_labels" */
    int nscheme;
    char *schemes[ASGML_MANIFEST_MAX_SCHEMES];
    int has_group;
    char group_kind[32];
    int ngroup;
    char **group_names;             /* sorted bytewise */
    int nmeta;
    char *meta_names[ASGML_MANIFEST_MAX_META];
    int meta_is_int[ASGML_MANIFEST_MAX_META];
    int nmod;
    char mod_names[ASGML_MANIFEST_MAX_MOD][32];
    asgml_mod_kind mod_kinds[ASGML_MANIFEST_MAX_MOD];
    int64_t nrows;
    asgml_manifest_row *rows;       /* sorted by id; rows with err included */
    int64_t nbad;                   /* rows with err != NULL */
} asgml_manifest;

/* The 16 status flag names of bit i ("AUDIO_MISSING", ...; "?" unused). */
extern const char *const asgml_flag_names[16];
/* Parses "NAME[,NAME...]" (names of asgml_flag_names, case as listed) or a
 * number (0x... allowed) into *flags; ASGML_EINVAL naming the bad word. */
asgml_status asgml_flags_parse(const char *s, uint32_t *flags);

/* Reads and checks a manifest.  classes_path (may be NULL) names a file with
 * one class name per line, which then fixes the class order.  Errors in the
 * header or the classes file fail; errors of single rows (column count,
 * unknown label, duplicate id, bad split or int value) are recorded in
 * row->err so the caller can stop or skip. */
asgml_status asgml_manifest_read(const char *path, const char *classes_path,
                                 asgml_manifest **out);
void asgml_manifest_free(asgml_manifest *m);

/* Expands a frames cell: paths separated by ';', each one a path or a glob
 * (sorted bytewise); relative paths against root.  *paths is a NULL-ended
 * malloc'd array (free with asgml_manifest_free_list). */
asgml_status asgml_manifest_frame_list(const char *root, const char *cell, char ***paths,
                                       int *n);
void asgml_manifest_free_list(char **paths);

/* Reserve images for --img-mismatch: lines "LABEL<TAB>PATH" (directive #@root
 * allowed), in the order they are to be used.  Labels are mapped through
 * the manifest's classes.  Returns per class a NULL-ended list. */
asgml_status asgml_reserve_read(const char *path, const asgml_manifest *m, char ****per_class,
                                int64_t **count);
void asgml_reserve_free(char ***per_class, int64_t *count, int nclass);

/* asgml_avdigits_manifest() (the AV-Digits manifest builder): asgml/prep.h. */

#endif
