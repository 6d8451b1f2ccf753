/* PUBLISH on its way through: protected towards the broker, unprotected
 * towards the client, on the topics the policy protects. Topic aliases are
 * resolved (the topic a packet really carries decides the key) and the
 * forwarded packet carries the full topic. */
#include "proxy.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* A v5 payload format indicator of UTF-8 would make the broker reject
 * ciphertext: upstream it travels as this user property, and the proxy at
 * the other end turns it back into the indicator. */
#define PFI_NAME "e4-payload-format"
#define PFI_VALUE "utf-8"

static bool is_pfi_marker(const mqtt_prop *v)
{
    return v->id == MQTT_PROP_USER_PROPERTY && v->str.len == sizeof PFI_NAME - 1 &&
           memcmp(v->str.ptr, PFI_NAME, sizeof PFI_NAME - 1) == 0;
}

/* The properties of the forwarded message into out (in->count + 1
 * entries): no topic alias; the format indicator moved to or from its
 * marker when the payload was transformed (mode +1 up, -1 down, 0 none). */
static size_t forward_props(const mqtt_props *in, int mode, mqtt_prop *out)
{
    size_t off = 0, n = 0;
    bool utf8 = false;
    mqtt_prop v;

    while (mqtt_props_next(in, &off, &v)) {
        if (v.id == MQTT_PROP_TOPIC_ALIAS)
            continue;
        if (mode > 0 && v.id == MQTT_PROP_PAYLOAD_FORMAT_INDICATOR) {
            utf8 = v.num == 1;
            continue;
        }
        if (mode < 0 && is_pfi_marker(&v)) {
            utf8 = true;
            continue;
        }
        out[n++] = v;
    }
    if (utf8 && mode > 0)
        out[n++] = mqtt_prop_user(mqtt_str(PFI_NAME), mqtt_str(PFI_VALUE));
    else if (utf8 && mode < 0)
        out[n++] = mqtt_prop_int(MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, 1);
    return n;
}

/* ---- topic aliases ---- */

/* The topic of pub from side `from`: its own, or the one its alias names
 * (recorded when it comes with a topic). -1: an invalid alias (a protocol
 * error of the sender). */
static int resolve_topic(pconn *pc, struct side *from, const mqtt_publish *pub, mqtt_bytes *topic,
                         bool *aliased)
{
    uint32_t alias = 0;
    char *copy;

    *topic = pub->topic;
    *aliased = pc->version == MQTT_V5 &&
               mqtt_props_get_int(&pub->props, MQTT_PROP_TOPIC_ALIAS, &alias) == MQTT_OK;
    if (!*aliased)
        return 0;
    if (alias == 0 || alias > from->alias_max)
        return -1;
    if (!from->alias && !(from->alias = calloc(PROXY_ALIAS_MAX + 1, sizeof *from->alias)))
        return -1;
    if (pub->topic.len > 0) {
        if (!(copy = malloc(pub->topic.len + 1)))
            return -1;
        memcpy(copy, pub->topic.ptr, pub->topic.len);
        copy[pub->topic.len] = '\0';
        free(from->alias[alias]);
        from->alias[alias] = copy;
        return 0;
    }
    if (!from->alias[alias])
        return -1;
    *topic = mqtt_str(from->alias[alias]);
    return 0;
}

/* ---- dropping ---- */

/* Remember a QoS 2 id the proxy answered (3.1.1), once: at most 65535
 * entries per side, whatever the peer sends. */
static int hold_id(struct side *from, uint16_t id)
{
    size_t i;
    for (i = 0; i < from->nheld; i++)
        if (from->held[i] == id)
            return 0;
    if (from->nheld == from->capheld) {
        size_t ncap = from->capheld ? 2 * from->capheld : 8;
        uint16_t *nh = realloc(from->held, ncap * sizeof *nh);
        if (!nh)
            return -1;
        from->held = nh;
        from->capheld = ncap;
    }
    from->held[from->nheld++] = id;
    return 0;
}

/* The sender of a dropped message gets the acknowledgement it waits for:
 * in 5.0 an error reason (the flow ends there); in 3.1.1 a plain PUBACK,
 * or PUBREC and later PUBCOMP for its PUBREL. */
