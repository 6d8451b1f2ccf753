/* The devices: loaded from the devices file, all or none. Each device is its
 * own e4_state in memory of its own (e4_state_size_suite); nothing
 * is written back: the file is the identity, the keys C2 sets live in
 * memory only. */
#include "sim.h"
#include "../e4/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A public-key device in its suite (the sets' layout: identity.h). */
static e4_err init_pk(sim_device *d, const device_spec *sp, const e4_limits *lim, e4_suite suite,
                      size_t size)
{
    const uint8_t *s = sp->sign_key, *c2 = sp->c2_pk;
    switch (suite) {
    case E4_SUITE_FIPS_PK:
        return e4_state_init_fips_pk(&d->state, d->mem, size, lim, sp->id, s, s + E4_P256_SK_LEN,
                                     c2);
    case E4_SUITE_PQ_PK:
        return e4_state_init_pq_pk(&d->state, d->mem, size, lim, sp->id, s, s + E4_ED25519_SK_LEN,
                                   s + E4_ED25519_SK_LEN + E4_MLDSA65_SEED_LEN, c2,
                                   c2 + E4_ED25519_PK_LEN);
    default: return e4_state_init_pk(&d->state, d->mem, size, lim, sp->id, s, c2);
    }
}

static int device_init(sim_device *d, const device_spec *sp, const e4_limits *lim, e4_suite suite)
{
    size_t size = e4_state_size_suite(suite, lim);
    e4_err err;

    d->mem = malloc(size);
    d->name = strdup(sp->name);
    if (!d->mem || !d->name)
        return E4_ERR_NO_MEMORY;
    if (sp->pk)
        err = init_pk(d, sp, lim, suite, size);
    else if (suite == E4_SUITE_FIPS_SK)
        err = e4_state_init_fips_sk(&d->state, d->mem, size, lim, sp->id, sp->key);
    else
        err = e4_state_init_sk(&d->state, d->mem, size, lim, sp->id, sp->key);
    if (err != E4_OK) {
        d->state = NULL;
        return err;
    }
    snprintf(d->control_topic, sizeof d->control_topic, "%s", e4_state_control_topic(d->state));
    return E4_OK;
}

/* Names and control topics (ids) are unique. */
static int device_register(fleet *f, sim_device *d, const char *path)
{
    uint32_t idx = (uint32_t)(d - f->dev), other = 0;
    if (strmap_put(&f->by_name, d->name, idx, &other) != 0) {
        cli_error("%s:%u: duplicate name \"%s\" (line %u)", path, d->line, d->name,
                  f->dev[other].line);
        return 1;
    }
    if (strmap_put(&f->by_topic, d->control_topic, idx, &other) != 0) {
        cli_error("%s:%u: duplicate id %s (line %u)", path, d->line, d->control_topic + 3,
                  f->dev[other].line);
        return 1;
    }
    return 0;
}

static int load_line(fleet *f, const char *path, uint32_t lineno, const char *line, size_t len,
                     const e4_limits *lim[2])
{
    device_spec spec;
    char why[200];
    sim_device *d = &f->dev[f->n];
    e4_err err;

    if (devline_parse(line, len, f->suite, &spec, why, sizeof why) != 0) {
        cli_error("%s:%u: %s", path, lineno, why);
        return 1;
    }
    if (spec.pk != idkeys_is_pk_suite(f->suite) && f->suite != E4_SUITE_BASE) {
        devline_wipe(&spec);
        cli_error("%s:%u: a %s device cannot run --suite %s", path, lineno,
                  spec.pk ? "public-key (sign_key)" : "symmetric-key (key)",
                  cli_suite_of(f->suite)->name);
        return 1;
    }
    f->n++; /* from here fleet_free cleans d */
    d->line = lineno;
    err = device_init(d, &spec, lim[spec.pk], f->suite);
    f->npk += spec.pk != 0;
    devline_wipe(&spec);
    if (err != E4_OK) {
        cli_error("%s:%u: %s", path, lineno, e4_strerror(err));
        return 1;
    }
    return device_register(f, d, path);
}

static int blank(const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

/* Every line of buf; the structures are sized for nlines devices. */
static int load_lines(fleet *f, const char *path, const char *buf, size_t len,
                      const e4_limits *lim[2], uint32_t nconns)
{
    const char *p = buf, *end = buf + len;
    uint32_t lineno = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        lineno++;
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (!blank(p, n) && load_line(f, path, lineno, p, n, lim) != 0)
            return 1;
        p = nl ? nl + 1 : end;
    }
    if (f->n == 0) {
        cli_error("%s: no devices", path);
        return 1;
    }
    for (size_t i = 0; i < f->n; i++) /* contiguous blocks: see sim_conn_first */
        f->dev[i].conn = (uint32_t)((uint64_t)i * nconns / f->n);
    return 0;
}

static size_t count_lines(const char *buf, size_t len)
{
    size_t n = 1, i;
    for (i = 0; i < len; i++)
        n += buf[i] == '\n';
    return n;
}

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || io_read_all(fd, buf, len) != 0) {
        cli_error("cannot read %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return 1;
    }
    close(fd);
    return 0;
}

int fleet_load(fleet *f, const char *path, const e4_limits *sk, const e4_limits *pk, e4_suite suite,
               uint32_t nconns)
{
    const e4_limits *lim[2] = {sk, pk};
    uint8_t *buf;
    size_t len, cap;
    int rc = 1;

    memset(f, 0, sizeof *f);
    f->suite = suite;
    if (read_file(path, &buf, &len) != 0)
        return 1;
    cap = count_lines((const char *)buf, len);
    f->dev = calloc(cap, sizeof *f->dev);
    if (!f->dev || strmap_init(&f->by_name, cap) != 0 || strmap_init(&f->by_topic, cap) != 0 ||
        sim_sha3(f->digest, buf, len, NULL, 0) != 0)
        cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
    else
        rc = load_lines(f, path, (const char *)buf, len, lim, nconns);
    e4_wipe(buf, len);
    free(buf);
    if (rc != 0)
        fleet_free(f);
    return rc;
}

void fleet_free(fleet *f)
{
    size_t i;
    for (i = 0; i < f->n; i++) {
        if (f->dev[i].state)
            e4_state_wipe(f->dev[i].state);
        free(f->dev[i].mem);
        free(f->dev[i].name);
        free(f->dev[i].held);
    }
    free(f->dev);
    strmap_free(&f->by_name);
    strmap_free(&f->by_topic);
    memset(f, 0, sizeof *f);
}

sim_device *fleet_by_topic(fleet *f, const char *topic)
{
    uint32_t i;
    return strmap_get(&f->by_topic, topic, &i) ? &f->dev[i] : NULL;
}

sim_device *fleet_by_name(fleet *f, const char *name)
{
    uint32_t i;
    return strmap_get(&f->by_name, name, &i) ? &f->dev[i] : NULL;
}
