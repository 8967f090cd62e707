/* SPDX-License-Identifier: MIT */
/* atomic_file.c - temporary file beside the target, fsync, rename, fsync of
 * the directory (asgml/atomic_file.h). */
#include "core/error.h"
#include "config.h"

#include "asgml/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void release(asgml_atomic_file *af)
{
    free(af->path);
    free(af->tmp);
    af->path = af->tmp = NULL;
    af->f = NULL;
}

/* mkstemp "<dir>/.<base>.XXXXXX", mode 0666 & ~umask; returns the fd */
static asgml_status create_tmp(const char *path, asgml_atomic_file *af, int *fd)
{
    memset(af, 0, sizeof *af);
    *fd = -1;
    if (!path || !*path)
        return ASGML_ERR(ASGML_EINVAL, "empty output path");
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
    size_t tl = strlen(path) + 9;   /* "." + ".XXXXXX" + NUL */
    af->path = strdup(path);
    af->tmp = malloc(tl);
    if (!af->path || !af->tmp) {
        release(af);
        return asgml_error(ASGML_ENOMEM, "%s: out of memory", path);
    }
    snprintf(af->tmp, tl, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
    *fd = mkstemp(af->tmp);
    if (*fd < 0) {
        asgml_status st = asgml_error(ASGML_EIO, "%s: cannot create a temporary file: %s",
                                      path, strerror(errno));
        release(af);
        return st;
    }
    mode_t um = umask(0);
    umask(um);
    if (fchmod(*fd, 0666 & ~um) != 0) {   /* mkstemp gives 0600; outputs are ordinary files */
        asgml_status st = asgml_error(ASGML_EIO, "%s: chmod: %s", af->tmp, strerror(errno));
        close(*fd);
        unlink(af->tmp);
        release(af);
        return st;
    }
    return ASGML_OK;
}

asgml_status asgml_atomic_open(const char *path, asgml_atomic_file *af)
{
    int fd;
    asgml_status st = create_tmp(path, af, &fd);
    if (st != ASGML_OK) return st;
    af->f = fdopen(fd, "w");
    if (!af->f) {
        st = asgml_error(ASGML_EIO, "%s: %s", af->tmp, strerror(errno));
        close(fd);
        unlink(af->tmp);
        release(af);
    }
    return st;
}

asgml_status asgml_atomic_reserve(const char *path, asgml_atomic_file *af)
{
    int fd;
    asgml_status st = create_tmp(path, af, &fd);
    if (st != ASGML_OK) return st;
    if (close(fd) != 0) {
        st = asgml_error(ASGML_EIO, "%s: close: %s", af->tmp, strerror(errno));
        unlink(af->tmp);
        release(af);
    }
    return st;
}

void asgml_atomic_abort(asgml_atomic_file *af)
{
    if (!af) return;
    if (af->f) fclose(af->f);
    if (af->tmp) unlink(af->tmp);
    release(af);
}

/* fsync of the directory holding path, so the rename itself is durable;
 * file systems that cannot sync a directory (EINVAL) are not an error */
static asgml_status fsync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    if (!dir) return asgml_error(ASGML_ENOMEM, "%s: out of memory", path);
    asgml_status st = ASGML_OK;
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        st = asgml_error(ASGML_EIO, "%s: %s", dir, strerror(errno));
    else if (fsync(fd) != 0 && errno != EINVAL)
        st = asgml_error(ASGML_EIO, "%s: fsync: %s", dir, strerror(errno));
    if (fd >= 0) close(fd);
    free(dir);
    return st;
}

asgml_status asgml_atomic_commit(asgml_atomic_file *af)
{
    if (!af || !af->path || !af->tmp) {
        if (af) asgml_atomic_abort(af);
        return ASGML_ERR(ASGML_EINVAL, "no open atomic file");
    }
    asgml_status st = ASGML_OK;
    if (af->f) {
        FILE *f = af->f;
        af->f = NULL;
        if (fflush(f) != 0 || ferror(f))
            st = asgml_error(ASGML_EIO, "%s: write error: %s", af->tmp,
                             strerror(errno ? errno : EIO));
        else if (fsync(fileno(f)) != 0)
            st = asgml_error(ASGML_EIO, "%s: fsync: %s", af->tmp, strerror(errno));
        if (fclose(f) != 0 && st == ASGML_OK)
            st = asgml_error(ASGML_EIO, "%s: close: %s", af->tmp, strerror(errno));
    } else {
        int fd = open(af->tmp, O_RDONLY);
        if (fd < 0 || fsync(fd) != 0)
            st = asgml_error(ASGML_EIO, "%s: fsync: %s", af->tmp, strerror(errno));
        if (fd >= 0) close(fd);
    }
    if (st == ASGML_OK && rename(af->tmp, af->path) != 0)
        st = asgml_error(ASGML_EIO, "%s: rename: %s", af->path, strerror(errno));
    if (st != ASGML_OK) {
        unlink(af->tmp);
        release(af);
        return st;
    }
    st = fsync_dir(af->path);
    release(af);
    return st;
}
