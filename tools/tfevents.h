/* SPDX-License-Identifier: MIT */
/* tfevents.h - TensorBoard event files (asgml-report --tensorboard).
 *
 * A file is a sequence of TFRecords, each
 *     uint64 length (little endian) | uint32 masked_crc32c(length bytes)
 *     | data[length] | uint32 masked_crc32c(data)
 * with masked_crc(c) = ((c >> 15) | (c << 17)) + 0xa282ead8 (TensorFlow,
 * tensorflow/core/lib/io/record_writer.cc and lib/hash/crc32c.h); the data
 * is a serialised Event (tools/tfevent.proto, packed by protobuf-c), the
 * first one holding file_version "brain.Event:2".  CRC-32C by ISA-L
 * (crc32_iscsi).  The file is written through the atomic writer: it
 * appears complete at tfevents_close() or not at all.  Tool code: errors
 * are printed with cli_error() and returned as -1. */
#ifndef ASGML_TOOLS_TFEVENTS_H
#define ASGML_TOOLS_TFEVENTS_H

#include <stdint.h>

#include "asgml/atomic_file.h"

typedef struct tfevents {
    asgml_atomic_file af;
    int failed;
} tfevents;

/* Creates PATH (atomically) and writes the file-version event. */
int tfevents_open(tfevents *w, const char *path, double wall_time);
/* One scalar: Event{wall_time, step, summary{value{tag, simple_value}}}. */
int tfevents_scalar(tfevents *w, double wall_time, int64_t step, const char *tag, double value);
/* Commits the file (fsync + rename); on an earlier failure removes it. */
int tfevents_close(tfevents *w);
/* Drops an open file without committing it. */
void tfevents_abort(tfevents *w);

/* The masked CRC-32C of a record's parts (exposed for the tests). */
uint32_t tfevents_masked_crc(const void *data, size_t n);

#endif
