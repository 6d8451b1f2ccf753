/*
 * test_mqtt_codec.c - lib/mqtt: byte-exact encode/decode of every packet of
 * MQTT 3.1.1 and 5.0, framing, decode errors, malformed builders.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mqtt.h"

#define B(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

/* Encode p and compare with the expected bytes. */
static void enc_eq(const mqtt_packet *p, int version, unsigned opts, const uint8_t *exp, size_t n)
{
    uint8_t buf[1024];
    size_t len = 0;
    mqtt_err e = mqtt_encode(buf, sizeof buf, &len, p, version, opts);
    if (e != MQTT_OK)
        fail_msg("encode %s: %s", mqtt_type_name(p->type), mqtt_strerror(e));
    assert_int_equal(len, n);
    assert_memory_equal(buf, exp, n);
    /* measuring and too small a buffer */
    size_t need = 0;
    assert_int_equal(mqtt_encode(NULL, 0, &need, p, version, opts), MQTT_ERR_NO_SPACE);
    assert_int_equal(need, n);
    assert_int_equal(mqtt_encode(buf, n - 1, &need, p, version, opts), MQTT_ERR_NO_SPACE);
}

/* Decode, check success, re-encode (default options) and compare bytes;
 * truncated copies must fail. */
static void dec_ok(const uint8_t *b, size_t n, int version, mqtt_packet *out)
{
    mqtt_err e = mqtt_decode(b, n, version, out);
    if (e != MQTT_OK)
        fail_msg("decode: %s", mqtt_strerror(e));
    size_t plen = 0;
    assert_int_equal(mqtt_frame(b, n, 0, &plen), MQTT_OK);
    assert_int_equal(plen, n);

    uint8_t buf[1024];
    size_t len = 0;
    e = mqtt_encode(buf, sizeof buf, &len, out,
                    version == 0 ? out->connect.protocol_level : version, MQTT_ENC_DEFAULT);
    if (e != MQTT_OK)
        fail_msg("re-encode: %s", mqtt_strerror(e));
    assert_int_equal(len, n);
    assert_memory_equal(buf, b, n);

    mqtt_packet tmp;
    for (size_t k = 1; k < n; k++)
        assert_int_equal(mqtt_decode(b, k, version, &tmp), MQTT_ERR_TRUNCATED);
    /* one byte more than the packet */
    uint8_t big[1025];
    memcpy(big, b, n);
    big[n] = 0;
    assert_int_equal(mqtt_decode(big, n + 1, version, &tmp), MQTT_ERR_TRAILING);
}

static void dec_err(const uint8_t *b, size_t n, int version, mqtt_err want)
{
    mqtt_packet p;
    mqtt_err e = mqtt_decode(b, n, version, &p);
    if (e != want)
        fail_msg("decode: got %s (%d), want %s (%d)", mqtt_strerror(e), e, mqtt_strerror(want),
                 want);
}

static void bytes_eq(mqtt_bytes b, const char *s)
{
    assert_int_equal(b.len, strlen(s));
    assert_memory_equal(b.ptr, s, b.len);
}

/* ------------------------------------------------------------------ */

