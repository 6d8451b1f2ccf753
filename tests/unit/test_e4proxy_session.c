/*
 * e4proxy's session without sockets: packets go in on one side, and what
 * comes out on each side is decoded and checked. Topic aliases in both
 * directions, the payload format indicator, CONNECT/CONNACK limits, drops
 * with consistent acknowledgements (3.1.1 QoS 2 included), zero-length
 * payloads, replays per connection, malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "proxy.h"

static const uint8_t TK[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                               17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static proxy px;
static pconn pc;

static int setup(void **st)
{
    uint8_t id[E4_ID_LEN] = {7}, key[E4_KEY_LEN] = {9};
    e4_client_options o = {.replay_cache = E4_REPLAY_COMMANDS_ONLY};
    e4_client *e4;
    (void)st;
    memset(&px, 0, sizeof px);
    px.conf.max_packet = 4096;
    px.replay_check = true;
    if (e4_client_new_sk(&e4, id, key, &o) != E4_OK ||
        e4_client_set_topic_key(e4, "s/t", TK) != E4_OK || ids_adopt(&px, e4) != 0 ||
        proxy_prepare(&px) != 0)
        return -1;
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    session_free(&pc);
    ids_close(&px);
    free(px.scratch);
    return 0;
}

/* ---- helpers ---- */

static void feed(struct side *s, const mqtt_packet *p, int version, int want)
{
    uint8_t buf[4096];
    size_t len;
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, p, version, MQTT_ENC_NO_VALIDATE), MQTT_OK);
    assert_int_equal(session_feed(&px, &pc, s, buf, len), want);
}

/* The next packet s->out holds, decoded; consumed after the test's use
 * (the views point into a copy). */
static uint8_t taken[4096];
static bool take(struct side *s, mqtt_packet *out)
{
    size_t len;
    if (s->out.len == 0)
        return false;
    assert_int_equal(mqtt_frame(s->out.data, s->out.len, 0, &len), MQTT_OK);
    memcpy(taken, s->out.data, len);
    pbuf_consume(&s->out, len);
    assert_int_equal(mqtt_decode(taken, len, pc.version, out), MQTT_OK);
    return true;
}

/* CONNECT (client max packet 1000, accepts 5 aliases) and CONNACK (broker
 * max packet 2000). */
static void open_session(int version)
{
    mqtt_prop cp[] = {mqtt_prop_int(MQTT_PROP_MAXIMUM_PACKET_SIZE, 1000),
                      mqtt_prop_int(MQTT_PROP_TOPIC_ALIAS_MAXIMUM, 5)};
    mqtt_prop ap[] = {mqtt_prop_int(MQTT_PROP_MAXIMUM_PACKET_SIZE, 2000)};
    mqtt_packet p;

    session_free(&pc);
    session_init(&pc, 1);
    mqtt_packet_init(&p, MQTT_CONNECT);
    p.connect.client_id = mqtt_str("dev");
    p.connect.clean_start = true;
    if (version == MQTT_V5)
        p.connect.props = mqtt_props_array(cp, 2);
    feed(&pc.down, &p, version, 0);
    assert_true(pc.want_upstream);
    assert_true(take(&pc.up, &p));
    assert_int_equal(p.type, MQTT_CONNECT);
    if (version == MQTT_V5) {
        uint32_t v;
        assert_int_equal(mqtt_props_get_int(&p.connect.props, MQTT_PROP_MAXIMUM_PACKET_SIZE, &v),
                         MQTT_OK);
        assert_int_equal(v, 1000 + E4_SK_OVERHEAD);
        assert_int_equal(mqtt_props_get_int(&p.connect.props, MQTT_PROP_TOPIC_ALIAS_MAXIMUM, &v),
                         MQTT_OK);
        assert_int_equal(v, 5);
    }
    mqtt_packet_init(&p, MQTT_CONNACK);
    if (version == MQTT_V5)
        p.connack.props = mqtt_props_array(ap, 1);
    feed(&pc.up, &p, version, 0);
    assert_true(take(&pc.down, &p));
    assert_int_equal(p.type, MQTT_CONNACK);
    if (version == MQTT_V5) {
        uint32_t v;
        assert_int_equal(mqtt_props_get_int(&p.connack.props, MQTT_PROP_MAXIMUM_PACKET_SIZE, &v),
                         MQTT_OK);
        assert_int_equal(v, 2000 - E4_SK_OVERHEAD);
        assert_int_equal(mqtt_props_get_int(&p.connack.props, MQTT_PROP_TOPIC_ALIAS_MAXIMUM, &v),
                         MQTT_OK);
        assert_int_equal(v, PROXY_ALIAS_MAX);
    }
    assert_int_equal(pc.state, PC_OPEN);
}

static void publish(mqtt_packet *p, const char *topic, const char *payload, int qos, uint16_t id)
{
    mqtt_packet_init(p, MQTT_PUBLISH);
    p->publish.topic = mqtt_str(topic);
    p->publish.payload = mqtt_str(payload);
    p->publish.qos = (uint8_t)qos;
    p->publish.packet_id = id;
}

