/*
 * fuzz_mqtt_decode.c - libFuzzer target for lib/mqtt.
 *
 * Frames the input as a stream of packets; decodes each packet with 3.1.1,
 * 5.0 (and version 0 for CONNECT); iterates properties and lists; re-encodes
 * every successfully decoded packet and checks that the re-encoding decodes
 * to the same packet and re-encodes to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include "check.h"

static size_t sink;

static void walk_props(const mqtt_props *p)
{
    size_t off = 0, n = 0;
    mqtt_prop v;
    while (mqtt_props_next(p, &off, &v)) {
        sink += v.id + v.num + v.str.len + v.val.len;
        if (v.str.len)
            sink += v.str.ptr[v.str.len - 1];
        if (v.val.len)
            sink += v.val.ptr[0];
        (void)mqtt_prop_name(v.id);
        n++;
    }
    CHECK(n == p->count);
    uint32_t x;
    (void)mqtt_props_get_int(p, MQTT_PROP_MAXIMUM_QOS, &x);
    mqtt_bytes b;
    (void)mqtt_props_get_bytes(p, MQTT_PROP_REASON_STRING, &b);
}

static void walk(const mqtt_packet *p, int version)
{
    size_t off = 0, n = 0;
    switch (p->type) {
    case MQTT_CONNECT:
        walk_props(&p->connect.props);
        walk_props(&p->connect.will_props);
        break;
    case MQTT_CONNACK:
        walk_props(&p->connack.props);
        (void)mqtt_reason_name_for(version, p->type, p->connack.reason_code);
        break;
    case MQTT_PUBLISH: walk_props(&p->publish.props); break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
        walk_props(&p->ack.props);
        (void)mqtt_reason_name(p->ack.reason_code);
        break;
    case MQTT_SUBSCRIBE: {
        mqtt_sub s;
        walk_props(&p->subscribe.props);
        while (mqtt_sub_next(&p->subscribe, &off, &s)) {
            CHECK(mqtt_topic_filter_validate(s.filter.ptr, s.filter.len) == MQTT_OK);
            n++;
        }
        CHECK(n == p->subscribe.count);
        break;
    }
    case MQTT_UNSUBSCRIBE: {
        mqtt_bytes f;
        walk_props(&p->unsubscribe.props);
        while (mqtt_unsub_next(&p->unsubscribe, &off, &f))
            n++;
        CHECK(n == p->unsubscribe.count);
        break;
    }
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
        walk_props(&p->suback.props);
        for (size_t i = 0; i < p->suback.count; i++)
            CHECK(mqtt_reason_valid(version, p->type, p->suback.codes[i]));
        break;
    case MQTT_DISCONNECT:
    case MQTT_AUTH: walk_props(&p->disconnect.props); break;
    default: break;
    }
}

static uint8_t out1[1 << 17], out2[1 << 17];

static void one(const uint8_t *pkt, size_t n, int version)
{
    mqtt_packet p;
    if (mqtt_decode(pkt, n, version, &p) != MQTT_OK) {
        /* raw re-encoding of whatever was decoded must not crash either */
        size_t len;
        (void)mqtt_encode(out1, sizeof out1, &len, &p, version ? version : MQTT_V5, MQTT_ENC_RAW);
        return;
    }
    if (version == 0)
        version = p.connect.protocol_level;
    walk(&p, version);

    size_t len1 = 0, len2 = 0;
    mqtt_err e = mqtt_encode(out1, sizeof out1, &len1, &p, version, MQTT_ENC_DEFAULT);
    CHECK(e == MQTT_OK || e == MQTT_ERR_NO_SPACE);
    if (e != MQTT_OK)
        return;
    /* encoder picks the shortest form, so sizes may differ; decode again */
    mqtt_packet q;
    CHECK(mqtt_decode(out1, len1, version, &q) == MQTT_OK);
    CHECK(q.type == p.type);
    CHECK(mqtt_encode(out2, sizeof out2, &len2, &q, version, MQTT_ENC_DEFAULT) == MQTT_OK);
    CHECK(len1 == len2 && memcmp(out1, out2, len1) == 0);
    if (p.type == MQTT_PUBLISH) {
        CHECK(q.publish.qos == p.publish.qos && q.publish.packet_id == p.publish.packet_id);
        CHECK(q.publish.payload.len == p.publish.payload.len);
        CHECK(q.publish.topic.len == p.publish.topic.len);
        CHECK(q.publish.props.raw.len == p.publish.props.raw.len);
    }
    /* raw flags + no validation gives the same bytes for a valid packet */
    size_t len3 = 0;
    CHECK(mqtt_encode(out2, sizeof out2, &len3, &p, version, MQTT_ENC_RAW) == MQTT_OK);
    CHECK(len3 == len1 && memcmp(out1, out2, len1) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    while (off < size) {
        size_t plen = 0;
        mqtt_err e = mqtt_frame(data + off, size - off, 1 << 16, &plen);
        if (e != MQTT_OK) {
            /* decode the rest anyway: must fail cleanly */
            mqtt_packet p;
            mqtt_err d = mqtt_decode(data + off, size - off, MQTT_V5, &p);
            if (e != MQTT_ERR_TOO_LARGE)
                CHECK(d != MQTT_OK);
            break;
        }
        CHECK(plen >= 2 && plen <= size - off);
        one(data + off, plen, MQTT_V311);
        one(data + off, plen, MQTT_V5);
        if ((data[off] >> 4) == MQTT_CONNECT)
            one(data + off, plen, 0);
        off += plen;
    }
    /* text validators on the raw input */
    size_t n = size > 65535 ? 65535 : size;
    (void)mqtt_utf8_validate(data, n, NULL);
    if (mqtt_topic_filter_validate(data, n) == MQTT_OK && n > 0)
        sink += mqtt_topic_match(data, n, (const uint8_t *)"a/b", 3);
    return 0;
}
