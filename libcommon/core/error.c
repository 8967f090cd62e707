/* SPDX-License-Identifier: MIT */
/* error.c - thread-local error messages and status names (asgml/common.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "asgml/common.h"
#include "core/error.h"

#define ASGML_ERROR_MAX 1024

static _Thread_local char last_error[ASGML_ERROR_MAX];

asgml_status asgml_error(asgml_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return status;
}

asgml_status asgml_error_at(const char *file, int line, asgml_status status, const char *fmt, ...)
{
    const char *base = strrchr(file, '/');
    int len = snprintf(last_error, sizeof last_error, "%s:%d: ", base ? base + 1 : file, line);
    if (len < 0 || (size_t)len >= sizeof last_error)
        return status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error + len, sizeof last_error - (size_t)len, fmt, ap);
    va_end(ap);
    return status;
}

asgml_status asgml_error_prefix(asgml_status status, const char *fmt, ...)
{
    char prefix[ASGML_ERROR_MAX], old[ASGML_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_error, sizeof old);
    /* "PREFIX: OLD", truncated to the buffer */
    size_t len = strlen(prefix);
    memcpy(last_error, prefix, len + 1);
    if (old[0] && len + 2 < sizeof last_error) {
        size_t room = sizeof last_error - len - 3, olen = strlen(old);
        if (olen > room)
            olen = room;
        last_error[len] = ':';
        last_error[len + 1] = ' ';
        memcpy(last_error + len + 2, old, olen);
        last_error[len + 2 + olen] = '\0';
    }
    return status;
}

const char *asgml_last_error(void)
{
    return last_error[0] ? last_error : "no error recorded";
}

void asgml_clear_error(void)
{
    last_error[0] = '\0';
}

const char *asgml_status_name(asgml_status status)
{
    switch (status) {
    case ASGML_OK: return "success";
    case ASGML_EINVAL: return "invalid argument";
    case ASGML_EIO: return "input/output error";
    case ASGML_EFORMAT: return "bad file content";
    case ASGML_ENOMEM: return "out of memory";
    case ASGML_ENOTSUP: return "not supported";
    case ASGML_ENUMERIC: return "non-finite value";
    case ASGML_EDEVICE: return "device error";
    case ASGML_EINTERNAL: return "internal error";
    }
    return "unknown status";
}
