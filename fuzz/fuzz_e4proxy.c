/*
 * fuzz_e4proxy.c - libFuzzer target for e4proxy's packet handling, both
 * directions, through the per-connection session without sockets.
 *
 * Input: byte 0 picks MQTT 3.1.1 or 5.0 and whether the session is opened
 * first (a valid CONNECT and CONNACK) or starts raw; then chunks of
 * [side][length][bytes] fed from the client (side even) or the broker (odd).
 * Half the chunks' PUBLISH-looking payloads can be real protected messages:
 * the target protects the chunk under the topic key when side & 2.
 * Invariant: whatever the proxy writes to either side frames and decodes
 * as valid packets of the session's version (it never emits a malformed
 * packet), and nothing crashes or leaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static proxy px;

static void init_once(void)
{
    static int done;
    uint8_t id[E4_ID_LEN] = {1}, key[E4_KEY_LEN] = {2}, tk[E4_KEY_LEN] = {3};
    e4_client_options o = {.replay_cache = E4_REPLAY_COMMANDS_ONLY};
    e4_client *e4;

    if (done)
        return;
    done = 1;
    plog_enabled = false;
    px.conf.max_packet = 8192;
    px.replay_check = true;
    CHECK(e4_client_new_sk(&e4, id, key, &o) == E4_OK);
    CHECK(e4_client_set_topic_key(e4, "s/t", tk) == E4_OK);
    CHECK(ids_adopt(&px, e4) == 0);
    CHECK(proxy_prepare(&px) == 0);
    CHECK(policy_add(&px.pol, "#", 0) == 0);
    CHECK(policy_add(&px.pol, "open/#", 1) == 0);
}

/* Every packet in s->out is valid; then the buffer is emptied. */
static void check_output(pconn *pc, struct side *s)
{
    size_t off = 0, len;
    mqtt_packet p;
    while (off < s->out.len) {
        CHECK(mqtt_frame(s->out.data + off, s->out.len - off, 0, &len) == MQTT_OK);
        CHECK(mqtt_decode(s->out.data + off, len, pc->version, &p) == MQTT_OK);
        off += len;
    }
    pbuf_free(&s->out);
}

static int feed_packet(pconn *pc, struct side *s, const mqtt_packet *p)
{
    uint8_t buf[256];
    size_t len;
    CHECK(mqtt_encode(buf, sizeof buf, &len, p, pc->version ? pc->version : MQTT_V5, 0) == MQTT_OK);
    return session_feed(&px, pc, s, buf, len);
}

static int open_session(pconn *pc, int version)
{
    mqtt_packet p;
    mqtt_prop cp[] = {mqtt_prop_int(MQTT_PROP_TOPIC_ALIAS_MAXIMUM, 4),
                      mqtt_prop_int(MQTT_PROP_MAXIMUM_PACKET_SIZE, 2048)};

    mqtt_packet_init(&p, MQTT_CONNECT);
    p.connect.protocol_level = (uint8_t)version;
    p.connect.client_id = mqtt_str("fuzz");
    if (version == MQTT_V5)
        p.connect.props = mqtt_props_array(cp, 2);
    pc->version = version; /* for the encoder; the session sets it again */
    if (feed_packet(pc, &pc->down, &p) != 0)
        return -1;
    mqtt_packet_init(&p, MQTT_CONNACK);
    return feed_packet(pc, &pc->up, &p);
}

/* A PUBLISH on s/t whose payload is the chunk protected under the key. */
static int feed_protected(pconn *pc, const uint8_t *chunk, size_t len)
{
    static uint8_t ct[512], buf[700];
    size_t clen, plen;
    mqtt_packet p;

    if (e4_client_protect(px.ids[0].e4, "s/t", chunk, len, ct, sizeof ct, &clen) != E4_OK)
        return 0;
    mqtt_packet_init(&p, MQTT_PUBLISH);
    p.publish.topic = mqtt_str("s/t");
    p.publish.payload = mqtt_bin(ct, clen);
    p.publish.qos = (uint8_t)(len % 3);
    p.publish.packet_id = p.publish.qos ? (uint16_t)(len + 1) : 0;
    if (mqtt_encode(buf, sizeof buf, &plen, &p, pc->version, 0) != MQTT_OK)
        return 0;
    return session_feed(&px, pc, &pc->up, buf, plen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pconn pc;
    size_t off = 1;
    int rc = 0;

    init_once();
    if (size < 1)
        return 0;
    session_init(&pc, 1);
    if ((data[0] & 2) && open_session(&pc, (data[0] & 1) ? MQTT_V5 : MQTT_V311) != 0)
        rc = -1;
    while (rc == 0 && off + 2 <= size) {
        uint8_t side = data[off];
        size_t len = data[off + 1];
        if (len > size - off - 2)
            len = size - off - 2;
        if ((side & 3) == 3 && pc.state == PC_OPEN)
            rc = feed_protected(&pc, data + off + 2, len);
        else
            rc = session_feed(&px, &pc, (side & 1) ? &pc.up : &pc.down, data + off + 2, len);
        if (pc.version) {
            check_output(&pc, &pc.up);
            check_output(&pc, &pc.down);
        }
        off += 2 + len;
    }
    session_free(&pc);
    return 0;
}
