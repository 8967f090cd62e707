/* SPDX-License-Identifier: MIT */
/* test-backend-require - the op list (ASGML_OPS) and its use at model
 * creation: every op has a distinct name, supports() follows the backend's
 * table (a NULL slot = unsupported), and a backend whose table lacks any one
 * op makes asgml_model_create fail with that op's name. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "asgml/backend.h"
#include "asgml/model.h"
#include "tap.h"

/* clears op's slot in t; the X-macro keeps this switch complete */
static void clear_slot(asgml_backend_ops *t, asgml_op op)
{
    switch (op) {
#define CLEAR_(ID, name, params) \
    case ASGML_OP_##ID: t->name = NULL; break;
        ASGML_OPS(CLEAR_)
#undef CLEAR_
    default: break;
    }
}

static void mlp_config(asgml_model_config *c)
{
    asgml_model_config_defaults(c);
    c->num_modalities = 2;
    for (int j = 0; j < 2; j++) {
        c->enc[j].kind = ASGML_ENC_MLP;
        c->enc[j].in_dim = 4;
        c->enc[j].hidden = 5;
    }
    c->feature_dim = 3;
    c->num_classes = 2;
    c->max_batch = 2;
}

int main(void)
{
    asgml_backend *cpu = NULL;
    if (asgml_backend_create("cpu", NULL, &cpu) != ASGML_OK) {
        printf("Bail out! cpu backend: %s\n", asgml_last_error());
        return 1;
    }
    tap_plan(8 + ASGML_OP_COUNT);

    int named = 1, distinct = 1, all = 1;
    for (int i = 0; i < ASGML_OP_COUNT; i++) {
        const char *a = asgml_op_name((asgml_op)i);
        if (!a || !*a || strcmp(a, "unknown") == 0) named = 0;
        for (int j = 0; j < i; j++)
            if (strcmp(a, asgml_op_name((asgml_op)j)) == 0) distinct = 0;
        if (!asgml_backend_supports(cpu, (asgml_op)i)) all = 0;
    }
    ok(named && distinct, "every op has its own name (%d ops)", (int)ASGML_OP_COUNT);
    ok(strcmp(asgml_op_name(ASGML_OP_COUNT), "unknown") == 0 &&
           strcmp(asgml_op_name(ASGML_OP_GEMM), "gemm") == 0,
       "names come from the slot names; out of range is \"unknown\"");
    ok(all && asgml_backend_require(cpu, NULL, 0) == ASGML_OK,
       "cpu supports every op");
    ok(!asgml_backend_supports(cpu, ASGML_OP_COUNT) && !asgml_backend_supports(NULL, 0),
       "supports: out of range op or NULL backend is unsupported");

    asgml_model_config cfg;
    mlp_config(&cfg);
    asgml_backend_ops table = *cpu->ops;
    asgml_backend fake = *cpu;
    table.name = "fake";
    fake.ops = &table;
    asgml_model *m = NULL;
    asgml_status st = asgml_model_create(&fake, &cfg, &m);
    ok(st == ASGML_OK && m, "a full copy of the cpu table creates a model");
    asgml_model_free(m);

    for (int i = 0; i < ASGML_OP_COUNT; i++) {
        asgml_op op = (asgml_op)i;
        table = *cpu->ops;
        table.name = "fake";
        clear_slot(&table, op);
        char want[160];
        snprintf(want, sizeof want, "backend 'fake' does not support op '%s'",
                 asgml_op_name(op));
        m = NULL;
        asgml_clear_error();
        st = asgml_model_create(&fake, &cfg, &m);
        ok(st == ASGML_ENOTSUP && !m && !asgml_backend_supports(&fake, op) &&
               strcmp(asgml_last_error(), want) == 0,
           "without %s: model creation fails: %s", asgml_op_name(op), asgml_last_error());
    }

    table = *cpu->ops;
    table.name = "fake";
    clear_slot(&table, ASGML_OP_SIGMOID_FORWARD);
    const asgml_op need[] = {ASGML_OP_GEMM, ASGML_OP_SIGMOID_FORWARD};
    st = asgml_backend_require(&fake, need, 2);
    ok(st == ASGML_ENOTSUP && strstr(asgml_last_error(), "'sigmoid_forward'"),
       "require names the missing op of an explicit list");
    ok(asgml_backend_require(&fake, need, 1) == ASGML_OK, "require: a list without it passes");
    ok(asgml_backend_require(&fake, NULL, -1) == ASGML_EINVAL, "require: negative count");

    asgml_backend_destroy(cpu);
    return tap_done();
}
