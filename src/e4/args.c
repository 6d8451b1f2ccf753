/* Parsing of option values: hex keys, numbers, ids, "LEFT:HEX" pairs. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

int is_all_zero(const uint8_t *p, size_t len)
{
    uint8_t acc = 0;
    size_t i;
    for (i = 0; i < len; i++)
        acc |= p[i];
    return acc == 0;
}

/* Never echoes the value: it may be a secret. Says only what is wrong. */
int arg_hex(const char *option, const char *value, uint8_t *out, size_t len)
{
    size_t n = strlen(value);
    if (n != 2 * len)
        return cli_usage_error("%s: expected %zu hex digits (%zu bytes), got %zu characters",
                               option, 2 * len, len, n);
    if (hex_decode_exact(out, len, value) != 0)
        return cli_usage_error("%s: expected %zu hex digits (%zu bytes), got a character that "
                               "is not a hex digit",
                               option, 2 * len, len);
    return 0;
}

int arg_key(const char *option, const char *value, uint8_t *out, size_t len)
{
    int rc = arg_hex(option, value, out, len);
    if (rc == 0 && is_all_zero(out, len))
        return cli_usage_error("%s: %s (an all-zero key is refused)", option,
                               e4_strerror(E4_ERR_ZERO_KEY));
    return rc;
}

int arg_time(const char *option, const char *value, uint64_t *out)
{
    int rc = arg_u64(option, value, out);
    if (rc == 0 && *out > (uint64_t)INT64_MAX)
        return cli_usage_error("%s: %s is 2^63 or more (no receiver could accept it)", option,
                               value);
    return rc;
}

int cli_stdin_is_data;

int arg_secret(const char *value, const char *file, const char *env, char **text)
{
    const char *e = env ? getenv(env) : NULL;
    *text = NULL;
    if (value && file)
        return cli_usage_error("a secret was given both on the command line and in a file; "
                               "give only one");
    if (file && cli_stdin_is_data && !strcmp(file, "-"))
        return cli_usage_error("a secret cannot be read from stdin ('-') here: stdin carries "
                               "the input; use a file (or /dev/fd/N)");
    if (file) {
        *text = arg_read_password_file(file);
        return *text ? 0 : 1;
    }
    if (!value && e && *e)
        value = e;
    if (value && !(*text = strdup(value))) {
        cli_error("out of memory");
        return 1;
    }
    return 0;
}

int arg_secret_key(const char *option, const struct secret_src *src, uint8_t *out, size_t len,
                   int *have)
{
    char *text = NULL;
    int rc = arg_secret(src->value, src->file, src->env, &text);
    if (rc || !text)
        return rc;
    rc = arg_key(option, text, out, len);
    e4_wipe(text, strlen(text));
    free(text);
    *have = rc == 0;
    return rc;
}

void cli_protect_secrets(void)
{
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int arg_u64(const char *option, const char *value, uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (value[0] < '0' || value[0] > '9')
        return cli_usage_error("%s: not an unsigned integer: '%s'", option, value);
    errno = 0;
    v = strtoull(value, &end, 10);
    if (errno || *end)
        return cli_usage_error("%s: not an unsigned 64-bit integer: '%s'", option, value);
    *out = (uint64_t)v;
    return 0;
}

int arg_u32(const char *option, const char *value, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    int rc = arg_u64(option, value, &v);
    if (rc)
        return rc;
    if (v > max)
        return cli_usage_error("%s: %s is more than %u", option, value, (unsigned)max);
    *out = (uint32_t)v;
    return 0;
}

e4_err cli_hash_topic(uint8_t hash[E4_TOPIC_HASH_LEN], const char *topic)
{
    e4_err err = e4_validate_topic(topic);
    return err ? err : e4_hash_topic(hash, topic);
}

e4_err cli_hash_name(uint8_t id[E4_ID_LEN], const char *name)
{
    e4_err err = e4_validate_name(name);
    return err ? err : e4_hash_id(id, name);
}

int arg_id(const char *option, const char *value, uint8_t id[E4_ID_LEN])
{
    e4_err err;
    if (strlen(value) == 2 * E4_ID_LEN && hex_decode_exact(id, E4_ID_LEN, value) == 0)
        return 0;
    err = cli_hash_name(id, value);
    if (err != E4_OK)
        return cli_usage_error("%s: '%s' is neither 32 hex digits nor a valid name: %s", option,
                               value, e4_strerror(err));
    return 0;
}

int arg_split_last_colon(const char *value, char **left, const char **right)
{
    const char *colon = strrchr(value, ':');
    size_t n;
    if (!colon)
        return -1;
    n = (size_t)(colon - value);
    *left = malloc(n + 1);
    if (!*left)
        return -1;
    memcpy(*left, value, n);
    (*left)[n] = '\0';
    *right = colon + 1;
    return 0;
}

char *arg_read_password_file(const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    if (!f) {
        cli_error("cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    n = getline(&line, &cap, f);
    if (f != stdin)
        fclose(f);
    if (n < 0) {
        free(line);
        cli_error("%s is empty: expected the secret on its first line", path);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    return line;
}

int arg_broker(const char *option, const char *s, int default_port, char **host, int *port)
{
    const char *colon = NULL, *h = s;
    size_t hlen;
    uint32_t p = 0;

    *port = default_port;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || (close[1] && close[1] != ':'))
            return cli_usage_error("%s: expected [ADDRESS]:PORT, got '%s'", option, s);
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close[1] ? close + 1 : NULL;
    } else {
        colon = strrchr(s, ':');
        if (colon && strchr(s, ':') != colon)
            colon = NULL; /* a bare IPv6 address */
        hlen = colon ? (size_t)(colon - s) : strlen(s);
    }
    if (colon) {
        int rc = arg_u32(option, colon + 1, 65535, &p);
        if (rc)
            return rc;
        if (p == 0)
            return cli_usage_error("%s: port 0", option);
        *port = (int)p;
    }
    if (hlen == 0)
        return cli_usage_error("%s: missing host in '%s'", option, s);
    *host = strndup(h, hlen);
    if (!*host) {
        cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
        return 1;
    }
    return 0;
}
