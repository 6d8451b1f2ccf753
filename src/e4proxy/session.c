/* One connection pair's MQTT session, without sockets: every packet from
 * either side is framed, decoded (a malformed or oversized one closes the
 * pair) and forwarded, changed only where protection needs it. */
#include "proxy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void session_init(pconn *pc, uint64_t serial)
{
    memset(pc, 0, sizeof *pc);
    pc->serial = serial;
    pc->state = PC_WAIT_CONNECT;
    pc->down.kind = TAG_DOWN;
    pc->up.kind = TAG_UP;
    pc->down.fd = pc->up.fd = -1;
    pc->down.pc = pc->up.pc = pc;
}

static void side_free(struct side *s)
{
    int i;
    pbuf_free(&s->in);
    pbuf_free(&s->out);
    if (s->alias) {
        for (i = 0; i <= PROXY_ALIAS_MAX; i++)
            free(s->alias[i]);
        free(s->alias);
        s->alias = NULL;
    }
    free(s->held);
    s->held = NULL;
    s->nheld = s->capheld = 0;
}

void session_free(pconn *pc)
{
    side_free(&pc->down);
    side_free(&pc->up);
    free(pc->seen);
    pc->seen = NULL;
}

int session_send(pconn *pc, struct side *to, const mqtt_packet *p)
{
    size_t need = 0;
    uint8_t *dst;
    mqtt_err err = mqtt_encode(NULL, 0, &need, p, pc->version, 0);

    if (err != MQTT_ERR_NO_SPACE && err != MQTT_OK)
        return -1;
    if (!(dst = pbuf_reserve(&to->out, need)))
        return -1;
    if (mqtt_encode(dst, need, &need, p, pc->version, 0) != MQTT_OK)
        return -1;
    to->out.len += need;
    return 0;
}

/* ---- CONNECT and CONNACK ---- */

static void refuse(pconn *pc, const char *why)
{
    mqtt_packet ack;
    mqtt_packet_init(&ack, MQTT_CONNACK);
    ack.connack.reason_code =
        pc->version == MQTT_V5 ? MQTT_RC_NOT_AUTHORIZED : MQTT_V3_CONNACK_NOT_AUTHORIZED;
    (void)session_send(pc, &pc->down, &ack);
    plog("warn", "refused", pc->serial, why);
    pc->state = PC_CLOSING;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* The CONNECT's properties as the broker gets them: the maximum packet
 * size the client accepts grows by the protection's overhead (what arrives
 * protected shrinks on its way down) within the proxy's own limit; topic
 * aliases from the broker are resolved here, so at most PROXY_ALIAS_MAX. */
static size_t connect_props(proxy *px, pconn *pc, const mqtt_props *in, mqtt_prop *out, size_t cap)
{
    static const uint8_t drop[] = {MQTT_PROP_MAXIMUM_PACKET_SIZE, MQTT_PROP_TOPIC_ALIAS_MAXIMUM};
    uint32_t client_max = 0, aliases = 0;
    uint64_t up_max = px->conf.max_packet;
    size_t n = 0;

    (void)mqtt_props_get_int(in, MQTT_PROP_MAXIMUM_PACKET_SIZE, &client_max);
    (void)mqtt_props_get_int(in, MQTT_PROP_TOPIC_ALIAS_MAXIMUM, &aliases);
    pc->down.max_packet = client_max;
    if (client_max && (uint64_t)client_max + pc->id->overhead < up_max)
        up_max = (uint64_t)client_max + pc->id->overhead;
    (void)mqtt_props_copy_except(out, cap - 2, &n, in, drop, sizeof drop);
    out[n++] = mqtt_prop_int(MQTT_PROP_MAXIMUM_PACKET_SIZE, (uint32_t)up_max);
    pc->up.alias_max = (uint16_t)min_u32(aliases, PROXY_ALIAS_MAX);
    if (pc->up.alias_max)
        out[n++] = mqtt_prop_int(MQTT_PROP_TOPIC_ALIAS_MAXIMUM, pc->up.alias_max);
    return n;
}

static mqtt_prop *props_array(const mqtt_props *p, size_t extra, size_t *cap)
{
    *cap = p->count + extra;
    return malloc(*cap * sizeof(mqtt_prop));
}