static void test_varint(void **state)
{
    (void)state;
    static const struct {
        uint32_t v;
        uint8_t b[4];
        size_t n;
    } cases[] = {
        {0, {0x00}, 1},
        {127, {0x7F}, 1},
        {128, {0x80, 0x01}, 2},
        {16383, {0xFF, 0x7F}, 2},
        {16384, {0x80, 0x80, 0x01}, 3},
        {2097151, {0xFF, 0xFF, 0x7F}, 3},
        {2097152, {0x80, 0x80, 0x80, 0x01}, 4},
        {268435455, {0xFF, 0xFF, 0xFF, 0x7F}, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t out[4];
        assert_int_equal(mqtt_varint_encode(out, cases[i].v), cases[i].n);
        assert_int_equal(mqtt_varint_size(cases[i].v), cases[i].n);
        assert_memory_equal(out, cases[i].b, cases[i].n);
        uint32_t v = 1234;
        size_t used = 0;
        assert_int_equal(mqtt_varint_decode(cases[i].b, cases[i].n, &v, &used), MQTT_OK);
        assert_int_equal(v, cases[i].v);
        assert_int_equal(used, cases[i].n);
        if (cases[i].n > 1)
            assert_int_equal(mqtt_varint_decode(cases[i].b, cases[i].n - 1, &v, &used),
                             MQTT_NEED_MORE);
    }
    uint8_t out[4];
    assert_int_equal(mqtt_varint_encode(out, 268435456u), 0);
    assert_int_equal(mqtt_varint_size(268435456u), 0);
    static const uint8_t five[] = {0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
    assert_int_equal(mqtt_varint_decode(five, 5, NULL, NULL), MQTT_ERR_MALFORMED_LENGTH);
    assert_int_equal(mqtt_varint_decode(five, 4, NULL, NULL), MQTT_ERR_MALFORMED_LENGTH);
    assert_int_equal(mqtt_varint_decode(five, 0, NULL, NULL), MQTT_NEED_MORE);
}

static void test_frame(void **state)
{
    (void)state;
    /* PUBLISH "a/b" "hi" + PINGREQ + PUBACK, fed byte by byte */
    static const uint8_t stream[] = {0x30, 0x07, 0x00, 0x03, 'a',  '/',  'b', 'h',
                                     'i',  0xC0, 0x00, 0x40, 0x02, 0x00, 0x07};
    static const size_t sizes[] = {9, 2, 4};
    size_t start = 0, got = 0;
    for (size_t end = start + 1; end <= sizeof stream; end++) {
        size_t plen = 99;
        mqtt_err e = mqtt_frame(stream + start, end - start, 0, &plen);
        if (e == MQTT_NEED_MORE) {
            /* total known once the length byte is here */
            if (end - start >= 2)
                assert_int_equal(plen, sizes[got]);
            else
                assert_int_equal(plen, 0);
            continue;
        }
        assert_int_equal(e, MQTT_OK);
        assert_int_equal(plen, sizes[got]);
        assert_int_equal(end - start, plen);
        mqtt_packet p;
        assert_int_equal(mqtt_decode(stream + start, plen, MQTT_V311, &p), MQTT_OK);
        got++;
        start = end;
    }
    assert_int_equal(got, 3);
    assert_int_equal(start, sizeof stream);

    /* several packets available at once: only the first is framed */
    size_t plen = 0;
    assert_int_equal(mqtt_frame(stream, sizeof stream, 0, &plen), MQTT_OK);
    assert_int_equal(plen, 9);

    /* empty */
    assert_int_equal(mqtt_frame(stream, 0, 0, &plen), MQTT_NEED_MORE);

    /* remaining length of 5 bytes */
    static const uint8_t bad[] = {0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
    assert_int_equal(mqtt_frame(bad, sizeof bad, 0, &plen), MQTT_ERR_MALFORMED_LENGTH);
    assert_int_equal(mqtt_frame(bad, 5, 0, &plen), MQTT_ERR_MALFORMED_LENGTH);
    assert_int_equal(mqtt_frame(bad, 4, 0, &plen), MQTT_NEED_MORE);
    dec_err(bad, sizeof bad, MQTT_V311, MQTT_ERR_MALFORMED_LENGTH);

    /* maximum remaining length: needs more, total known */
    static const uint8_t max[] = {0x30, 0xFF, 0xFF, 0xFF, 0x7F};
    assert_int_equal(mqtt_frame(max, sizeof max, 0, &plen), MQTT_NEED_MORE);
    assert_int_equal(plen, 5 + 268435455u);
    assert_int_equal(mqtt_frame(max, sizeof max, 1000, &plen), MQTT_ERR_TOO_LARGE);

    /* maximum packet size: whole packet counted, detected before the body */
    assert_int_equal(mqtt_frame(stream, 2, 9, &plen), MQTT_NEED_MORE);
    assert_int_equal(mqtt_frame(stream, 2, 8, &plen), MQTT_ERR_TOO_LARGE);
    assert_int_equal(mqtt_frame(stream, 9, 9, &plen), MQTT_OK);
    assert_int_equal(mqtt_frame(stream, 9, 8, &plen), MQTT_ERR_TOO_LARGE);
}

/* ------------------------------------------------------------------ */
/* CONNECT                                                             */

static void test_connect_v311(void **state)
{
    (void)state;
    mqtt_packet p;
    mqtt_packet_init(&p, MQTT_CONNECT);
    p.connect.clean_start = true;
    p.connect.keep_alive = 60;
    p.connect.client_id = mqtt_str("abc");
    p.connect.will = true;
    p.connect.will_qos = 1;
    p.connect.will_retain = true;
    p.connect.will_topic = mqtt_str("w/t");
    p.connect.will_payload = mqtt_str("bye");
    p.connect.has_username = true;
    p.connect.username = mqtt_str("u");
    p.connect.has_password = true;
    p.connect.password = mqtt_str("pw");
    static const uint8_t exp[] = {
        0x10, 0x20,                                 /* CONNECT, remaining length 32 */
        0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xEE, /* name, level 4, flags */
        0x00, 0x3C,                                 /* keep alive 60 */
        0x00, 0x03, 'a', 'b', 'c',                  /* client id */
        0x00, 0x03, 'w', '/', 't',                  /* will topic */
        0x00, 0x03, 'b', 'y', 'e',                  /* will payload */
        0x00, 0x01, 'u',                            /* user name */
        0x00, 0x02, 'p', 'w'                        /* password */
    };
    enc_eq(&p, MQTT_V311, 0, exp, sizeof exp);

    mqtt_packet d;
    dec_ok(exp, sizeof exp, MQTT_V311, &d);
    assert_int_equal(d.type, MQTT_CONNECT);
    assert_int_equal(d.connect.protocol_level, 4);
    assert_int_equal(d.connect.connect_flags, 0xEE);
    assert_true(d.connect.clean_start);
    assert_int_equal(d.connect.keep_alive, 60);
    bytes_eq(d.connect.client_id, "abc");
    assert_true(d.connect.will);
    assert_int_equal(d.connect.will_qos, 1);
    assert_true(d.connect.will_retain);
    bytes_eq(d.connect.will_topic, "w/t");
    bytes_eq(d.connect.will_payload, "bye");
    assert_true(d.connect.has_username);
    bytes_eq(d.connect.username, "u");
    assert_true(d.connect.has_password);
    bytes_eq(d.connect.password, "pw");

    /* version 0: taken from the packet */
    dec_ok(exp, sizeof exp, 0, &d);
    assert_int_equal(d.connect.protocol_level, 4);
    /* wrong version expected */
    dec_err(exp, sizeof exp, MQTT_V5, MQTT_ERR_PROTOCOL_VERSION);

    /* minimal: empty client id, no flags */
    mqtt_packet_init(&p, MQTT_CONNECT);
    p.connect.clean_start = true;
    enc_eq(&p, MQTT_V311, 0,
           B(0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x00, 0x00, 0x00));
    dec_ok(B(0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x00, 0x00, 0x00),
           MQTT_V311, &d);
    assert_int_equal(d.connect.client_id.len, 0);
}

static void test_connect_v5(void **state)
{
    (void)state;
    mqtt_prop cp[] = {mqtt_prop_int(MQTT_PROP_SESSION_EXPIRY_INTERVAL, 120)};
    mqtt_prop wp[] = {mqtt_prop_int(MQTT_PROP_WILL_DELAY_INTERVAL, 5)};
    mqtt_packet p;
    mqtt_packet_init(&p, MQTT_CONNECT);
    p.connect.clean_start = true;
    p.connect.keep_alive = 10;
    p.connect.props = mqtt_props_array(cp, 1);
    p.connect.client_id = mqtt_str("c1");
    p.connect.will = true;
    p.connect.will_props = mqtt_props_array(wp, 1);
    p.connect.will_topic = mqtt_str("t");
    p.connect.will_payload = mqtt_str("x");
    static const uint8_t exp[] = {
        0x10, 0x20,                                     /* CONNECT, 32 */
        0x00, 0x04, 'M',  'Q',  'T',  'T',  0x05, 0x06, /* level 5, will + clean */
        0x00, 0x0A,                                     /* keep alive */
        0x05, 0x11, 0x00, 0x00, 0x00, 0x78,             /* session expiry 120 */
        0x00, 0x02, 'c',  '1',                          /* client id */
        0x05, 0x18, 0x00, 0x00, 0x00, 0x05,             /* will delay 5 */
        0x00, 0x01, 't',                                /* will topic */
        0x00, 0x01, 'x'                                 /* will payload */
    };
    enc_eq(&p, MQTT_V5, 0, exp, sizeof exp);

    mqtt_packet d;
    dec_ok(exp, sizeof exp, MQTT_V5, &d);
    assert_int_equal(d.connect.protocol_level, 5);
    assert_int_equal(d.connect.keep_alive, 10);
    uint32_t v = 0;
    assert_int_equal(mqtt_props_get_int(&d.connect.props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, &v),
                     MQTT_OK);
    assert_int_equal(v, 120);
    assert_int_equal(d.connect.props.count, 1);
    assert_int_equal(mqtt_props_get_int(&d.connect.will_props, MQTT_PROP_WILL_DELAY_INTERVAL, &v),
                     MQTT_OK);
    assert_int_equal(v, 5);
    bytes_eq(d.connect.client_id, "c1");
    bytes_eq(d.connect.will_topic, "t");
    bytes_eq(d.connect.will_payload, "x");
    assert_false(d.connect.has_username);

    dec_ok(exp, sizeof exp, 0, &d);
    assert_int_equal(d.connect.protocol_level, 5);
    dec_err(exp, sizeof exp, MQTT_V311, MQTT_ERR_PROTOCOL_VERSION);

    /* 5.0 allows a password without a user name, 3.1.1 does not */
    mqtt_packet_init(&p, MQTT_CONNECT);
    p.connect.has_password = true;
    p.connect.password = mqtt_str("s");
    static const uint8_t pw5[] = {0x10, 0x10, 0x00, 0x04, 'M',  'Q',  'T',  'T',  0x05,
                                  0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 's'};
    enc_eq(&p, MQTT_V5, 0, pw5, sizeof pw5);
    dec_ok(pw5, sizeof pw5, MQTT_V5, &d);
    uint8_t buf[64];
    size_t len;
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V311, 0), MQTT_ERR_CONNECT_FLAGS);
    dec_err(B(0x10, 0x0F, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00,
              0x01, 's'),
            MQTT_V311, MQTT_ERR_CONNECT_FLAGS);
}

static void test_connect_errors(void **state)
{
    (void)state;
    /* reserved flag */
    dec_err(B(0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x03, 0x00, 0x00, 0x00, 0x00),
            MQTT_V311, MQTT_ERR_CONNECT_FLAGS);
    /* will QoS 3 */
    dec_err(B(0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x1E, 0x00, 0x00, 0x00, 0x00),
            MQTT_V311, MQTT_ERR_BAD_QOS);
    /* will QoS without will flag */
    dec_err(B(0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x0A, 0x00, 0x00, 0x00, 0x00),
            MQTT_V311, MQTT_ERR_CONNECT_FLAGS);
    /* protocol name */
    dec_err(B(0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'X', 0x04, 0x02, 0x00, 0x00, 0x00, 0x00),
            MQTT_V311, MQTT_ERR_PROTOCOL_NAME);
    dec_err(
        B(0x10, 0x0E, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03, 0x02, 0x00, 0x00, 0x00, 0x00),
        0, MQTT_ERR_PROTOCOL_NAME);
    /* unsupported level with version 0 */
    dec_err(B(0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x03, 0x02, 0x00, 0x00, 0x00, 0x00), 0,
            MQTT_ERR_PROTOCOL_VERSION);
    /* version 0 only for CONNECT */
    dec_err(B(0xC0, 0x00), 0, MQTT_ERR_ARG);
    /* bad fixed header flags */
    dec_err(B(0x11, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x00, 0x00, 0x00),
            MQTT_V311, MQTT_ERR_BAD_FLAGS);
    /* client id ill-formed UTF-8 */
    dec_err(B(0x10, 0x0E, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x00, 0x00, 0x02, 0xC3,
              0x28),
            MQTT_V311, MQTT_ERR_UTF8);
    /* will topic with a wildcard */
    dec_err(B(0x10, 0x11, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,
              0x01, '#', 0x00, 0x00),
            MQTT_V311, MQTT_ERR_TOPIC_WILDCARD);
    /* user name flag but no user name */
    dec_err(B(0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x82, 0x00, 0x00, 0x00, 0x00),
            MQTT_V311, MQTT_ERR_TRUNCATED);
    /* 5.0 property not allowed in CONNECT (Topic Alias) */
    dec_err(B(0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x00, 0x03, 0x23, 0x00,
              0x01, 0x00, 0x00),
            MQTT_V5, MQTT_ERR_PROPERTY);
    /* 5.0 will property not allowed in the will (Session Expiry) */
    dec_err(B(0x10, 0x18, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,
              0x05, 0x11, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't', 0x00, 0x00),
            MQTT_V5, MQTT_ERR_PROPERTY);

    /* encoder */
    mqtt_packet p;
    uint8_t buf[64];
    size_t len;
    mqtt_packet_init(&p, MQTT_CONNECT);
    p.connect.will_qos = 1;
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V311, 0), MQTT_ERR_CONNECT_FLAGS);
    p.connect.will = true;
    p.connect.will_topic = mqtt_str("a/+");
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V311, 0), MQTT_ERR_TOPIC_WILDCARD);
    p.connect.will_topic = mqtt_str("a");
    p.connect.will_qos = 3;
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V311, 0), MQTT_ERR_BAD_QOS);
    p.connect.will_qos = 0;
    p.connect.protocol_name = mqtt_str("MQIsdp");
    p.connect.protocol_level = 3;
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V311, 0), MQTT_ERR_PROTOCOL_NAME);
    /* raw: an MQTT 3.1 CONNECT */
    mqtt_packet_init(&p, MQTT_CONNECT);
    p.connect.protocol_name = mqtt_str("MQIsdp");
    p.connect.protocol_level = 3;
    p.connect.clean_start = true;
    enc_eq(&p, MQTT_V311, MQTT_ENC_NO_VALIDATE,
           B(0x10, 0x0E, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03, 0x02, 0x00, 0x00, 0x00,
             0x00));
    /* raw connect flags byte, reserved bit set */
    mqtt_packet_init(&p, MQTT_CONNECT);
    p.connect.connect_flags = 0x03;
    enc_eq(&p, MQTT_V311, MQTT_ENC_RAW,
           B(0x10, 0x0C, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x03, 0x00, 0x00, 0x00, 0x00));
    /* properties in 3.1.1 */
    mqtt_prop cp[] = {mqtt_prop_int(MQTT_PROP_SESSION_EXPIRY_INTERVAL, 1)};
    mqtt_packet_init(&p, MQTT_CONNECT);
    p.connect.props = mqtt_props_array(cp, 1);
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V311, 0), MQTT_ERR_VERSION);
}

