/* SPDX-License-Identifier: MIT */
/* sha256.h - SHA-256 (FIPS 180-4), used for the store's content checksum
 * and for list-file checksums.  Private to libasgml. */
#ifndef ASGML_SHA256_H
#define ASGML_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include <nettle/sha2.h>

typedef struct asgml_sha256 {
    struct sha256_ctx ctx;   /* GNU Nettle's state (sha256.c) */
} asgml_sha256;

void asgml_sha256_init(asgml_sha256 *c);
void asgml_sha256_update(asgml_sha256 *c, const void *data, size_t n);
/* Writes the 32-byte digest; c must be re-initialised before reuse. */
void asgml_sha256_final(asgml_sha256 *c, uint8_t digest[32]);
/* Lower-case hex of a digest: 64 characters plus NUL. */
void asgml_sha256_hex(const uint8_t digest[32], char hex[65]);

#endif
