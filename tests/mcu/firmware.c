/*
 * libe4 test firmware for a Cortex-M4 (QEMU mps2-an386, semihosting):
 *
 *  1. replays the SK reference vectors (generated from the vector file into
 *     mv_ops[] at build time), as the host vector tests do;
 *  2. protect/unprotect round trips of many sizes, and C2 commands built
 *     and applied on the device (SetTopicKey, rotation, RemoveTopic,
 *     ResetTopics, SetIDKey, refused PK commands);
 *  3. measures: the state size of a 16-topic SK client, the stack
 *     high-water mark of protect, unprotect and command processing, and
 *     SysTick ticks (instructions under qemu -icount) per 64-byte protect.
 *
 * Prints "MCU TESTS PASSED" and exits 0, or lists failures and exits 1.
 */
#include <e4/e4.h>
#include <string.h>

#include "crypto.h"   /* e4c_siv_*: the SIV vectors and the reference Decrypt */
#include "internal.h" /* sizeof(struct e4_state) on the target, for the report */
#include "mcu.h"
#include "mcu_vectors.h"

#define TOPICS 16
#define BUF 1100 /* the longest vector message is 1,041 bytes */

static uint64_t state_mem[E4_STATE_SIZE(TOPICS, 0, 0) / 8];
static e4_state *st;
static uint8_t out[BUF], back[BUF];
static unsigned failures, checks;

static void fail(const char *name, const char *what, int got, int want)
{
    failures++;
    mcu_puts("FAIL ");
    mcu_puts(name);
    mcu_puts(": ");
    mcu_puts(what);
    mcu_puts(got < 0 ? " (got -" : " (got ");
    mcu_print_u("", (unsigned long)(got < 0 ? -got : got), want < 0 ? ", want -" : ", want ");
    mcu_print_u("", (unsigned long)(want < 0 ? -want : want), ")\n");
}

static void expect(int ok, const char *name, const char *what)
{
    checks++;
    if (!ok)
        fail(name, what, 0, 1);
}

static void expect_err(int got, int want, const char *name, const char *what)
{
    checks++;
    if (got != want)
        fail(name, what, got, want);
}

static int mem_is(const uint8_t *p, size_t n, const uint8_t *want, size_t want_n)
{
    return n == want_n && (n == 0 || memcmp(p, want, n) == 0);
}

/* ---- the vector operations (see mcu_vectors.h) ------------------------- */

static void new_client(const uint8_t id[16], const uint8_t key[32])
{
    const e4_limits l = {TOPICS, 0, 0}; /* no replay cache: as the reference */
    if (st)
        e4_state_wipe(st);
    e4_err err = e4_state_init_sk(&st, state_mem, sizeof state_mem, &l, id, key);
    expect_err(err, E4_OK, "new client", "e4_state_init_sk");
}

static void op_siv(const mv_op *o)
{
    expect(e4c_siv_seal(o->a, o->d, o->d_len, o->b, o->b_len, out) == 0, o->name, "seal");
    expect(mem_is(out, o->b_len + 16, o->c, o->c_len), o->name, "seal output");
    expect(e4c_siv_open(o->a, o->d, o->d_len, o->c, o->b_len, back) == 0, o->name, "open");
    expect(mem_is(back, o->b_len, o->b, o->b_len), o->name, "opened plaintext");
    out[o->c_len - 1] ^= 1; /* a flipped bit is not authentic */
    expect(e4c_siv_open(o->a, o->d, o->d_len, out, o->b_len, back) != 0, o->name, "tampered");
}

/* e4crypto.Decrypt(key, protected[:8], protected[8:]): no clock. */
static int reference_decrypt(const mv_op *o, size_t *n)
{
    if (o->b_len < 24)
        return E4_ERR_TOO_SHORT;
    *n = o->b_len - 24;
    return e4c_siv_open(o->a, o->b, 8, o->b + 8, *n, back) ? E4_ERR_NOT_AUTHENTIC : E4_OK;
}

static void op_protect(const mv_op *o)
{
    size_t n = 0, m = 0;
    int err = e4_protect(st, (const char *)o->a, o->b, o->b_len, out, sizeof out, &n, o->now);
    expect_err(err, o->want, o->name, "e4_protect");
    if (err != E4_OK)
        return;
    if (o->has_c)
        expect(mem_is(out, n, o->c, o->c_len), o->name, "protected bytes");
    if (o->d_len) { /* and it opens with the key the vector names */
        expect_err(e4_sk_unprotect(o->d, out, n, back, &m, o->now, 0), E4_OK, o->name,
                   "opens with its topic key");
        expect(mem_is(back, m, o->b, o->b_len), o->name, "carries the plaintext");
    }
}