/* ------------------------------------------------------------------ */
/* CONNACK                                                             */

static void test_connack(void **state)
{
    (void)state;
    mqtt_packet p, d;
    mqtt_packet_init(&p, MQTT_CONNACK);
    p.connack.session_present = true;
    enc_eq(&p, MQTT_V311, 0, B(0x20, 0x02, 0x01, 0x00));
    dec_ok(B(0x20, 0x02, 0x01, 0x00), MQTT_V311, &d);
    assert_true(d.connack.session_present);
    assert_int_equal(d.connack.reason_code, 0);

    mqtt_packet_init(&p, MQTT_CONNACK);
    p.connack.reason_code = MQTT_V3_CONNACK_NOT_AUTHORIZED;
    enc_eq(&p, MQTT_V311, 0, B(0x20, 0x02, 0x00, 0x05));
    dec_ok(B(0x20, 0x02, 0x00, 0x05), MQTT_V311, &d);
    assert_int_equal(d.connack.reason_code, 5);

    /* 5.0 with properties */
    mqtt_prop props[] = {
        mqtt_prop_int(MQTT_PROP_MAXIMUM_QOS, 1),
        mqtt_prop_int(MQTT_PROP_RETAIN_AVAILABLE, 0),
        mqtt_prop_int(MQTT_PROP_RECEIVE_MAXIMUM, 20),
        mqtt_prop_bytes(MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER, mqtt_str("id")),
    };
    mqtt_packet_init(&p, MQTT_CONNACK);
    p.connack.props = mqtt_props_array(props, 4);
    static const uint8_t exp[] = {0x20, 0x0F, 0x00, 0x00, 0x0C, 0x24, 0x01, 0x25, 0x00,
                                  0x21, 0x00, 0x14, 0x12, 0x00, 0x02, 'i',  'd'};
    enc_eq(&p, MQTT_V5, 0, exp, sizeof exp);
    dec_ok(exp, sizeof exp, MQTT_V5, &d);
    assert_int_equal(d.connack.props.count, 4);
    uint32_t v;
    assert_int_equal(mqtt_props_get_int(&d.connack.props, MQTT_PROP_MAXIMUM_QOS, &v), MQTT_OK);
    assert_int_equal(v, 1);
    assert_int_equal(mqtt_props_get_int(&d.connack.props, MQTT_PROP_RETAIN_AVAILABLE, &v), MQTT_OK);
    assert_int_equal(v, 0);
    assert_int_equal(mqtt_props_get_int(&d.connack.props, MQTT_PROP_RECEIVE_MAXIMUM, &v), MQTT_OK);
    assert_int_equal(v, 20);
    mqtt_bytes s;
    assert_int_equal(
        mqtt_props_get_bytes(&d.connack.props, MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER, &s), MQTT_OK);
    bytes_eq(s, "id");
    assert_int_equal(mqtt_props_get_int(&d.connack.props, MQTT_PROP_TOPIC_ALIAS_MAXIMUM, &v),
                     MQTT_ERR_NOT_FOUND);

    /* 5.0 failure, no properties */
    mqtt_packet_init(&p, MQTT_CONNACK);
    p.connack.reason_code = MQTT_RC_BAD_USERNAME_OR_PASSWORD;
    enc_eq(&p, MQTT_V5, 0, B(0x20, 0x03, 0x00, 0x86, 0x00));
    dec_ok(B(0x20, 0x03, 0x00, 0x86, 0x00), MQTT_V5, &d);
    assert_int_equal(d.connack.reason_code, 0x86);

    /* errors */
    dec_err(B(0x20, 0x02, 0x00, 0x06), MQTT_V311, MQTT_ERR_REASON_CODE);
    dec_err(B(0x20, 0x03, 0x00, 0x01, 0x00), MQTT_V5, MQTT_ERR_REASON_CODE);
    dec_err(B(0x20, 0x02, 0x02, 0x00), MQTT_V311, MQTT_ERR_PROTOCOL); /* reserved ack flag */
    dec_err(B(0x20, 0x02, 0x01, 0x05), MQTT_V311, MQTT_ERR_PROTOCOL); /* SP with failure */
    dec_err(B(0x20, 0x03, 0x00, 0x00, 0x00), MQTT_V311, MQTT_ERR_TRAILING);
    dec_err(B(0x20, 0x02, 0x00, 0x01), MQTT_V5, MQTT_ERR_TRUNCATED); /* 3.1.1 answer to 5.0 */
    dec_err(B(0x21, 0x02, 0x00, 0x00), MQTT_V311, MQTT_ERR_BAD_FLAGS);
}

