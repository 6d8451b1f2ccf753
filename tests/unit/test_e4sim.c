/*
 * e4sim's parts without a broker: the devices-file line parser (every
 * rejection), the string map, key ids, the tracker (counts follow key
 * changes and removals, holds, error kinds, wait with a deadline, receipt
 * counters), the contiguous blocks of devices per connection and the
 * ranges "offline"/"online" accept, and the STATE receipt schedule shared
 * with `e4 client`. The simulator's sources are compiled into this test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../../src/e4/cli.c"
#include "../../src/e4/hex.c"
#include "../../src/e4/args.c"
#include "../../src/e4/escape.c"
#include "../../src/e4/receipt_schedule.c"
#include "../../src/e4/suite.c"
#include "../../src/e4/identity_keys.c"
#include "../../src/e4sim/devline.c"
#include "../../src/e4sim/digest.c"
#include "../../src/e4sim/strmap.c"
#include "../../src/e4sim/tracker.c"
#include "../../src/e4sim/ranges.c"

uint64_t sim_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#define ID_HEX "00112233445566778899aabbccddeeff"
#define KEY_HEX "0101010101010101010101010101010101010101010101010101010101010101"

static int parse_in(e4_suite suite, const char *line, device_spec *spec, char *err)
{
    return devline_parse(line, strlen(line), suite, spec, err, 200);
}

static int parse(const char *line, device_spec *spec, char *err)
{
    return parse_in(E4_SUITE_BASE, line, spec, err);
}

static void devline_sk(void **state)
{
    device_spec spec;
    char err[200];
    (void)state;
    assert_int_equal(parse("{\"name\":\"dev-1\",\"id\":\"" ID_HEX "\",\"key\":\"" KEY_HEX
                           "\",\"extra\":[1,2]}",
                           &spec, err),
                     0);
    assert_string_equal(spec.name, "dev-1");
    assert_int_equal(spec.pk, 0);
    assert_int_equal(spec.id[1], 0x11);
    assert_int_equal(spec.key[31], 1);
}

static void devline_pk(void **state)
{
    uint8_t sk[E4_ED25519_SK_LEN], pk[E4_ED25519_PK_LEN];
    char sk_hex[129], pk_hex[65], line[600], err[200];
    device_spec spec;
    (void)state;

    assert_int_equal(e4_ed25519_keypair(sk, pk), E4_OK);
    hex_encode(sk_hex, sk, sizeof sk);
    hex_encode(pk_hex, pk, sizeof pk);
    snprintf(line, sizeof line,
             "{\"name\":\"cam\",\"id\":\"" ID_HEX "\",\"sign_key\":\"%s\",\"pubkey\":\"%s\","
             "\"c2_pubkey\":\"" KEY_HEX "\"}",
             sk_hex, pk_hex);
    assert_int_equal(parse(line, &spec, err), 0);
    assert_int_equal(spec.pk, 1);
    assert_memory_equal(spec.sign_key, sk, sizeof sk);
    /* a pubkey that is not the public half of sign_key */
    pk_hex[0] = pk_hex[0] == '0' ? '1' : '0';
    snprintf(line, sizeof line,
             "{\"name\":\"cam\",\"id\":\"" ID_HEX "\",\"sign_key\":\"%s\",\"pubkey\":\"%s\","
             "\"c2_pubkey\":\"" KEY_HEX "\"}",
             sk_hex, pk_hex);
    assert_int_equal(parse(line, &spec, err), -1);
    assert_non_null(strstr(err, "public half"));
}

static void expect_reject(const char *line, const char *reason)
{
    device_spec spec;
    char err[200] = "";
    assert_int_equal(parse(line, &spec, err), -1);
    if (!strstr(err, reason))
        fail_msg("'%s': got '%s', expected '%s'", line, err, reason);
}