static void op_unprotect(const mv_op *o)
{
    size_t n = 0;
    int err = e4_unprotect(st, (const char *)o->a, o->b, o->b_len, back, sizeof back, &n, o->now);
    expect_err(err, o->want, o->name, "e4_unprotect");
    if (err == E4_OK)
        expect(mem_is(back, n, o->c, o->c_len), o->name, "unprotected plaintext");
}

/* ResetTopics under key a, to the control topic. */
static void op_probe_command(const mv_op *o)
{
    static const uint8_t cmd[] = {E4_CMD_RESET_TOPICS};
    uint8_t prot[1 + E4_SK_OVERHEAD];
    size_t n;
    expect_err(e4_sk_protect(o->a, o->now, cmd, 1, prot), E4_OK, __func__, "setup");
    int err = e4_unprotect(st, e4_state_control_topic(st), prot, sizeof prot, back, sizeof back, &n,
                           o->now);
    expect_err(err, o->want, o->name, "command under the probed key");
}

static void op_stateless(const mv_op *o)
{
    size_t n = 0;
    uint8_t h[32];
    int err;
    switch (o->kind) {
    case MV_HASH:
        e4c_sha3_256(h, o->a, o->a_len);
        expect(memcmp(h, o->c, o->c_len) == 0, o->name, "SHA3-256");
        break;
    case MV_TOPIC_HASH:
        expect(e4_hash_topic(h, (const char *)o->a) == E4_OK && memcmp(h, o->c, 16) == 0, o->name,
               "e4_hash_topic");
        break;
    case MV_SK_PROTECT:
        expect_err(e4_sk_protect(o->a, o->now, o->b, o->b_len, out), E4_OK, o->name, "protect");
        expect(mem_is(out, o->b_len + 24, o->c, o->c_len), o->name, "e4_sk_protect output");
        break;
    case MV_SK_UNPROTECT:
        err = e4_sk_unprotect(o->a, o->b, o->b_len, back, &n, o->now, 0);
        expect_err(err, o->want, o->name, "e4_sk_unprotect");
        if (err == E4_OK)
            expect(mem_is(back, n, o->c, o->c_len), o->name, "e4_sk_unprotect plaintext");
        break;
    case MV_DECRYPT:
        err = reference_decrypt(o, &n);
        expect_err(err, o->want, o->name, "Decrypt");
        if (err == E4_OK && n)
            expect(mem_is(back, n, o->c, o->c_len), o->name, "Decrypt plaintext");
        break;
    }
}

static void run_op(const mv_op *o)
{
    switch (o->kind) {
    case MV_SIV: op_siv(o); break;
    case MV_NEW_CLIENT: new_client(o->a, o->b); break;
    case MV_SET_TOPIC:
        expect_err(e4_state_set_topic_key(st, (const char *)o->a, o->b, o->now), E4_OK, o->name,
                   "e4_state_set_topic_key");
        break;
    case MV_PROTECT: op_protect(o); break;
    case MV_UNPROTECT: op_unprotect(o); break;
    case MV_PROBE_COMMAND: op_probe_command(o); break;
    case MV_TOPIC_COUNT: expect(e4_state_topic_count(st) == o->now, o->name, "topic count"); break;
    default: op_stateless(o); break;
    }
}

static void run_vectors(void)
{
    unsigned before = failures;
    for (unsigned i = 0; i < mv_op_count; i++)
        run_op(&mv_ops[i]);
    mcu_print_u("vectors: ", mv_op_count, " operations from the SK reference vectors, ");
    mcu_print_u("", failures - before, " failed\n");
}

/* ---- round trips and commands on the device ------------------------------ */

#define NOW 1700000000ull
static const uint8_t client_id[16] = {0xe4, 1, 2, 3};
static uint8_t client_key[32] = {0x42, 0xe4};

/* A stand-in for the device's TRNG (the randomness hook): a device passes
 * its hardware generator here. Deterministic, for a test only. */