/* ------------------------------------------------------------------ */
/* PUBLISH                                                             */

static void test_publish(void **state)
{
    (void)state;
    mqtt_packet p, d;
    mqtt_packet_init(&p, MQTT_PUBLISH);
    p.publish.topic = mqtt_str("a/b");
    p.publish.payload = mqtt_str("hi");
    static const uint8_t q0[] = {0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i'};
    enc_eq(&p, MQTT_V311, 0, q0, sizeof q0);
    dec_ok(q0, sizeof q0, MQTT_V311, &d);
    assert_int_equal(d.publish.qos, 0);
    assert_false(d.publish.dup);
    assert_false(d.publish.retain);
    bytes_eq(d.publish.topic, "a/b");
    bytes_eq(d.publish.payload, "hi");
    assert_int_equal(d.publish.packet_id, 0);

    p.publish.qos = 1;
    p.publish.dup = true;
    p.publish.retain = true;
    p.publish.packet_id = 10;
    static const uint8_t q1[] = {0x3B, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'h', 'i'};
    enc_eq(&p, MQTT_V311, 0, q1, sizeof q1);
    dec_ok(q1, sizeof q1, MQTT_V311, &d);
    assert_int_equal(d.flags, 0x0B);
    assert_int_equal(d.publish.qos, 1);
    assert_true(d.publish.dup);
    assert_true(d.publish.retain);
    assert_int_equal(d.publish.packet_id, 10);
    bytes_eq(d.publish.payload, "hi");

    /* 5.0 QoS 2 with properties */
    mqtt_prop props[] = {
        mqtt_prop_int(MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, 1),
        mqtt_prop_user(mqtt_str("k"), mqtt_str("v")),
    };
    mqtt_packet_init(&p, MQTT_PUBLISH);
    p.publish.qos = 2;
    p.publish.topic = mqtt_str("t");
    p.publish.packet_id = 1;
    p.publish.props = mqtt_props_array(props, 2);
    p.publish.payload = mqtt_str("P");
    static const uint8_t q2[] = {0x34, 0x10, 0x00, 0x01, 't', 0x00, 0x01, 0x09, 0x01,
                                 0x01, 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v',  'P'};
    enc_eq(&p, MQTT_V5, 0, q2, sizeof q2);
    dec_ok(q2, sizeof q2, MQTT_V5, &d);
    assert_int_equal(d.publish.qos, 2);
    assert_int_equal(d.publish.packet_id, 1);
    bytes_eq(d.publish.payload, "P");
    size_t off = 0;
    mqtt_prop pr;
    assert_true(mqtt_props_next(&d.publish.props, &off, &pr));
    assert_int_equal(pr.id, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR);
    assert_int_equal(pr.num, 1);
    assert_true(mqtt_props_next(&d.publish.props, &off, &pr));
    assert_int_equal(pr.id, MQTT_PROP_USER_PROPERTY);
    bytes_eq(pr.str, "k");
    bytes_eq(pr.val, "v");
    assert_false(mqtt_props_next(&d.publish.props, &off, &pr));

    /* 5.0 empty topic + topic alias, empty payload */
    mqtt_prop alias[] = {mqtt_prop_int(MQTT_PROP_TOPIC_ALIAS, 3)};
    mqtt_packet_init(&p, MQTT_PUBLISH);
    p.publish.props = mqtt_props_array(alias, 1);
    static const uint8_t al[] = {0x30, 0x06, 0x00, 0x00, 0x03, 0x23, 0x00, 0x03};
    enc_eq(&p, MQTT_V5, 0, al, sizeof al);
    dec_ok(al, sizeof al, MQTT_V5, &d);
    assert_int_equal(d.publish.topic.len, 0);
    assert_int_equal(d.publish.payload.len, 0);

    /* errors */
    dec_err(B(0x30, 0x03, 0x00, 0x00, 0x00), MQTT_V5, MQTT_ERR_TOPIC_EMPTY);
    dec_err(B(0x30, 0x02, 0x00, 0x00), MQTT_V311, MQTT_ERR_TOPIC_EMPTY);
    dec_err(B(0x30, 0x03, 0x00, 0x01, '+'), MQTT_V311, MQTT_ERR_TOPIC_WILDCARD);
    dec_err(B(0x32, 0x05, 0x00, 0x01, 't', 0x00, 0x00), MQTT_V311, MQTT_ERR_PACKET_ID);
    dec_err(B(0x38, 0x03, 0x00, 0x01, 't'), MQTT_V311, MQTT_ERR_BAD_FLAGS); /* DUP, QoS 0 */
    dec_err(B(0x30, 0x02, 0x00, 0x05), MQTT_V311, MQTT_ERR_TRUNCATED);
    dec_err(B(0x32, 0x04, 0x00, 0x01, 't', 0x00), MQTT_V311, MQTT_ERR_TRUNCATED);
    dec_err(B(0x30, 0x04, 0x00, 0x01, 't', 0x05), MQTT_V5, MQTT_ERR_TRUNCATED); /* props */
    dec_err(B(0x30, 0x05, 0x00, 0x01, 't', 0x01, 0x05), MQTT_V5, MQTT_ERR_PROPERTY);
    /* topic alias 0 */
    dec_err(B(0x30, 0x08, 0x00, 0x01, 't', 0x03, 0x23, 0x00, 0x00, 'x'), MQTT_V5,
            MQTT_ERR_PROPERTY_VALUE);

    uint8_t buf[64];
    size_t len;
    mqtt_packet_init(&p, MQTT_PUBLISH);
    p.publish.topic = mqtt_str("a/#");
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V311, 0), MQTT_ERR_TOPIC_WILDCARD);
    p.publish.topic = mqtt_str("a");
    p.publish.qos = 1;
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V311, 0), MQTT_ERR_PACKET_ID);
    p.publish.qos = 0;
    p.publish.dup = true;
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V311, 0), MQTT_ERR_BAD_FLAGS);
}

