/* SPDX-License-Identifier: MIT */
/* state_io.c - named arrays of method state (asgml_state_io in asgml/state.h).
 *
 * An in-memory container of host copies: put() copies in (from backend
 * memory for the _f32 variants), get() copies out.  checkpoint.c writes
 * every entry to /method/<name> of a checkpoint and fills a container from
 * one when resuming (accessors in asgml/checkpoint.h).  Entries keep their
 * element type: float64 for put(), float32 for put_f32(). */
#include <stdlib.h>
#include <string.h>

#include "asgml/checkpoint.h"
#include "asgml/state.h"

typedef struct state_entry {
    char *name;
    int is_f32;
    int64_t n;
    void *data;       /* host: n doubles or n floats */
} state_entry;

struct asgml_state_io {
    asgml_backend *be;
    state_entry *e;
    int n, cap;
};

asgml_state_io *asgml_state_io_create(asgml_backend *be)
{
    asgml_state_io *io = calloc(1, sizeof *io);
    if (io)
        io->be = be;
    return io;
}

void asgml_state_io_free(asgml_state_io *io)
{
    if (!io)
        return;
    for (int i = 0; i < io->n; i++) {
        free(io->e[i].name);
        free(io->e[i].data);
    }
    free(io->e);
    free(io);
}

static state_entry *find(asgml_state_io *io, const char *name)
{
    for (int i = 0; i < io->n; i++)
        if (strcmp(io->e[i].name, name) == 0)
            return &io->e[i];
    return NULL;
}

/* Entry for name with room for n elements of the given type (replacing any
 * previous value); its data is uninitialised. */
static asgml_status make_entry(asgml_state_io *io, const char *name, int is_f32, int64_t n,
                               state_entry **out)
{
    state_entry *e = find(io, name);
    size_t bytes = (size_t)(n > 0 ? n : 1) * (is_f32 ? sizeof(float) : sizeof(double));
    void *data;
    if (!name || !*name || n < 0)
        return asgml_error(ASGML_EINVAL, "state: bad entry '%s' (length %lld)",
                           name ? name : "", (long long)n);
    data = malloc(bytes);
    if (!data)
        return asgml_error(ASGML_ENOMEM, "state '%s': out of memory", name);
    if (!e) {
        if (io->n == io->cap) {
            int ncap = io->cap ? 2 * io->cap : 16;
            state_entry *ne = realloc(io->e, (size_t)ncap * sizeof *ne);
            if (!ne) {
                free(data);
                return asgml_error(ASGML_ENOMEM, "state '%s': out of memory", name);
            }
            io->e = ne;
            io->cap = ncap;
        }
        e = &io->e[io->n];
        e->name = strdup(name);
        if (!e->name) {
            free(data);
            return asgml_error(ASGML_ENOMEM, "state '%s': out of memory", name);
        }
        e->data = NULL;
        io->n++;
    }
    free(e->data);
    e->data = data;
    e->is_f32 = is_f32;
    e->n = n;
    *out = e;
    return ASGML_OK;
}

static asgml_status lookup(asgml_state_io *io, const char *name, int is_f32, int64_t n,
                           state_entry **out)
{
    state_entry *e = find(io, name);
    if (!e)
        return asgml_error(ASGML_EFORMAT, "checkpoint: method state '%s' is missing", name);
    if (e->n != n)
        return asgml_error(ASGML_EFORMAT,
                           "checkpoint: method state '%s' has %lld values, expected %lld", name,
                           (long long)e->n, (long long)n);
    if (e->is_f32 != is_f32)
        return asgml_error(ASGML_EFORMAT, "checkpoint: method state '%s' is %s, expected %s",
                           name, e->is_f32 ? "float32" : "float64",
                           is_f32 ? "float32" : "float64");
    *out = e;
    return ASGML_OK;
}

asgml_status asgml_state_put(asgml_state_io *io, const char *name, const double *v, int64_t n)
{
    state_entry *e;
    asgml_status st = make_entry(io, name, 0, n, &e);
    if (st == ASGML_OK && n > 0)
        memcpy(e->data, v, (size_t)n * sizeof(double));
    return st;
}

asgml_status asgml_state_get(asgml_state_io *io, const char *name, double *v, int64_t n)
{
    state_entry *e;
    asgml_status st = lookup(io, name, 0, n, &e);
    if (st == ASGML_OK && n > 0)
        memcpy(v, e->data, (size_t)n * sizeof(double));
    return st;
}

asgml_status asgml_state_put_f32(asgml_state_io *io, const char *name, const float *backend_ptr,
                                 int64_t n)
{
    state_entry *e;
    asgml_status st;
    if (!io->be)
        return asgml_error(ASGML_EINTERNAL, "state '%s': container has no backend", name);
    st = make_entry(io, name, 1, n, &e);
    if (st == ASGML_OK && n > 0)
        st = io->be->ops->to_host(io->be, e->data, backend_ptr, (size_t)n * sizeof(float));
    return st;
}

asgml_status asgml_state_get_f32(asgml_state_io *io, const char *name, float *backend_ptr,
                                 int64_t n)
{
    state_entry *e;
    asgml_status st;
    if (!io->be)
        return asgml_error(ASGML_EINTERNAL, "state '%s': container has no backend", name);
    st = lookup(io, name, 1, n, &e);
    if (st == ASGML_OK && n > 0)
        st = io->be->ops->to_device(io->be, backend_ptr, e->data, (size_t)n * sizeof(float));
    return st;
}

/* ---- accessors for checkpoint.c (asgml/checkpoint.h) ------------------------ */

int asgml_state_io_count(const asgml_state_io *io) { return io->n; }

const char *asgml_state_io_name(const asgml_state_io *io, int i)
{
    return i >= 0 && i < io->n ? io->e[i].name : NULL;
}

int64_t asgml_state_io_length(const asgml_state_io *io, int i)
{
    return i >= 0 && i < io->n ? io->e[i].n : 0;
}

int asgml_state_io_is_f32(const asgml_state_io *io, int i)
{
    return i >= 0 && i < io->n ? io->e[i].is_f32 : 0;
}

const void *asgml_state_io_data(const asgml_state_io *io, int i)
{
    return i >= 0 && i < io->n ? io->e[i].data : NULL;
}

asgml_status asgml_state_io_put_host(asgml_state_io *io, const char *name, int is_f32,
                                     const void *host, int64_t n)
{
    state_entry *e;
    asgml_status st = make_entry(io, name, is_f32, n, &e);
    if (st == ASGML_OK && n > 0)
        memcpy(e->data, host, (size_t)n * (is_f32 ? sizeof(float) : sizeof(double)));
    return st;
}
