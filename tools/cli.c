/* SPDX-License-Identifier: MIT */
/* cli.c - command-line manners shared by the asgml tools (see cli.h). */
#include "config.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgml/common.h"
#include "cli.h"

const char *cli_program_name = "asgml";

/* A failed write to stdout (e.g. >/dev/full) must not go unnoticed. */
static void close_stdout(void)
{
    int failed = ferror(stdout) != 0;
    if (fclose(stdout) != 0 && !(errno == EBADF && !failed))
        failed = 1;
    if (failed) {
        fprintf(stderr, "%s: write error on standard output: %s\n", cli_program_name,
                strerror(errno ? errno : EIO));
        _exit(CLI_EXIT_FAILURE);
    }
}

void cli_init(const char *argv0, const char *name)
{
    (void)argv0;
    cli_program_name = name;
    atexit(close_stdout);
}

noreturn void cli_version(void)
{
    printf("%s (asgml) %s\n", cli_program_name, asgml_version());
    printf("features: %s\n", asgml_features());
    exit(CLI_EXIT_OK);
}

noreturn void cli_try_help(void)
{
    fprintf(stderr, "Try '%s --help' for more information.\n", cli_program_name);
    exit(CLI_EXIT_USAGE);
}

noreturn void cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cli_program_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", cli_program_name);
    exit(CLI_EXIT_USAGE);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cli_program_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: warning: ", cli_program_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

long cli_parse_long(const char *opt, const char *s, long min, long max)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0')
        cli_usage_error("%s: '%s' is not an integer", opt, s);
    if (v < min || v > max)
        cli_usage_error("%s: %ld is out of range [%ld, %ld]", opt, v, min, max);
    return v;
}

double cli_parse_double(const char *opt, const char *s, double min, double max)
{
    char *end;
    double v;
    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !isfinite(v))
        cli_usage_error("%s: '%s' is not a number", opt, s);
    if (v < min || v > max)
        cli_usage_error("%s: %g is out of range [%g, %g]", opt, v, min, max);
    return v;
}

void cli_passive_openmp(char **argv)
{
    if (getenv("OMP_WAIT_POLICY") != NULL)
        return;
    if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0)
        return;
    execv("/proc/self/exe", argv);
    /* no /proc: go on with the default policy (only slower when shared) */
}

int cli_stderr_is_tty(void)
{
    return isatty(STDERR_FILENO);
}
