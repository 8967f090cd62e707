/* SPDX-License-Identifier: MIT */
/* fuzz_util.h - what the libFuzzer harnesses share (HACKING, Fuzzing).
 *
 * asgml-prep's decode layer, the manifest and YAML readers, the store and
 * the checkpoint reader all take a PATH, never a buffer: the fuzzer's bytes
 * are written to a file of this process (in $FUZZ_TMPDIR, else /dev/shm,
 * else /tmp), the path is handed to the library exactly as the tools hand
 * it, and the file is removed again after each input.  HDF5 readers are
 * checked for identifiers left open (a leaked file id keeps the file open
 * and is what made HDF5's exit handler crash on a full disk, issue 13). */
#ifndef ASGML_FUZZ_UTIL_H
#define ASGML_FUZZ_UTIL_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes data[0..size) to this process's input file; returns its path
 * (static storage) or aborts: a harness that cannot write its input must
 * not report "no crash". */
static const char *fuzz_write_input(const uint8_t *data, size_t size, const char *suffix)
{
    static char path[512];
    if (!path[0]) {
        const char *dir = getenv("FUZZ_TMPDIR");
        if (!dir || !*dir)
            dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(path, sizeof path, "%s/asgml-fuzz-%ld%s", dir, (long)getpid(), suffix);
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror(path);
        abort();
    }
    for (size_t off = 0; off < size;) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) {
            perror(path);
            abort();
        }
        off += (size_t)w;
    }
    close(fd);
    return path;
}

static void fuzz_remove_input(const char *path)
{
    unlink(path);
}

#endif
