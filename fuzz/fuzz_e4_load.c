/*
 * Fuzz e4_state_load: the input is a saved state, read through an in-memory
 * e4_storage. Each input is loaded twice: as it is, and with its last four
 * bytes replaced by the right CRC-32 of the rest, so that mutations get past
 * the checksum into the parser.
 *
 * Invariants: no crash or sanitizer report; a failed load returns a storage
 * (or key) error and leaves the caller's memory all zero; a successful load
 * has counts within limits, saves again to the same bytes (up to the unused
 * old-key field of topics without a transition key, which is written as
 * zeros), and that reloads to an equal state; loading with limits below the
 * counts gives E4_ERR_STORAGE_CAPACITY.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <e4/e4.h>

#include "internal.h"

#include "crc32.h"
#include "fuzz_e4_common.h"

/* ---- the harness ------------------------------------------------------------ */

static const e4_limits LIMITS = {8, 4, 8}, SMALL = {1, 1, 0};
/* room for any suite's state: a file may be fips-pk or pq-pk */
#define MEM_SIZE E4_STATE_SIZE_SUITE(E4_SUITE_PQ_PK, 8, 4, 8)
static _Alignas(8) uint8_t g_mem[MEM_SIZE], g_mem2[MEM_SIZE];
static memstore g_in, g_out, g_out2;

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static void one(const uint8_t *data, size_t size)
{
    if (size > sizeof g_in.buf)
        return;
    memstore_init(&g_in);
    memcpy(g_in.buf, data, size);
    g_in.len = size;

    e4_state *s = NULL;
    memset(g_mem, 0xaa, sizeof g_mem);
    e4_err rc = e4_state_load(&s, g_mem, sizeof g_mem, &LIMITS, &g_in.st);
    if (rc != E4_OK) {
        CHECK(rc == E4_ERR_STORAGE_CORRUPT || rc == E4_ERR_STORAGE_VERSION ||
              rc == E4_ERR_STORAGE_CAPACITY || rc == E4_ERR_INVALID_KEY || rc == E4_ERR_CRYPTO);
        CHECK(all_zero(g_mem, e4_state_size(&LIMITS)));
        return;
    }
    CHECK(s == (e4_state *)g_mem);
    CHECK(e4_state_topic_count(s) <= LIMITS.topics && e4_state_pubkey_count(s) <= LIMITS.pubkeys);
    CHECK(e4_state_mode(s) == E4_MODE_SK || e4_state_mode(s) == E4_MODE_PK);

    /* Saved again (in the current format: a version-1 input comes back as
     * version 3 with an empty command list, versions 2 and 3 with their
     * replay entries in the cache's order), */
    memstore_init(&g_out);
    CHECK(e4_state_save(s, &g_out.st) == E4_OK);
    CHECK(data[4] != 1 || g_out.len == size + 4); /* v1 -> v3: an empty command list */
    CHECK(g_out.buf[4] == 3 && g_out.buf[7] == (uint8_t)e4_state_suite(s));

    /* Which loads to an equal state and saves to the same bytes. */
    e4_state *s2;
    CHECK(e4_state_load(&s2, g_mem2, sizeof g_mem2, &LIMITS, &g_out.st) == E4_OK);
    CHECK(states_equal(s, s2) && states_equal(s2, s));
    memstore_init(&g_out2);
    CHECK(e4_state_save(s2, &g_out2.st) == E4_OK);
    CHECK(g_out2.len == g_out.len && memcmp(g_out.buf, g_out2.buf, g_out.len) == 0);

    /* Too small for it: a capacity error, and nothing left behind. */
    uint32_t nt = e4_state_topic_count(s), np = e4_state_pubkey_count(s);
    g_out.pos = 0;
    memset(g_mem2, 0xaa, sizeof g_mem2);
    rc = e4_state_load(&s2, g_mem2, sizeof g_mem2, &SMALL, &g_out.st);
    if (nt > SMALL.topics || np > SMALL.pubkeys) {
        CHECK(rc == E4_ERR_STORAGE_CAPACITY);
        CHECK(all_zero(g_mem2, e4_state_size(&SMALL)));
    } else {
        CHECK(rc == E4_OK && states_equal(s, s2) && states_equal(s2, s));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    one(data, size);
    if (size >= 4 && size <= 4096) {
        uint8_t fixed[4096];
        memcpy(fixed, data, size);
        put32(fixed + size - 4, support_crc32(fixed, size - 4));
        one(fixed, size);
    }
    return 0;
}
