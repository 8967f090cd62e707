/* SPDX-License-Identifier: MIT */
/* train_rundir.c - the run directory of asgml-train (libcommon/RUNDIR.md):
 * config.json, log.jsonl, ckpt/epoch-NNNN.h5 + ckpt/last.h5, summary.json,
 * and resuming from ckpt/last.h5.
 *
 * Files other than log.jsonl are written to a temporary file in the same
 * directory, fsync'd and renamed.  log.jsonl is appended record by record
 * (flushed); every checkpoint records its length, so --resume truncates
 * the log back to the checkpoint and the resumed run writes exactly the
 * bytes the uninterrupted run would have written. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/error.h"
#include "asgml/atomic_file.h"
#include "asgml/checkpoint.h"
#include "train/train_internal.h"


static asgml_status path_join(char *out, size_t n, const char *dir, const char *name)
{
    if ((size_t)snprintf(out, n, "%s/%s", dir, name) >= n)
        return asgml_error(ASGML_EINVAL, "%s: path too long", dir);
    return ASGML_OK;
}

/* mkdir -p: missing parents are created too (grids write runs/<cell>). */
static asgml_status make_dir(const char *path)
{
    char buf[4096];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return asgml_error(ASGML_EINVAL, "%s: bad directory name", path);
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return asgml_error(ASGML_EIO, "%s: cannot create directory: %s", buf, strerror(errno));
        buf[i] = c;
    }
    return ASGML_OK;
}

/* text -> path through a temporary file (asgml/atomic_file.h). */
static asgml_status write_atomic(const char *path, const char *text, size_t len)
{
    asgml_atomic_file af;
    asgml_status st = asgml_atomic_open(path, &af);
    if (st != ASGML_OK)
        return st;
    if (fwrite(text, 1, len, af.f) != len) {
        st = asgml_error(ASGML_EIO, "%s: write error: %s", af.tmp, strerror(errno));
        asgml_atomic_abort(&af);
        return st;
    }
    return asgml_atomic_commit(&af);
}

static asgml_status config_text(asgml_train *t, char **text, size_t *len)
{
    FILE *f = open_memstream(text, len);
    asgml_status st;
    if (!f)
        return asgml_error(ASGML_ENOMEM, "config.json: out of memory");
    st = asgml_config_write_json(t->cfg, f);
    if (fclose(f) != 0 && st == ASGML_OK)
        st = asgml_error(ASGML_ENOMEM, "config.json: out of memory");
    return st;
}

asgml_status asgml_train_log_write(asgml_train *t, asgml_log_record *r)
{
    const char *j = asgml_log_record_json(r);
    if (!j)
        return asgml_error(ASGML_ENOMEM, "log.jsonl: out of memory");
    if (!t->log)
        return ASGML_OK;
    if (fputs(j, t->log) < 0 || fputc('\n', t->log) < 0 || fflush(t->log) != 0)
        return asgml_error(ASGML_EIO, "%s/log.jsonl: write error: %s", t->opt.out_dir,
                           strerror(errno));
    t->log_bytes = ftell(t->log);
    return ASGML_OK;
}

/* ---- records through JSON (copies, checkpoint round trip) ----------------------- */

static void record_from_json(asgml_log_record *dst, json_t *obj)
{
    const char *key;
    json_t *v;
    asgml_log_record_clear(dst);
    json_object_foreach(obj, key, v) {
        if (json_is_integer(v))
            asgml_log_int(dst, key, (int64_t)json_integer_value(v));
        else if (json_is_real(v))
            asgml_log_num(dst, key, json_real_value(v));
        else if (json_is_string(v))
            asgml_log_str(dst, key, json_string_value(v));
        else if (json_is_null(v))
            asgml_log_num(dst, key, NAN);
    }
}