static void devline_rejects(void **state)
{
    (void)state;
    expect_reject("", "invalid JSON");
    expect_reject("{\"name\":", "invalid JSON");
    expect_reject("{} {}", "invalid JSON");
    expect_reject("[1]", "not a JSON object");
    expect_reject("{\"name\":\"a\",\"name\":\"b\"}", "invalid JSON"); /* duplicate member */
    expect_reject("{\"id\":\"" ID_HEX "\",\"key\":\"" KEY_HEX "\"}", "\"name\" is missing");
    expect_reject("{\"name\":7,\"id\":\"" ID_HEX "\",\"key\":\"" KEY_HEX "\"}", "not a string");
    expect_reject("{\"name\":\"\",\"id\":\"" ID_HEX "\",\"key\":\"" KEY_HEX "\"}", "invalid name");
    expect_reject("{\"name\":\"a\\nb\",\"id\":\"" ID_HEX "\",\"key\":\"" KEY_HEX "\"}",
                  "control character");
    expect_reject("{\"name\":\"a\",\"key\":\"" KEY_HEX "\"}", "\"id\" is missing");
    expect_reject("{\"name\":\"a\",\"id\":\"0011\",\"key\":\"" KEY_HEX "\"}", "32 hex digits");
    expect_reject("{\"name\":\"a\",\"id\":\"" ID_HEX "\"}", "\"key\" is missing");
    expect_reject("{\"name\":\"a\",\"id\":\"" ID_HEX "\",\"key\":\"zz\"}", "64 hex digits");
    expect_reject("{\"name\":\"a\",\"id\":\"" ID_HEX "\",\"key\":\""
                  "0000000000000000000000000000000000000000000000000000000000000000\"}",
                  "all zeros");
    expect_reject("{\"name\":\"a\",\"id\":\"" ID_HEX "\",\"key\":\"" KEY_HEX
                  "\",\"sign_key\":\"00\"}",
                  "exclusive");
    expect_reject("{\"name\":\"a\",\"id\":\"" ID_HEX "\",\"c2_pubkey\":\"" KEY_HEX "\"}",
                  "\"sign_key\" is missing");
}

/* "HEX" of len bytes of value v (a static buffer per call site). */
static char *hex_of(char *buf, uint8_t v, size_t len)
{
    memset(buf, v < 10 ? '0' + v : 'a' + v - 10, 2 * len);
    buf[2 * len] = '\0';
    return buf;
}

/* A PK line under suite, expecting reason (NULL: parsed). */
static void expect_pk_line(e4_suite suite, const char *suite_member, size_t sign_len, size_t c2_len,
                           const char *pubkey, const char *reason)
{
    static char sign[2 * IDENTITY_SIGN_MAX + 1], c2[2 * IDENTITY_C2_PK_MAX + 1],
        line[2 * (IDENTITY_SIGN_MAX + 2 * IDENTITY_C2_PK_MAX) + 300];
    device_spec spec;
    char err[200] = "";
    int rc;

    snprintf(line, sizeof line,
             "{\"name\":\"cam\",\"id\":\"" ID_HEX "\"%s%s%s,\"sign_key\":\"%s\","
             "\"c2_pubkey\":\"%s\"%s%s%s}",
             suite_member ? ",\"suite\":\"" : "", suite_member ? suite_member : "",
             suite_member ? "\"" : "", hex_of(sign, 1, sign_len), hex_of(c2, 2, c2_len),
             pubkey ? ",\"pubkey\":\"" : "", pubkey ? pubkey : "", pubkey ? "\"" : "");
    rc = parse_in(suite, line, &spec, err);
    if (!reason) {
        if (rc != 0)
            fail_msg("rejected: %s", err);
        assert_int_equal(spec.pk, 1);
        assert_int_equal(spec.sign_key[sign_len - 1], 0x11);
        assert_int_equal(spec.c2_pk[c2_len - 1], 0x22);
        return;
    }
    assert_int_equal(rc, -1);
    if (!strstr(err, reason))
        fail_msg("got '%s', expected '%s'", err, reason);
}

/* fips-pk and pq-pk lines carry the suites' key sets. */
static void devline_suites(void **state)
{
    static char pub[2 * IDENTITY_C2_PK_MAX + 1];
    (void)state;
    expect_pk_line(E4_SUITE_PQ_PK, "pq-pk", 128, 1984, hex_of(pub, 3, 1984), NULL);
    expect_pk_line(E4_SUITE_FIPS_PK, NULL, 64, 33, hex_of(pub, 3, 33), NULL);
    expect_pk_line(E4_SUITE_PQ_PK, NULL, 64, 1984, NULL, "256 hex digits");
    expect_pk_line(E4_SUITE_PQ_PK, NULL, 128, 32, NULL, "3968 hex digits");
    expect_pk_line(E4_SUITE_FIPS_PK, NULL, 64, 33, hex_of(pub, 3, 32), "66 hex digits");
    expect_pk_line(E4_SUITE_PQ_PK, "fips-pk", 128, 1984, NULL, "run it with --suite fips-pk");
    expect_pk_line(E4_SUITE_FIPS_SK, NULL, 64, 32, NULL, "cannot run fips-sk");
}