/* The malformed packets an analyzer sends. */
static void test_malformed_builders(void **state)
{
    (void)state;
    mqtt_packet p;
    uint8_t buf[64];
    size_t len;

    /* PUBLISH with QoS 3 */
    mqtt_packet_init(&p, MQTT_PUBLISH);
    p.publish.qos = 3;
    p.publish.topic = mqtt_str("t");
    p.publish.packet_id = 1;
    p.publish.payload = mqtt_str("x");
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V311, 0), MQTT_ERR_BAD_QOS);
    static const uint8_t q3[] = {0x36, 0x06, 0x00, 0x01, 't', 0x00, 0x01, 'x'};
    enc_eq(&p, MQTT_V311, MQTT_ENC_NO_VALIDATE, q3, sizeof q3);
    dec_err(q3, sizeof q3, MQTT_V311, MQTT_ERR_BAD_QOS);
    static const uint8_t q3v5[] = {0x36, 0x07, 0x00, 0x01, 't', 0x00, 0x01, 0x00, 'x'};
    enc_eq(&p, MQTT_V5, MQTT_ENC_NO_VALIDATE, q3v5, sizeof q3v5);
    dec_err(q3v5, sizeof q3v5, MQTT_V5, MQTT_ERR_BAD_QOS);
    /* same, through verbatim header flags */
    p.publish.qos = 1;
    p.flags = 0x06;
    enc_eq(&p, MQTT_V311, MQTT_ENC_RAW_FLAGS, q3, sizeof q3);

    /* ill-formed UTF-8 (c3 28) in a topic name */
    static const uint8_t bad[] = {0xC3, 0x28};
    mqtt_packet_init(&p, MQTT_PUBLISH);
    p.publish.topic = mqtt_bin(bad, 2);
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V311, 0), MQTT_ERR_UTF8);
    static const uint8_t u8[] = {0x30, 0x04, 0x00, 0x02, 0xC3, 0x28};
    enc_eq(&p, MQTT_V311, MQTT_ENC_NO_VALIDATE, u8, sizeof u8);
    dec_err(u8, sizeof u8, MQTT_V311, MQTT_ERR_UTF8);

    /* SUBSCRIBE to the invalid filter A+ */
    mqtt_sub subs[] = {{.filter = mqtt_str("A+"), .qos = 0}};
    mqtt_packet_init(&p, MQTT_SUBSCRIBE);
    p.subscribe.packet_id = 1;
    p.subscribe.subs = subs;
    p.subscribe.count = 1;
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V311, 0), MQTT_ERR_FILTER_PLUS);
    static const uint8_t ap[] = {0x82, 0x07, 0x00, 0x01, 0x00, 0x02, 'A', '+', 0x00};
    enc_eq(&p, MQTT_V311, MQTT_ENC_NO_VALIDATE, ap, sizeof ap);
    dec_err(ap, sizeof ap, MQTT_V311, MQTT_ERR_FILTER_PLUS);

    /* PINGREQ with reserved flags set */
    mqtt_packet_init(&p, MQTT_PINGREQ);
    p.flags = 0x1;
    enc_eq(&p, MQTT_V311, MQTT_ENC_RAW_FLAGS, B(0xC1, 0x00));
    dec_err(B(0xC1, 0x00), MQTT_V311, MQTT_ERR_BAD_FLAGS);

    /* SUBSCRIBE with QoS 3 and retain handling 3 in its options */
    mqtt_sub s2[] = {{.filter = mqtt_str("a"), .qos = 3, .retain_handling = 3}};
    mqtt_packet_init(&p, MQTT_SUBSCRIBE);
    p.subscribe.packet_id = 2;
    p.subscribe.subs = s2;
    p.subscribe.count = 1;
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V5, 0), MQTT_ERR_BAD_QOS);
    static const uint8_t o3[] = {0x82, 0x07, 0x00, 0x02, 0x00, 0x00, 0x01, 'a', 0x33};
    enc_eq(&p, MQTT_V5, MQTT_ENC_NO_VALIDATE, o3, sizeof o3);
    dec_err(o3, sizeof o3, MQTT_V5, MQTT_ERR_BAD_QOS);

    /* duplicate property, forced */
    mqtt_prop dup[] = {mqtt_prop_int(MQTT_PROP_MAXIMUM_QOS, 0),
                       mqtt_prop_int(MQTT_PROP_MAXIMUM_QOS, 1)};
    mqtt_packet_init(&p, MQTT_CONNACK);
    p.connack.props = mqtt_props_array(dup, 2);
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V5, 0), MQTT_ERR_PROPERTY_DUP);
    static const uint8_t dp[] = {0x20, 0x07, 0x00, 0x00, 0x04, 0x24, 0x00, 0x24, 0x01};
    enc_eq(&p, MQTT_V5, MQTT_ENC_NO_VALIDATE, dp, sizeof dp);
    dec_err(dp, sizeof dp, MQTT_V5, MQTT_ERR_PROPERTY_DUP);
}

/* ------------------------------------------------------------------ */
/* PUBACK PUBREC PUBREL PUBCOMP                                        */

static void test_acks(void **state)
{
    (void)state;
    static const struct {
        mqtt_type t;
        uint8_t b0;
    } types[] = {
        {MQTT_PUBACK, 0x40}, {MQTT_PUBREC, 0x50}, {MQTT_PUBREL, 0x62}, {MQTT_PUBCOMP, 0x70}};
    for (size_t i = 0; i < 4; i++) {
        mqtt_packet p, d;
        mqtt_packet_init(&p, types[i].t);
        p.ack.packet_id = 0x1234;
        uint8_t exp[] = {types[i].b0, 0x02, 0x12, 0x34};
        enc_eq(&p, MQTT_V311, 0, exp, 4);
        enc_eq(&p, MQTT_V5, 0, exp, 4);
        dec_ok(exp, 4, MQTT_V311, &d);
        assert_int_equal(d.type, types[i].t);
        assert_int_equal(d.ack.packet_id, 0x1234);
        dec_ok(exp, 4, MQTT_V5, &d);
        assert_int_equal(d.ack.reason_code, 0);

        /* 3.1.1: extra byte, packet id 0 */
        uint8_t ext[] = {types[i].b0, 0x03, 0x12, 0x34, 0x00};
        dec_err(ext, 5, MQTT_V311, MQTT_ERR_TRAILING);
        uint8_t z[] = {types[i].b0, 0x02, 0x00, 0x00};
        dec_err(z, 4, MQTT_V311, MQTT_ERR_PACKET_ID);
        uint8_t fl[] = {(uint8_t)(types[i].b0 ^ 0x02), 0x02, 0x12, 0x34};
        dec_err(fl, 4, MQTT_V311, MQTT_ERR_BAD_FLAGS);
        /* 5.0: reason code + empty props (not the shortest form) decodes */
        uint8_t rp[] = {types[i].b0, 0x04, 0x12, 0x34, 0x00, 0x00};
        assert_int_equal(mqtt_decode(rp, 6, MQTT_V5, &d), MQTT_OK);
    }

    /* 5.0 with reason code only */
    mqtt_packet p, d;
    mqtt_packet_init(&p, MQTT_PUBACK);
    p.ack.packet_id = 7;
    p.ack.reason_code = MQTT_RC_NO_MATCHING_SUBSCRIBERS;
    enc_eq(&p, MQTT_V5, 0, B(0x40, 0x03, 0x00, 0x07, 0x10));
    enc_eq(&p, MQTT_V311, 0, B(0x40, 0x02, 0x00, 0x07)); /* reason code ignored */
    dec_ok(B(0x40, 0x03, 0x00, 0x07, 0x10), MQTT_V5, &d);
    assert_int_equal(d.ack.reason_code, 0x10);

    /* 5.0 with reason code and reason string */
    mqtt_prop rs[] = {mqtt_prop_bytes(MQTT_PROP_REASON_STRING, mqtt_str("no"))};
    p.ack.reason_code = MQTT_RC_NOT_AUTHORIZED;
    p.ack.props = mqtt_props_array(rs, 1);
    static const uint8_t na[] = {0x40, 0x09, 0x00, 0x07, 0x87, 0x05, 0x1F, 0x00, 0x02, 'n', 'o'};
    enc_eq(&p, MQTT_V5, 0, na, sizeof na);
    dec_ok(na, sizeof na, MQTT_V5, &d);
    assert_int_equal(d.ack.reason_code, 0x87);
    mqtt_bytes s;
    assert_int_equal(mqtt_props_get_bytes(&d.ack.props, MQTT_PROP_REASON_STRING, &s), MQTT_OK);
    bytes_eq(s, "no");

    /* PUBREL 5.0 packet identifier not found */
    mqtt_packet_init(&p, MQTT_PUBREL);
    p.ack.packet_id = 1;
    p.ack.reason_code = MQTT_RC_PACKET_ID_NOT_FOUND;
    enc_eq(&p, MQTT_V5, 0, B(0x62, 0x03, 0x00, 0x01, 0x92));
    dec_ok(B(0x62, 0x03, 0x00, 0x01, 0x92), MQTT_V5, &d);

    /* reason code not valid for the packet */
    dec_err(B(0x40, 0x03, 0x00, 0x01, 0x92), MQTT_V5, MQTT_ERR_REASON_CODE);
    dec_err(B(0x62, 0x03, 0x00, 0x01, 0x10), MQTT_V5, MQTT_ERR_REASON_CODE);
    uint8_t buf[32];
    size_t len;
    mqtt_packet_init(&p, MQTT_PUBCOMP);
    p.ack.packet_id = 1;
    p.ack.reason_code = 0x87;
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V5, 0), MQTT_ERR_REASON_CODE);
    p.ack.reason_code = 0;
    p.ack.packet_id = 0;
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V5, 0), MQTT_ERR_PACKET_ID);
    /* property not allowed in an ack */
    dec_err(B(0x40, 0x06, 0x00, 0x01, 0x00, 0x02, 0x01, 0x01), MQTT_V5, MQTT_ERR_PROPERTY);
}

