/* error.c - thread-local error messages and status names (asgml/common.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "asgml/common.h"

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

asgml_status asgml_error_prefix(asgml_status status, const char *fmt, ...)
{
    char prefix[ASGML_ERROR_MAX], old[ASGML_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_error, sizeof old);
    if (old[0])
        snprintf(last_error, sizeof last_error, "%s: %s", prefix, old);
    else
        snprintf(last_error, sizeof last_error, "%s", prefix);
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
