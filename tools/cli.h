/* SPDX-License-Identifier: MIT */
/* cli.h - command-line manners shared by the asgml tools (coreutils style).
 *
 *   cli_init(argv[0], "asgml-prep");   first thing in main()
 *   cli_usage_error("unknown method '%s'", m);   one line + Try ... ; exit 2
 *   cli_error("%s", asgml_last_error());  "asgml-prep: ..." on stderr
 *   cli_version();  prints version and features to stdout, exits 0
 * stdout is checked at exit: a failed write (e.g. >/dev/full) is an error. */
#ifndef ASGML_CLI_H
#define ASGML_CLI_H

#include <stdnoreturn.h>

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILURE = 1, CLI_EXIT_USAGE = 2 };

extern const char *cli_program_name;

void cli_init(const char *argv0, const char *name);
noreturn void cli_version(void);
/* After getopt_long has printed its own message: the Try line, exit 2. */
noreturn void cli_try_help(void);
noreturn void cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parse helpers: exit through cli_usage_error on bad input; `opt` names the
 * option in the message ("--jobs"). */
long cli_parse_long(const char *opt, const char *s, long min, long max);
double cli_parse_double(const char *opt, const char *s, double min, double max);
/* OpenMP threads that spin while waiting waste the cores when the machine
 * is shared (a grid running several trainings, other jobs): unless the
 * user set OMP_WAIT_POLICY, re-execute the program once with
 * OMP_WAIT_POLICY=passive (libgomp reads it only at start-up). */
void cli_passive_openmp(char **argv);
/* 1 when stderr is a terminal (progress lines allowed). */
int cli_stderr_is_tty(void);

#endif