/* ------------------------------------------------------------------ */
/* SUBSCRIBE SUBACK UNSUBSCRIBE UNSUBACK                               */

static void test_subscribe(void **state)
{
    (void)state;
    mqtt_sub subs[] = {{.filter = mqtt_str("a/+"), .qos = 1}, {.filter = mqtt_str("#"), .qos = 0}};
    mqtt_packet p, d;
    mqtt_packet_init(&p, MQTT_SUBSCRIBE);
    p.subscribe.packet_id = 10;
    p.subscribe.subs = subs;
    p.subscribe.count = 2;
    static const uint8_t v3[] = {0x82, 0x0C, 0x00, 0x0A, 0x00, 0x03, 'a',
                                 '/',  '+',  0x01, 0x00, 0x01, '#',  0x00};
    enc_eq(&p, MQTT_V311, 0, v3, sizeof v3);
    dec_ok(v3, sizeof v3, MQTT_V311, &d);
    assert_int_equal(d.subscribe.packet_id, 10);
    assert_int_equal(d.subscribe.count, 2);
    size_t off = 0;
    mqtt_sub s;
    assert_true(mqtt_sub_next(&d.subscribe, &off, &s));
    bytes_eq(s.filter, "a/+");
    assert_int_equal(s.qos, 1);
    assert_true(mqtt_sub_next(&d.subscribe, &off, &s));
    bytes_eq(s.filter, "#");
    assert_int_equal(s.qos, 0);
    assert_false(mqtt_sub_next(&d.subscribe, &off, &s));

    /* 5.0: subscription identifier and all options */
    mqtt_prop sid[] = {mqtt_prop_int(MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 300)};
    mqtt_sub s5[] = {{.filter = mqtt_str("x"),
                      .qos = 2,
                      .no_local = true,
                      .retain_as_published = true,
                      .retain_handling = 1}};
    mqtt_packet_init(&p, MQTT_SUBSCRIBE);
    p.subscribe.packet_id = 10;
    p.subscribe.props = mqtt_props_array(sid, 1);
    p.subscribe.subs = s5;
    p.subscribe.count = 1;
    static const uint8_t v5[] = {0x82, 0x0A, 0x00, 0x0A, 0x03, 0x0B,
                                 0xAC, 0x02, 0x00, 0x01, 'x',  0x1E};
    enc_eq(&p, MQTT_V5, 0, v5, sizeof v5);
    dec_ok(v5, sizeof v5, MQTT_V5, &d);
    uint32_t id;
    assert_int_equal(mqtt_props_get_int(&d.subscribe.props, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, &id),
                     MQTT_OK);
    assert_int_equal(id, 300);
    off = 0;
    assert_true(mqtt_sub_next(&d.subscribe, &off, &s));
    bytes_eq(s.filter, "x");
    assert_int_equal(s.qos, 2);
    assert_true(s.no_local);
    assert_true(s.retain_as_published);
    assert_int_equal(s.retain_handling, 1);
    /* 3.1.1 cannot carry 5.0 options */
    uint8_t buf[64];
    size_t len;
    p.subscribe.props = mqtt_props_array(NULL, 0);
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V311, 0), MQTT_ERR_SUB_OPTIONS);
    /* raw list re-encoded from the decoded packet: done in dec_ok */

    /* errors */
    dec_err(B(0x82, 0x02, 0x00, 0x01), MQTT_V311, MQTT_ERR_PROTOCOL); /* no filter */
    dec_err(B(0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00), MQTT_V311, MQTT_ERR_BAD_FLAGS);
    dec_err(B(0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x04), MQTT_V311, MQTT_ERR_SUB_OPTIONS);
    dec_err(B(0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 'a', 0x40), MQTT_V5, MQTT_ERR_SUB_OPTIONS);
    dec_err(B(0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 'a', 0x30), MQTT_V5, MQTT_ERR_SUB_OPTIONS);
    dec_err(B(0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x03), MQTT_V311, MQTT_ERR_BAD_QOS);
    dec_err(B(0x82, 0x05, 0x00, 0x01, 0x00, 0x01, 'a'), MQTT_V311, MQTT_ERR_TRUNCATED);
    dec_err(B(0x82, 0x09, 0x00, 0x01, 0x00, 0x03, 'a', '/', '#', 0x00 /* short */), MQTT_V311,
            MQTT_ERR_TRUNCATED);
    dec_err(B(0x82, 0x07, 0x00, 0x01, 0x00, 0x02, 'a', '#', 0x00), MQTT_V311, MQTT_ERR_FILTER_HASH);
    dec_err(B(0x82, 0x07, 0x00, 0x01, 0x00, 0x02, '+', 'a', 0x00), MQTT_V311, MQTT_ERR_FILTER_PLUS);
    dec_err(B(0x82, 0x08, 0x00, 0x01, 0x00, 0x03, '#', '/', 'b', 0x00), MQTT_V311,
            MQTT_ERR_FILTER_HASH);
    dec_err(B(0x82, 0x06, 0x00, 0x00, 0x00, 0x01, 'a', 0x00), MQTT_V311, MQTT_ERR_PACKET_ID);
    dec_err(B(0x82, 0x04, 0x00, 0x01, 0x00, 0x00), MQTT_V311, MQTT_ERR_TRUNCATED);
    dec_err(B(0x82, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00), MQTT_V311, MQTT_ERR_TOPIC_EMPTY);
    /* subscription identifier twice in SUBSCRIBE */
    dec_err(B(0x82, 0x0B, 0x00, 0x01, 0x04, 0x0B, 0x01, 0x0B, 0x02, 0x00, 0x01, 'a', 0x00), MQTT_V5,
            MQTT_ERR_PROPERTY_DUP);
    /* subscription identifier 0 */
    dec_err(B(0x82, 0x09, 0x00, 0x01, 0x02, 0x0B, 0x00, 0x00, 0x01, 'a', 0x00), MQTT_V5,
            MQTT_ERR_PROPERTY_VALUE);
    mqtt_packet_init(&p, MQTT_SUBSCRIBE);
    p.subscribe.packet_id = 1;
    p.subscribe.subs = subs;
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V311, 0), MQTT_ERR_PROTOCOL);
}