static int drop(pconn *pc, struct side *from, const mqtt_publish *pub, mqtt_bytes topic,
                enum drop_reason why, const char *detail)
{
    mqtt_packet ack;

    METRIC_ADD(dropped[why], 1);
    plog_drop(pc->serial, from == &pc->down ? "up" : "down", topic.ptr, topic.len, why, detail);
    if (pub->qos == 0)
        return 0;
    mqtt_packet_init(&ack, pub->qos == 1 ? MQTT_PUBACK : MQTT_PUBREC);
    ack.ack.packet_id = pub->packet_id;
    if (pc->version == MQTT_V5) {
        ack.ack.reason_code = MQTT_RC_IMPLEMENTATION_SPECIFIC;
    } else if (pub->qos == 2 && hold_id(from, pub->packet_id) != 0) {
        return -1;
    }
    return session_send(pc, from, &ack);
}

/* ---- forwarding ---- */

/* Re-encode pub with `payload` (mode as in forward_props) for `to`; a
 * packet over what the receiver accepts is dropped. */
static int send_rebuilt(pconn *pc, struct side *from, struct side *to, const mqtt_publish *pub,
                        mqtt_bytes topic, mqtt_bytes payload, int mode)
{
    mqtt_prop stack[16], *props = stack;
    mqtt_packet p;
    size_t need = 0, cap = pub->props.count + 1;
    uint8_t *dst;
    int rc = -1;

    if (cap > 16 && !(props = malloc(cap * sizeof *props)))
        return -1;
    mqtt_packet_init(&p, MQTT_PUBLISH);
    p.publish = *pub;
    p.publish.topic = topic;
    p.publish.payload = payload;
    if (pc->version == MQTT_V5)
        p.publish.props = mqtt_props_array(props, forward_props(&pub->props, mode, props));
    /* the fields come from a packet decoded (validated) just now */
    if (mqtt_encode(NULL, 0, &need, &p, pc->version, MQTT_ENC_NO_VALIDATE) != MQTT_ERR_NO_SPACE)
        goto out;
    if (to->max_packet && need > to->max_packet) {
        rc = drop(pc, from, pub, topic, DROP_TOO_LARGE, NULL);
        goto out;
    }
    if ((dst = pbuf_reserve(&to->out, need)) &&
        mqtt_encode(dst, need, &need, &p, pc->version, MQTT_ENC_NO_VALIDATE) == MQTT_OK) {
        to->out.len += need;
        rc = 0;
    }
out:
    if (props != stack)
        free(props);
    return rc;
}

/* The topic as a C string for libe4 (E4 topics are 1..512 bytes). */
static bool topic_cstr(char out[E4_TOPIC_MAX + 1], mqtt_bytes topic)
{
    if (topic.len == 0 || topic.len > E4_TOPIC_MAX)
        return false;
    memcpy(out, topic.ptr, topic.len);
    out[topic.len] = '\0';
    return true;
}

/* Protect (up) or unprotect (down) the payload into the scratch buffer. */
static e4_err transform(proxy *px, pconn *pc, bool up, mqtt_bytes topic, mqtt_bytes in,
                        mqtt_bytes *out)
{
    char t[E4_TOPIC_MAX + 1];
    size_t olen = 0;
    e4_err err;

    if (!topic_cstr(t, topic))
        return E4_ERR_INVALID_TOPIC;
    if (up)
        err = e4_client_protect(pc->id->e4, t, in.ptr, in.len, px->scratch, px->scratch_cap, &olen);
    else
        err =
            e4_client_unprotect(pc->id->e4, t, in.ptr, in.len, px->scratch, px->scratch_cap, &olen);
    if (err == E4_COMMAND) /* never on data topics: the control topic passes as is */
        err = E4_ERR_INVALID_ARGUMENT;
    *out = mqtt_bin(px->scratch, olen);
    return err;
}

/* A message this client already received (same bytes): a replay. Only
 * authentic messages are remembered, by a 16-byte BLAKE2b digest of the
 * protected message (whatever the suite's layout), in a direct-mapped table
 * indexed by its first byte: one comparison per message. */