static void strmap_basics(void **state)
{
    static char keys[1000][16];
    strmap m;
    uint32_t v = 0, i;
    (void)state;

    assert_int_equal(strmap_init(&m, 1000), 0);
    for (i = 0; i < 1000; i++) {
        snprintf(keys[i], sizeof keys[i], "e4/%u", i);
        assert_int_equal(strmap_put(&m, keys[i], i, NULL), 0);
    }
    for (i = 0; i < 1000; i++) {
        assert_int_equal(strmap_get(&m, keys[i], &v), 1);
        assert_int_equal(v, i);
    }
    assert_int_equal(strmap_put(&m, "e4/500", 7, &v), 1);
    assert_int_equal(v, 500);
    assert_int_equal(strmap_get(&m, "e4/1000", &v), 0);
    strmap_free(&m);

    assert_int_equal(strmap_init(&m, 0), 0); /* 16 slots, never grows */
    for (i = 0; i < 16; i++)
        assert_int_equal(strmap_put(&m, keys[i], i, NULL), 0);
    assert_int_equal(strmap_put(&m, keys[16], 16, NULL), -1);
    strmap_free(&m);
}

static void key_ids(void **state)
{
    uint8_t key[E4_KEY_LEN], id[SIM_KEY_ID_LEN];
    char hex[17];
    int i;
    (void)state;
    memset(key, 1, sizeof key);
    assert_int_equal(sim_key_id(id, key), 0);
    hex_encode(hex, id, sizeof id);
    assert_string_equal(hex, "0bcdd0df6a2e1078");
    for (i = 0; i < E4_KEY_LEN; i++)
        key[i] = (uint8_t)i;
    assert_int_equal(sim_key_id(id, key), 0);
    hex_encode(hex, id, sizeof id);
    assert_string_equal(hex, "050a48733bd5c275");
}

