/*
 * e4c2_receipts: how many receipts e4c2 processes per second on one core,
 * against opening the same receipts with libe4 alone (the crypto floor).
 *
 *   e4c2_receipts DB_URL KEY_FILE [N]
 *
 * DB_URL is a database made by `e4c2 init --mode sk --key-file KEY_FILE`
 * (bench/e4c2_sync.sh makes one). The program adds N clients with known
 * keys, a topic they all join, marks the N SetTopicKey commands sent as the
 * publisher does, then builds for each client the receipts a device sends
 * after a rotation (APPLIED for its command, then its STATE) and hands them
 * to the store the way the receiver thread does (batches of 1,024, one
 * transaction each, relaxed durability). Prints the rates and their ratio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include <time.h>

#include <e4/receipt.h>
#include <sodium.h>

#include "keyring.h"
#include "outbox.h"
#include "store_internal.h"
#include "sync.h"

#define BATCH 1024

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what, const c2_error *e)
{
    fprintf(stderr, "e4c2_receipts: %s: %s\n", what, e ? e->message : "");
    exit(1);
}

typedef struct device {
    uint8_t id[E4_ID_LEN];
    uint8_t key[E4_KEY_LEN];
    uint8_t topic_key[E4_KEY_LEN];
    uint8_t digest[E4_DIGEST_LEN];
} device;

static void add_clients(store *s, device *dev, size_t n)
{
    c2_new_client *nc = calloc(n, sizeof *nc);
    char(*names)[32] = calloc(n, sizeof *names);
    const char **refs = calloc(n, sizeof *refs);
    c2_topic t;
    c2_error e = {0};
    size_t i;
    if (!nc || !names || !refs)
        fail("out of memory", NULL);
    for (i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "bench-%zu", i);
        CHECK(e4_hash_id(dev[i].id, names[i]) >= 0);
        randombytes_buf(dev[i].key, E4_KEY_LEN);
        nc[i].name = names[i];
        nc[i].key = dev[i].key;
        refs[i] = names[i];
    }
    for (i = 0; i < n; i += 10000)
        if (store_clients_import(s, nc + i, n - i > 10000 ? 10000 : n - i, &e) != C2_OK)
            fail("import", &e);
    if (store_topic_add(s, "bench/fleet", &t, &e) != C2_OK)
        fail("topic add", &e);
    for (i = 0; i < n; i += 10000)
        if (store_topic_join(s, "bench/fleet", refs + i, n - i > 10000 ? 10000 : n - i, 0, &e) !=
            C2_OK)
            fail("join", &e);
    free(nc);
    free(names);
    free(refs);
}

static int by_id(const void *a, const void *b)
{
    return memcmp(((const device *)a)->id, ((const device *)b)->id, E4_ID_LEN);
}

/* Claim, protect and mark sent every queued command, as the publisher does;
 * each device learns its topic key and its command's digest. */
static void send_all(store *s, device *dev, size_t n)
{
    outbox_item *items = calloc(1024, sizeof *items);
    qsort(dev, n, sizeof *dev, by_id);
    const outbox_item **done = calloc(1024, sizeof *done);
    c2_error e = {0};
    int got, i;
    size_t sent = 0;
    while (items && done) {
        if (outbox_claim(s, "bench", now_ms(), 60000, 1024, items, &got, &e) != C2_OK)
            fail("claim", &e);
        if (!got)
            break;
        for (i = 0; i < got; i++) {
            uint8_t msg[E4_COMMAND_MAX + E4_SK_OVERHEAD];
            device probe, *k;
            CHECK(e4_sk_protect(items[i].key, (uint64_t)now_s(), items[i].cmd, items[i].cmd_len,
                                msg) >= 0);
            CHECK(e4_command_digest(items[i].digest, msg, items[i].cmd_len + E4_SK_OVERHEAD) >= 0);
            memcpy(probe.id, items[i].client_id, E4_ID_LEN);
            if (!(k = bsearch(&probe, dev, n, sizeof *dev, by_id)))
                fail("a command for no device", NULL);
            memcpy(k->topic_key, items[i].cmd + 1, E4_KEY_LEN);
            memcpy(k->digest, items[i].digest, E4_DIGEST_LEN);
            done[i] = &items[i];
        }
        if (outbox_mark_sent(s, done, got, &e) != C2_OK)
            fail("mark sent", &e);
        sent += (size_t)got;
    }
    if (sent != n)
        fail("not every member got a command", NULL);
    free(items);
    free(done);
}

