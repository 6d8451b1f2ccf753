/*
 * Test helper (built with the tests only, not installed): open receipts as
 * C2 would. Reads "TOPIC HEX" lines (mosquitto_sub -F '%t %x') on stdin,
 * opens each HEX under the receipt key of the command key given as the
 * first argument (hex), at the current time, and prints one line per
 * receipt:
 *
 *   TOPIC applied ts=T digest=HEX result=N
 *   TOPIC state ts=T topics=N pubkeys=M c2=HEX [HASH:CHECK ...] [ID:CHECK ...]
 *   TOPIC error CODE MESSAGE
 *
 * Usage: e4_test_receipt_open CMD_KEY_HEX [SKEW_SECONDS]
 *        e4_test_receipt_open --pk C2_X25519_PRIVATE_HEX CLIENT_ED25519_PUBLIC_HEX
 * (public-key mode: the command key is the C2 shared key).
 */
#include <e4/receipt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int unhex(uint8_t *out, size_t cap, const char *hex, size_t *len)
{
    size_t n = strlen(hex);
    if (n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    *len = n / 2;
    return 0;
}

static void put_hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
}

static void put_entries(const uint8_t *e, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++, e += E4_RECEIPT_ENTRY_LEN) {
        putchar(' ');
        put_hex(e, 16);
        putchar(':');
        put_hex(e + 16, E4_CHECK_LEN);
    }
}

static void print_receipt(const char *topic, const e4_receipt *r)
{
    printf("%s %s ts=%llu", topic, r->kind == E4_RECEIPT_APPLIED ? "applied" : "state",
           (unsigned long long)r->ts);
    if (r->kind == E4_RECEIPT_APPLIED) {
        fputs(" digest=", stdout);
        put_hex(r->digest, E4_DIGEST_LEN);
        printf(" result=%u\n", r->result);
        return;
    }
    printf(" topics=%u pubkeys=%u c2=", r->ntopics, r->npubkeys);
    put_hex(r->c2_check, E4_CHECK_LEN);
    put_entries(r->topics, r->ntopics);
    put_entries(r->pubkeys, r->npubkeys);
    putchar('\n');
}

/* The command key from the arguments: 0, or -1 on bad input. */
static int command_key(int argc, char **argv, uint8_t key[E4_KEY_LEN])
{
    uint8_t c2_sk[E4_X25519_LEN], pk[E4_ED25519_PK_LEN];
    size_t n1, n2;
    if (argc == 4 && !strcmp(argv[1], "--pk"))
        return unhex(c2_sk, sizeof c2_sk, argv[2], &n1) || unhex(pk, sizeof pk, argv[3], &n2) ||
                       n1 != sizeof c2_sk || n2 != sizeof pk ||
                       e4_c2_shared_key(key, c2_sk, pk) != E4_OK
                   ? -1
                   : 0;
    return argc >= 2 && argc <= 3 && unhex(key, E4_KEY_LEN, argv[1], &n1) == 0 && n1 == E4_KEY_LEN
               ? 0
               : -1;
}

int main(int argc, char **argv)
{
    static uint8_t in[1 << 20], plain[1 << 20];
    static char line[(2 << 20) + 1024];
    uint8_t cmd_key[E4_KEY_LEN], rkey[E4_KEY_LEN];
    size_t n;
    if (command_key(argc, argv, cmd_key) != 0) {
        fprintf(stderr, "usage: %s CMD_KEY_HEX [SKEW] | --pk C2_X25519_SK CLIENT_ED25519_PK\n",
                argv[0]);
        return 2;
    }
    uint32_t skew = argc == 3 ? (uint32_t)strtoul(argv[2], NULL, 10) : 0;
    if (e4_receipt_key(rkey, cmd_key) != E4_OK)
        return 1;
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *sp = strchr(line, ' ');
        e4_receipt r;
        e4_err err = E4_ERR_INVALID_ARGUMENT;
        if (sp) {
            *sp = '\0';
            if (unhex(in, sizeof in, sp + 1, &n) == 0)
                err = e4_receipt_open(&r, plain, sizeof plain, rkey, in, n, (uint64_t)time(NULL),
                                      skew);
        }
        if (err == E4_OK)
            print_receipt(line, &r);
        else
            printf("%s error %d %s\n", line, (int)err, e4_strerror(err));
        fflush(stdout);
    }
    return 0;
}