/* Two SK devices whose keys are set directly, as commands would. */
struct fixture {
    e4_limits lim;
    sim_device dev[2];
    tracker t;
    uint8_t th[E4_TOPIC_HASH_LEN];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    uint8_t id[E4_ID_LEN] = {1}, key[E4_KEY_LEN];
    int i;
    f->lim.topics = 4;
    for (i = 0; i < 2; i++) {
        size_t size = e4_state_size(&f->lim);
        f->dev[i].mem = malloc(size);
        id[1] = (uint8_t)i;
        memset(key, 0x40 + i, sizeof key);
        assert_int_equal(e4_state_init_sk(&f->dev[i].state, f->dev[i].mem, size, &f->lim, id, key),
                         E4_OK);
    }
    assert_int_equal(tracker_init(&f->t), 0);
    assert_int_equal(e4_hash_topic(f->th, "fleet/t"), E4_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    int i;
    for (i = 0; i < 2; i++) {
        e4_state_wipe(f->dev[i].state);
        free(f->dev[i].mem);
        free(f->dev[i].held);
    }
    tracker_free(&f->t);
    free(f);
    return 0;
}

static void set_key(struct fixture *f, int i, uint8_t fill, uint8_t kid[SIM_KEY_ID_LEN])
{
    uint8_t key[E4_KEY_LEN];
    memset(key, fill, sizeof key);
    assert_int_equal(e4_state_set_topic_key(f->dev[i].state, "fleet/t", key, 1000), E4_OK);
    assert_int_equal(sim_key_id(kid, key), 0);
    tracker_command(&f->t, &f->dev[i]);
}

/* RemoveTopic as C2 sends it (device i's key is 0x40 + i), applied. */
static void remove_topic(struct fixture *f, int i)
{
    uint8_t cmd[E4_COMMAND_MAX], prot[E4_COMMAND_MAX + E4_SK_OVERHEAD], out[128];
    uint8_t key[E4_KEY_LEN];
    size_t n, out_len;
    uint64_t now = (uint64_t)time(NULL);
    e4_state *s = f->dev[i].state;

    memset(key, 0x40 + i, sizeof key);
    assert_int_equal(e4_command_build(cmd, &n, E4_CMD_REMOVE_TOPIC, f->th, sizeof f->th), E4_OK);
    assert_int_equal(e4_sk_protect(key, now, cmd, n, prot), E4_OK);
    assert_int_equal(e4_unprotect(s, e4_state_control_topic(s), prot, n + E4_SK_OVERHEAD, out,
                                  sizeof out, &out_len, now),
                     E4_COMMAND);
    tracker_command(&f->t, &f->dev[i]);
}

static void tracker_counts(void **state)
{
    struct fixture *f = *state;
    uint8_t k1[SIM_KEY_ID_LEN], k2[SIM_KEY_ID_LEN], held[SIM_KEY_ID_LEN];
    volatile sig_atomic_t stop = 0;
    tracker_stats st;
    uint64_t t0;

    set_key(f, 0, 1, k1);
    set_key(f, 1, 1, k1);
    assert_int_equal(tracker_count(&f->t, f->th, k1), 2);
    assert_int_equal(tracker_holds(&f->t, &f->dev[0], f->th, held), 1);
    assert_memory_equal(held, k1, sizeof held);

    set_key(f, 1, 2, k2); /* a new key: the old one moves to transition */
    assert_int_equal(tracker_count(&f->t, f->th, k1), 1);
    assert_int_equal(tracker_count(&f->t, f->th, k2), 1);

    remove_topic(f, 0);
    assert_int_equal(tracker_count(&f->t, f->th, k1), 0);
    assert_int_equal(tracker_holds(&f->t, &f->dev[0], f->th, held), 0);

    assert_int_equal(tracker_wait(&f->t, f->th, k2, 1, sim_now_ms() + 1000, &stop), 1);
    t0 = sim_now_ms();
    assert_int_equal(tracker_wait(&f->t, f->th, k2, 2, t0 + 150, &stop), 1);
    assert_true(sim_now_ms() - t0 >= 140);

    tracker_error(&f->t, E4_ERR_NOT_AUTHENTIC);
    tracker_error(&f->t, E4_ERR_NOT_AUTHENTIC);
    tracker_error(&f->t, E4_ERR_TOO_SHORT);
    tracker_ignored(&f->t);
    tracker_snapshot(&f->t, &st);
    assert_int_equal(st.commands, 4);
    assert_int_equal(st.errors, 3);
    assert_int_equal(st.ignored, 1);
    assert_int_equal(st.err_kind[-E4_ERR_NOT_AUTHENTIC], 2);
    assert_string_equal(tracker_kind_name(-E4_ERR_TOO_SHORT), "too_short");
    assert_string_equal(tracker_kind_name(-E4_ERR_STORAGE_IO), "other");
}

/* Device i is on connection i * C / n, which starts at sim_conn_first. */
static void conn_blocks(void **state)
{
    static const struct {
        size_t n;
        uint32_t c;
    } cases[] = {{10000, 10}, {10000, 4}, {20, 4}, {10, 4}, {3, 5}, {1, 1}, {7, 256}};
    (void)state;
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        size_t n = cases[t].n;
        uint32_t c = cases[t].c;
        assert_int_equal(sim_conn_first(n, c, 0), 0);
        assert_int_equal(sim_conn_first(n, c, c), n);
        for (size_t i = 0; i < n; i++) {
            uint32_t k = (uint32_t)((uint64_t)i * c / n);
            assert_true(sim_conn_first(n, c, k) <= i && i < sim_conn_first(n, c, k + 1));
        }
    }
}

