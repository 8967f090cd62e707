/* SPDX-License-Identifier: MIT */
/* tfevents.c - TensorBoard event files: TFRecord framing of protobuf-c
 * packed Events (tfevents.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <isa-l/crc.h>

#include "cli.h"
#include "tfevents.h"
#include "tools/tfevent.pb-c.h"

/* CRC-32C (Castagnoli) as TensorFlow's crc32c::Value: ISA-L's crc32_iscsi
 * with the initial value ~0 and the result inverted (check value of
 * "123456789": 0xe3069283). */
static uint32_t crc32c(const void *data, size_t n)
{
    return ~crc32_iscsi((unsigned char *)data, (int)n, 0xffffffffu);
}

uint32_t tfevents_masked_crc(const void *data, size_t n)
{
    uint32_t c = crc32c(data, n);
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* One TFRecord around the packed event. */
static int write_event(tfevents *w, const AsgmlTb__Event *ev)
{
    size_t n = asgml_tb__event__get_packed_size(ev);
    unsigned char head[12], tail[4], *buf = malloc(n ? n : 1);
    if (!buf) {
        cli_error("%s: out of memory", w->af.path);
        return w->failed = -1;
    }
    asgml_tb__event__pack(ev, buf);
    put_le(head, n, 8);
    put_le(head + 8, tfevents_masked_crc(head, 8), 4);
    put_le(tail, tfevents_masked_crc(buf, n), 4);
    int ok = fwrite(head, 1, sizeof head, w->af.f) == sizeof head
             && fwrite(buf, 1, n, w->af.f) == n
             && fwrite(tail, 1, sizeof tail, w->af.f) == sizeof tail;
    free(buf);
    if (!ok) {
        cli_error("%s: write failed", w->af.path);
        return w->failed = -1;
    }
    return 0;
}

int tfevents_open(tfevents *w, const char *path, double wall_time)
{
    memset(w, 0, sizeof *w);
    if (asgml_atomic_open(path, &w->af) != ASGML_OK) {
        cli_error("%s", asgml_last_error());
        return -1;
    }
    AsgmlTb__Event ev = ASGML_TB__EVENT__INIT;
    ev.wall_time = wall_time;
    ev.what_case = ASGML_TB__EVENT__WHAT_FILE_VERSION;
    ev.file_version = (char *)"brain.Event:2";
    if (write_event(w, &ev) != 0) {
        tfevents_abort(w);
        return -1;
    }
    return 0;
}

int tfevents_scalar(tfevents *w, double wall_time, int64_t step, const char *tag, double value)
{
    if (w->failed)
        return -1;
    AsgmlTb__Summary__Value v = ASGML_TB__SUMMARY__VALUE__INIT, *vp = &v;
    v.tag = (char *)tag;
    v.value_case = ASGML_TB__SUMMARY__VALUE__VALUE_SIMPLE_VALUE;
    v.simple_value = (float)value;
    AsgmlTb__Summary sum = ASGML_TB__SUMMARY__INIT;
    sum.n_value = 1;
    sum.value = &vp;
    AsgmlTb__Event ev = ASGML_TB__EVENT__INIT;
    ev.wall_time = wall_time;
    ev.step = step;
    ev.what_case = ASGML_TB__EVENT__WHAT_SUMMARY;
    ev.summary = &sum;
    return write_event(w, &ev);
}

int tfevents_close(tfevents *w)
{
    if (w->failed) {
        tfevents_abort(w);
        return -1;
    }
    if (asgml_atomic_commit(&w->af) != ASGML_OK) {
        cli_error("%s", asgml_last_error());
        return -1;
    }
    return 0;
}

void tfevents_abort(tfevents *w)
{
    asgml_atomic_abort(&w->af);
}
