/*
 * Fuzz e4c2's configuration file parser, config_parse_text() (src/e4c2/
 * config.c): "key = value" lines, '#' comments, blank lines, '_' for '-'.
 *
 * Input: err_cap(1) || text. The text is parsed twice: with a 256-byte error
 * buffer, and with one of 1..16 bytes (err_cap), which must give the same
 * result and stay within it.
 *
 * Invariants: no crash, no leak (config_free frees what a failed parse had
 * already set); an error starts with "line N: " where line N of the text
 * exists and is neither blank nor a comment; after success every field set
 * is a NUL-terminated string of 1 to 4095 bytes without '\n' (or any NUL,
 * '\r' or space at either end) that occurs in the text, and the fields no
 * line names are still unset; the flags fields are never touched.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "check.h"

/* Every string field of c2_config, with the key that sets it. */
#define F(f, key)                   \
    {                               \
        offsetof(c2_config, f), key \
    }
static const struct field {
    size_t offset;
    const char *key;
} fields[] = {
    F(db, "db"),
    F(passphrase_file, "passphrase-file"),
    F(key_file, "key-file"),
    F(log_level, "log-level"),
    F(mode, "mode"),
    F(kdf_ops, "kdf-ops"),
    F(kdf_mem, "kdf-mem"),
    F(broker, "broker"),
    F(broker_cafile, "broker-cafile"),
    F(broker_username, "broker-username"),
    F(broker_password_file, "broker-password-file"),
    F(listen, "listen"),
    F(tls_cert, "tls-cert"),
    F(tls_key, "tls-key"),
    F(lease, "lease"),
    F(pool, "pool"),
    F(max_inflight, "max-inflight"),
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static char *field(c2_config *c, size_t i)
{
    return *(char **)((char *)c + fields[i].offset);
}

/* Line n (1-based) of text: its bounds, or 0 when there is no such line. */
static int line_of(const char *text, size_t len, long n, const char **b, const char **e)
{
    const char *p = text, *end = text + len;
    long i;
    for (i = 1; p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (i == n) {
            *b = p;
            *e = nl ? nl : end;
            return 1;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* Does the text hold a line naming key k (with '-' or '_') before an '='? */
static int names_key(const char *text, size_t len, const char *k)
{
    size_t kl = strlen(k), i, j;
    for (i = 0; i + kl <= len; i++) {
        for (j = 0; j < kl && (text[i + j] == k[j] || (k[j] == '-' && text[i + j] == '_')); j++)
            ;
        if (j == kl)
            return 1;
    }
    return 0;
}

static void check_error(const char *err, const char *text, size_t len)
{
    char *endp;
    long n;
    const char *b, *e;
    CHECK(strncmp(err, "line ", 5) == 0);
    n = strtol(err + 5, &endp, 10);
    CHECK(endp != err + 5 && n >= 1 && endp[0] == ':' && endp[1] == ' ' && endp[2] != 0);
    CHECK(line_of(text, len, n, &b, &e));
    while (b < e && isspace((unsigned char)*b))
        b++;
    CHECK(b < e && *b != '#'); /* blank lines and comments are never errors */
}

static int occurs(const char *text, size_t len, const char *v, size_t n)
{
    size_t i;
    for (i = 0; i + n <= len; i++)
        if (memcmp(text + i, v, n) == 0)
            return 1;
    return 0;
}

static void check_value(const char *v, const char *text, size_t len)
{
    size_t n = strlen(v);
    CHECK(n >= 1 && n <= 4095);
    CHECK(!memchr(v, '\n', n));
    CHECK(!isspace((unsigned char)v[0]) && !isspace((unsigned char)v[n - 1]));
    CHECK(occurs(text, len, v, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    c2_config a, b;
    char err[256], small[17], *text;
    size_t len, cap, i;
    int ra, rb;
    if (size < 1 || size > 8192)
        return 0;
    cap = (size_t)(data[0] % 16) + 1;
    len = size - 1;
    text = malloc(len ? len : 1); /* exactly sized, not NUL-terminated: over-reads show */
    CHECK(text);
    memcpy(text, data + 1, len);

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(err, 0x5a, sizeof err);
    memset(small, 0x5a, sizeof small);
    ra = config_parse_text(&a, text, len, err, sizeof err);
    rb = config_parse_text(&b, text, len, small, cap);
    CHECK(ra == 0 || ra == -1);
    CHECK(ra == rb);
    CHECK((unsigned char)small[cap] == 0x5a); /* nothing written past err_len */
    if (ra != 0) {
        CHECK(memchr(err, 0, sizeof err) != NULL);
        check_error(err, text, len);
        CHECK(memchr(small, 0, cap) != NULL && strncmp(small, err, cap - 1) == 0);
    } else {
        for (i = 0; i < NFIELDS; i++) {
            const char *v = field(&a, i), *w = field(&b, i);
            CHECK(!v == !w);
            if (!v) {
                continue;
            }
            CHECK(strcmp(v, w) == 0);
            CHECK(names_key(text, len, fields[i].key));
            check_value(v, text, len);
        }
    }
    CHECK(a.read_only == 0 && a.json == 0 && a.config == NULL);
    config_free(&a);
    config_free(&b);
    for (i = 0; i < NFIELDS; i++)
        CHECK(field(&a, i) == NULL);
    free(text);
    return 0;
}
