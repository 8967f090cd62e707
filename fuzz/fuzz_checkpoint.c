/* SPDX-License-Identifier: MIT */
/* fuzz_checkpoint.c - libFuzzer harness: the checkpoint reader.
 *
 * Reaches asgml_checkpoint_read_info and asgml_checkpoint_load
 * (libcommon/train/checkpoint.c) as asgml-train --resume / --init and
 * asgml-probe call them: HDF5's parsers through libhdf5, the root
 * attributes (magic, format_version, strings, scalars), /data/order,
 * /params and /optim/state0|1 against the model's views (names, shapes),
 * /optim/view_steps, and /method/... into an asgml_state_io (H5Ovisit,
 * float32 and float64 entries, nested names).  The model is fixed for the
 * whole run: two MLP encoders (in 4, hidden 5, D 3), concat fusion, 2
 * classes, Adam (both moment buffers), on the CPU backend; ResNet/BN
 * buffers are left out to keep seeds small (/buffers goes through the same
 * read_views).  After each input no HDF5 identifier may remain open.
 * The input is a file in /dev/shm (fuzz_util.h): the reader takes a path.
 *
 * Seeds: ASGML_FUZZ_WRITE_SEED=FILE fuzz/fuzz_checkpoint writes a valid
 * checkpoint of exactly this model (3 Adam steps, method state, order) to
 * FILE and exits; fuzz/corpus/checkpoint/ holds it (HACKING, Fuzzing). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <hdf5.h>

#include "asgml/checkpoint.h"
#include "asgml/state.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static asgml_backend *be;
static asgml_model *model;
static asgml_optim *optim;
static volatile int64_t sink;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_checkpoint: %s: %s\n", what, asgml_last_error());
    exit(1);
}

static void write_seed(const char *path)
{
    const double ema[3] = { 0.5, -1.25, 3.0 };
    const float probe[4] = { 1, 2, 3, 4 };
    const int64_t order[4] = { 2, 0, 3, 1 };
    int active[ASGML_MAX_MODALITIES] = { 1, 0 };
    asgml_checkpoint_info info = { 0 };
    asgml_state_io *io = asgml_state_io_create(be);

    for (int s = 0; s < 3; s++)
        if (be->ops->fill(be, asgml_model_num_params(model), 0.01f * (float)(s + 1),
                          asgml_model_grads(model)) != ASGML_OK ||
            asgml_optim_step(optim, s == 1 ? active : NULL) != ASGML_OK)
            die("optimiser step");
    if (!io || asgml_state_put(io, "ema", ema, 3) != ASGML_OK ||
        asgml_state_put_f32(io, "probe/audio", probe, 4) != ASGML_OK)
        die("method state");
    info.method = "asgml-boost+ogm-ge";
    info.seed = 1;
    info.epochs_completed = 2;
    info.step = 3;
    info.noise_offset = 7;
    info.store_checksum = "0123abcd";
    info.config_json = "{\"seed\":1}";
    info.train_state_json = "{\"best_epoch\":1}";
    info.order = order;
    info.order_len = 4;
    if (asgml_checkpoint_save(path, be, model, optim, io, &info) != ASGML_OK)
        die(path);
    asgml_state_io_free(io);
    exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    asgml_backend_options bo = { 1, 1, -1, 0 };
    asgml_model_config mc;
    asgml_optim_config oc;
    const char *seed = getenv("ASGML_FUZZ_WRITE_SEED");

    (void)argc;
    (void)argv;
    asgml_model_config_defaults(&mc);
    mc.num_modalities = 2;
    for (int m = 0; m < 2; m++) {
        snprintf(mc.enc[m].name, sizeof mc.enc[m].name, "%s", m ? "visual" : "audio");
        mc.enc[m].kind = ASGML_ENC_MLP;
        mc.enc[m].in_dim = 4;
        mc.enc[m].hidden = 5;
    }
    mc.feature_dim = 3;
    mc.num_classes = 2;
    mc.max_batch = 2;
    asgml_optim_config_defaults(&oc);
    oc.kind = ASGML_OPTIM_ADAM;
    if (asgml_backend_create("cpu", &bo, &be) != ASGML_OK ||
        asgml_model_create(be, &mc, &model) != ASGML_OK ||
        asgml_model_init_params(model, 1) != ASGML_OK ||
        asgml_optim_create(model, &oc, &optim) != ASGML_OK)
        die("model");
    if (seed && *seed)
        write_seed(seed);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_input(data, size, ".h5");
    asgml_checkpoint_loaded info;
    asgml_state_io *io = asgml_state_io_create(be);

    if (!io)
        __builtin_trap();
    if (asgml_checkpoint_read_info(path, &info) == ASGML_OK)
        asgml_checkpoint_loaded_free(&info);
    if (asgml_checkpoint_load(path, be, model, optim, io, &info) == ASGML_OK) {
        for (int i = 0; i < asgml_state_io_count(io); i++)
            if (!asgml_state_io_name(io, i) || asgml_state_io_length(io, i) < 0)
                __builtin_trap();
        for (int64_t i = 0; i < info.order_len; i++)
            sink += info.order[i];   /* ASan: order_len entries must exist */
        asgml_checkpoint_loaded_free(&info);
    }
    asgml_state_io_free(io);
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0)
        __builtin_trap();   /* an identifier (file, dataset, ...) left open */
    fuzz_remove_input(path);
    return 0;
}