asgml_status asgml_train_copy_record(asgml_log_record *dst, asgml_log_record *src)
{
    const char *j = asgml_log_record_json(src);
    json_t *obj = j ? json_loads(j, 0, NULL) : NULL;
    if (!obj)
        return asgml_error(ASGML_EINTERNAL, "train: record does not parse back");
    record_from_json(dst, obj);
    json_decref(obj);
    return ASGML_OK;
}

/* ---- checkpoints ------------------------------------------------------------------ */

/* {"C_IN>C_OUT HxW k3s1p1": "ALGO", ...}: the conv algorithm the backend
 * fixed for each shape so far (backend.conv-algo); NULL when it has none */
static json_t *conv_algos_json(asgml_train *t)
{
    const char *key, *algo;
    json_t *o;
    if (!asgml_backend_conv_algo_entry(t->be, 0, &key, &algo))
        return NULL;
    o = json_object();
    for (int i = 0; o && asgml_backend_conv_algo_entry(t->be, i, &key, &algo); i++)
        json_object_set_new(o, key, json_string(algo));
    return o;
}

static asgml_status train_state_json(asgml_train *t, char **out)
{
    const char *best = asgml_log_record_json(t->best_rec), *last = asgml_log_record_json(t->last_rec);
    const char *bt = asgml_log_record_json(t->best_test_rec);
    char bm[40];
    size_t n;
    if (!best || !last || !bt)
        return asgml_error(ASGML_ENOMEM, "checkpoint: out of memory");
    asgml_format_double(bm, sizeof bm, t->best_metric);
    n = strlen(best) + strlen(last) + strlen(bt) + 2048;
    *out = malloc(n);
    if (!*out)
        return asgml_error(ASGML_ENOMEM, "checkpoint: out of memory");
    snprintf(*out, n, "{\"best_epoch\":%d,\"best_metric\":%s,\"log_bytes\":%ld,"
             "\"samples_seen\":%lld,\"train_seconds\":%.17g,\"wall_seconds\":%.17g,"
             "\"best\":%s,\"last\":%s}", t->best_epoch, isfinite(t->best_metric) ? bm : "null",
             t->log_bytes, (long long)t->samples_seen, t->train_seconds, t->wall_seconds +
             0.0, best, last);
    if (t->best_test_epoch >= 0) {   /* summary.json best_test (methods.md 1.7) */
        size_t len = strlen(*out);
        char tm[40];
        asgml_format_double(tm, sizeof tm, t->best_test_metric);
        snprintf(*out + len - 1, n - len + 1, ",\"best_test_epoch\":%d,\"best_test_metric\":%s,"
                 "\"best_test\":%s}", t->best_test_epoch, tm, bt);
    }
    if (t->group_lr_set) {   /* per-group lr multipliers set by methods (services.c) */
        size_t len = strlen(*out);
        (*out)[len - 1] = 0;
        len--;
        len += (size_t)snprintf(*out + len, n - len, ",\"group_lr_mult\":[");
        for (int g = 0; g <= ASGML_GROUP_HEADS; g++)
            len += (size_t)snprintf(*out + len, n - len, "%s%.17g", g ? "," : "", t->group_mult[g]);
        snprintf(*out + len, n - len, "]}");
    }
    if (t->init_sha256[0]) {   /* train.init: kept for summary.json after a resume */
        size_t len = strlen(*out);
        snprintf(*out + len - 1, n - len + 1, ",\"init\":{\"sha256\":\"%s\",\"loaded\":%d,"
                 "\"missing\":%d}}", t->init_sha256, t->init_loaded, t->init_missing);
    }
    json_t *ca = conv_algos_json(t);
    if (ca) {   /* the conv algorithm per shape: a resume pins them (resume()) */
        char *txt = json_dumps(ca, JSON_COMPACT | JSON_SORT_KEYS);
        size_t len = strlen(*out);
        json_decref(ca);
        if (!txt) {
            free(*out);
            *out = NULL;
            return asgml_error(ASGML_ENOMEM, "checkpoint: out of memory");
        }
        char *grown = realloc(*out, len + strlen(txt) + 32 + n);
        if (!grown) {
            free(txt);
            free(*out);
            *out = NULL;
            return asgml_error(ASGML_ENOMEM, "checkpoint: out of memory");
        }
        *out = grown;
        n += strlen(txt) + 32;
        snprintf(*out + len - 1, n - len + 1, ",\"conv_algos\":%s}", txt);
        free(txt);
    }
    if (t->sched.kind == ASGML_SCHED_PLATEAU) {   /* ReduceLROnPlateau state */
        size_t len = strlen(*out);
        char pbest[40];
        asgml_format_double(pbest, sizeof pbest, t->plateau.best);
        (*out)[len - 1] = 0;
        len--;
        snprintf(*out + len, n - len, ",\"plateau\":{\"lr\":%.17g,\"best\":%s,"
                 "\"num_bad_epochs\":%d,\"cooldown_counter\":%d,\"last_epoch\":%d}}",
                 t->plateau.lr, isfinite(t->plateau.best) ? pbest : "null",
                 t->plateau.num_bad_epochs, t->plateau.cooldown_counter, t->plateau.last_epoch);
    }
    return ASGML_OK;
}

