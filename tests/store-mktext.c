/* SPDX-License-Identifier: MIT */
/* store-mktext.c - writes a tiny store whose strings break asgml-store(5)'s
 * encodings in one place, for tests/prep-utf8.sh (asgml-prep verify must
 * name it; an older asgml-prep wrote such stores from a manifest's bytes).
 *
 *   store-mktext OUT.h5 good|id|class|group|meta|attr
 *
 * good: every string well-formed (a UTF-8 class name "café" included);
 * id: /meta/id[3] = "s\xc3\xa9" (UTF-8, but ids are ASCII);
 * class: /meta/class_names[1] = "caf\xe9" (Latin-1, invalid UTF-8);
 * group: /meta/group_names[0] invalid; meta: /meta/note[3] invalid;
 * attr: root attribute "dataset" invalid.
 * The content checksum is computed by the writer, so only the strings are
 * wrong. */
#include <stdio.h>
#include <string.h>

#include "data/store_write.h"

int main(int argc, char **argv)
{
    enum { N = 4 };
    const char *what = argc == 3 ? argv[2] : "";
    int bad_id = !strcmp(what, "id"), bad_class = !strcmp(what, "class");
    int bad_group = !strcmp(what, "group"), bad_meta = !strcmp(what, "meta");
    int bad_attr = !strcmp(what, "attr");
    const char *ids[N] = {"s0", "s1", "s2", bad_id ? "s\xc3\xa9" : "s3"};
    const char *classes[2] = {"caf\xc3\xa9", bad_class ? "caf\xe9" : "th\xc3\xa9"};
    const char *groups[2] = {bad_group ? "g\xff" : "g0", "g1"};
    const char *notes[N] = {"a", "b", "\xe2\x82\xac", bad_meta ? "\xc0\xaf" : "d"};
    const char *mods[1] = {"audio"};
    int32_t labels[N] = {0, 1, 0, 1}, train[2] = {0, 1}, test[2] = {2, 3}, group[N] = {0, 1, 0, 1};
    int64_t dn = N, d2 = 2, shape[2] = {2, 2};
    asgml_store_writer *w = NULL;
    asgml_status st;
    int h = -1;
    if (argc != 3 || !(bad_id || bad_class || bad_group || bad_meta || bad_attr || !strcmp(what, "good"))) {
        fprintf(stderr, "usage: store-mktext OUT.h5 good|id|class|group|meta|attr\n");
        return 2;
    }
    st = asgml_sw_create(argv[1], &w);
    if (!st) st = asgml_sw_attr_str(w, "/", "format", "asgml-store");
    if (!st) st = asgml_sw_attr_i64(w, "/", "format_version", 1);
    if (!st) st = asgml_sw_attr_str(w, "/", "dataset", bad_attr ? "d\xed\xa0\x80" : "text-toy");
    if (!st) st = asgml_sw_attr_str(w, "/", "default_split", "main");
    if (!st) st = asgml_sw_attr_i64(w, "/", "num_samples", N);
    if (!st) st = asgml_sw_attr_strs(w, "/", "modalities", mods, 1);
    if (!st) st = asgml_sw_write_strings(w, "/meta/id", ids, N, 1);
    if (!st) st = asgml_sw_write_array(w, "/meta/label", ASGML_SW_I32, 1, &dn, labels);
    if (!st) st = asgml_sw_write_strings(w, "/meta/class_names", classes, 2, 0);
    if (!st) st = asgml_sw_write_array(w, "/meta/group", ASGML_SW_I32, 1, &dn, group);
    if (!st) st = asgml_sw_write_strings(w, "/meta/group_names", groups, 2, 0);
    if (!st) st = asgml_sw_write_strings(w, "/meta/note", notes, N, 0);
    if (!st) st = asgml_sw_write_array(w, "/splits/main/train", ASGML_SW_I32, 1, &d2, train);
    if (!st) st = asgml_sw_write_array(w, "/splits/main/test", ASGML_SW_I32, 1, &d2, test);
    if (!st) st = asgml_sw_attr_str(w, "/audio", "sample_dataset", "spec");
    if (!st) st = asgml_sw_sample_dataset(w, "/audio/spec", ASGML_SW_F32, 2, shape, N, 0, 0, &h);
    for (int i = 0; !st && i < N; i++) {
        float v[4] = {(float)i, 1, 2, 3};
        st = asgml_sw_write_sample(w, h, i, v);
    }
    if (st)
        asgml_sw_abort(w);
    else
        st = asgml_sw_commit(w, NULL);
    if (st) {
        fprintf(stderr, "store-mktext: %s\n", asgml_last_error());
        return 1;
    }
    return 0;
}
