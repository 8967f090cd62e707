/* SPDX-License-Identifier: MIT */
/* test-config.c - asgml_config (YAML, --set, typed reads, JSON round trip),
 * asgml_format_double and the log records of runlog.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asgml/config.h"
#include "asgml/method.h"
#include "tap.h"

static char tmpdir[] = "/tmp/test-config-XXXXXX";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(path);
        exit(99);
    }
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    static char buf[8192];
    size_t n;
    if (!f)
        return NULL;
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_format_double(void)
{
    char buf[64];
    static const double cases[] = { 0.1, 1e-3, 1.0 / 3.0, 64.0, -2.5e-300, 123456789.125 };
    int all = 1;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        asgml_format_double(buf, sizeof buf, cases[i]);
        all &= strtod(buf, NULL) == cases[i];
    }
    ok(all, "format_double round-trips exactly");
    asgml_format_double(buf, sizeof buf, 0.1);
    ok(strcmp(buf, "0.1") == 0, "0.1 is printed shortest (%s)", buf);
    asgml_format_double(buf, sizeof buf, 1e-3);
    ok(strcmp(buf, "0.001") == 0, "1e-3 -> %s", buf);
}

static void test_yaml_and_set(void)
{
    char yaml[256], json[256];
    asgml_config *c, *c2;
    double lr = 0, mom = 0;
    long width = 0, epochs = 0;
    int flip = 0;
    const char *fusion = "", *ms = "";
    asgml_status st;
    snprintf(yaml, sizeof yaml, "%s/run.yaml", tmpdir);
    snprintf(json, sizeof json, "%s/config.json", tmpdir);
    write_file(yaml, "# a run\noptim:\n  lr: 1e-2\n  momentum: 0.5\nmodel:\n  width: 16\n"
                     "  fusion: \"sum\"\nsched:\n  milestones: [70, 150]\n"
                     "data:\n  flip: yes\n");
    ok(asgml_config_create(&c) == ASGML_OK, "create");
    ok(asgml_config_load_yaml(c, yaml) == ASGML_OK, "load YAML: %s", asgml_last_error());
    ok(asgml_config_set_assignment(c, "optim.lr=0.003", "--set") == ASGML_OK, "--set");
    st = asgml_config_get_double(c, "optim.lr", 1e-3, &lr);
    ok(st == ASGML_OK && lr == 0.003, "--set wins over YAML (lr %g)", lr);
    ok(asgml_config_get_double(c, "optim.momentum", 0.9, &mom) == ASGML_OK && mom == 0.5,
       "nested mapping becomes dotted key");
    ok(asgml_config_get_int(c, "model.width", 64, &width) == ASGML_OK && width == 16, "int");
    ok(asgml_config_get_int(c, "train.epochs", 100, &epochs) == ASGML_OK && epochs == 100,
       "default when unset");
    ok(asgml_config_get_bool(c, "data.flip", 0, &flip) == ASGML_OK && flip == 1, "bool yes");
    ok(asgml_config_get_string(c, "model.fusion", "concat", &fusion) == ASGML_OK &&
           strcmp(fusion, "sum") == 0, "string");
    ok(asgml_config_get_string(c, "sched.milestones", "", &ms) == ASGML_OK &&
           strcmp(ms, "70,150") == 0, "list joined with commas (%s)", ms);
    ok(asgml_config_is_set(c, "optim.lr") && !asgml_config_is_set(c, "train.epochs"), "is_set");
    ok(asgml_config_check_unused(c) == ASGML_OK, "no unused keys");
    ok(asgml_config_count(c) == 7 && strcmp(asgml_config_key(c, 0), "data.flip") == 0 &&
           strcmp(asgml_config_value(c, 0), "yes") == 0,
       "resolved keys sorted (%d)", asgml_config_count(c));

    {
        FILE *f = fopen(json, "w");
        ok(f && asgml_config_write_json(c, f) == ASGML_OK && fclose(f) == 0, "write json");
    }
    {
        const char *text = read_all(json);
        ok(text && strstr(text, "\"optim.lr\": 0.003") && strstr(text, "\"data.flip\": true") &&
               strstr(text, "\"model.fusion\": \"sum\"") && strstr(text, "\"train.epochs\": 100"),
           "typed JSON values");
        ok(text && strstr(text, "data.flip") < strstr(text, "train.epochs"), "JSON keys sorted");
    }
    ok(asgml_config_create(&c2) == ASGML_OK && asgml_config_load_json(c2, json) == ASGML_OK,
       "load json: %s", asgml_last_error());
    lr = 0;
    ok(asgml_config_get_double(c2, "optim.lr", 1, &lr) == ASGML_OK && lr == 0.003 &&
           asgml_config_get_int(c2, "train.epochs", 1, &epochs) == ASGML_OK && epochs == 100 &&
           asgml_config_get_bool(c2, "data.flip", 0, &flip) == ASGML_OK && flip,
       "JSON round trip keeps values");
    asgml_config_free(c2);
    asgml_config_free(c);
}

static void test_errors(void)
{
    asgml_config *c;
    char yaml[256];
    double d;
    long l;
    int b;
    asgml_config_create(&c);
    asgml_config_set(c, "optim.lr", "abc", "--set");
    ok(asgml_config_get_double(c, "optim.lr", 1e-3, &d) == ASGML_EINVAL &&
           strstr(asgml_last_error(), "--set: key 'optim.lr': 'abc' is not a number"),
       "non-number: %s", asgml_last_error());
    asgml_config_set(c, "model.width", "1.5", "--set");
    ok(asgml_config_get_int(c, "model.width", 64, &l) == ASGML_EINVAL, "1.5 is not an integer");
    asgml_config_set(c, "data.flip", "maybe", "--set");
    ok(asgml_config_get_bool(c, "data.flip", 0, &b) == ASGML_EINVAL, "maybe is not a bool");
    ok(asgml_config_set_assignment(c, "novalue", "--set") == ASGML_EINVAL, "missing '='");
    ok(asgml_config_set(c, "bad key!", "1", "--set") == ASGML_EINVAL, "invalid key rejected");
    asgml_config_set(c, "optim.lrr", "0.1", "--set");
    ok(asgml_config_check_unused(c) == ASGML_EINVAL &&
           strstr(asgml_last_error(), "unknown configuration key 'optim.lrr'") &&
           strstr(asgml_last_error(), "did you mean 'optim.lr'"),
       "typo caught: %s", asgml_last_error());
    asgml_config_free(c);

    snprintf(yaml, sizeof yaml, "%s/bad.yaml", tmpdir);
    write_file(yaml, "optim:\n  lr: [1\n");
    asgml_config_create(&c);
    ok(asgml_config_load_yaml(c, yaml) == ASGML_EINVAL && strstr(asgml_last_error(), "bad.yaml:"),
       "YAML syntax error names the file: %s", asgml_last_error());
    asgml_config_free(c);
    asgml_config_create(&c);
    write_file(yaml, "optim:\n  lr: 0.1\n  lr2: x\n");
    ok(asgml_config_load_yaml(c, yaml) == ASGML_OK &&
           asgml_config_get_double(c, "optim.lr2", 0, &d) == ASGML_EINVAL &&
           strstr(asgml_last_error(), "bad.yaml:3:"),
       "YAML value error names the line: %s", asgml_last_error());
    asgml_config_free(c);
    asgml_config_create(&c);
    ok(asgml_config_load_yaml(c, "/nonexistent/x.yaml") == ASGML_EIO, "missing YAML file");
    asgml_config_free(c);
    /* issue 13, item 8: duplicate keys are errors naming both lines (was: last wins) */
    asgml_config_create(&c);
    write_file(yaml, "optim:\n  lr: 0.1\n  momentum: 0.9\n  lr: 0.2\n");
    ok(asgml_config_load_yaml(c, yaml) == ASGML_EINVAL &&
           strstr(asgml_last_error(), "bad.yaml:4: key 'optim.lr' given twice (first on line 2)"),
       "duplicate key in a mapping: %s", asgml_last_error());
    asgml_config_free(c);
    asgml_config_create(&c);
    write_file(yaml, "model:\n  width: 8\noptim:\n  lr: 0.1\nmodel:\n  blocks: [1, 1]\n");
    ok(asgml_config_load_yaml(c, yaml) == ASGML_EINVAL &&
           strstr(asgml_last_error(), "bad.yaml:5: key 'model' given twice (first on line 1)"),
       "a mapping given twice: %s", asgml_last_error());
    asgml_config_free(c);
    asgml_config_create(&c);
    write_file(yaml, "optim:\n  lr: 0.1\noptim.lr: 0.3\n");
    ok(asgml_config_load_yaml(c, yaml) == ASGML_EINVAL &&
           strstr(asgml_last_error(), "bad.yaml:3: key 'optim.lr' given twice (first on line 2)"),
       "nested and dotted spellings of one key collide: %s", asgml_last_error());
    asgml_config_free(c);
    asgml_config_create(&c);
    write_file(yaml, "a:\n  lr: 0.1\nb:\n  lr: 0.2\nc: [1, 2]\nd: 1\n");
    ok(asgml_config_load_yaml(c, yaml) == ASGML_OK, "the same leaf name under different parents is fine: %s",
       asgml_last_error());
    asgml_config_free(c);
}