/* Method states as one container: "<method>/<key>". */
static asgml_status gather_method_state(asgml_train *t, asgml_state_io *all)
{
    for (int i = 0; i < t->nmeth; i++) {
        asgml_state_io *io;
        asgml_status st = ASGML_OK;
        if (!t->meth[i]->save)
            continue;
        io = asgml_state_io_create(t->be);
        if (!io)
            return asgml_error(ASGML_ENOMEM, "checkpoint: out of memory");
        st = t->meth[i]->save(t->mstate[i], io);
        for (int k = 0; k < asgml_state_io_count(io) && st == ASGML_OK; k++) {
            char name[256];
            snprintf(name, sizeof name, "%s/%s", t->meth[i]->name, asgml_state_io_name(io, k));
            st = asgml_state_io_put_host(all, name, asgml_state_io_is_f32(io, k),
                                         asgml_state_io_data(io, k), asgml_state_io_length(io, k));
        }
        asgml_state_io_free(io);
        if (st != ASGML_OK)
            return asgml_error_prefix(st, "%s save", t->meth[i]->name);
    }
    return ASGML_OK;
}

static asgml_status scatter_method_state(asgml_train *t, asgml_state_io *all)
{
    for (int i = 0; i < t->nmeth; i++) {
        asgml_state_io *io;
        asgml_status st = ASGML_OK;
        size_t pl = strlen(t->meth[i]->name);
        if (!t->meth[i]->load)
            continue;
        io = asgml_state_io_create(t->be);
        if (!io)
            return asgml_error(ASGML_ENOMEM, "checkpoint: out of memory");
        for (int k = 0; k < asgml_state_io_count(all) && st == ASGML_OK; k++) {
            const char *name = asgml_state_io_name(all, k);
            if (strncmp(name, t->meth[i]->name, pl) == 0 && name[pl] == '/')
                st = asgml_state_io_put_host(io, name + pl + 1, asgml_state_io_is_f32(all, k),
                                             asgml_state_io_data(all, k),
                                             asgml_state_io_length(all, k));
        }
        if (st == ASGML_OK)
            st = t->meth[i]->load(t->mstate[i], io);
        asgml_state_io_free(io);
        if (st != ASGML_OK)
            return asgml_error_prefix(st, "%s load", t->meth[i]->name);
    }
    return ASGML_OK;
}

