/* SPDX-License-Identifier: MIT */
/* fuzz_manifest.c - libFuzzer harness: the asgml-prep manifest reader.
 *
 * Reaches asgml_manifest_read (libcommon/data/manifest.c) as asgml-prep
 * calls it (prep.c, asgml_prep_run): BOM and CR handling, the #@classes /
 * #@dataset / #@root directives, the header (id label split[:SCHEME]
 * group[:KIND] meta:NAME[:int] NAME:KIND columns), every row's checks
 * (column count, labels, split values, duplicate ids, int metadata), the
 * bytewise sort and the SHA-256 of the bytes.  Then it walks what a caller
 * reads (rows, classes, groups, metadata) so that a wrong count or a
 * dangling pointer is seen by ASan.  The input is a file (fuzz_util.h):
 * the reader takes a path.  Relative media paths are resolved, never
 * opened (that is asgml-prep's job, fuzzed by fuzz_wav/png/...). */
#include <stdint.h>
#include <string.h>

#include "data/manifest.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_input(data, size, ".tsv");
    asgml_manifest *m = NULL;
    size_t sum = 0;

    if (asgml_manifest_read(path, NULL, &m) == ASGML_OK) {
        for (int c = 0; c < m->nclass; c++)
            sum += strlen(m->classes[c]);
        for (int g = 0; g < m->ngroup; g++)
            sum += strlen(m->group_names[g]);
        for (int64_t i = 0; i < m->nrows; i++) {
            const asgml_manifest_row *r = &m->rows[i];
            sum += strlen(r->id) + (r->err ? strlen(r->err) : 0);
            if (!r->err) {
                if (r->label >= m->nclass || (r->group >= 0 && r->group >= m->ngroup))
                    __builtin_trap();   /* an index past its table */
                for (int k = 0; k < m->nmod; k++)
                    sum += r->cell[k] ? strlen(r->cell[k]) : 0;
                for (int k = 0; k < m->nmeta; k++)
                    sum += r->meta[k] ? strlen(r->meta[k]) : 0;
            }
            /* rows come sorted bytewise by id (the store order) */
            if (i > 0 && strcmp(m->rows[i - 1].id, r->id) > 0)
                __builtin_trap();
        }
        asgml_manifest_free(m);
    }
    fuzz_remove_input(path);
    (void)sum;
    return 0;
}