/* The receipts a device sends after applying its command: APPLIED, STATE. */
static void make_receipts(const device *dev, size_t n, sync_receipt *r)
{
    size_t i;
    for (i = 0; i < n; i++) {
        uint8_t rkey[E4_KEY_LEN], plain[E4_RECEIPT_STATE_PLAIN_LEN(1, 0)];
        size_t len = 0;
        e4_topic_key tk;
        memcpy(r[i].client_id, dev[i].id, E4_ID_LEN);
        memcpy(r[n + i].client_id, dev[i].id, E4_ID_LEN);
        CHECK(e4_receipt_key(rkey, dev[i].key) >= 0);
        plain[0] = E4_RECEIPT_MAGIC, plain[1] = E4_RECEIPT_VERSION, plain[2] = E4_RECEIPT_APPLIED;
        memcpy(plain + 3, dev[i].digest, E4_DIGEST_LEN);
        plain[3 + E4_DIGEST_LEN] = 0;
        r[i].len = 4 + E4_DIGEST_LEN + E4_SK_OVERHEAD;
        r[i].payload = malloc(r[i].len);
        CHECK(e4_sk_protect(rkey, (uint64_t)now_s(), plain, 4 + E4_DIGEST_LEN, r[i].payload) >= 0);
        CHECK(e4_hash_topic(tk.hash, "bench/fleet") >= 0);
        memcpy(tk.key, dev[i].topic_key, E4_KEY_LEN);
        CHECK(e4_receipt_state_expected(plain, sizeof plain, &len, &tk, 1, NULL, 0, NULL) >= 0);
        r[n + i].len = len + E4_SK_OVERHEAD;
        r[n + i].payload = malloc(r[n + i].len);
        CHECK(e4_sk_protect(rkey, (uint64_t)now_s(), plain, len, r[n + i].payload) >= 0);
    }
}

/* Receipts handed over as the receiver does: batches, a transaction each. */
static double sync_all(store *s, sync_ctx *x, const sync_receipt *r, size_t n)
{
    c2_error e = {0};
    double t0 = seconds();
    for (size_t i = 0; i < n; i += BATCH)
        if (sync_receipts(s, x, r + i, (int)(n - i > BATCH ? BATCH : n - i), &e) != C2_OK)
            fail("sync", &e);
    return seconds() - t0;
}

/* The crypto floor: every receipt opened and parsed with libe4 alone. */
static double open_all(const device *dev, const sync_receipt *r, size_t n)
{
    uint8_t plain[256], rkey[E4_KEY_LEN];
    e4_receipt got;
    double t0 = seconds();
    for (size_t i = 0; i < 2 * n; i++) {
        CHECK(e4_receipt_key(rkey, dev[i % n].key) >= 0);
        if (e4_receipt_open(&got, plain, sizeof plain, rkey, r[i].payload, r[i].len,
                            (uint64_t)now_s(), 0) != E4_OK)
            fail("a receipt does not open", NULL);
    }
    return seconds() - t0;
}

typedef struct round_times {
    double open, applied, state;
} round_times;

/* One rotation's receipts: commands sent, receipts made, opened by libe4
 * alone, then handed to e4c2 (APPLIED of every client, then STATE). */