static void test_suback_unsub(void **state)
{
    (void)state;
    mqtt_packet p, d;
    static const uint8_t c3[] = {0x01, 0x80};
    mqtt_packet_init(&p, MQTT_SUBACK);
    p.suback.packet_id = 10;
    p.suback.codes = c3;
    p.suback.count = 2;
    enc_eq(&p, MQTT_V311, 0, B(0x90, 0x04, 0x00, 0x0A, 0x01, 0x80));
    dec_ok(B(0x90, 0x04, 0x00, 0x0A, 0x01, 0x80), MQTT_V311, &d);
    assert_int_equal(d.suback.packet_id, 10);
    assert_int_equal(d.suback.count, 2);
    assert_int_equal(d.suback.codes[0], 0x01);
    assert_int_equal(d.suback.codes[1], 0x80);

    static const uint8_t c5[] = {0x02, 0x8F};
    p.suback.codes = c5;
    enc_eq(&p, MQTT_V5, 0, B(0x90, 0x05, 0x00, 0x0A, 0x00, 0x02, 0x8F));
    dec_ok(B(0x90, 0x05, 0x00, 0x0A, 0x00, 0x02, 0x8F), MQTT_V5, &d);
    assert_int_equal(d.suback.codes[1], 0x8F);
    dec_err(B(0x90, 0x04, 0x00, 0x0A, 0x02, 0x8F), MQTT_V311, MQTT_ERR_REASON_CODE);
    dec_err(B(0x90, 0x04, 0x00, 0x0A, 0x00, 0x03), MQTT_V5, MQTT_ERR_REASON_CODE);
    dec_err(B(0x90, 0x02, 0x00, 0x0A), MQTT_V311, MQTT_ERR_PROTOCOL);

    /* UNSUBSCRIBE */
    mqtt_bytes filters[] = {mqtt_str("a/b")};
    mqtt_packet_init(&p, MQTT_UNSUBSCRIBE);
    p.unsubscribe.packet_id = 11;
    p.unsubscribe.filters = filters;
    p.unsubscribe.count = 1;
    static const uint8_t u3[] = {0xA2, 0x07, 0x00, 0x0B, 0x00, 0x03, 'a', '/', 'b'};
    static const uint8_t u5[] = {0xA2, 0x08, 0x00, 0x0B, 0x00, 0x00, 0x03, 'a', '/', 'b'};
    enc_eq(&p, MQTT_V311, 0, u3, sizeof u3);
    enc_eq(&p, MQTT_V5, 0, u5, sizeof u5);
    dec_ok(u3, sizeof u3, MQTT_V311, &d);
    assert_int_equal(d.unsubscribe.packet_id, 11);
    assert_int_equal(d.unsubscribe.count, 1);
    size_t off = 0;
    mqtt_bytes f;
    assert_true(mqtt_unsub_next(&d.unsubscribe, &off, &f));
    bytes_eq(f, "a/b");
    assert_false(mqtt_unsub_next(&d.unsubscribe, &off, &f));
    dec_ok(u5, sizeof u5, MQTT_V5, &d);
    assert_int_equal(d.unsubscribe.count, 1);
    dec_err(B(0xA2, 0x02, 0x00, 0x0B), MQTT_V311, MQTT_ERR_PROTOCOL);
    dec_err(B(0xA0, 0x07, 0x00, 0x0B, 0x00, 0x03, 'a', '/', 'b'), MQTT_V311, MQTT_ERR_BAD_FLAGS);
    dec_err(B(0xA2, 0x06, 0x00, 0x0B, 0x00, 0x02, 'a', '+'), MQTT_V311, MQTT_ERR_FILTER_PLUS);
    filters[0] = mqtt_str("a/#/b");
    uint8_t buf[64];
    size_t len;
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V311, 0), MQTT_ERR_FILTER_HASH);

    /* UNSUBACK */
    mqtt_packet_init(&p, MQTT_UNSUBACK);
    p.unsuback.packet_id = 11;
    enc_eq(&p, MQTT_V311, 0, B(0xB0, 0x02, 0x00, 0x0B));
    dec_ok(B(0xB0, 0x02, 0x00, 0x0B), MQTT_V311, &d);
    assert_int_equal(d.unsuback.packet_id, 11);
    static const uint8_t uc[] = {0x00, 0x11};
    p.unsuback.codes = uc;
    p.unsuback.count = 2;
    enc_eq(&p, MQTT_V5, 0, B(0xB0, 0x05, 0x00, 0x0B, 0x00, 0x00, 0x11));
    dec_ok(B(0xB0, 0x05, 0x00, 0x0B, 0x00, 0x00, 0x11), MQTT_V5, &d);
    assert_int_equal(d.unsuback.count, 2);
    assert_int_equal(d.unsuback.codes[1], 0x11);
    dec_err(B(0xB0, 0x03, 0x00, 0x0B, 0x00), MQTT_V311, MQTT_ERR_TRAILING);
    dec_err(B(0xB0, 0x04, 0x00, 0x0B, 0x00, 0x01), MQTT_V5, MQTT_ERR_REASON_CODE);
    dec_err(B(0xB0, 0x03, 0x00, 0x0B, 0x00), MQTT_V5, MQTT_ERR_PROTOCOL);
}

/* ------------------------------------------------------------------ */
/* PINGREQ PINGRESP DISCONNECT AUTH                                    */

static void test_ping_disconnect_auth(void **state)
{
    (void)state;
    mqtt_packet p, d;
    for (int v = MQTT_V311; v <= MQTT_V5; v++) {
        mqtt_packet_init(&p, MQTT_PINGREQ);
        enc_eq(&p, v, 0, B(0xC0, 0x00));
        dec_ok(B(0xC0, 0x00), v, &d);
        assert_int_equal(d.type, MQTT_PINGREQ);
        mqtt_packet_init(&p, MQTT_PINGRESP);
        enc_eq(&p, v, 0, B(0xD0, 0x00));
        dec_ok(B(0xD0, 0x00), v, &d);
        assert_int_equal(d.type, MQTT_PINGRESP);
        mqtt_packet_init(&p, MQTT_DISCONNECT);
        enc_eq(&p, v, 0, B(0xE0, 0x00));
        dec_ok(B(0xE0, 0x00), v, &d);
        assert_int_equal(d.type, MQTT_DISCONNECT);
        assert_int_equal(d.disconnect.reason_code, 0);
        dec_err(B(0xC0, 0x01, 0x00), v, MQTT_ERR_TRAILING);
        dec_err(B(0xD0, 0x01, 0x00), v, MQTT_ERR_TRAILING);
        dec_err(B(0xC2, 0x00), v, MQTT_ERR_BAD_FLAGS);
        dec_err(B(0x00, 0x00), v, MQTT_ERR_BAD_TYPE);
    }
    dec_err(B(0xE0, 0x01, 0x00), MQTT_V311, MQTT_ERR_TRAILING);

    mqtt_packet_init(&p, MQTT_DISCONNECT);
    p.disconnect.reason_code = MQTT_RC_SESSION_TAKEN_OVER;
    enc_eq(&p, MQTT_V5, 0, B(0xE0, 0x01, 0x8E));
    enc_eq(&p, MQTT_V311, 0, B(0xE0, 0x00));
    dec_ok(B(0xE0, 0x01, 0x8E), MQTT_V5, &d);
    assert_int_equal(d.disconnect.reason_code, 0x8E);

    mqtt_prop se[] = {mqtt_prop_int(MQTT_PROP_SESSION_EXPIRY_INTERVAL, 0)};
    mqtt_packet_init(&p, MQTT_DISCONNECT);
    p.disconnect.props = mqtt_props_array(se, 1);
    static const uint8_t dp[] = {0xE0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x00};
    enc_eq(&p, MQTT_V5, 0, dp, sizeof dp);
    dec_ok(dp, sizeof dp, MQTT_V5, &d);
    assert_int_equal(d.disconnect.props.count, 1);
    dec_err(B(0xE0, 0x01, 0x01), MQTT_V5, MQTT_ERR_REASON_CODE);

    /* AUTH (5.0 only) */
    mqtt_packet_init(&p, MQTT_AUTH);
    enc_eq(&p, MQTT_V5, 0, B(0xF0, 0x00));
    dec_ok(B(0xF0, 0x00), MQTT_V5, &d);
    assert_int_equal(d.type, MQTT_AUTH);
    mqtt_prop am[] = {mqtt_prop_bytes(MQTT_PROP_AUTHENTICATION_METHOD, mqtt_str("SCRAM"))};
    p.auth.reason_code = MQTT_RC_CONTINUE_AUTHENTICATION;
    p.auth.props = mqtt_props_array(am, 1);
    static const uint8_t au[] = {0xF0, 0x0A, 0x18, 0x08, 0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M'};
    enc_eq(&p, MQTT_V5, 0, au, sizeof au);
    dec_ok(au, sizeof au, MQTT_V5, &d);
    assert_int_equal(d.auth.reason_code, 0x18);
    mqtt_bytes m;
    assert_int_equal(mqtt_props_get_bytes(&d.auth.props, MQTT_PROP_AUTHENTICATION_METHOD, &m),
                     MQTT_OK);
    bytes_eq(m, "SCRAM");
    uint8_t buf[32];
    size_t len;
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V311, 0), MQTT_ERR_VERSION);
    dec_err(B(0xF0, 0x00), MQTT_V311, MQTT_ERR_BAD_TYPE);
    dec_err(B(0xF0, 0x01, 0x87), MQTT_V5, MQTT_ERR_REASON_CODE);
    dec_err(B(0xF1, 0x00), MQTT_V5, MQTT_ERR_BAD_FLAGS);
}