static void conn_ranges(void **state)
{
    uint32_t k0 = 99, k1 = 99;
    (void)state;
    assert_int_equal(sim_range_conns(10000, 10, 0, 1000, &k0, &k1), 0);
    assert_int_equal(k0, 0);
    assert_int_equal(k1, 1);
    assert_int_equal(sim_range_conns(10000, 10, 1000, 2000, &k0, &k1), 0);
    assert_int_equal(k0, 1);
    assert_int_equal(k1, 3);
    assert_int_equal(sim_range_conns(10000, 10, 9000, 1000, &k0, &k1), 0);
    assert_int_equal(k1, 10);
    assert_int_equal(sim_range_conns(10000, 10, 0, 10000, &k0, &k1), 0);
    assert_int_equal(k1 - k0, 10);
    assert_int_equal(sim_range_conns(10000, 10, 0, 999, &k0, &k1), -1); /* not a boundary */
    assert_int_equal(sim_range_conns(10000, 10, 1, 999, &k0, &k1), -1);
    assert_int_equal(sim_range_conns(10000, 4, 0, 1000, &k0, &k1), -1); /* 2,500 per connection */
    assert_int_equal(sim_range_conns(10000, 4, 0, 2500, &k0, &k1), 0);
    assert_int_equal(sim_range_conns(10000, 10, 0, 0, &k0, &k1), -1);       /* empty */
    assert_int_equal(sim_range_conns(10000, 10, 9000, 2000, &k0, &k1), -1); /* beyond the end */
    assert_int_equal(sim_range_conns(10000, 10, 10000, 1, &k0, &k1), -1);
    /* 10 devices on 4 connections start at 0, 3, 5, 8 */
    assert_int_equal(sim_range_conns(10, 4, 3, 5, &k0, &k1), 0);
    assert_int_equal(k0, 1);
    assert_int_equal(k1, 3);
    assert_int_equal(sim_range_conns(10, 4, 3, 4, &k0, &k1), -1);
    /* more connections than devices: empty ones are harmless */
    assert_int_equal(sim_range_conns(3, 5, 2, 1, &k0, &k1), 0);
    assert_true(k0 <= 3 && k1 == 4);
}

static void state_schedule(void **state)
{
    receipt_schedule r;
    (void)state;
    memset(&r, 0, sizeof r);
    assert_true(rs_due(&r, 3600) == UINT64_MAX); /* nothing before the connection */
    rs_subscribed(&r);
    assert_int_equal(rs_due(&r, 3600), 0); /* at once */
    rs_sent(&r, 1000);
    assert_int_equal(rs_due(&r, 3600), 1000 + 3600000); /* periodic */
    assert_true(rs_due(&r, 0) == UINT64_MAX);           /* none */
    rs_activity(&r, 1200);
    assert_int_equal(rs_due(&r, 3600), 2200); /* a second after the burst */
    rs_activity(&r, 1900);
    assert_int_equal(rs_due(&r, 0), 2900);       /* the burst went on */
    for (uint64_t t = 2400; t <= 9000; t += 500) /* it never pauses: 5 s at most */
        rs_activity(&r, t);
    assert_int_equal(rs_due(&r, 0), 1200 + 5000);
    rs_sent(&r, 6200);
    rs_activity(&r, 6250);
    rs_subscribed(&r);                     /* reconnected at once */
    assert_int_equal(rs_due(&r, 0), 7200); /* one a second at most */
    rs_sent(&r, 7200);
    assert_true(rs_due(&r, 0) == UINT64_MAX);
}

static void receipt_counters(void **state)
{
    tracker t;
    uint64_t c[3];
    (void)state;
    assert_int_equal(tracker_init(&t), 0);
    tracker_receipt(&t, SIM_SENT_STATE);
    tracker_receipt(&t, SIM_SENT_STATE);
    tracker_receipt(&t, SIM_SENT_APPLIED);
    tracker_receipts(&t, c);
    assert_int_equal(c[SIM_SENT_APPLIED], 1);
    assert_int_equal(c[SIM_SENT_STATE], 2);
    assert_int_equal(c[SIM_RECEIPT_FAILED], 0);
    tracker_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(devline_sk),
        cmocka_unit_test(devline_pk),
        cmocka_unit_test(devline_rejects),
        cmocka_unit_test(devline_suites),
        cmocka_unit_test(strmap_basics),
        cmocka_unit_test(key_ids),
        cmocka_unit_test_setup_teardown(tracker_counts, setup, teardown),
        cmocka_unit_test(conn_blocks),
        cmocka_unit_test(conn_ranges),
        cmocka_unit_test(state_schedule),
        cmocka_unit_test(receipt_counters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
