/*
 * Test helper (built with the tests only, not installed): the device's side
 * of the fips-pk and pq-pk commands, which the e4 client does not run
 * yet; opens what `e4 command --suite fips-pk|pq-pk` builds with libe4's
 * stateless functions. Reads one binary message on stdin and prints one
 * line on stdout (exit 1 and the error on stderr on failure):
 *
 *   fips-pk CLIENT_AGREE_SK C2_AGREE_PK           -> command HEX
 *   pq-pk-establish XWING_SEED C2_ED25519_PK C2_MLDSA_PK_FILE
 *                                                 -> epoch N key HEX
 *   pq-pk CMD_KEY                                 -> epoch N command HEX
 *
 * (keys in hex; the ML-DSA-65 public key, 3,904 hex digits, from a file).
 */
#include <e4/e4.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint8_t in[8192], out[8192];

static int unhex(uint8_t *dst, size_t len, const char *hex)
{
    if (strlen(hex) != 2 * len)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        dst[i] = (uint8_t)v;
    }
    return 0;
}

static int unhex_file(uint8_t *dst, size_t len, const char *path)
{
    static char line[2 * E4_MLDSA65_PK_LEN + 8];
    FILE *f = fopen(path, "r");
    int rc = -1;
    if (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        rc = unhex(dst, len, line);
    }
    if (f)
        fclose(f);
    return rc;
}

static void put_hex(const char *label, const uint8_t *p, size_t n)
{
    printf("%s ", label);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

static int fail(e4_err err)
{
    fprintf(stderr, "%s\n", e4_strerror(err));
    return 1;
}

static e4_err open_fips_pk(char **argv, size_t in_len, uint64_t now)
{
    uint8_t sk[E4_P256_SK_LEN], pk[E4_P256_PK_LEN], key[E4_KEY_LEN];
    size_t n;
    if (unhex(sk, sizeof sk, argv[2]) || unhex(pk, sizeof pk, argv[3]))
        return E4_ERR_INVALID_ARGUMENT;
    e4_err err = e4_fips_pk_command_key(key, sk, pk);
    if (!err)
        err = e4_fips_sk_unprotect(key, in, in_len, out, &n, now, 0);
    if (!err)
        put_hex("command", out, n);
    return err;
}

static e4_err open_pq_establish(char **argv, size_t in_len, uint64_t now)
{
    static uint8_t mldsa_pk[E4_MLDSA65_PK_LEN];
    uint8_t seed[E4_XWING_SEED_LEN], ed_pk[E4_ED25519_PK_LEN], key[E4_KEY_LEN];
    uint32_t epoch;
    if (unhex(seed, sizeof seed, argv[2]) || unhex(ed_pk, sizeof ed_pk, argv[3]) ||
        unhex_file(mldsa_pk, sizeof mldsa_pk, argv[4]))
        return E4_ERR_INVALID_ARGUMENT;
    e4_err err = e4_pq_pk_key_open(key, &epoch, in, in_len, ed_pk, mldsa_pk, seed, now, 0);
    if (!err) {
        printf("epoch %u ", (unsigned)epoch);
        put_hex("key", key, sizeof key);
    }
    return err;
}

static e4_err open_pq_command(char **argv, size_t in_len, uint64_t now)
{
    uint8_t key[E4_KEY_LEN];
    uint32_t epoch;
    size_t n;
    if (unhex(key, sizeof key, argv[2]))
        return E4_ERR_INVALID_ARGUMENT;
    e4_err err = e4_pq_pk_command_open(key, in, in_len, out, &n, &epoch, now, 0);
    if (!err) {
        printf("epoch %u ", (unsigned)epoch);
        put_hex("command", out, n);
    }
    return err;
}

int main(int argc, char **argv)
{
    size_t in_len = fread(in, 1, sizeof in, stdin);
    uint64_t now = (uint64_t)time(NULL);

    if (argc == 4 && !strcmp(argv[1], "fips-pk")) {
        e4_err err = open_fips_pk(argv, in_len, now);
        return err ? fail(err) : 0;
    }
    if (argc == 5 && !strcmp(argv[1], "pq-pk-establish")) {
        e4_err err = open_pq_establish(argv, in_len, now);
        return err ? fail(err) : 0;
    }
    if (argc == 3 && !strcmp(argv[1], "pq-pk")) {
        e4_err err = open_pq_command(argv, in_len, now);
        return err ? fail(err) : 0;
    }
    fprintf(stderr, "usage: see the comment at the top of suite_command_open.c\n");
    return 2;
}