static void test_args(void **state)
{
    (void)state;
    mqtt_packet p;
    uint8_t buf[16];
    size_t len;
    mqtt_packet_init(&p, MQTT_PINGREQ);
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, 3, 0), MQTT_ERR_ARG);
    assert_int_equal(mqtt_encode(buf, sizeof buf, NULL, &p, MQTT_V5, 0), MQTT_ERR_ARG);
    p.type = (mqtt_type)0;
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V5, 0), MQTT_ERR_ARG);
    assert_int_equal(mqtt_decode(buf, 0, MQTT_V5, &p), MQTT_ERR_TRUNCATED);
    assert_int_equal(mqtt_decode(B(0xC0, 0x00), 6, &p), MQTT_ERR_ARG);
    assert_int_equal(mqtt_decode(B(0xC0, 0x00), MQTT_V5, NULL), MQTT_ERR_ARG);
    /* string too long to encode, in every mode */
    static uint8_t big[70000];
    memset(big, 'a', sizeof big);
    mqtt_packet_init(&p, MQTT_PUBLISH);
    p.publish.topic = mqtt_bin(big, sizeof big);
    assert_int_equal(mqtt_encode(NULL, 0, &len, &p, MQTT_V311, MQTT_ENC_RAW),
                     MQTT_ERR_STRING_TOO_LONG);
    /* big payload: multi-byte remaining length */
    p.publish.topic = mqtt_str("t");
    p.publish.payload = mqtt_bin(big, sizeof big);
    static uint8_t out[70100];
    assert_int_equal(mqtt_encode(out, sizeof out, &len, &p, MQTT_V311, 0), MQTT_OK);
    assert_int_equal(len, 1 + 3 + 3 + sizeof big);
    assert_int_equal(out[1], ((3 + sizeof big) & 0x7F) | 0x80);
    mqtt_packet d;
    size_t plen;
    assert_int_equal(mqtt_frame(out, len, 0, &plen), MQTT_OK);
    assert_int_equal(plen, len);
    assert_int_equal(mqtt_decode(out, len, MQTT_V311, &d), MQTT_OK);
    assert_int_equal(d.publish.payload.len, sizeof big);
}

/* A decoded PUBLISH re-encoded with a new payload and some properties
 * replaced (what e4proxy does to a protected message). */
static void test_props_copy_except(void **state)
{
    (void)state;
    mqtt_prop props[] = {
        mqtt_prop_int(MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, 1),
        mqtt_prop_user(mqtt_str("k"), mqtt_str("v")),
        mqtt_prop_int(MQTT_PROP_TOPIC_ALIAS, 3),
        mqtt_prop_int(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, 60),
    };
    uint8_t buf[128], out[128];
    size_t len, olen, n;
    mqtt_packet p, d, e;
    mqtt_prop kept[4];
    static const uint8_t drop[] = {MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, MQTT_PROP_TOPIC_ALIAS};

    mqtt_packet_init(&p, MQTT_PUBLISH);
    p.publish.qos = 1;
    p.publish.packet_id = 7;
    p.publish.topic = mqtt_str("a/b");
    p.publish.payload = mqtt_str("clear");
    p.publish.props = mqtt_props_array(props, 4);
    assert_int_equal(mqtt_encode(buf, sizeof buf, &len, &p, MQTT_V5, 0), MQTT_OK);
    assert_int_equal(mqtt_decode(buf, len, MQTT_V5, &d), MQTT_OK);

    /* too small: the number needed */
    assert_int_equal(mqtt_props_copy_except(kept, 1, &n, &d.publish.props, drop, 2),
                     MQTT_ERR_NO_SPACE);
    assert_int_equal(n, 2);
    assert_int_equal(mqtt_props_copy_except(kept, 4, &n, &d.publish.props, drop, 2), MQTT_OK);
    assert_int_equal(n, 2);
    assert_int_equal(kept[0].id, MQTT_PROP_USER_PROPERTY);
    assert_int_equal(kept[1].id, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL);
    assert_int_equal(kept[1].num, 60);
    /* nothing dropped: all four, from an array too */
    assert_int_equal(mqtt_props_copy_except(kept, 4, &n, &p.publish.props, NULL, 0), MQTT_OK);
    assert_int_equal(n, 4);
    assert_int_equal(mqtt_props_copy_except(kept, 4, &n, NULL, NULL, 0), MQTT_ERR_ARG);

    /* re-encode with a new payload and the kept properties */
    assert_int_equal(mqtt_props_copy_except(kept, 4, &n, &d.publish.props, drop, 2), MQTT_OK);
    d.publish.payload = mqtt_str("ciphertext!");
    d.publish.props = mqtt_props_array(kept, n);
    assert_int_equal(mqtt_encode(out, sizeof out, &olen, &d, MQTT_V5, 0), MQTT_OK);
    assert_int_equal(mqtt_decode(out, olen, MQTT_V5, &e), MQTT_OK);
    assert_int_equal(e.publish.packet_id, 7);
    assert_int_equal(e.publish.qos, 1);
    assert_int_equal(e.publish.payload.len, 11);
    assert_int_equal(mqtt_props_count(&e.publish.props, MQTT_PROP_TOPIC_ALIAS), 0);
    assert_int_equal(mqtt_props_count(&e.publish.props, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR), 0);
    assert_int_equal(mqtt_props_count(&e.publish.props, MQTT_PROP_USER_PROPERTY), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint),
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_connect_v311),
        cmocka_unit_test(test_connect_v5),
        cmocka_unit_test(test_connect_errors),
        cmocka_unit_test(test_connack),
        cmocka_unit_test(test_publish),
        cmocka_unit_test(test_props_copy_except),
        cmocka_unit_test(test_malformed_builders),
        cmocka_unit_test(test_acks),
        cmocka_unit_test(test_subscribe),
        cmocka_unit_test(test_suback_unsub),
        cmocka_unit_test(test_ping_disconnect_auth),
        cmocka_unit_test(test_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
