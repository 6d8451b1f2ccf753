/*
 * test_mqtt_validate.c - lib/mqtt: UTF-8, topic names/filters, matching,
 * v5 properties, reason codes, error strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mqtt.h"

#define U8(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

static void utf8_is(const uint8_t *s, size_t n, mqtt_err want, unsigned want_info)
{
    unsigned info = 99;
    mqtt_err e = mqtt_utf8_validate(s, n, &info);
    if (e != want)
        fail_msg("utf8: got %s, want %s", mqtt_strerror(e), mqtt_strerror(want));
    if (want == MQTT_OK)
        assert_int_equal(info, want_info);
}

static void test_utf8(void **state)
{
    (void)state;
    utf8_is(NULL, 0, MQTT_OK, 0);
    utf8_is(U8('a', 'b', 'c'), MQTT_OK, 0);
    utf8_is(U8('h', 0xC3, 0xA9, 'l'), MQTT_OK, 0);                       /* é */
    utf8_is(U8(0xE2, 0x82, 0xAC), MQTT_OK, 0);                           /* € */
    utf8_is(U8(0xF0, 0x9F, 0x98, 0x80), MQTT_OK, 0);                     /* U+1F600 */
    utf8_is(U8(0xF4, 0x8F, 0xBF, 0xBD), MQTT_OK, 0);                     /* U+10FFFD */
    utf8_is(U8(0xED, 0x9F, 0xBF), MQTT_OK, 0);                           /* U+D7FF */
    utf8_is(U8(0xEE, 0x80, 0x80), MQTT_OK, 0);                           /* U+E000 */
    utf8_is(U8('a', 0x01), MQTT_OK, MQTT_UTF8_HAS_CONTROL);              /* U+0001 */
    utf8_is(U8(0x7F), MQTT_OK, MQTT_UTF8_HAS_CONTROL);                   /* DEL */
    utf8_is(U8(0xC2, 0x85), MQTT_OK, MQTT_UTF8_HAS_CONTROL);             /* U+0085 */
    utf8_is(U8(0xEF, 0xBF, 0xBF), MQTT_OK, MQTT_UTF8_HAS_NONCHAR);       /* U+FFFF */
    utf8_is(U8(0xEF, 0xB7, 0x90), MQTT_OK, MQTT_UTF8_HAS_NONCHAR);       /* U+FDD0 */
    utf8_is(U8(0xF4, 0x8F, 0xBF, 0xBF), MQTT_OK, MQTT_UTF8_HAS_NONCHAR); /* U+10FFFF */

    utf8_is(U8(0xC3, 0x28), MQTT_ERR_UTF8, 0);      /* bad continuation */
    utf8_is(U8(0x80), MQTT_ERR_UTF8, 0);            /* lone continuation */
    utf8_is(U8('a', 0xE2, 0x82), MQTT_ERR_UTF8, 0); /* truncated */
    utf8_is(U8(0xC3), MQTT_ERR_UTF8, 0);            /* truncated */
    utf8_is(U8(0xF8, 0x88, 0x80, 0x80, 0x80), MQTT_ERR_UTF8, 0);
    utf8_is(U8(0xFF), MQTT_ERR_UTF8, 0);
    utf8_is(U8(0xC0, 0x80), MQTT_ERR_UTF8_OVERLONG, 0); /* overlong U+0000 */
    utf8_is(U8(0xC1, 0xBF), MQTT_ERR_UTF8_OVERLONG, 0);
    utf8_is(U8(0xE0, 0x80, 0xAF), MQTT_ERR_UTF8_OVERLONG, 0); /* overlong '/' */
    utf8_is(U8(0xF0, 0x8F, 0xBF, 0xBF), MQTT_ERR_UTF8_OVERLONG, 0);
    utf8_is(U8(0xED, 0xA0, 0x80), MQTT_ERR_UTF8_SURROGATE, 0);   /* U+D800 */
    utf8_is(U8(0xED, 0xBF, 0xBF), MQTT_ERR_UTF8_SURROGATE, 0);   /* U+DFFF */
    utf8_is(U8(0xF4, 0x90, 0x80, 0x80), MQTT_ERR_UTF8_RANGE, 0); /* U+110000 */
    utf8_is(U8('a', 0x00, 'b'), MQTT_ERR_UTF8_NUL, 0);

    static uint8_t big[65536];
    memset(big, 'a', sizeof big);
    assert_int_equal(mqtt_utf8_validate(big, 65535, NULL), MQTT_OK);
    assert_int_equal(mqtt_utf8_validate(big, 65536, NULL), MQTT_ERR_STRING_TOO_LONG);
}