static uint32_t rng_state = 0x2545f491u;
static int test_trng(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 17;
        rng_state ^= rng_state << 5;
        buf[i] = (uint8_t)rng_state;
    }
    return 0;
}

static void round_trips(void)
{
    static uint8_t plain[600];
    uint8_t key[32];
    size_t n, m;
    e4_random_key(key); /* through the randomness hook */
    new_client(client_id, client_key);
    expect_err(e4_state_set_topic_key(st, "sensors/room1", key, NOW), E4_OK, "round trip", "key");
    test_trng(NULL, plain, sizeof plain);
    for (size_t len = 1; len <= sizeof plain; len += len < 70 ? 1 : 37) {
        int err = e4_protect(st, "sensors/room1", plain, len, out, sizeof out, &n, NOW);
        expect(err == E4_OK && n == len + E4_SK_OVERHEAD, "round trip", "protect");
        err = e4_unprotect(st, "sensors/room1", out, n, back, sizeof back, &m, NOW + 5);
        expect(err == E4_OK && mem_is(back, m, plain, len), "round trip", "unprotect");
        out[len % n] ^= 0x10;
        err = e4_unprotect(st, "sensors/room1", out, n, back, sizeof back, &m, NOW + 5);
        expect(err != E4_OK, "round trip", "altered message refused");
    }
    expect_err(e4_unprotect(st, "sensors/room1", out, n, back, sizeof back, &m, NOW + 601),
               E4_ERR_TIMESTAMP_TOO_OLD, "round trip", "old message");
}

/* Builds a command, protects it under the client key as C2 does, delivers it. */
static e4_err send_command(e4_command c, const uint8_t *args, size_t len, uint64_t now)
{
    uint8_t cmd[E4_COMMAND_MAX], prot[E4_COMMAND_MAX + E4_SK_OVERHEAD];
    size_t cmd_len, n;
    e4_err err = e4_command_build(cmd, &cmd_len, c, args, len);
    if (err)
        return err;
    expect_err(e4_sk_protect(client_key, now, cmd, cmd_len, prot), E4_OK, __func__, "setup");
    return e4_unprotect(st, e4_state_control_topic(st), prot, cmd_len + E4_SK_OVERHEAD, back,
                        sizeof back, &n, now);
}

static void commands(void)
{
    uint8_t args[48], hash[16], old_key[32];
    size_t n, m;
    new_client(client_id, client_key);
    expect_err(e4_hash_topic(hash, "actuators/valve"), E4_OK, __func__, "setup");
    test_trng(NULL, args, 32);
    memcpy(old_key, args, 32);
    memcpy(args + 32, hash, 16);
    expect_err(send_command(E4_CMD_SET_TOPIC_KEY, args, 48, NOW), E4_COMMAND, "commands", "set");
    expect_err(
        e4_protect(st, "actuators/valve", (const uint8_t *)"open", 4, out, sizeof out, &n, NOW),
        E4_OK, "commands", "protect with the commanded key");
    test_trng(NULL, args, 32); /* rotation: the old key stays usable for a while */
    expect_err(send_command(E4_CMD_SET_TOPIC_KEY, args, 48, NOW + 10), E4_COMMAND, "commands",
               "rotate");
    expect_err(e4_unprotect(st, "actuators/valve", out, n, back, sizeof back, &m, NOW + 20), E4_OK,
               "commands", "message under the previous key");
    expect_err(send_command(E4_CMD_REMOVE_TOPIC, hash, 16, NOW + 30), E4_COMMAND, "commands",
               "remove");
    expect(e4_state_topic_count(st) == 0, "commands", "removed");
    expect_err(send_command(E4_CMD_SET_PUBKEY, args, 48, NOW + 40), E4_ERR_UNSUPPORTED_COMMAND,
               "commands", "PK command refused");
    expect_err(send_command(E4_CMD_RESET_TOPICS, NULL, 0, NOW + 50), E4_COMMAND, "commands",
               "reset");
    test_trng(NULL, args, 32);
    expect_err(send_command(E4_CMD_SET_ID_KEY, args, 32, NOW + 60), E4_COMMAND, "commands",
               "set id key");
    expect_err(send_command(E4_CMD_RESET_TOPICS, NULL, 0, NOW + 70), E4_ERR_NOT_AUTHENTIC,
               "commands", "old client key refused");
    memcpy(client_key, args, 32);
    expect_err(send_command(E4_CMD_RESET_TOPICS, NULL, 0, NOW + 80), E4_COMMAND, "commands",
               "new client key");
    uint8_t pk[32], sk[64];
    expect_err(e4_ed25519_keypair(sk, pk), E4_ERR_UNSUPPORTED, "commands", "no PK mode");
}

