/* SPDX-License-Identifier: MIT */
/* fuzz_store.c - libFuzzer harness: the HDF5 store reader.
 *
 * Reaches asgml_store_open (libcommon/data/store.c) as asgml-train,
 * asgml-probe and asgml-eval call it: HDF5's superblock, object header,
 * B-tree, heap and filter (deflate) parsers through libhdf5, then asgml's
 * own checks of the root attributes (format, format_version), /meta/id,
 * /meta/label, /meta/class_names, /splits/<scheme>/<part> and every
 * modality group (sample_dataset, shapes, dtypes, frame and row offsets).
 * Then what a training run reads: the accessors, every split of the
 * default scheme, the first and last sample of every modality (first and
 * last frame) through asgml_store_read, and asgml_store_verify (asgml-prep
 * verify: content checksum, ordering, disjoint splits, finite values).
 * After each input no HDF5 identifier may remain open (fuzz_util.h).
 * The input is a file in /dev/shm (fuzz_util.h): the reader takes a path
 * and opens it with H5Fopen, as the tools do (an HDF5 core-driver file
 * image would need a second, fuzz-only open function). */
#include <stdint.h>
#include <stdlib.h>

#include <hdf5.h>

#include "asgml/prep.h"
#include "asgml/store.h"
#include "fuzz_util.h"

#define MAX_SAMPLE_BYTES ((size_t)64 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_some(asgml_store *s)
{
    static const char *const parts[] = { "train", "val", "test" };
    int64_t n = asgml_store_num_samples(s);
    const int32_t *labels = asgml_store_labels(s);
    const int32_t *idx;
    int64_t k;

    for (int c = 0; c < asgml_store_num_classes(s); c++)
        if (!asgml_store_class_name(s, c))
            __builtin_trap();
    for (int64_t i = 0; i < n; i++)
        if (!asgml_store_id(s, i) || labels[i] < -1 || labels[i] >= asgml_store_num_classes(s))
            __builtin_trap();
    (void)asgml_store_checksum(s);
    (void)asgml_store_dataset_name(s);
    for (int p = 0; p < 3; p++)
        if (asgml_store_split(s, NULL, parts[p], &idx, &k) == ASGML_OK)
            for (int64_t j = 0; j < k; j++)
                if (idx[j] < 0 || idx[j] >= n)
                    __builtin_trap();   /* open() promises indices in range */
    for (int m = 0; m < asgml_store_num_modalities(s) && n > 0; m++) {
        size_t bytes = asgml_store_sample_bytes(s, m);
        const asgml_modality_info *mi = asgml_store_modality(s, m);
        void *buf;
        if (!mi || asgml_store_find_modality(s, mi->name) != m)
            __builtin_trap();
        if (bytes == 0 || bytes > MAX_SAMPLE_BYTES || !(buf = malloc(bytes)))
            continue;
        for (int64_t i = 0; i < n; i += n > 1 ? n - 1 : 1) {
            int64_t frames = asgml_store_frame_count(s, m, i);
            (void)asgml_store_read(s, m, &i, 1, 0, buf);
            (void)asgml_store_read(s, m, &i, 1, frames - 1, buf);
        }
        free(buf);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_input(data, size, ".h5");
    asgml_store *s = NULL;

    if (asgml_store_open(path, &s) == ASGML_OK) {
        read_some(s);
        asgml_store_close(s);
        (void)asgml_store_verify(path);
    }
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0)
        __builtin_trap();   /* an identifier (file, dataset, ...) left open */
    fuzz_remove_input(path);
    return 0;
}