static bool replayed(proxy *px, pconn *pc, mqtt_bytes protected_msg)
{
    uint8_t tag[16], *slot;

    if (!px->replay_check)
        return false;
    crypto_generichash(tag, sizeof tag, protected_msg.ptr, protected_msg.len, NULL, 0);
    if (!pc->seen && !(pc->seen = calloc(PROXY_SEEN_MAX, sizeof *pc->seen)))
        return true; /* cannot tell: refuse */
    slot = pc->seen[tag[0] % PROXY_SEEN_MAX];
    if (memcmp(slot, tag, 16) == 0)
        return true;
    memcpy(slot, tag, 16);
    return false;
}

static int forward_clear(pconn *pc, struct side *from, struct side *to, const mqtt_publish *pub,
                         mqtt_bytes topic, bool aliased, const uint8_t *pkt, size_t len)
{
    METRIC_ADD(passed_clear, 1);
    if (aliased)
        return send_rebuilt(pc, from, to, pub, topic, pub->payload, 0);
    if (to->max_packet && len > to->max_packet)
        return drop(pc, from, pub, topic, DROP_TOO_LARGE, NULL);
    return pbuf_append(&to->out, pkt, len);
}

int publish_forward(proxy *px, pconn *pc, struct side *from, struct side *to, const mqtt_packet *p,
                    const uint8_t *pkt, size_t len)
{
    const mqtt_publish *pub = &p->publish;
    bool up = to == &pc->up, aliased;
    mqtt_bytes topic, payload;
    int decision;
    e4_err err;

    if (resolve_topic(pc, from, pub, &topic, &aliased) != 0) {
        plog("warn", "protocol_error", pc->serial, "PUBLISH with an invalid topic alias");
        return -1;
    }
    decision = policy_decide(&px->pol, topic.ptr, topic.len);
    if (!up && ids_is_control(pc->id, topic.ptr, topic.len))
        decision = POLICY_CLEAR; /* C2's commands and receipts, for C2 */
    /* a zero-length payload (deleting a retained message) stays one */
    if (decision == POLICY_CLEAR || pub->payload.len == 0)
        return forward_clear(pc, from, to, pub, topic, aliased, pkt, len);
    err = transform(px, pc, up, topic, pub->payload, &payload);
    if (err == E4_OK && !up && replayed(px, pc, pub->payload))
        err = E4_ERR_REPLAYED;
    if (err == E4_ERR_TOPIC_KEY_NOT_FOUND && decision == POLICY_PROTECT_OR_CLEAR)
        return forward_clear(pc, from, to, pub, topic, aliased, pkt, len);
    if (err != E4_OK)
        return drop(pc, from, pub, topic, drop_reason_of(err), e4_strerror(err));
    if (up)
        METRIC_ADD(protected_msgs, 1);
    else
        METRIC_ADD(unprotected_msgs, 1);
    return send_rebuilt(pc, from, to, pub, topic, payload, up ? 1 : -1);
}

void publish_protect_will(proxy *px, pconn *pc, mqtt_connect *c, mqtt_prop *wprops, size_t wcap)
{
    mqtt_bytes payload;
    int decision;
    e4_err err;

    if (!c->will || c->will_payload.len == 0)
        return;
    decision = policy_decide(&px->pol, c->will_topic.ptr, c->will_topic.len);
    if (decision == POLICY_CLEAR)
        return;
    err = transform(px, pc, true, c->will_topic, c->will_payload, &payload);
    if (err == E4_ERR_TOPIC_KEY_NOT_FOUND && decision == POLICY_PROTECT_OR_CLEAR)
        return;
    if (err != E4_OK) {
        /* never in clear: the broker gets no will */
        METRIC_ADD(dropped[drop_reason_of(err)], 1);
        plog_drop(pc->serial, "will", c->will_topic.ptr, c->will_topic.len, drop_reason_of(err),
                  e4_strerror(err));
        c->will = false;
        c->will_qos = 0;
        c->will_retain = false;
        memset(&c->will_props, 0, sizeof c->will_props);
        c->will_topic = c->will_payload = mqtt_bin(NULL, 0);
        return;
    }
    METRIC_ADD(protected_msgs, 1);
    c->will_payload = payload;
    if (pc->version == MQTT_V5 && wcap >= c->will_props.count + 1)
        c->will_props = mqtt_props_array(wprops, forward_props(&c->will_props, 1, wprops));
}