static void protect(const char *plain, uint8_t *out, size_t *len)
{
    assert_int_equal(e4_client_protect(px.ids[0].e4, "s/t", (const uint8_t *)plain, strlen(plain),
                                       out, 256, len),
                     E4_OK);
}

/* ---- tests ---- */

/* Client -> broker: the alias is resolved, the forwarded packet carries the
 * topic and a protected payload; the format indicator becomes the marker. */
static void test_client_alias_and_format(void **st)
{
    mqtt_prop props1[] = {mqtt_prop_int(MQTT_PROP_TOPIC_ALIAS, 3),
                          mqtt_prop_int(MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, 1)};
    mqtt_prop props2[] = {mqtt_prop_int(MQTT_PROP_TOPIC_ALIAS, 3)};
    uint8_t plain[64];
    size_t len;
    mqtt_packet p, out;
    (void)st;

    open_session(MQTT_V5);
    publish(&p, "s/t", "hello", 1, 10);
    p.publish.props = mqtt_props_array(props1, 2);
    feed(&pc.down, &p, MQTT_V5, 0);
    assert_true(take(&pc.up, &out));
    assert_int_equal(out.publish.packet_id, 10);
    assert_int_equal(out.publish.topic.len, 3);
    assert_int_equal(mqtt_props_count(&out.publish.props, MQTT_PROP_TOPIC_ALIAS), 0);
    assert_int_equal(mqtt_props_count(&out.publish.props, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR), 0);
    assert_int_equal(mqtt_props_count(&out.publish.props, MQTT_PROP_USER_PROPERTY), 1);
    assert_int_equal(out.publish.payload.len, 5 + E4_SK_OVERHEAD);
    assert_int_equal(e4_sk_unprotect(TK, out.publish.payload.ptr, out.publish.payload.len, plain,
                                     &len, (uint64_t)time(NULL), 0),
                     E4_OK);
    assert_memory_equal(plain, "hello", 5);

    /* the alias alone: same topic, same key */
    publish(&p, "", "again", 0, 0);
    p.publish.props = mqtt_props_array(props2, 1);
    feed(&pc.down, &p, MQTT_V5, 0);
    assert_true(take(&pc.up, &out));
    assert_memory_equal(out.publish.topic.ptr, "s/t", 3);
    assert_int_equal(e4_sk_unprotect(TK, out.publish.payload.ptr, out.publish.payload.len, plain,
                                     &len, (uint64_t)time(NULL), 0),
                     E4_OK);
    assert_memory_equal(plain, "again", 5);

    /* an alias never set: a protocol error closes the pair */
    props2[0].num = 4;
    feed(&pc.down, &p, MQTT_V5, -1);
}

/* Broker -> client: alias resolved, payload unprotected, the marker turned
 * back into the format indicator; a replay to the same client is dropped. */
static void test_broker_alias_and_replay(void **st)
{
    uint8_t ct[256];
    size_t len;
    mqtt_prop props[] = {mqtt_prop_int(MQTT_PROP_TOPIC_ALIAS, 2),
                         mqtt_prop_user(mqtt_str("e4-payload-format"), mqtt_str("utf-8"))};
    mqtt_packet p, out;
    uint32_t pfi = 0;
    (void)st;

    open_session(MQTT_V5);
    protect("reading", ct, &len);
    publish(&p, "s/t", "", 1, 5);
    p.publish.payload = mqtt_bin(ct, len);
    p.publish.props = mqtt_props_array(props, 2);
    feed(&pc.up, &p, MQTT_V5, 0);
    assert_true(take(&pc.down, &out));
    assert_int_equal(out.publish.payload.len, 7);
    assert_memory_equal(out.publish.payload.ptr, "reading", 7);
    assert_int_equal(
        mqtt_props_get_int(&out.publish.props, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, &pfi), MQTT_OK);
    assert_int_equal(pfi, 1);
    assert_int_equal(mqtt_props_count(&out.publish.props, MQTT_PROP_USER_PROPERTY), 0);
    assert_int_equal(mqtt_props_count(&out.publish.props, MQTT_PROP_TOPIC_ALIAS), 0);

    /* the same message again, through the alias only: a replay, dropped and
     * acknowledged to the broker with an error reason (5.0) */
    publish(&p, "", "", 1, 6);
    p.publish.payload = mqtt_bin(ct, len);
    p.publish.props = mqtt_props_array(props, 1);
    feed(&pc.up, &p, MQTT_V5, 0);
    assert_false(take(&pc.down, &out));
    assert_true(take(&pc.up, &out));
    assert_int_equal(out.type, MQTT_PUBACK);
    assert_int_equal(out.ack.packet_id, 6);
    assert_int_equal(out.ack.reason_code, MQTT_RC_IMPLEMENTATION_SPECIFIC);
}

/* 3.1.1 QoS 2 without a key: PUBREC to the client, then PUBCOMP for its
 * PUBREL; nothing reaches the broker. */
