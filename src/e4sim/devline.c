/* One line of the devices file (JSON lines):
 *   {"name": "...", "id": "32 hex", "key": "64 hex"}                      SK
 *   {"name": "...", "id": "32 hex", "sign_key": "128 hex", "c2_pubkey": "64 hex"}  PK
 * In fips-pk and pq-pk, sign_key and c2_pubkey hold the suite's sets as the
 * identity options take them (--sign-key, --c2-pubkey; identity.h). A line
 * may say its "suite": it must then be the one run. PK lines may carry
 * "pubkey" (base: the Ed25519 public key, which must match the second half
 * of sign_key; other suites: the set peers store, of its length). Other
 * members are ignored. */
#include "sim.h"
#include "../e4/cli.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* A member that must be a string (NULL when absent; -1 on a wrong type). */
static int member_string(json_t *o, const char *name, const char **out, char *err, size_t n)
{
    json_t *v = json_object_get(o, name);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_string(v)) {
        snprintf(err, n, "\"%s\" is not a string", name);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

/* A hex member of exactly len bytes, never all zero (required). */
static int member_hex(json_t *o, const char *name, uint8_t *out, size_t len, char *err, size_t n)
{
    const char *v;
    if (member_string(o, name, &v, err, n) != 0)
        return -1;
    if (!v) {
        snprintf(err, n, "\"%s\" is missing", name);
        return -1;
    }
    if (hex_decode_exact(out, len, v) != 0) {
        snprintf(err, n, "\"%s\": expected %zu hex digits", name, 2 * len);
        return -1;
    }
    if (is_all_zero(out, len)) {
        snprintf(err, n, "\"%s\" is all zeros", name);
        return -1;
    }
    return 0;
}

/* Names are printed in result lines: no control characters. */
static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

static int parse_name(json_t *o, device_spec *spec, char *err, size_t n)
{
    const char *name;
    if (member_string(o, "name", &name, err, n) != 0)
        return -1;
    if (!name) {
        snprintf(err, n, "\"name\" is missing");
        return -1;
    }
    if (cli_hash_name(spec->id, name) != E4_OK || has_control(name)) {
        snprintf(err, n, "\"name\": %s%s", e4_strerror(E4_ERR_INVALID_NAME),
                 has_control(name) ? " (control character)" : "");
        return -1;
    }
    memcpy(spec->name, name, strlen(name) + 1);
    return member_hex(o, "id", spec->id, E4_ID_LEN, err, n);
}

/* "pubkey": in base the public half of sign_key; elsewhere of its length. */
static int check_pubkey(const char *pub, e4_suite suite, const device_spec *spec, char *err,
                        size_t n)
{
    uint8_t pk[IDENTITY_C2_PK_MAX];
    size_t len = idkeys_peer_len(suite);

    if (!pub)
        return 0;
    if (hex_decode_exact(pk, len, pub) != 0) {
        snprintf(err, n, "\"pubkey\": expected %zu hex digits", 2 * len);
        return -1;
    }
    if (suite == E4_SUITE_BASE && memcmp(pk, spec->sign_key + 32, E4_ED25519_PK_LEN) != 0) {
        snprintf(err, n, "\"pubkey\" is not the public half of \"sign_key\"");
        return -1;
    }
    return 0;
}

static int parse_pk(json_t *o, e4_suite suite, device_spec *spec, char *err, size_t n)
{
    const char *pub;

    spec->pk = 1;
    if (json_object_get(o, "key")) {
        snprintf(err, n, "\"key\" (SK) and \"sign_key\" (PK) are exclusive");
        return -1;
    }
    if (!idkeys_sign_len(suite)) {
        snprintf(err, n, "a public-key device (\"sign_key\") cannot run %s",
                 cli_suite_of(suite)->name);
        return -1;
    }
    if (member_hex(o, "sign_key", spec->sign_key, idkeys_sign_len(suite), err, n) != 0 ||
        member_hex(o, "c2_pubkey", spec->c2_pk, idkeys_c2_len(suite), err, n) != 0 ||
        member_string(o, "pubkey", &pub, err, n) != 0)
        return -1;
    return check_pubkey(pub, suite, spec, err, n);
}

/* An optional "suite" member names the suite the line was made for. */
static int check_suite(json_t *o, e4_suite suite, char *err, size_t n)
{
    const char *name;
    if (member_string(o, "suite", &name, err, n) != 0)
        return -1;
    if (name && strcmp(name, cli_suite_of(suite)->name) != 0) {
        snprintf(err, n, "a %.20s device: run it with --suite %.20s", name, name);
        return -1;
    }
    return 0;
}

static int parse_object(json_t *o, e4_suite suite, device_spec *spec, char *err, size_t n)
{
    if (!json_is_object(o)) {
        snprintf(err, n, "not a JSON object");
        return -1;
    }
    if (parse_name(o, spec, err, n) != 0 || check_suite(o, suite, err, n) != 0)
        return -1;
    if (json_object_get(o, "sign_key") || json_object_get(o, "c2_pubkey"))
        return parse_pk(o, suite, spec, err, n);
    spec->pk = 0;
    return member_hex(o, "key", spec->key, E4_KEY_LEN, err, n);
}

int devline_parse(const char *line, size_t len, e4_suite suite, device_spec *spec, char *err,
                  size_t errlen)
{
    json_error_t jerr;
    json_t *o;
    int rc;

    memset(spec, 0, sizeof *spec);
    o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o) {
        snprintf(err, errlen, "invalid JSON: %s", jerr.text);
        return -1;
    }
    rc = parse_object(o, suite, spec, err, errlen);
    json_decref(o);
    if (rc != 0)
        devline_wipe(spec);
    return rc;
}

void devline_wipe(device_spec *spec)
{
    e4_wipe(spec->key, sizeof spec->key);
    e4_wipe(spec->sign_key, sizeof spec->sign_key);
}