static int handle_connect(proxy *px, pconn *pc, mqtt_packet *p)
{
    mqtt_connect *c = &p->connect;
    mqtt_prop *props = NULL, *wprops = NULL;
    size_t pcap, wcap;
    int rc = -1;

    if (pc->state != PC_WAIT_CONNECT) {
        plog("warn", "protocol_error", pc->serial, "a second CONNECT");
        return -1;
    }
    pc->version = c->protocol_level;
    pc->id = proxy_identity_for(px, c->client_id.ptr, c->client_id.len);
    if (!pc->id) {
        refuse(pc, "no E4 identity for this client id (gateway map)");
        return 0;
    }
    if (px->conf.username) {
        c->has_username = true;
        c->username = mqtt_str(px->conf.username);
        c->has_password = px->conf.password != NULL;
        c->password = mqtt_str(px->conf.password);
    }
    if (!(props = props_array(&c->props, 2, &pcap)) ||
        !(wprops = props_array(&c->will_props, 1, &wcap)))
        goto out;
    if (pc->version == MQTT_V5)
        c->props = mqtt_props_array(props, connect_props(px, pc, &c->props, props, pcap));
    publish_protect_will(px, pc, c, wprops, wcap);
    if (session_send(pc, &pc->up, p) != 0)
        goto out;
    pc->state = PC_CONNECTING;
    pc->want_upstream = true;
    rc = 0;
out:
    free(props);
    free(wprops);
    return rc;
}

/* The CONNACK's properties as the client gets them: the broker's maximum
 * packet size less the protection's overhead; topic aliases from the
 * client are resolved here (up to PROXY_ALIAS_MAX) whatever the broker
 * allows, as they never reach it. */
static int handle_connack(proxy *px, pconn *pc, mqtt_packet *p, const uint8_t *pkt, size_t len)
{
    static const uint8_t drop[] = {MQTT_PROP_MAXIMUM_PACKET_SIZE, MQTT_PROP_TOPIC_ALIAS_MAXIMUM};
    uint32_t broker_max = 0, down_max = px->conf.max_packet;
    mqtt_prop *props;
    size_t cap, n = 0;
    int rc;

    if (pc->state != PC_CONNECTING)
        return -1;
    pc->state = PC_OPEN;
    if (pc->version != MQTT_V5)
        return pbuf_append(&pc->down.out, pkt, len);
    (void)mqtt_props_get_int(&p->connack.props, MQTT_PROP_MAXIMUM_PACKET_SIZE, &broker_max);
    pc->up.max_packet = broker_max;
    if (broker_max && broker_max < down_max)
        down_max = broker_max;
    down_max = down_max > pc->id->overhead + 64 ? down_max - (uint32_t)pc->id->overhead : 64;
    if (!(props = props_array(&p->connack.props, 2, &cap)))
        return -1;
    (void)mqtt_props_copy_except(props, cap - 2, &n, &p->connack.props, drop, sizeof drop);
    props[n++] = mqtt_prop_int(MQTT_PROP_MAXIMUM_PACKET_SIZE, down_max);
    props[n++] = mqtt_prop_int(MQTT_PROP_TOPIC_ALIAS_MAXIMUM, PROXY_ALIAS_MAX);
    pc->down.alias_max = PROXY_ALIAS_MAX;
    p->connack.props = mqtt_props_array(props, n);
    rc = session_send(pc, &pc->down, p);
    free(props);
    return rc;
}

/* ---- QoS 2 flows the proxy ended itself ---- */

static bool held_take(struct side *s, uint16_t id)
{
    size_t i;
    for (i = 0; i < s->nheld; i++) {
        if (s->held[i] == id) {
            s->held[i] = s->held[--s->nheld];
            if (s->nheld == 0) {
                free(s->held);
                s->held = NULL;
                s->capheld = 0;
            }
            return true;
        }
    }
    return false;
}

/* A PUBREL for a message the proxy dropped (and answered PUBREC): PUBCOMP. */
static int answer_pubrel(pconn *pc, struct side *from, const mqtt_packet *p)
{
    mqtt_packet comp;
    mqtt_packet_init(&comp, MQTT_PUBCOMP);
    comp.ack.packet_id = p->ack.packet_id;
    return session_send(pc, from, &comp);
}

/* ---- dispatch ---- */

