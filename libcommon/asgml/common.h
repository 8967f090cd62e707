/* SPDX-License-Identifier: MIT */
/* asgml/common.h - status codes, error reporting, version of libasgml.
 *
 * The library never prints and never exits: every fallible function returns
 * an asgml_status and, on failure, leaves a one-line message (without the
 * program name) that asgml_last_error() returns.  The message is
 * thread-local, so decoding threads do not clobber each other.  Messages
 * name the file (and line, where one exists) first: "FILE:LINE: what". */
#ifndef ASGML_COMMON_H
#define ASGML_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* The API is what the public headers declare: libasgml is compiled with
 * -fvisibility=hidden, and every declaration between ASGML_BEGIN_DECLS and
 * ASGML_END_DECLS (which also give C linkage to C++) is exported.  ASGML_API
 * marks a single declaration outside such a block. */
#if defined(__GNUC__) && __GNUC__ >= 4
#define ASGML_API __attribute__((visibility("default")))
#define ASGML_VISIBILITY_PUSH_ _Pragma("GCC visibility push(default)")
#define ASGML_VISIBILITY_POP_ _Pragma("GCC visibility pop")
#else
#define ASGML_API
#define ASGML_VISIBILITY_PUSH_
#define ASGML_VISIBILITY_POP_
#endif
#ifdef __cplusplus
#define ASGML_BEGIN_DECLS extern "C" { ASGML_VISIBILITY_PUSH_
#define ASGML_END_DECLS ASGML_VISIBILITY_POP_ }
#else
#define ASGML_BEGIN_DECLS ASGML_VISIBILITY_PUSH_
#define ASGML_END_DECLS ASGML_VISIBILITY_POP_
#endif

ASGML_BEGIN_DECLS

typedef enum asgml_status {
    ASGML_OK = 0,
    ASGML_EINVAL = 1,   /* bad argument, option or configuration value */
    ASGML_EIO = 2,      /* a file could not be opened, read or written */
    ASGML_EFORMAT = 3,  /* a file was read but its content is wrong */
    ASGML_ENOMEM = 4,   /* an allocation failed */
    ASGML_ENOTSUP = 5,  /* feature not compiled in or op not supported */
    ASGML_ENUMERIC = 6, /* NaN/Inf met where a finite value is required */
    ASGML_EDEVICE = 7,  /* accelerator error (no device, CUDA/cuDNN failure) */
    ASGML_EINTERNAL = 8 /* a bug: an invariant of the library did not hold */
} asgml_status;

/* Records a printf-style message for the calling thread; returns status so
 * callers can write: return asgml_error(ASGML_EIO, "%s: %s", path, why); */
asgml_status asgml_error(asgml_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prefixes the current message: "PREFIX: old message" (for context). */
asgml_status asgml_error_prefix(asgml_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *asgml_last_error(void);
void asgml_clear_error(void);
const char *asgml_status_name(asgml_status status);

/* s as a quoted, escaped JSON string ("a\"b"), through jansson; bytes that
 * are not UTF-8 become U+FFFD (JSON text is UTF-8).  malloc'd (free()),
 * NULL when out of memory. */
char *asgml_json_quote(const char *s);

/* "0.1.0" */
const char *asgml_version(void);
/* Space-separated features compiled in, e.g. "blas=openblas threads=openmp
 * cuda=no cudnn=no". */
const char *asgml_features(void);

ASGML_END_DECLS
#endif
