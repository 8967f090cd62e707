/* SPDX-License-Identifier: MIT */
/* bench-gpu.c - training-step throughput of asgml at the CREMA-D shape.
 *
 * Two ResNet18 encoders (width 64): audio 1x257x188, visual 3x224x224 with
 * T frames folded into the batch; concat fusion, 6 classes, batch 64.  One
 * step = zero_grad, forward (training mode), softmax cross-entropy,
 * backward, SGD (momentum 0.9, weight decay 1e-4).  Prints one line:
 *
 *     asgml DEVICE cremad frames=T batch=B steps=S samples_per_s=X ms_per_step=Y
 *
 * Usage: bench-gpu [--device cuda|cpu] [--frames T] [--batch B] [--steps S]
 *                  [--warmup W] [--width W] [--tf32 -1|0|1] [--deterministic]
 * bench/bench-gpu.sh runs T = 1 and 3 and, where PyTorch with CUDA is
 * installed, the same model in PyTorch, and prints the ratio. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asgml/backend.h"
#include "asgml/model.h"
#include "asgml/optim.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void usage_error(const char *msg)
{
    fprintf(stderr, "bench-gpu: %s\nTry 'bench-gpu --help' for more information.\n", msg);
    exit(2);
}

static int fail(const char *what)
{
    fprintf(stderr, "bench-gpu: %s: %s\n", what, asgml_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    const char *device = "cuda";
    int frames = 1, batch = 64, steps = 20, warmup = 3, width = 64, classes = 6;
    asgml_backend_options bo = {0, 0, -1, 0};
    static const struct option longopts[] = {
        {"device", required_argument, 0, 'd'}, {"frames", required_argument, 0, 'T'},
        {"batch", required_argument, 0, 'b'},  {"steps", required_argument, 0, 's'},
        {"warmup", required_argument, 0, 'w'}, {"width", required_argument, 0, 'W'},
        {"tf32", required_argument, 0, 't'},   {"deterministic", no_argument, 0, 'D'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': device = optarg; break;
        case 'T': frames = atoi(optarg); break;
        case 'b': batch = atoi(optarg); break;
        case 's': steps = atoi(optarg); break;
        case 'w': warmup = atoi(optarg); break;
        case 'W': width = atoi(optarg); break;
        case 't': bo.tf32 = atoi(optarg); break;
        case 'D': bo.deterministic = 1; break;
        case 'h':
            printf("Usage: bench-gpu [--device cuda|cpu] [--frames T] [--batch B] [--steps S]\n"
                   "                 [--warmup W] [--width W] [--tf32 -1|0|1] [--deterministic]\n"
                   "Times training steps of the CREMA-D two-ResNet18 model; prints samples/s.\n");
            return 0;
        default: usage_error("unknown option");
        }
    }
    if (frames < 1 || batch < 1 || steps < 1 || warmup < 0 || width < 1)
        usage_error("frames, batch, steps and width must be positive");

    asgml_backend *be = NULL;
    if (asgml_backend_create(device, &bo, &be) != ASGML_OK) return fail(device);

    asgml_model_config mc;
    asgml_model_config_defaults(&mc);
    mc.num_modalities = 2;
    mc.width = width;
    mc.feature_dim = 8 * width;
    mc.num_classes = classes;
    mc.fusion = ASGML_FUSION_CONCAT;
    mc.uni = ASGML_UNI_NONE;
    mc.max_batch = batch;
    strcpy(mc.enc[0].name, "audio");
    mc.enc[0].kind = ASGML_ENC_RESNET18;
    mc.enc[0].in_channels = 1, mc.enc[0].in_h = 257, mc.enc[0].in_w = 188, mc.enc[0].frames = 1;
    strcpy(mc.enc[1].name, "visual");
    mc.enc[1].kind = ASGML_ENC_RESNET18;
    mc.enc[1].in_channels = 3, mc.enc[1].in_h = 224, mc.enc[1].in_w = 224;
    mc.enc[1].frames = frames;

    asgml_model *model = NULL;
    asgml_optim *opt = NULL;
    asgml_optim_config oc;
    asgml_optim_config_defaults(&oc);
    if (asgml_model_create(be, &mc, &model) != ASGML_OK) return fail("model");
    if (asgml_model_init_params(model, 0) != ASGML_OK) return fail("init");
    if (asgml_optim_create(model, &oc, &opt) != ASGML_OK) return fail("optimiser");

    /* inputs and labels: fixed pseudo-random values, uploaded once */
    float *x[2] = {NULL, NULL}, *dz = NULL;
    int32_t *y = NULL;
    for (int m = 0; m < 2; m++) {
        const asgml_encoder_config *e = &mc.enc[m];
        size_t n = (size_t)batch * e->frames * e->in_channels * e->in_h * e->in_w;
        float *h = malloc(n * sizeof *h);
        if (!h) return fail("host memory");
        for (size_t i = 0; i < n; i++) h[i] = (float)((i * 2654435761u) % 1000) * 2e-3f - 1.0f;
        if (be->ops->alloc(be, n * sizeof *h, (void **)&x[m]) != ASGML_OK ||
            be->ops->to_device(be, x[m], h, n * sizeof *h) != ASGML_OK)
            return fail("inputs");
        free(h);
    }
    int32_t *labels = malloc((size_t)batch * sizeof *labels);
    if (!labels) return fail("host memory");
    for (int i = 0; i < batch; i++) labels[i] = i % classes;
    if (be->ops->alloc(be, (size_t)batch * sizeof *labels, (void **)&y) != ASGML_OK ||
        be->ops->to_device(be, y, labels, (size_t)batch * sizeof *labels) != ASGML_OK ||
        be->ops->alloc(be, (size_t)batch * classes * sizeof(float), (void **)&dz) != ASGML_OK)
        return fail("labels");

    const float *inputs[2] = {x[0], x[1]};
    double t0 = 0, loss = 0;
    for (int s = 0; s < warmup + steps; s++) {
        if (s == warmup) {
            if (be->ops->synchronize(be) != ASGML_OK) return fail("synchronize");
            t0 = now();
        }
        if (asgml_model_zero_grad(model) != ASGML_OK ||
            asgml_model_forward(model, inputs, batch, 1, NULL) != ASGML_OK ||
            be->ops->fill(be, (int64_t)batch * classes, 0.0f, dz) != ASGML_OK ||
            be->ops->softmax_ce(be, batch, classes, asgml_model_logits(model), y,
                                1.0f / (float)batch, NULL, NULL, dz, &loss) != ASGML_OK ||
            asgml_model_backward(model, dz, NULL, NULL) != ASGML_OK ||
            asgml_optim_step(opt, NULL) != ASGML_OK)
            return fail("training step");
    }
    if (be->ops->synchronize(be) != ASGML_OK) return fail("synchronize");
    double dt = now() - t0;
    printf("asgml %s cremad frames=%d batch=%d steps=%d samples_per_s=%.1f ms_per_step=%.2f "
           "loss=%.4f\n",
           device, frames, batch, steps, (double)batch * steps / dt, 1e3 * dt / steps,
           loss / batch);
    free(labels);
    be->ops->free(be, x[0]);
    be->ops->free(be, x[1]);
    be->ops->free(be, y);
    be->ops->free(be, dz);
    asgml_optim_free(opt);
    asgml_model_free(model);
    asgml_backend_destroy(be);
    return 0;
}