static int from_client(proxy *px, pconn *pc, mqtt_packet *p, const uint8_t *pkt, size_t len)
{
    if (p->type == MQTT_CONNECT)
        return handle_connect(px, pc, p);
    if (pc->state == PC_WAIT_CONNECT) {
        plog("warn", "protocol_error", pc->serial, "the first packet is not CONNECT");
        return -1;
    }
    switch (p->type) {
    case MQTT_PUBLISH: return publish_forward(px, pc, &pc->down, &pc->up, p, pkt, len);
    case MQTT_PUBREL:
        if (held_take(&pc->down, p->ack.packet_id))
            return answer_pubrel(pc, &pc->down, p);
        break;
    case MQTT_DISCONNECT: pc->clean_disconnect = true; break;
    default: break;
    }
    return pbuf_append(&pc->up.out, pkt, len);
}

static int from_broker(proxy *px, pconn *pc, mqtt_packet *p, const uint8_t *pkt, size_t len)
{
    switch (p->type) {
    case MQTT_CONNACK: return handle_connack(px, pc, p, pkt, len);
    case MQTT_PUBLISH: return publish_forward(px, pc, &pc->up, &pc->down, p, pkt, len);
    case MQTT_PUBREL:
        if (held_take(&pc->up, p->ack.packet_id))
            return answer_pubrel(pc, &pc->up, p);
        break;
    default: break;
    }
    return pbuf_append(&pc->down.out, pkt, len);
}

static int handle_packet(proxy *px, pconn *pc, struct side *s, const uint8_t *pkt, size_t len)
{
    mqtt_packet p;
    mqtt_err err = mqtt_decode(pkt, len, pc->version, &p);
    char why[160];

    if (err == MQTT_ERR_ARG && pc->version == 0) {
        plog("warn", "protocol_error", pc->serial, "the first packet is not CONNECT");
        return -1;
    }
    if (err != MQTT_OK) {
        snprintf(why, sizeof why, "%s from the %s: %s", mqtt_type_name(p.type),
                 s == &pc->down ? "client" : "broker", mqtt_strerror(err));
        plog("warn", "malformed", pc->serial, why);
        METRIC_ADD(malformed, 1);
        return -1;
    }
    if (s == &pc->down)
        return from_client(px, pc, &p, pkt, len);
    if (pc->state == PC_WAIT_CONNECT)
        return -1;
    return from_broker(px, pc, &p, pkt, len);
}

/* Handle the complete packets of buf; *used = bytes consumed. */
static int consume(proxy *px, pconn *pc, struct side *s, const uint8_t *buf, size_t len,
                   size_t *used)
{
    size_t off = 0, plen;
    char why[96];

    while (off < len && pc->state != PC_CLOSING) {
        mqtt_err err = mqtt_frame(buf + off, len - off, px->conf.max_packet, &plen);
        if (err == MQTT_NEED_MORE)
            break;
        if (err != MQTT_OK) {
            snprintf(why, sizeof why, "from the %s: %s (--max-packet %u)",
                     s == &pc->down ? "client" : "broker", mqtt_strerror(err),
                     (unsigned)px->conf.max_packet);
            plog("warn", err == MQTT_ERR_TOO_LARGE ? "oversized" : "malformed", pc->serial, why);
            if (err == MQTT_ERR_TOO_LARGE)
                METRIC_ADD(oversized, 1);
            else
                METRIC_ADD(malformed, 1);
            return -1;
        }
        if (handle_packet(px, pc, s, buf + off, plen) != 0)
            return -1;
        off += plen;
    }
    *used = off;
    return 0;
}

int session_input(proxy *px, pconn *pc, struct side *s)
{
    size_t used = 0;
    int rc = consume(px, pc, s, s->in.data, s->in.len, &used);
    if (rc == 0)
        pbuf_consume(&s->in, used);
    return rc;
}

int session_feed(proxy *px, pconn *pc, struct side *s, const uint8_t *data, size_t len)
{
    size_t used = 0;

    if (s == &pc->down)
        METRIC_ADD(bytes_from_clients, len);
    else
        METRIC_ADD(bytes_from_broker, len);
    if (s->in.len > 0) {
        if (pbuf_append(&s->in, data, len) != 0)
            return -1;
        return session_input(px, pc, s);
    }
    if (consume(px, pc, s, data, len, &used) != 0)
        return -1;
    if (used < len && pc->state != PC_CLOSING)
        return pbuf_append(&s->in, data + used, len - used);
    return 0;
}