asgml_status asgml_train_save_checkpoint(asgml_train *t)
{
    char dir[4096], path[4200], last[4200], tmp[4300];
    char *cfg_text = NULL, *state = NULL;
    size_t cfg_len;
    asgml_state_io *all;
    asgml_checkpoint_info info;
    asgml_status st;
    if (!t->opt.out_dir)
        return ASGML_OK;
    /* the log first: the checkpoint records its length, so the log must be
     * on disk before the checkpoint is renamed into place */
    if (t->log && (fflush(t->log) != 0 || fsync(fileno(t->log)) != 0))
        return asgml_error(ASGML_EIO, "%s/log.jsonl: fsync: %s", t->opt.out_dir,
                           strerror(errno));
    CK(path_join(dir, sizeof dir, t->opt.out_dir, "ckpt"));
    snprintf(path, sizeof path, "%s/epoch-%04d.h5", dir, t->epochs_completed - 1);
    snprintf(last, sizeof last, "%s/last.h5", dir);
    all = asgml_state_io_create(t->be);
    if (!all)
        return asgml_error(ASGML_ENOMEM, "checkpoint: out of memory");
    st = gather_method_state(t, all);
    if (st == ASGML_OK)
        st = config_text(t, &cfg_text, &cfg_len);
    if (st == ASGML_OK)
        st = train_state_json(t, &state);
    if (st == ASGML_OK) {
        int64_t n;
        memset(&info, 0, sizeof info);
        info.method = t->method_spec;
        info.seed = t->seed;
        info.epochs_completed = t->epochs_completed;
        info.step = t->step;
        info.noise_offset = t->noise_offset;
        info.store_checksum = asgml_store_checksum(t->store);
        info.config_json = cfg_text;
        info.train_state_json = state;
        info.order = asgml_loader_order(t->train_ld, &n);
        info.order_len = n;
        st = asgml_checkpoint_save(path, t->be, t->model, t->optim, all, &info);
    }
    free(cfg_text);
    free(state);
    asgml_state_io_free(all);
    if (st != ASGML_OK)
        return st;
    /* last.h5: a hard link to the newest epoch file (a copy would do the same),
     * made under a reserved temporary name and renamed over the old one */
    asgml_atomic_file af;
    if ((st = asgml_atomic_reserve(last, &af)) != ASGML_OK)
        return st;
    if (unlink(af.tmp) != 0 || link(path, af.tmp) != 0) {
        st = asgml_error(ASGML_EIO, "%s: link: %s", af.tmp, strerror(errno));
        asgml_atomic_abort(&af);
        return st;
    }
    if ((st = asgml_atomic_commit(&af)) != ASGML_OK)
        return st;
    if (t->keep_ckpt > 0)
        for (int e = 0; e <= t->epochs_completed - 1 - t->keep_ckpt; e++) {
            snprintf(tmp, sizeof tmp, "%s/epoch-%04d.h5", dir, e);
            unlink(tmp);   /* absent files (earlier removals, checkpoint-every) are fine */
        }
    return ASGML_OK;
}