/* ---- measurements --------------------------------------------------------- */

static uint8_t msg64[64], prot64[64 + E4_SK_OVERHEAD], cmd_prot[49 + E4_SK_OVERHEAD];
static size_t prot64_len;
static e4_err last_err;

static void do_protect(void)
{
    last_err = e4_protect(st, "sensors/room1", msg64, sizeof msg64, prot64, sizeof prot64,
                          &prot64_len, NOW);
}

static void do_unprotect(void)
{
    size_t n;
    last_err = e4_unprotect(st, "sensors/room1", prot64, prot64_len, back, sizeof back, &n, NOW);
}

static void do_command(void)
{
    size_t n;
    last_err = e4_unprotect(st, e4_state_control_topic(st), cmd_prot, sizeof cmd_prot, back,
                            sizeof back, &n, NOW);
}

static void measure_stack(void)
{
    uint8_t cmd[E4_COMMAND_MAX], args[48] = {7};
    size_t len;
    new_client(client_id, client_key);
    expect_err(e4_state_set_topic_key(st, "sensors/room1", client_key, NOW), E4_OK, __func__,
               "setup");
    expect_err(e4_hash_topic(args + 32, "sensors/room2"), E4_OK, __func__, "setup");
    expect_err(e4_command_build(cmd, &len, E4_CMD_SET_TOPIC_KEY, args, 48), E4_OK, __func__,
               "setup");
    expect_err(e4_sk_protect(client_key, NOW, cmd, len, cmd_prot), E4_OK, __func__, "setup");
    mcu_print_u("stack: e4_protect (64 bytes) ", mcu_stack_used(do_protect), " bytes\n");
    expect_err(last_err, E4_OK, "stack", "protect");
    mcu_print_u("stack: e4_unprotect (64 bytes) ", mcu_stack_used(do_unprotect), " bytes\n");
    expect_err(last_err, E4_OK, "stack", "unprotect");
    mcu_print_u("stack: e4_unprotect (SetTopicKey command) ", mcu_stack_used(do_command),
                " bytes\n");
    expect_err(last_err, E4_COMMAND, "stack", "command");
}

/* SysTick ticks per protect; under qemu -icount shift=0 a tick is a fixed
 * number of instructions, learnt from a loop of known length. */
static void measure_time(void)
{
    enum { SPIN = 1000000, REPS = 20 };
    mcu_ticks_start();
    uint32_t t0 = mcu_ticks();
    mcu_spin(SPIN);
    uint32_t spin_ticks = mcu_ticks_since(t0);
    t0 = mcu_ticks();
    for (int i = 0; i < REPS; i++)
        do_protect();
    uint32_t ticks = mcu_ticks_since(t0);
    mcu_print_u("time: calibration loop of ", 2ul * SPIN, " instructions = ");
    mcu_print_u("", spin_ticks, " SysTick ticks\n");
    mcu_print_u("time: e4_protect (64 bytes) x ", REPS, " = ");
    mcu_print_u("", ticks, " ticks\n");
    if (spin_ticks)
        mcu_print_u("time: instructions per 64-byte e4_protect (qemu -icount) ~ ",
                    (unsigned long)((uint64_t)ticks * 2 * SPIN / spin_ticks / REPS), "\n");
}

int main(void)
{
    e4_set_random(test_trng, NULL);
    run_vectors();
    round_trips();
    commands();
    measure_stack();
    measure_time();
    const e4_limits l16 = {TOPICS, 0, 0};
    mcu_print_u("state: 16-topic SK client ", e4_state_size(&l16), " bytes");
    mcu_print_u(" (header ", sizeof(struct e4_state), " of ");
    mcu_print_u("", E4_STATE_HEADER_SIZE, " reserved)\n");
    mcu_print_u("checks: ", checks, ", ");
    mcu_print_u("failures: ", failures, "\n");
    mcu_puts(failures ? "MCU TESTS FAILED\n" : "MCU TESTS PASSED\n");
    return failures ? 1 : 0;
}
