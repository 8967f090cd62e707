/* asgml-report.c - placeholder until its issue lands: parses the common options
 * and fails honestly. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "asgml/common.h"
#include "cli.h"

static void usage(void)
{
    printf("Usage: asgml-report [OPTION]...\n"
           "Not implemented yet.\n\n"
           "      --help     display this help and exit\n"
           "      --version  output version information and exit\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    int c;
    cli_init(argv[0], "asgml-report");
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': usage(); return CLI_EXIT_OK;
        case 'V': cli_version();
        default: cli_try_help();
        }
    }
    cli_error("not implemented yet");
    return CLI_EXIT_FAILURE;
}