static asgml_status resume(asgml_train *t, const char *ckpt)
{
    asgml_checkpoint_loaded info;
    asgml_state_io *all = asgml_state_io_create(t->be);
    const char *sum = asgml_store_checksum(t->store);
    json_t *js = NULL, *v;
    asgml_status st;
    if (!all)
        return asgml_error(ASGML_ENOMEM, "resume: out of memory");
    memset(&info, 0, sizeof info);
    st = asgml_checkpoint_load(ckpt, t->be, t->model, t->optim, all, &info);
    if (st == ASGML_OK && strcmp(info.method ? info.method : "", t->method_spec) != 0)
        st = asgml_error(ASGML_EINVAL, "%s: made by method '%s', this run is '%s'", ckpt,
                         info.method ? info.method : "", t->method_spec);
    if (st == ASGML_OK && sum && info.store_checksum && strcmp(sum, info.store_checksum) != 0)
        st = asgml_error(ASGML_EINVAL, "%s: made from a store with checksum %s, not %s", ckpt,
                         info.store_checksum, sum);
    if (st == ASGML_OK && info.seed != t->seed)
        st = asgml_error(ASGML_EINVAL, "%s: made with seed %llu, this run has seed %llu", ckpt,
                         (unsigned long long)info.seed, (unsigned long long)t->seed);
    if (st == ASGML_OK)
        st = scatter_method_state(t, all);
    if (st == ASGML_OK) {
        js = json_loads(info.train_state_json ? info.train_state_json : "", 0, NULL);
        if (!js || !json_is_object(js))
            st = asgml_error(ASGML_EFORMAT, "%s: attribute train_state_json is broken", ckpt);
    }
    if (st == ASGML_OK) {
        t->epochs_completed = info.epochs_completed;
        t->step = info.step;
        t->noise_offset = info.noise_offset;
        t->best_epoch = (int)json_integer_value(json_object_get(js, "best_epoch"));
        v = json_object_get(js, "best_metric");
        t->best_metric = json_is_number(v) ? json_number_value(v) : NAN;
        t->log_bytes = (long)json_integer_value(json_object_get(js, "log_bytes"));
        t->samples_seen = json_integer_value(json_object_get(js, "samples_seen"));
        t->train_seconds = json_number_value(json_object_get(js, "train_seconds"));
        t->wall_seconds = json_number_value(json_object_get(js, "wall_seconds"));
        if ((v = json_object_get(js, "group_lr_mult")) && json_is_array(v)) {
            for (size_t g = 0; g < json_array_size(v) && g <= ASGML_GROUP_HEADS; g++)
                t->group_mult[g] = json_number_value(json_array_get(v, g));
            t->group_lr_set = 1;
        }
        if ((v = json_object_get(js, "init")) && json_is_object(v) &&
            json_is_string(json_object_get(v, "sha256"))) {
            snprintf(t->init_sha256, sizeof t->init_sha256, "%s",
                     json_string_value(json_object_get(v, "sha256")));
            t->init_loaded = (int)json_integer_value(json_object_get(v, "loaded"));
            t->init_missing = (int)json_integer_value(json_object_get(v, "missing"));
        }
        if (t->sched.kind == ASGML_SCHED_PLATEAU) {
            json_t *pl = json_object_get(js, "plateau"), *b;
            if (!pl || !json_is_object(pl)) {
                st = asgml_error(ASGML_EFORMAT, "%s: no plateau schedule state (made with "
                                 "another sched.name?)", ckpt);
            } else {
                t->plateau.lr = json_number_value(json_object_get(pl, "lr"));
                b = json_object_get(pl, "best");
                t->plateau.best = json_is_number(b) ? json_number_value(b)
                                  : t->sched.mode_max ? -INFINITY : INFINITY;
                t->plateau.num_bad_epochs =
                    (int)json_integer_value(json_object_get(pl, "num_bad_epochs"));
                t->plateau.cooldown_counter =
                    (int)json_integer_value(json_object_get(pl, "cooldown_counter"));
                t->plateau.last_epoch = (int)json_integer_value(json_object_get(pl, "last_epoch"));
            }
        }
        if ((v = json_object_get(js, "conv_algos")) && json_is_object(v)) {
            /* the interrupted run's conv algorithms: the same bits */
            const char *key;
            json_t *a;
            json_object_foreach(v, key, a) {
                if (st != ASGML_OK)
                    break;
                if (!json_is_string(a))
                    st = asgml_error(ASGML_EFORMAT, "%s: conv_algos: '%s' is not a string",
                                     ckpt, key);
                else if ((st = asgml_backend_conv_algo_pin(t->be, key, json_string_value(a))) !=
                         ASGML_OK)
                    st = asgml_error_prefix(st, "%s: conv_algos", ckpt);
            }
        }
        if ((v = json_object_get(js, "best")) && json_is_object(v))
            record_from_json(t->best_rec, v);
        /* best on test: absent from checkpoints written before it was kept
         * (or before any epoch); then it equals best when that was selected
         * on test, else it is unknown and not reported */
        v = json_object_get(js, "best_test");
        if (v && json_is_object(v)) {
            record_from_json(t->best_test_rec, v);
            t->best_test_epoch = (int)json_integer_value(json_object_get(js, "best_test_epoch"));
            t->best_test_metric = json_number_value(json_object_get(js, "best_test_metric"));
        } else if (t->best_epoch < 0) {
            t->best_test_epoch = -1;
        } else if (!t->val_ld) {
            t->best_test_epoch = t->best_epoch;
            t->best_test_metric = t->best_metric;
            st = asgml_train_copy_record(t->best_test_rec, t->best_rec);
        } else {
            t->best_test_epoch = -2;
        }
        if ((v = json_object_get(js, "last")) && json_is_object(v))
            record_from_json(t->last_rec, v);
        if (t->epochs_completed > t->epochs)
            st = asgml_error(ASGML_EINVAL, "%s: %d epochs done already, train.epochs is %ld",
                             ckpt, t->epochs_completed, t->epochs);
    }
    json_decref(js);
    asgml_checkpoint_loaded_free(&info);
    asgml_state_io_free(all);
    return st;
}

