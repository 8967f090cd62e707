/* SPDX-License-Identifier: MIT */
/* store_chunk.h - the store's chunk codec outside HDF5 (asgml-store(5),
 * Compression): a per-sample chunk is byte-shuffled (HDF5's shuffle filter:
 * byte b of element i moves to b * n + i) and deflated into a zlib stream
 * (HDF5's deflate filter, RFC 1950) by ISA-L's igzip, so that decoding threads
 * compress their own chunks and the writer hands them to HDF5 unchanged
 * (H5Dwrite_chunk).  HDF5 and h5py decode such chunks with their own
 * filters.  A chunk that deflate does not shrink is stored raw with every
 * filter bit set in its filter mask (HDF5 skips those filters on read).
 * Private to libasgml; thread-safe per encoder. */
#ifndef ASGML_STORE_CHUNK_H
#define ASGML_STORE_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "asgml/common.h"

/* How one dataset's chunks are coded. */
typedef struct asgml_sw_codec {
    int deflate;        /* 0-9 as recorded in the HDF5 filter, 0 = none */
    int shuffle;        /* 0/1 */
    size_t esize;       /* bytes per element */
    size_t bytes;       /* bytes per chunk, raw */
    int nfilters;       /* filters in the dataset's pipeline (shuffle, deflate) */
} asgml_sw_codec;

/* One encoded chunk. */
typedef struct asgml_sw_chunk {
    void *buf;          /* the encoded bytes (owned, grows) */
    size_t cap, size;   /* allocated, used */
    uint32_t mask;      /* HDF5 filter mask: bit k set = filter k not applied */
} asgml_sw_chunk;

/* igzip's level (1-3) for the store's deflate level 1-9; 0 for 0. */
int asgml_sw_igzip_level(int deflate);

/* Per-thread encoder: igzip's state and hash tables, a shuffle buffer. */
typedef struct asgml_sw_encoder asgml_sw_encoder;

asgml_status asgml_sw_encoder_new(asgml_sw_encoder **out);
void asgml_sw_encoder_free(asgml_sw_encoder *e);

/* Encodes codec->bytes bytes of data (native order; converted to the
 * store's little-endian order) into out. */
asgml_status asgml_sw_encode(asgml_sw_encoder *e, const asgml_sw_codec *codec, const void *data,
                             asgml_sw_chunk *out);
void asgml_sw_chunk_free(asgml_sw_chunk *c);

/* Per-thread decoder for the content checksum: raw chunk bytes as stored
 * (in, n, filter mask) -> bytes chunk bytes of little-endian elements. */
typedef struct asgml_sw_decoder asgml_sw_decoder;

asgml_status asgml_sw_decoder_new(asgml_sw_decoder **out);
void asgml_sw_decoder_free(asgml_sw_decoder *d);
asgml_status asgml_sw_decode(asgml_sw_decoder *d, const asgml_sw_codec *codec, const void *in,
                             size_t n, uint32_t mask, void *out);

#endif