static mqtt_err name(const char *s)
{
    return mqtt_topic_name_validate((const uint8_t *)s, strlen(s));
}
static mqtt_err filt(const char *s)
{
    return mqtt_topic_filter_validate((const uint8_t *)s, strlen(s));
}

static void test_topics(void **state)
{
    (void)state;
    assert_int_equal(name("a/b"), MQTT_OK);
    assert_int_equal(name("/"), MQTT_OK);
    assert_int_equal(name("$SYS/broker/version"), MQTT_OK);
    assert_int_equal(name(""), MQTT_ERR_TOPIC_EMPTY);
    assert_int_equal(name("a/+"), MQTT_ERR_TOPIC_WILDCARD);
    assert_int_equal(name("#"), MQTT_ERR_TOPIC_WILDCARD);
    assert_int_equal(name("a#"), MQTT_ERR_TOPIC_WILDCARD);
    assert_int_equal(mqtt_topic_name_validate(U8(0xC3, 0x28)), MQTT_ERR_UTF8);
    assert_int_equal(mqtt_topic_name_validate(U8('a', 0x00)), MQTT_ERR_UTF8_NUL);

    const char *ok[] = {"+/+/#",          "#",     "$SYS/#", "+",  "a//b", "/",
                        "sport/tennis/#", "a/+/c", "/+",     "+/", "a/#",  "$share/g/a/+"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (filt(ok[i]) != MQTT_OK)
            fail_msg("filter %s: %s", ok[i], mqtt_strerror(filt(ok[i])));
    assert_int_equal(filt(""), MQTT_ERR_TOPIC_EMPTY);
    assert_int_equal(filt("a/#/b"), MQTT_ERR_FILTER_HASH);
    assert_int_equal(filt("#a"), MQTT_ERR_FILTER_HASH);
    assert_int_equal(filt("a#"), MQTT_ERR_FILTER_HASH);
    assert_int_equal(filt("a/#/"), MQTT_ERR_FILTER_HASH);
    assert_int_equal(filt("##"), MQTT_ERR_FILTER_HASH);
    assert_int_equal(filt("a+"), MQTT_ERR_FILTER_PLUS);
    assert_int_equal(filt("A+"), MQTT_ERR_FILTER_PLUS);
    assert_int_equal(filt("+a"), MQTT_ERR_FILTER_PLUS);
    assert_int_equal(filt("a/b+/c"), MQTT_ERR_FILTER_PLUS);
    assert_int_equal(filt("++"), MQTT_ERR_FILTER_PLUS);
    assert_int_equal(mqtt_topic_filter_validate(U8('a', '/', 0xED, 0xA0, 0x80)),
                     MQTT_ERR_UTF8_SURROGATE);
}

static bool match(const char *f, const char *t)
{
    return mqtt_topic_match((const uint8_t *)f, strlen(f), (const uint8_t *)t, strlen(t));
}

static void test_match(void **state)
{
    (void)state;
    assert_true(match("a/b", "a/b"));
    assert_false(match("a/b", "a/c"));
    assert_false(match("a/b", "a/b/c"));
    assert_false(match("a/b/c", "a/b"));
    assert_true(match("a/+", "a/b"));
    assert_true(match("a/+", "a/"));
    assert_false(match("a/+", "a/b/c"));
    assert_true(match("+/+", "/x"));
    assert_true(match("#", "a/b/c"));
    assert_true(match("a/#", "a"));
    assert_true(match("a/#", "a/b/c"));
    assert_false(match("a/#", "ab"));
    assert_true(match("sport/+/player1", "sport/tennis/player1"));
    assert_false(match("#", "$SYS/x"));
    assert_false(match("+/x", "$SYS/x"));
    assert_true(match("$SYS/#", "$SYS/broker/version"));
}

static void test_props(void **state)
{
    (void)state;
    /* one property of every type, encoded to bytes and iterated back */
    static const uint8_t cd[] = {0x00, 0xFF};
    mqtt_prop items[] = {
        mqtt_prop_int(MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, 1),
        mqtt_prop_int(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, 0x01020304),
        mqtt_prop_bytes(MQTT_PROP_CONTENT_TYPE, mqtt_str("text/plain")),
        mqtt_prop_bytes(MQTT_PROP_RESPONSE_TOPIC, mqtt_str("r/t")),
        mqtt_prop_bytes(MQTT_PROP_CORRELATION_DATA, mqtt_bin(cd, 2)),
        mqtt_prop_int(MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 268435455),
        mqtt_prop_int(MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 1),
        mqtt_prop_int(MQTT_PROP_TOPIC_ALIAS, 0x0102),
        mqtt_prop_user(mqtt_str("a"), mqtt_str("1")),
        mqtt_prop_user(mqtt_str("a"), mqtt_str("2")),
    };
    mqtt_props p = mqtt_props_array(items, 10);
    assert_int_equal(mqtt_props_validate(&p, MQTT_PUBLISH), MQTT_OK);
    static const uint8_t exp[] = {
        0x01, 0x01,                                                            /* PFI */
        0x02, 0x01, 0x02, 0x03, 0x04,                                          /* expiry */
        0x03, 0x00, 0x0A, 't',  'e',  'x',  't', '/', 'p', 'l', 'a', 'i', 'n', /* content type */
        0x08, 0x00, 0x03, 'r',  '/',  't',                                     /* response topic */
        0x09, 0x00, 0x02, 0x00, 0xFF,                                          /* correlation */
        0x0B, 0xFF, 0xFF, 0xFF, 0x7F,                                          /* sub id max */
        0x0B, 0x01,                                                            /* sub id 1 */
        0x23, 0x01, 0x02,                                                      /* topic alias */
        0x26, 0x00, 0x01, 'a',  0x00, 0x01, '1',                               /* user */
        0x26, 0x00, 0x01, 'a',  0x00, 0x01, '2',                               /* user */
    };
    uint8_t buf[128];
    size_t len = 0, sz = 0;
    assert_int_equal(mqtt_props_size(&p, &sz), MQTT_OK);
    assert_int_equal(sz, sizeof exp);
    assert_int_equal(mqtt_props_encode(buf, sizeof buf, &len, &p), MQTT_OK);
    assert_int_equal(len, sizeof exp);
    assert_memory_equal(buf, exp, sizeof exp);
    assert_int_equal(mqtt_props_encode(buf, 3, &len, &p), MQTT_ERR_NO_SPACE);

    mqtt_props r = {0};
    r.raw = mqtt_bin(exp, sizeof exp);
    assert_int_equal(mqtt_props_validate(&r, MQTT_PUBLISH), MQTT_OK);
    size_t off = 0, i = 0;
    mqtt_prop v;
    while (mqtt_props_next(&r, &off, &v)) {
        assert_true(i < 10);
        assert_int_equal(v.id, items[i].id);
        assert_int_equal(v.num, items[i].num);
        assert_int_equal(v.str.len, items[i].str.len);
        if (v.str.len)
            assert_memory_equal(v.str.ptr, items[i].str.ptr, v.str.len);
        assert_int_equal(v.val.len, items[i].val.len);
        if (v.val.len)
            assert_memory_equal(v.val.ptr, items[i].val.ptr, v.val.len);
        i++;
    }
    assert_int_equal(i, 10);
    assert_int_equal(mqtt_props_count(&r, MQTT_PROP_USER_PROPERTY), 2);
    assert_int_equal(mqtt_props_count(&r, MQTT_PROP_SUBSCRIPTION_IDENTIFIER), 2);
    assert_int_equal(mqtt_props_count(&p, MQTT_PROP_USER_PROPERTY), 2);
    uint32_t n;
    assert_int_equal(mqtt_props_get_int(&r, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, &n), MQTT_OK);
    assert_int_equal(n, 0x01020304);
    assert_int_equal(mqtt_props_get_int(&r, MQTT_PROP_CONTENT_TYPE, &n), MQTT_ERR_PROPERTY);
    mqtt_bytes b;
    assert_int_equal(mqtt_props_get_bytes(&r, MQTT_PROP_CORRELATION_DATA, &b), MQTT_OK);
    assert_int_equal(b.len, 2);
    assert_int_equal(b.ptr[1], 0xFF);
    assert_int_equal(mqtt_props_get_bytes(&r, MQTT_PROP_REASON_STRING, &b), MQTT_ERR_NOT_FOUND);
    assert_int_equal(mqtt_props_get_bytes(&r, MQTT_PROP_TOPIC_ALIAS, &b), MQTT_ERR_PROPERTY);

    /* not allowed there, duplicates */
    assert_int_equal(mqtt_props_validate(&r, MQTT_CONNACK), MQTT_ERR_PROPERTY);
    assert_int_equal(mqtt_props_validate(&r, -1), MQTT_OK);
    mqtt_prop dup[] = {mqtt_prop_bytes(MQTT_PROP_CONTENT_TYPE, mqtt_str("a")),
                       mqtt_prop_bytes(MQTT_PROP_CONTENT_TYPE, mqtt_str("b"))};
    mqtt_props d = mqtt_props_array(dup, 2);
    assert_int_equal(mqtt_props_validate(&d, MQTT_PUBLISH), MQTT_ERR_PROPERTY_DUP);
    d.raw = mqtt_bin(U8(0x03, 0x00, 0x01, 'a', 0x03, 0x00, 0x01, 'b'));
    d.items = NULL;
    assert_int_equal(mqtt_props_validate(&d, MQTT_PUBLISH), MQTT_ERR_PROPERTY_DUP);
    mqtt_prop sid2[] = {mqtt_prop_int(MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 1),
                        mqtt_prop_int(MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 2)};
    d = mqtt_props_array(sid2, 2);
    assert_int_equal(mqtt_props_validate(&d, MQTT_PUBLISH), MQTT_OK);
    assert_int_equal(mqtt_props_validate(&d, MQTT_SUBSCRIBE), MQTT_ERR_PROPERTY_DUP);

    /* values */
    struct {
        mqtt_prop pr;
        int where;
        mqtt_err want;
    } vals[] = {
        {mqtt_prop_int(MQTT_PROP_MAXIMUM_QOS, 2), MQTT_CONNACK, MQTT_ERR_PROPERTY_VALUE},
        {mqtt_prop_int(MQTT_PROP_MAXIMUM_QOS, 0), MQTT_CONNACK, MQTT_OK},
        {mqtt_prop_int(MQTT_PROP_RECEIVE_MAXIMUM, 0), MQTT_CONNECT, MQTT_ERR_PROPERTY_VALUE},
        {mqtt_prop_int(MQTT_PROP_RECEIVE_MAXIMUM, 65536), MQTT_CONNECT, MQTT_ERR_PROPERTY_VALUE},
        {mqtt_prop_int(MQTT_PROP_MAXIMUM_PACKET_SIZE, 0), MQTT_CONNECT, MQTT_ERR_PROPERTY_VALUE},
        {mqtt_prop_int(MQTT_PROP_REQUEST_PROBLEM_INFORMATION, 2), MQTT_CONNECT,
         MQTT_ERR_PROPERTY_VALUE},
        {mqtt_prop_int(MQTT_PROP_SUBSCRIPTION_IDENTIFIER, 0), MQTT_SUBSCRIBE,
         MQTT_ERR_PROPERTY_VALUE},
        {mqtt_prop_bytes(MQTT_PROP_RESPONSE_TOPIC, mqtt_str("a/#")), MQTT_PUBLISH,
         MQTT_ERR_PROPERTY_VALUE},
        {mqtt_prop_bytes(MQTT_PROP_REASON_STRING, mqtt_bin("\xc3\x28", 2)), MQTT_PUBACK,
         MQTT_ERR_UTF8},
        {mqtt_prop_user(mqtt_str("k"), mqtt_bin("\xed\xa0\x80", 3)), MQTT_AUTH,
         MQTT_ERR_UTF8_SURROGATE},
        {mqtt_prop_int(MQTT_PROP_WILL_DELAY_INTERVAL, 1), MQTT_PROPS_WILL, MQTT_OK},
        {mqtt_prop_int(MQTT_PROP_WILL_DELAY_INTERVAL, 1), MQTT_CONNECT, MQTT_ERR_PROPERTY},
        {mqtt_prop_int(0x05, 1), MQTT_CONNECT, MQTT_ERR_PROPERTY},
    };
    for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++) {
        mqtt_props one = mqtt_props_array(&vals[k].pr, 1);
        mqtt_err e = mqtt_props_validate(&one, vals[k].where);
        if (e != vals[k].want)
            fail_msg("value case %zu: got %s", k, mqtt_strerror(e));
    }
    /* malformed raw lists */
    mqtt_props m = {0};
    m.raw = mqtt_bin(U8(0x05, 0x00));
    assert_int_equal(mqtt_props_validate(&m, -1), MQTT_ERR_PROPERTY); /* unknown id */
    m.raw = mqtt_bin(U8(0x02, 0x00, 0x00));
    assert_int_equal(mqtt_props_validate(&m, -1), MQTT_ERR_TRUNCATED);
    m.raw = mqtt_bin(U8(0x0B, 0x80, 0x80, 0x80, 0x80));
    assert_int_equal(mqtt_props_validate(&m, -1), MQTT_ERR_MALFORMED_LENGTH);
    m.raw = mqtt_bin(U8(0x26, 0x00, 0x01, 'k'));
    assert_int_equal(mqtt_props_validate(&m, -1), MQTT_ERR_TRUNCATED);
    off = 0;
    assert_false(mqtt_props_next(&m, &off, &v));

    /* table */
    assert_int_equal(mqtt_prop_type_of(MQTT_PROP_USER_PROPERTY), MQTT_PT_PAIR);
    assert_int_equal(mqtt_prop_type_of(MQTT_PROP_SUBSCRIPTION_IDENTIFIER), MQTT_PT_VARINT);
    assert_int_equal(mqtt_prop_type_of(MQTT_PROP_AUTHENTICATION_DATA), MQTT_PT_BINARY);
    assert_int_equal(mqtt_prop_type_of(MQTT_PROP_SERVER_KEEP_ALIVE), MQTT_PT_U16);
    assert_int_equal(mqtt_prop_type_of(0x04), MQTT_PT_NONE);
    assert_int_equal(mqtt_prop_type_of(0xFF), MQTT_PT_NONE);
    assert_string_equal(mqtt_prop_name(MQTT_PROP_MAXIMUM_QOS), "Maximum QoS");
    assert_string_equal(mqtt_prop_name(0x2B), "Unknown");
    assert_true(mqtt_prop_allowed(MQTT_PROP_USER_PROPERTY, MQTT_PROPS_WILL));
    assert_false(mqtt_prop_allowed(MQTT_PROP_USER_PROPERTY, MQTT_PINGREQ));
    assert_true(mqtt_prop_allowed(MQTT_PROP_SERVER_REFERENCE, MQTT_DISCONNECT));
}