/* --resume: the log must hold at least the log_bytes bytes the checkpoint
 * recorded, end a line there, and its last line before that must be a JSON
 * record; a shorter or damaged log (truncated, lost in a power cut) would
 * otherwise be padded with NUL bytes by truncate(2) or lose its records. */
static asgml_status check_log(const char *path, long log_bytes)
{
    struct stat sb;
    char *buf;
    long start;
    FILE *f;
    json_t *j;
    if (stat(path, &sb) != 0)
        return asgml_error(ASGML_EFORMAT, "%s: missing, the checkpoint follows %ld bytes of "
                           "it; cannot resume", path, log_bytes);
    if (sb.st_size < log_bytes)
        return asgml_error(ASGML_EFORMAT, "%s: %lld bytes, the checkpoint follows %ld "
                           "(truncated?); cannot resume", path, (long long)sb.st_size,
                           log_bytes);
    buf = malloc((size_t)log_bytes + 1);
    f = fopen(path, "rb");
    if (!buf || !f || fread(buf, 1, (size_t)log_bytes, f) != (size_t)log_bytes) {
        free(buf);
        if (f)
            fclose(f);
        return asgml_error(ASGML_EIO, "%s: cannot read: %s", path, strerror(errno));
    }
    fclose(f);
    buf[log_bytes] = 0;
    if (buf[log_bytes - 1] != '\n') {
        free(buf);
        return asgml_error(ASGML_EFORMAT, "%s: damaged (no line ends at byte %ld, where the "
                           "checkpoint's records end); cannot resume", path, log_bytes);
    }
    buf[log_bytes - 1] = 0;
    start = log_bytes - 1;
    while (start > 0 && buf[start - 1] != '\n')
        start--;
    j = json_loads(buf + start, 0, NULL);
    if (!j || !json_is_object(j) || !json_is_string(json_object_get(j, "type")) ||
        memchr(buf, 0, (size_t)(log_bytes - 1))) {
        json_decref(j);
        free(buf);
        return asgml_error(ASGML_EFORMAT, "%s: damaged (the record before byte %ld does not "
                           "parse); cannot resume", path, log_bytes);
    }
    json_decref(j);
    free(buf);
    return ASGML_OK;
}

/* One writer per run directory: an advisory flock on DIR/lock, held until
 * the run ends (asgml_train_free closes it; the kernel releases it when the
 * process dies, so a lock left by a killed run never blocks).  The file
 * holds the pid of the last writer, for the message of a second one. */
static asgml_status lock_rundir(asgml_train *t, const char *dir)
{
    char path[4200], pid[32];
    int fd, n;
    CK(path_join(path, sizeof path, dir, "lock"));
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return asgml_error(ASGML_EIO, "%s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        n = (int)pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        close(fd);
        if (e == EWOULDBLOCK)
            return asgml_error(ASGML_EIO, "%s: in use by another asgml-train (pid %s); one "
                               "writer per run directory", dir, *pid ? pid : "unknown");
        return asgml_error(ASGML_EIO, "%s: cannot lock: %s", path, strerror(e));
    }
    n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        asgml_status st = asgml_error(ASGML_EIO, "%s: write error: %s", path, strerror(errno));
        close(fd);
        return st;
    }
    t->lock_fd = fd;
    return ASGML_OK;
}

