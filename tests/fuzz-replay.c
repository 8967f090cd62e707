/* SPDX-License-Identifier: MIT */
/* fuzz-replay.c - a main() for the libFuzzer harnesses of fuzz/ in the
 * ordinary build (make check, tests/fuzz-replay.sh): each FILE argument is
 * read and handed to LLVMFuzzerTestOneInput once, as libFuzzer does when
 * given files instead of directories (after LLVMFuzzerInitialize, if the
 * harness has one).  So the seeds and every input a fuzzer once found
 * faulty (tests/fixtures/fuzz/NAME/) run through the same harness code on
 * every make check: a trap or crash fails the test, and a sanitizer build
 * of make check sees their memory errors and undefined behaviour.
 * Output: "replayed N inputs" on stdout; exit 1 on an unreadable file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        uint8_t *buf = NULL;
        long len;
        if (!f || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
            fseek(f, 0, SEEK_SET) != 0 || !(buf = malloc((size_t)len + 1)) ||
            fread(buf, 1, (size_t)len, f) != (size_t)len) {
            fprintf(stderr, "fuzz-replay: cannot read %s\n", argv[i]);
            return 1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t)len);
        free(buf);
    }
    printf("replayed %d inputs\n", argc - 1);
    return 0;
}
