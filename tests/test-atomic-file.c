/* SPDX-License-Identifier: MIT */
/* test-atomic-file - asgml_atomic_open/_reserve/_commit/_abort: the file
 * appears complete at commit, an existing target is untouched before it,
 * nothing is left behind by an abort or a failed commit, temp names differ. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asgml/atomic_file.h"
#include "tap.h"

static char dir[256];

/* number of entries in dir other than . and .. */
static int entries(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!d) return -1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static int has_content(const char *path, const char *want)
{
    char buf[256] = "";
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return strcmp(buf, want) == 0;
}

int main(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/asgml-atomic-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(dir)) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    tap_plan(13);
    char path[512], sub[512];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    asgml_atomic_file af, bf;

    ok(asgml_atomic_open(path, &af) == ASGML_OK && af.f, "open");
    char want_tmp[512];
    snprintf(want_tmp, sizeof want_tmp, "%s/.out.txt.", dir);
    ok(strncmp(af.tmp, want_tmp, strlen(want_tmp)) == 0 && strlen(af.tmp) == strlen(want_tmp) + 6,
       "temp name is <dir>/.<base>.XXXXXX: %s", af.tmp);
    fputs("first\n", af.f);
    ok(asgml_atomic_open(path, &bf) == ASGML_OK && strcmp(af.tmp, bf.tmp) != 0,
       "two temp files for one target have different names");
    asgml_atomic_abort(&bf);
    ok(access(path, F_OK) != 0 && entries() == 1, "before commit: no target, one temp file");
    ok(asgml_atomic_commit(&af) == ASGML_OK && has_content(path, "first\n") && entries() == 1 &&
           !af.tmp && !af.path,
       "commit: the target has the content, no temp file, af released");

    struct stat sb;
    mode_t um = umask(0);
    umask(um);
    ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == (0666 & ~um), "mode 0666 & ~umask");

    ok(asgml_atomic_open(path, &af) == ASGML_OK, "open over an existing target");
    fputs("second\n", af.f);
    fflush(af.f);
    ok(has_content(path, "first\n"), "the existing target is untouched until commit");
    asgml_atomic_abort(&af);
    ok(has_content(path, "first\n") && entries() == 1, "abort: target unchanged, temp removed");

    /* reserve: the writer creates the file by name */
    ok(asgml_atomic_reserve(path, &af) == ASGML_OK && !af.f, "reserve");
    FILE *f = fopen(af.tmp, "w");
    if (f) { fputs("third\n", f); fclose(f); }
    ok(asgml_atomic_commit(&af) == ASGML_OK && has_content(path, "third\n") && entries() == 1,
       "reserve + write by name + commit");

    /* a failing rename: the target is a directory */
    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(sub, 0777);
    char inner[600];
    snprintf(inner, sizeof inner, "%s/x", sub);
    f = fopen(inner, "w");
    if (f) fclose(f);
    ok(asgml_atomic_open(sub, &af) == ASGML_OK, "open with a directory as target");
    fputs("fourth\n", af.f);
    asgml_clear_error();
    asgml_status st = asgml_atomic_commit(&af);
    ok(st != ASGML_OK && strstr(asgml_last_error(), sub) && strstr(asgml_last_error(), "rename") &&
           entries() == 2 && !af.tmp,
       "failed rename: error, no temp file left (%s)", asgml_last_error());

    unlink(inner);
    rmdir(sub);
    unlink(path);
    rmdir(dir);
    return tap_done();
}
