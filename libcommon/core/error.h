/* SPDX-License-Identifier: MIT */
/* core/error.h - the library's two error idioms (private to libasgml).
 *
 *   CK(expr)                 evaluate an asgml_status expression; return it
 *                            from the calling function unless ASGML_OK
 *   return ASGML_ERR(st, fmt, ...)
 *                            record "FILE:LINE: message" (FILE is the source
 *                            file's base name) for asgml_last_error() and
 *                            return st — for errors that are the library's
 *                            own (bad arguments, invariants, allocation);
 *                            errors about a user's input name that input's
 *                            file and line instead, through asgml_error().
 * (git's `return error(...)` idiom.) */
#ifndef ASGML_CORE_ERROR_H
#define ASGML_CORE_ERROR_H

#include "asgml/common.h"

#define CK(expr) do { asgml_status st_ = (expr); if (st_ != ASGML_OK) return st_; } while (0)

asgml_status asgml_error_at(const char *file, int line, asgml_status status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define ASGML_ERR(status, ...) asgml_error_at(__FILE__, __LINE__, (status), __VA_ARGS__)

#endif
