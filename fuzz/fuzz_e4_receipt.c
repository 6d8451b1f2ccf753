/*
 * Fuzz the C2 side of receipts: e4_receipt_parse and e4_receipt_open.
 *
 * Input: selector byte || data. selector % 3:
 *   0  parse data as a receipt plaintext;
 *   1  open data as a protected receipt under a fixed receipt key at NOW
 *      (the seeds are real receipts; mutations reach the window and
 *      authenticity checks);
 *   2  seal data as a plaintext under the fixed key at NOW, then open it: the
 *      full open path with any plaintext, which a fuzzer could never forge.
 *
 * Invariants: no crash or sanitizer report; every error is a named e4_err;
 * an accepted receipt is consistent (APPLIED is 20 bytes; a STATE's length is
 * E4_RECEIPT_STATE_PLAIN_LEN of its counts, its pointers lie inside the
 * plaintext, its entries strictly ascend); open accepts only what seals back
 * to the same bytes (SIV is deterministic) and then agrees with parse.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <e4/receipt.h>

#include "internal.h"

#define NOW UINT64_C(1700000000)
#define SKEW 30

#include "check.h"

static uint8_t g_rkey[E4_KEY_LEN];
static int g_ready;

static void setup(void)
{
    uint8_t cmd_key[E4_KEY_LEN];
    for (int i = 0; i < E4_KEY_LEN; i++) /* shared with the seed generator */
        cmd_key[i] = (uint8_t)(0x40 * 31 + i + 1);
    CHECK(e4_receipt_key(g_rkey, cmd_key) == E4_OK);
    g_ready = 1;
}

static int inside(const uint8_t *p, size_t n, const uint8_t *base, size_t len)
{
    return p >= base && (size_t)(p - base) <= len && n <= len - (size_t)(p - base);
}

static void check_parsed(e4_err rc, const e4_receipt *r, const uint8_t *plain, size_t len)
{
    if (rc != E4_OK) {
        CHECK(rc < 0 && strcmp(e4_strerror(rc), e4_strerror((e4_err)-999)) != 0);
        return;
    }
    CHECK(r->plain == plain && r->plain_len == len);
    CHECK(len >= 3 && plain[0] == E4_RECEIPT_MAGIC && plain[1] == E4_RECEIPT_VERSION);
    if (r->kind == E4_RECEIPT_APPLIED) {
        CHECK(len == 20 && memcmp(r->digest, plain + 3, E4_DIGEST_LEN) == 0 &&
              r->result == plain[19]);
        return;
    }
    CHECK(r->kind == E4_RECEIPT_STATE);
    CHECK(len == E4_RECEIPT_STATE_PLAIN_LEN(r->ntopics, r->npubkeys));
    CHECK(inside(r->topics, (size_t)r->ntopics * E4_RECEIPT_ENTRY_LEN, plain, len));
    CHECK(inside(r->pubkeys, (size_t)r->npubkeys * E4_RECEIPT_ENTRY_LEN, plain, len));
    CHECK(r->c2_check == plain + len - E4_CHECK_LEN);
    for (uint32_t i = 1; i < r->ntopics; i++)
        CHECK(memcmp(r->topics + (i - 1) * 24, r->topics + i * 24, 16) < 0);
    for (uint32_t i = 1; i < r->npubkeys; i++)
        CHECK(memcmp(r->pubkeys + (i - 1) * 24, r->pubkeys + i * 24, 16) < 0);
}

/* Open in (in_len bytes); on success it must seal back to in and parse alike. */
static void open_and_check(const uint8_t *in, size_t in_len)
{
    size_t cap = in_len > E4_SK_OVERHEAD ? in_len - E4_SK_OVERHEAD : 0;
    uint8_t *plain = malloc(cap ? cap : 1); /* exact size: ASan sees any overflow */
    e4_receipt r, r2;
    e4_err rc = e4_receipt_open(&r, plain, cap, g_rkey, in, in_len, NOW, SKEW);
    if (rc == E4_OK || (rc <= E4_ERR_RECEIPT_MAGIC && rc >= E4_ERR_RECEIPT_ORDER)) { /* authentic */
        uint8_t *again = malloc(in_len);
        CHECK(in_len > E4_SK_OVERHEAD);
        CHECK(e4_sk_protect(g_rkey, e4i_load64le(in), plain, cap, again) == E4_OK);
        CHECK(memcmp(again, in, in_len) == 0);
        CHECK(e4_receipt_parse(&r2, plain, cap) == rc);
        free(again);
    }
    if (rc == E4_OK) {
        CHECK(r.ts == e4i_load64le(in) && r.ts + 600 >= NOW && r.ts <= NOW + SKEW);
        check_parsed(rc, &r, plain, cap);
    } else {
        check_parsed(rc, &r, plain, cap);
    }
    free(plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_ready)
        setup();
    if (size < 1)
        return 0;
    const unsigned mode = data[0] % 3;
    const uint8_t *d = data + 1;
    const size_t n = size - 1;
    if (mode == 0) {
        uint8_t *copy = malloc(n ? n : 1); /* exact size */
        e4_receipt r;
        memcpy(copy, d, n);
        check_parsed(e4_receipt_parse(&r, copy, n), &r, copy, n);
        free(copy);
    } else if (mode == 1) {
        open_and_check(d, n);
    } else {
        uint8_t *sealed = malloc(n + E4_SK_OVERHEAD);
        CHECK(e4_sk_protect(g_rkey, NOW, d, n, sealed) == E4_OK);
        open_and_check(sealed, n + E4_SK_OVERHEAD);
        free(sealed);
    }
    return 0;
}