static void test_reason_and_strings(void **state)
{
    (void)state;
    assert_string_equal(mqtt_reason_name(0x87), "Not authorized");
    assert_string_equal(mqtt_reason_name(0x00), "Success");
    assert_string_equal(mqtt_reason_name(0xA2), "Wildcard Subscriptions not supported");
    assert_null(mqtt_reason_name(0x03));
    assert_string_equal(mqtt_reason_name_for(MQTT_V5, MQTT_DISCONNECT, 0), "Normal disconnection");
    assert_string_equal(mqtt_reason_name_for(MQTT_V5, MQTT_SUBACK, 0), "Granted QoS 0");
    assert_string_equal(mqtt_reason_name_for(MQTT_V5, MQTT_AUTH, 0x18), "Continue authentication");
    assert_string_equal(mqtt_reason_name_for(MQTT_V311, MQTT_CONNACK, 5),
                        "Connection Refused, not authorized");
    assert_string_equal(mqtt_reason_name_for(MQTT_V311, MQTT_SUBACK, 0x80), "Failure");
    assert_null(mqtt_reason_name_for(MQTT_V311, MQTT_CONNACK, 6));
    assert_null(mqtt_reason_name_for(MQTT_V5, MQTT_PUBREL, 0x10));
    assert_true(mqtt_reason_valid(MQTT_V5, MQTT_DISCONNECT, 0x81));
    assert_false(mqtt_reason_valid(MQTT_V5, MQTT_PUBACK, 0x81));
    assert_false(mqtt_reason_valid(MQTT_V5, MQTT_PUBACK, 0x92));
    assert_true(mqtt_reason_valid(MQTT_V5, MQTT_PUBCOMP, 0x92));
    assert_false(mqtt_reason_valid(MQTT_V5, MQTT_DISCONNECT, 0x01));

    for (int e = MQTT_OK; e <= MQTT_ERR_NOT_FOUND; e++)
        assert_string_not_equal(mqtt_strerror((mqtt_err)e), "unknown error");
    assert_string_equal(mqtt_strerror((mqtt_err)999), "unknown error");
    assert_string_equal(mqtt_type_name(MQTT_UNSUBACK), "UNSUBACK");
    assert_string_equal(mqtt_type_name(0), "UNKNOWN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_topics),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_props),
        cmocka_unit_test(test_reason_and_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