static round_times one_round(store *s, sync_ctx *x, device *dev, size_t n, sync_receipt *r)
{
    round_times t;
    c2_status st;
    c2_error e = {0};
    send_all(s, dev, n);
    make_receipts(dev, n, r);
    t.open = open_all(dev, r, n);
    t.applied = sync_all(s, x, r, n);
    t.state = sync_all(s, x, r + n, n);
    if (store_status(s, &st, &e) != C2_OK || st.sync[C2_SYNC_IN_SYNC] != (int64_t)n)
        fail("not every client is in sync after its receipts", &e);
    for (size_t i = 0; i < 2 * n; i++)
        free(r[i].payload);
    return t;
}

static void print_round(const char *what, const round_times *t, size_t n)
{
    char label[96];
    double all = t->applied + t->state;
    snprintf(label, sizeof label, "%s: APPLIED (open, mark the command)", what);
    printf("| %-56s | %9.3f | %12.0f |\n", label, t->applied, n / t->applied);
    snprintf(label, sizeof label, "%s: STATE (open, compare, record)", what);
    printf("| %-56s | %9.3f | %12.0f |\n", label, t->state, n / t->state);
    snprintf(label, sizeof label, "%s: all receipts", what);
    printf("| %-56s | %9.3f | %12.0f |\n", label, all, 2 * n / all);
}

static store_pool *open_pool(const char *url, const char *key_file, keyring **kr)
{
    keyring_source src = {.key_file = key_file};
    c2_error e = {0};
    char err[256];
    db *d = db_open(url, err, sizeof err);
    store_pool *pool;
    if (!d || !(*kr = keyring_unlock(d, &src, &e)))
        fail("open", &e);
    db_close(d);
    if (!(pool = store_pool_open(url, *kr, 1, &e)))
        fail("open the store", &e);
    return pool;
}

int main(int argc, char **argv)
{
    size_t n = argc > 3 ? strtoul(argv[3], NULL, 10) : 10000;
    c2_error e = {0};
    c2_topic topic;
    keyring *kr = NULL;
    if (argc < 3 || n == 0 || sodium_init() < 0) {
        fprintf(stderr, "usage: e4c2_receipts DB_URL KEY_FILE [N]\n");
        return 2;
    }
    store_pool *pool = open_pool(argv[1], argv[2], &kr);
    store *s = store_pool_get(pool);
    db_relax_durability(s->d); /* as the receiver thread's connection */
    device *dev = calloc(n, sizeof *dev);
    sync_receipt *r = calloc(2 * n, sizeof *r);
    sync_ctx *x = sync_new(0);
    if (!dev || !r || !x)
        fail("out of memory", NULL);
    fprintf(stderr, "e4c2_receipts: %zu clients join a topic; their receipts...\n", n);
    add_clients(s, dev, n);
    round_times first = one_round(s, x, dev, n, r);
    fprintf(stderr, "e4c2_receipts: the topic rotated; their receipts...\n");
    if (store_topic_rotate(s, "bench/fleet", &topic, &e) != C2_OK)
        fail("rotate", &e);
    round_times steady = one_round(s, x, dev, n, r);
    printf("| %-56s | %9s | %12s |\n", "", "seconds", "receipts/s");
    printf("|%s|%s|%s|\n", "----------------------------------------------------------",
           "-----------", "--------------");
    printf("| %-56s | %9.3f | %12.0f |\n", "libe4 alone: open and parse", steady.open,
           2 * n / steady.open);
    print_round("join, first receipts (keys not cached)", &first, n);
    print_round("rotation (steady state)", &steady, n);
    printf("\ne4c2 / libe4 alone (rotation): %.3f (%zu APPLIED + %zu STATE, every client in sync "
           "after each round)\n",
           steady.open / (steady.applied + steady.state), n, n);
    sodium_memzero(dev, n * sizeof *dev);
    free(dev);
    free(r);
    sync_free(x);
    store_pool_put(pool, s);
    store_pool_close(pool);
    keyring_free(kr);
    return 0;
}
