/* SPDX-License-Identifier: MIT */
/* sha256.h - SHA-256 (FIPS 180-4), used for the store's content checksum
 * and for list-file checksums.  Private to libasgml. */
#ifndef ASGML_SHA256_H
#define ASGML_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct asgml_sha256 {
    uint32_t h[8];      /* chaining state */
    uint64_t len;       /* bytes hashed so far */
    uint8_t buf[64];    /* pending partial block */
    size_t nbuf;        /* bytes in buf, < 64 */
} asgml_sha256;

void asgml_sha256_init(asgml_sha256 *c);
void asgml_sha256_update(asgml_sha256 *c, const void *data, size_t n);
/* Writes the 32-byte digest; c must be re-initialised before reuse. */
void asgml_sha256_final(asgml_sha256 *c, uint8_t digest[32]);
/* Lower-case hex of a digest: 64 characters plus NUL. */
void asgml_sha256_hex(const uint8_t digest[32], char hex[65]);

#endif