static void test_log_record(void)
{
    asgml_log_record *r = asgml_log_record_create();
    const char *j;
    double v = 0;
    asgml_log_str(r, "type", "step");
    asgml_log_int(r, "step", 3);
    asgml_log_num(r, "loss", 0.1);
    asgml_log_num(r, "bad", NAN);
    asgml_log_str(r, "name", "a\"b\\c\n");
    asgml_log_num(r, "step", 4);  /* replaces in place */
    j = asgml_log_record_json(r);
    ok(j && strcmp(j, "{\"type\":\"step\",\"step\":4,\"loss\":0.1,\"bad\":null,"
                      "\"name\":\"a\\\"b\\\\c\\n\"}") == 0,
       "record JSON in insertion order: %s", j);
    ok(asgml_log_record_get(r, "loss", &v) == 0 && v == 0.1, "get present");
    ok(asgml_log_record_get(r, "nope", &v) != 0, "get absent");
    asgml_log_record_clear(r);
    j = asgml_log_record_json(r);
    ok(j && strcmp(j, "{}") == 0, "cleared record is {}");
    asgml_log_record_free(r);
}

int main(void)
{
    char cmd[300];
    if (!mkdtemp(tmpdir))
        return 99;
    test_format_double();
    test_yaml_and_set();
    test_errors();
    test_log_record();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", tmpdir);
    return tap_done();
}