static void test_v311_qos2_drop(void **st)
{
    mqtt_packet p, out;
    (void)st;

    open_session(MQTT_V311);
    publish(&p, "no/key", "secret", 2, 9);
    feed(&pc.down, &p, MQTT_V311, 0);
    assert_false(take(&pc.up, &out));
    assert_true(take(&pc.down, &out));
    assert_int_equal(out.type, MQTT_PUBREC);
    assert_int_equal(out.ack.packet_id, 9);
    mqtt_packet_init(&p, MQTT_PUBREL);
    p.ack.packet_id = 9;
    feed(&pc.down, &p, MQTT_V311, 0);
    assert_false(take(&pc.up, &out));
    assert_true(take(&pc.down, &out));
    assert_int_equal(out.type, MQTT_PUBCOMP);
    assert_int_equal(out.ack.packet_id, 9);
    /* a PUBREL of another flow goes to the broker */
    p.ack.packet_id = 11;
    feed(&pc.down, &p, MQTT_V311, 0);
    assert_true(take(&pc.up, &out));
    assert_int_equal(out.type, MQTT_PUBREL);
}

/* A zero-length payload (deleting a retained message) stays zero-length;
 * a message larger than the client accepts after unprotecting is dropped. */
static void test_empty_and_too_large(void **st)
{
    static uint8_t big[1500], ct[1600];
    size_t len;
    mqtt_packet p, out;
    (void)st;

    open_session(MQTT_V5);
    publish(&p, "s/t", "", 1, 3);
    p.publish.retain = true;
    feed(&pc.down, &p, MQTT_V5, 0);
    assert_true(take(&pc.up, &out));
    assert_int_equal(out.publish.payload.len, 0);
    assert_true(out.publish.retain);

    memset(big, 'a', sizeof big);
    assert_int_equal(e4_client_protect(px.ids[0].e4, "s/t", big, sizeof big, ct, sizeof ct, &len),
                     E4_OK);
    publish(&p, "s/t", "", 1, 4);
    p.publish.payload = mqtt_bin(ct, len);
    feed(&pc.up, &p, MQTT_V5, 0);
    assert_false(take(&pc.down, &out)); /* over the client's 1000 bytes */
    assert_true(take(&pc.up, &out));
    assert_int_equal(out.type, MQTT_PUBACK);
}

/* Malformed and oversized input closes the pair; a partial packet waits. */
static void test_malformed(void **st)
{
    static const uint8_t qos3[] = {0x36, 0x06, 0x00, 0x01, 'a', 0x00, 0x01, 'x'};
    static const uint8_t huge[] = {0x30, 0xff, 0xff, 0x7f};
    static const uint8_t half[] = {0x30, 0x10, 0x00, 0x03, 's'};
    mqtt_packet p;
    (void)st;

    open_session(MQTT_V311);
    assert_int_equal(session_feed(&px, &pc, &pc.down, qos3, sizeof qos3), -1);
    open_session(MQTT_V311);
    assert_int_equal(session_feed(&px, &pc, &pc.up, huge, sizeof huge), -1);
    open_session(MQTT_V311);
    assert_int_equal(session_feed(&px, &pc, &pc.down, half, sizeof half), 0);
    assert_int_equal(pc.down.in.len, sizeof half);
    /* before CONNECT, anything else closes */
    session_free(&pc);
    session_init(&pc, 2);
    publish(&p, "s/t", "x", 0, 0);
    feed(&pc.down, &p, MQTT_V311, -1);
}

/* The topic policy: default (all but $-topics), --protect, --allow-clear. */
static void test_policy(void **st)
{
    policy p = {0};
#define DECIDE(t) policy_decide(&p, (const uint8_t *)(t), strlen(t))
    (void)st;
    assert_int_equal(DECIDE("a/b"), POLICY_PROTECT);
    assert_int_equal(DECIDE("$SYS/broker/uptime"), POLICY_CLEAR);
    /* --allow-clear alone keeps the default protection */
    assert_int_equal(policy_add(&p, "pub/#", 1), 0);
    assert_int_equal(DECIDE("a/b"), POLICY_PROTECT);
    assert_int_equal(DECIDE("pub/x"), POLICY_PROTECT_OR_CLEAR);
    /* with --protect, only what it names */
    assert_int_equal(policy_add(&p, "plant/+/t", 0), 0);
    assert_int_equal(DECIDE("a/b"), POLICY_CLEAR);
    assert_int_equal(DECIDE("plant/4/t"), POLICY_PROTECT);
    assert_int_equal(policy_add(&p, "#", 0), 0);
    assert_int_equal(DECIDE("pub/x"), POLICY_PROTECT_OR_CLEAR);
    assert_int_equal(DECIDE("$SYS/x"), POLICY_CLEAR); /* '#' does not match $-topics */
    assert_int_equal(policy_add(&p, "a/#/b", 0), EXIT_USAGE);
    assert_int_equal(p.n, 3);
    policy_free(&p);
#undef DECIDE
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_alias_and_format),
        cmocka_unit_test(test_broker_alias_and_replay),
        cmocka_unit_test(test_v311_qos2_drop),
        cmocka_unit_test(test_empty_and_too_large),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_policy),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