asgml_status asgml_train_open_rundir(asgml_train *t)
{
    char path[4200], ckpt[4200];
    char *text = NULL;
    size_t len = 0;
    struct stat sb;
    asgml_status st;
    const char *dir = t->opt.out_dir;
    if (!dir)
        return ASGML_OK;
    CK(make_dir(dir));
    CK(lock_rundir(t, dir));
    CK(path_join(path, sizeof path, dir, "ckpt"));
    CK(make_dir(path));
    CK(path_join(ckpt, sizeof ckpt, dir, "ckpt/last.h5"));
    CK(path_join(path, sizeof path, dir, "log.jsonl"));
    t->log_bytes = 0;
    if (!t->opt.resume) {
        if (stat(path, &sb) == 0 || stat(ckpt, &sb) == 0)
            return asgml_error(ASGML_EINVAL, "%s already holds a run (use --resume to continue "
                               "it, or another --out)", dir);
    } else if (stat(ckpt, &sb) == 0) {
        CK(resume(t, ckpt));
    }
    /* config.json first */
    CK(config_text(t, &text, &len));
    {
        char cpath[4200];
        st = path_join(cpath, sizeof cpath, dir, "config.json");
        if (st == ASGML_OK)
            st = write_atomic(cpath, text, len);
    }
    free(text);
    CK(st);
    if (t->opt.resume && t->log_bytes > 0)
        CK(check_log(path, t->log_bytes));
    if (t->opt.resume && stat(path, &sb) == 0) {
        if (truncate(path, t->log_bytes) != 0)
            return asgml_error(ASGML_EIO, "%s: cannot truncate: %s", path, strerror(errno));
        t->log = fopen(path, "a");
    } else {
        t->log = fopen(path, "w");
    }
    if (!t->log)
        return asgml_error(ASGML_EIO, "%s: %s", path, strerror(errno));
    return ASGML_OK;
}

/* ---- summary.json ------------------------------------------------------------------ */

/* The metrics of a record: epoch, train.*, test.*, val.* keys. */
static json_t *metrics_of(asgml_log_record *r)
{
    const char *j = asgml_log_record_json(r), *key;
    json_t *src = j ? json_loads(j, 0, NULL) : NULL, *out = json_object(), *v;
    if (!src || !out) {
        json_decref(src);
        return out;
    }
    json_object_foreach(src, key, v) {
        if (strcmp(key, "epoch") == 0 || strncmp(key, "train.", 6) == 0 ||
            strncmp(key, "test.", 5) == 0 || strncmp(key, "val.", 4) == 0)
            json_object_set(out, key, v);
    }
    json_decref(src);
    return out;
}

asgml_status asgml_train_write_summary(asgml_train *t, asgml_run_status status,
                                       const char *error)
{
    static const char *const names[] = { "complete", "interrupted", "failed" };
    json_t *root, *store, *mods, *best, *bm;
    struct rusage ru;
    char path[4200], *text;
    const char *sum = asgml_store_checksum(t->store), *ds = asgml_store_dataset_name(t->store);
    asgml_status st;
    if (!t->opt.out_dir)
        return ASGML_OK;
    root = json_object();
    json_object_set_new(root, "asgml_version", json_string(asgml_version()));
    json_object_set_new(root, "features", json_string(asgml_features()));
    json_object_set_new(root, "status", json_string(names[status]));
    if (error && *error)
        json_object_set_new(root, "error", json_string(error));
    json_object_set_new(root, "method", json_string(t->method_spec));
    if (t->composition)   /* a composition: "sources", "planned" or "untested" */
        json_object_set_new(root, "composition", json_string(t->composition));
    json_object_set_new(root, "seed", json_integer((json_int_t)t->seed));
    store = json_object();
    json_object_set_new(store, "path", json_string(t->store_path));
    json_object_set_new(store, "checksum", sum ? json_string(sum) : json_null());
    json_object_set_new(store, "dataset", ds ? json_string(ds) : json_null());
    json_object_set_new(root, "store", store);
    mods = json_array();
    for (int m = 0; m < t->nmod; m++)
        json_array_append_new(mods, json_string(t->mod_names[m]));
    json_object_set_new(root, "modalities", mods);
    if (t->init_sha256[0]) {   /* train.init: the weights the run started from */
        json_t *in = json_object();
        json_object_set_new(in, "path", json_string(t->init_path));
        json_object_set_new(in, "sha256", json_string(t->init_sha256));
        json_object_set_new(in, "loaded", json_integer(t->init_loaded));
        json_object_set_new(in, "missing", json_integer(t->init_missing));
        json_object_set_new(root, "init", in);
    }
    json_object_set_new(root, "device", json_string(t->be->ops->name));
    {
        json_t *ca = conv_algos_json(t);   /* the conv algorithm per shape */
        if (ca)
            json_object_set_new(root, "conv_algos", ca);
    }
    json_object_set_new(root, "epochs", json_integer(t->epochs));
    json_object_set_new(root, "epochs_completed", json_integer(t->epochs_completed));
    json_object_set_new(root, "steps", json_integer(t->step));
    if (t->epochs_completed > 0 && t->best_epoch >= 0) {
        json_object_set_new(root, "last", metrics_of(t->last_rec));
        best = json_object();
        json_object_set_new(best, "selected_on", json_string(t->val_ld ? "val" : "test"));
        bm = metrics_of(t->best_rec);
        json_object_update(best, bm);
        json_decref(bm);
        json_object_set_new(root, "best", best);
        /* the three named records (methods.md 1.7): best_val (the epoch of
         * highest val.acc, with a validation split), best_test (highest
         * test.acc: the sources' best-over-epochs protocol, optimistic) and
         * last; "best" above stays the one selected on val when there is
         * one, else on test */
        if (t->val_ld) {
            best = json_object();
            json_object_set_new(best, "selected_on", json_string("val"));
            bm = metrics_of(t->best_rec);
            json_object_update(best, bm);
            json_decref(bm);
            json_object_set_new(root, "best_val", best);
        }
        if (t->best_test_epoch >= 0) {
            best = json_object();
            json_object_set_new(best, "selected_on", json_string("test"));
            bm = metrics_of(t->best_test_rec);
            json_object_update(best, bm);
            json_decref(bm);
            json_object_set_new(root, "best_test", best);
        }
    }
    if (t->hold_val) {      /* the seeded hold-out that served as validation split */
        json_t *h = json_object(), *ix = json_array();
        for (int64_t i = 0; i < t->n_hold_val; i++)
            json_array_append_new(ix, json_integer(t->hold_val[i]));
        json_object_set_new(h, "fraction", json_real(t->val_fraction));
        json_object_set_new(h, "seed", json_integer(t->val_seed));
        json_object_set_new(h, "indices", ix);
        json_object_set_new(root, "val_holdout", h);
    }
    json_object_set_new(root, "wall_time_s", json_real(t->wall_seconds));
    json_object_set_new(root, "train_time_s", json_real(t->train_seconds));
    json_object_set_new(root, "samples_per_s",
                        json_real(t->train_seconds > 0 ? t->samples_seen / t->train_seconds : 0));
    getrusage(RUSAGE_SELF, &ru);
    json_object_set_new(root, "peak_rss_mb", json_real(ru.ru_maxrss / 1024.0));
    text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text)
        return asgml_error(ASGML_ENOMEM, "summary.json: out of memory");
    st = path_join(path, sizeof path, t->opt.out_dir, "summary.json");
    if (st == ASGML_OK) {
        size_t n = strlen(text);
        text[n] = '\n';     /* json_dumps leaves the NUL; replace it for the file */
        st = write_atomic(path, text, n + 1);
    }
    free(text);
    return st;
}
