/* mqttinfo: the checks of one protocol interface (3.1.1 or 5.0). Each
 * check has its own deadline; no answer in time leaves it null. */
#include "analyze.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    mi_actx *a;
    int version;
    int vi; /* 0 = 3.1.1, 1 = 5.0 */
    mi_version_result *vr;
    const char *user, *pass; /* credentials used after the probe (NULL = anonymous) */
} vctx;

static int64_t deadline(const vctx *c)
{
    return mi_deadline(c->a);
}

static void set(vctx *c, int check, mi_tri v, const char *fmt, ...)
{
    c->vr->check[check] = v;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->vr->detail[check], MI_DETAIL_LEN, fmt, ap);
    va_end(ap);
}

static const char *rc_name(int version, int type, uint8_t code)
{
    const char *n = mqtt_reason_name_for(version, type, code);
    return n ? n : "unknown code";
}

static bool success_code(int version, uint8_t code)
{
    return version == MQTT_V311 || code < 0x80;
}

/* Opens a session and connects with the chosen credentials. 0 when a
 * CONNACK 0 came; otherwise the session is closed and a description set. */
static int open_connected(vctx *c, mi_session *s, const char *tag, char *why, size_t whylen)
{
    char id[32];
    mi_client_id(c->a, c->version, tag, id, sizeof id);
    int64_t dl = deadline(c);
    int rc = mi_sess_open(s, c->a->ep, c->a->o, c->version, dl, NULL);
    if (rc) {
        snprintf(why, whylen, "connect: %.140s", s->err);
        mi_sess_close(s);
        return rc;
    }
    mi_frame f;
    rc = mi_sess_connect(s, id, c->user, c->pass, dl, &f);
    if (rc == 0 && mi_connack_code(&f, c->version, NULL, 0) != 0) {
        snprintf(why, whylen, "CONNECT not accepted");
        rc = MI_IO_ERROR;
    } else if (rc) {
        snprintf(why, whylen, "CONNECT: %s", mi_sess_result_name(rc));
    }
    if (rc)
        mi_sess_close(s);
    return rc;
}

/* ---- probe: supported / anonymous / auth_ok ---- */

static void read_props(mi_connack_props *cp, const mqtt_connack *ca)
{
    uint32_t v;
    mqtt_bytes b;
    const mqtt_props *p = &ca->props;
    cp->present = true;
    cp->reason_code = ca->reason_code;
    mqtt_prop item;
    size_t off = 0;
    cp->norder = 0;
    while (cp->norder < (int)sizeof cp->order && mqtt_props_next(p, &off, &item))
        cp->order[cp->norder++] = item.id;
    if ((cp->has_maximum_qos = mqtt_props_get_int(p, MQTT_PROP_MAXIMUM_QOS, &v) == MQTT_OK))
        cp->maximum_qos = (int)v;
    if ((cp->has_retain_available =
             mqtt_props_get_int(p, MQTT_PROP_RETAIN_AVAILABLE, &v) == MQTT_OK))
        cp->retain_available = v != 0;
    if ((cp->has_wildcard_available =
             mqtt_props_get_int(p, MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE, &v) == MQTT_OK))
        cp->wildcard_available = v != 0;
    if ((cp->has_subid_available =
             mqtt_props_get_int(p, MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE, &v) == MQTT_OK))
        cp->subid_available = v != 0;
    if ((cp->has_shared_available =
             mqtt_props_get_int(p, MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE, &v) == MQTT_OK))
        cp->shared_available = v != 0;
    if ((cp->has_maximum_packet_size =
             mqtt_props_get_int(p, MQTT_PROP_MAXIMUM_PACKET_SIZE, &v) == MQTT_OK))
        cp->maximum_packet_size = v;
    if ((cp->has_receive_maximum = mqtt_props_get_int(p, MQTT_PROP_RECEIVE_MAXIMUM, &v) == MQTT_OK))
        cp->receive_maximum = (int)v;
    if ((cp->has_topic_alias_maximum =
             mqtt_props_get_int(p, MQTT_PROP_TOPIC_ALIAS_MAXIMUM, &v) == MQTT_OK))
        cp->topic_alias_maximum = (int)v;
    if ((cp->has_server_keep_alive =
             mqtt_props_get_int(p, MQTT_PROP_SERVER_KEEP_ALIVE, &v) == MQTT_OK))
        cp->server_keep_alive = (int)v;
    if ((cp->has_assigned_client_id =
             mqtt_props_get_bytes(p, MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER, &b) == MQTT_OK))
        mi_sanitize(cp->assigned_client_id, sizeof cp->assigned_client_id, b.ptr, b.len);
    if ((cp->has_reason_string = mqtt_props_get_bytes(p, MQTT_PROP_REASON_STRING, &b) == MQTT_OK))
        mi_sanitize(cp->reason_string, sizeof cp->reason_string, b.ptr, b.len);
    if ((cp->has_server_reference =
             mqtt_props_get_bytes(p, MQTT_PROP_SERVER_REFERENCE, &b) == MQTT_OK))
        mi_sanitize(cp->server_reference, sizeof cp->server_reference, b.ptr, b.len);
}

/* Records an answer that breaks the standard (once). */
static void note_violation(mi_version_result *vr, const char *what)
{
    for (int i = 0; i < vr->nviolations; i++)
        if (strcmp(vr->violations[i], what) == 0)
            return;
    if (vr->nviolations < MI_MAX_VIOLATIONS)
        mi_strlcpy(vr->violations[vr->nviolations++], what, MI_DETAIL_LEN);
}

/* Interprets the answer to a CONNECT. Returns: 1 accepted, 0 refused (with
 * the broker understanding the version), -1 version not spoken, -2 other. */
static int judge_connack(vctx *c, const mi_frame *f, int *code, char *desc, size_t desclen)
{
    *code = -1;
    if (f->type != MQTT_CONNACK) {
        snprintf(desc, desclen, "answered CONNECT with %s", mqtt_type_name(f->type));
        return -2;
    }
    if (c->version == MQTT_V5 && f->body_len == 2) {
        /* 3.1.1-shaped answer to a 5.0 CONNECT */
        *code = f->bytes[f->len - 1];
        c->vr->v311_shaped_connack = true;
        snprintf(desc, desclen, "3.1.1-shaped CONNACK (code %d) to a 5.0 CONNECT", *code);
        return -1;
    }
    char violation[MI_DETAIL_LEN];
    int got = mi_connack_code(f, c->version, violation, sizeof violation);
    if (got < 0) {
        if (f->body_len >= 2)
            *code = f->bytes[f->len - f->body_len + 1];
        snprintf(desc, desclen, "malformed CONNACK: %s", mqtt_strerror(f->derr));
        return -2;
    }
    if (violation[0])
        note_violation(c->vr, violation);
    uint8_t rc = (uint8_t)got;
    *code = rc;
    snprintf(desc, desclen, "CONNACK 0x%02x (%s)", rc, rc_name(c->version, MQTT_CONNACK, rc));
    if (rc == 0)
        return 1;
    if (c->version == MQTT_V311)
        return rc == MQTT_V3_CONNACK_BAD_PROTOCOL_VERSION ? -1 : 0;
    return rc == MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION ? -1 : 0;
}

static bool refused_for_credentials(int version, int code)
{
    if (version == MQTT_V311)
        return code == MQTT_V3_CONNACK_BAD_USERNAME_OR_PASSWORD ||
               code == MQTT_V3_CONNACK_NOT_AUTHORIZED;
    return code == MQTT_RC_BAD_USERNAME_OR_PASSWORD || code == MQTT_RC_NOT_AUTHORIZED ||
           code == MQTT_RC_BAD_AUTHENTICATION_METHOD || code == MQTT_RC_BANNED;
}

/* Connects with (user, pass); keeps the session open when accepted. */
static int probe(vctx *c, mi_session *s, const char *tag, const char *user, const char *pass,
                 int *verdict, int *code, char *desc, size_t desclen, bool *open_fail)
{
    char id[32];
    mi_client_id(c->a, c->version, tag, id, sizeof id);
    int64_t dl = deadline(c);
    *verdict = -2;
    *code = -1;
    *open_fail = false;
    int rc = mi_sess_open(s, c->a->ep, c->a->o, c->version, dl, &c->a->tls[c->vi]);
    if (rc) {
        mi_strlcpy(desc, s->err, desclen);
        *open_fail = true;
        mi_sess_close(s);
        return rc;
    }
    mi_frame f;
    rc = mi_sess_connect(s, id, user, pass, dl, &f);
    if (rc) {
        if (rc == MI_SESS_MALFORMED)
            mi_strlcpy(desc, s->err, desclen);
        else
            snprintf(desc, desclen, "%s after CONNECT", mi_sess_result_name(rc));
        mi_sess_close(s);
        return rc;
    }
    *verdict = judge_connack(c, &f, code, desc, desclen);
    /* The accepted CONNACK describes the session best; a refused one is kept
     * only when nothing better comes. */
    if (*verdict == 1 && c->version == MQTT_V5 && f.derr == MQTT_OK &&
        !(c->vr->props.present && c->vr->props.reason_code == 0)) {
        memset(&c->vr->props, 0, sizeof c->vr->props);
        read_props(&c->vr->props, &f.p.connack);
    } else if (c->version == MQTT_V5 && f.derr == MQTT_OK && !c->vr->props.present &&
               f.type == MQTT_CONNACK && *verdict == 0)
        read_props(&c->vr->props, &f.p.connack);
    if (*verdict != 1)
        mi_sess_close(s);
    return 0;
}

/* ---- checks on an accepted connection ---- */

static void publish_packet(mqtt_packet *p, const char *topic, int qos, uint16_t id,
                           const char *payload)
{
    mqtt_packet_init(p, MQTT_PUBLISH);
    p->publish.qos = (uint8_t)qos;
    p->publish.topic = mqtt_str(topic);
    p->publish.packet_id = id;
    p->publish.payload = mqtt_str(payload);
}

/* Keeps the first reason string a 5.0 DISCONNECT carried: products word
 * them differently, which the fingerprint reads. */
static void note_disconnect_reason(mi_version_result *vr, const mi_frame *f)
{
    mqtt_bytes b;
    if (vr->disconnect_reason[0] || f->derr != MQTT_OK || f->body_len == 0 ||
        mqtt_props_get_bytes(&f->p.disconnect.props, MQTT_PROP_REASON_STRING, &b) != MQTT_OK)
        return;
    mi_sanitize(vr->disconnect_reason, sizeof vr->disconnect_reason, b.ptr, b.len);
}

static const char *close_desc(mi_version_result *vr, int rc, const mi_frame *f, char *buf,
                              size_t len)
{
    if (rc == 0 && f->type == MQTT_DISCONNECT) {
        note_disconnect_reason(vr, f);
        if (f->derr == MQTT_OK && f->body_len > 0)
            snprintf(buf, len, "DISCONNECT 0x%02x (%s)", f->p.disconnect.reason_code,
                     rc_name(MQTT_V5, MQTT_DISCONNECT, f->p.disconnect.reason_code));
        else
            snprintf(buf, len, "DISCONNECT");
    } else {
        mi_strlcpy(buf, mi_sess_result_name(rc), len);
    }
    return buf;
}

static bool is_close(int rc, const mi_frame *f)
{
    return rc == MI_IO_CLOSED || (rc == 0 && f->type == MQTT_DISCONNECT);
}

/* Waits for an ack whose type is in type_mask (MI_TYPE bits) with packet
 * id `id`. */
static int wait_ack(mi_session *s, int64_t dl, unsigned type_mask, uint16_t id, mi_frame *f)
{
    for (;;) {
        int rc = mi_sess_wait(s, dl, type_mask, f);
        if (rc || f->type == MQTT_DISCONNECT)
            return rc;
        if (f->derr != MQTT_OK)
            continue;
        if ((f->type == MQTT_SUBACK || f->type == MQTT_UNSUBACK) ? f->p.suback.packet_id == id
                                                                 : f->p.ack.packet_id == id)
            return 0;
    }
}

/* Sends p and waits for its ack (type in type_mask) with packet id `id`. */
static int send_wait(mi_session *s, const mqtt_packet *p, int64_t dl, unsigned type_mask,
                     uint16_t id, mi_frame *f)
{
    int rc = mi_sess_send(s, p, MQTT_ENC_DEFAULT, dl);
    if (rc == 0)
        rc = wait_ack(s, dl, type_mask, id, f);
    return rc;
}

static void subscribe_packet(mqtt_packet *p, const mqtt_sub *subs, size_t count, uint16_t id)
{
    mqtt_packet_init(p, MQTT_SUBSCRIBE);
    p->subscribe.packet_id = id;
    p->subscribe.subs = subs;
    p->subscribe.count = count;
}

/* Sets `check` from an acknowledgement's reason code: yes_desc when it
 * means success, else "<TYPE> 0x<code> (<name>)". */
static void set_by_code(vctx *c, int check, const mi_frame *f, const char *yes_desc)
{
    uint8_t code = f->p.ack.reason_code;
    c->vr->ack_code[check] = code;
    if (success_code(c->version, code))
        set(c, check, MI_YES, "%s", yes_desc);
    else
        set(c, check, MI_NO, "%s 0x%02x (%s)", mqtt_type_name(f->type), code,
            rc_name(c->version, f->type, code));
}

/* Sets `check` when the expected ack did not come (no on a close, else
 * null); the connection is given up either way. */
static void set_unanswered(vctx *c, int check, const char *prefix, int rc, const mi_frame *f,
                           bool *alive)
{
    char d[64];
    if (is_close(rc, f))
        set(c, check, MI_NO, "%s%s", prefix, close_desc(c->vr, rc, f, d, sizeof d));
    else
        set(c, check, MI_NULL, "%s%s", prefix, mi_sess_result_name(rc));
    *alive = false;
}

/* Publishes at QoS 1 and sets `check` from the PUBACK (or the close).
 * Returns 0, or when no answer came the session result (non-zero), with
 * the check left null. */
static int publish_qos1(vctx *c, mi_session *s, int check, const char *topic, const char *payload,
                        bool *alive)
{
    char d[64];
    mqtt_packet p;
    uint16_t id = mi_sess_packet_id(s);
    publish_packet(&p, topic, 1, id, payload);
    mi_frame f;
    int rc = send_wait(s, &p, deadline(c), MI_TYPE(MQTT_PUBACK), id, &f);
    if (rc == 0 && f.type == MQTT_PUBACK) {
        set_by_code(c, check, &f, "PUBACK");
        return 0;
    }
    if (is_close(rc, &f)) {
        set(c, check, MI_NO, "%s", close_desc(c->vr, rc, &f, d, sizeof d));
        *alive = false;
        return 0;
    }
    set(c, check, MI_NULL, "%s", mi_sess_result_name(rc));
    return rc;
}

static void check_qos1(vctx *c, mi_session *s, bool *alive)
{
    char topic[96];
    snprintf(topic, sizeof topic, "mqttinfo/%s/%d/qos1", c->a->run, c->version);
    if (publish_qos1(c, s, MI_C_QOS1, topic, "mqttinfo qos1", alive) == MI_IO_TIMEOUT)
        *alive = false;
}

/* QoS 2, second half: PUBREL -> PUBCOMP. */
static void qos2_release(vctx *c, mi_session *s, uint16_t id, int64_t dl, bool *alive)
{
    mqtt_packet rel;
    mqtt_packet_init(&rel, MQTT_PUBREL);
    rel.ack.packet_id = id;
    mi_frame f;
    int rc = send_wait(s, &rel, dl, MI_TYPE(MQTT_PUBCOMP), id, &f);
    if (rc != 0 || f.type != MQTT_PUBCOMP) {
        set_unanswered(c, MI_C_QOS2, "PUBREC, then ", rc, &f, alive);
        return;
    }
    set_by_code(c, MI_C_QOS2, &f, "PUBREC, PUBCOMP");
}

/* PUBLISH QoS 2 -> PUBREC, PUBREL -> PUBCOMP. A close, a DISCONNECT, a
 * failure code, or a PUBACK (the broker downgraded the message to QoS 1, as
 * RabbitMQ does) all answer "no". */
static void check_qos2(vctx *c, mi_session *s, bool *alive)
{
    char topic[96];
    snprintf(topic, sizeof topic, "mqttinfo/%s/%d/qos2", c->a->run, c->version);
    mqtt_packet p;
    uint16_t id = mi_sess_packet_id(s);
    publish_packet(&p, topic, 2, id, "mqttinfo qos2");
    int64_t dl = deadline(c);
    mi_frame f;
    int rc = send_wait(s, &p, dl, MI_TYPE(MQTT_PUBREC) | MI_TYPE(MQTT_PUBACK), id, &f);
    c->vr->qos2_answer = rc == 0 ? (int)f.type : rc == MI_IO_CLOSED ? MQTT_DISCONNECT : 0;
    if (rc != 0 || f.type == MQTT_DISCONNECT) {
        set_unanswered(c, MI_C_QOS2, "", rc, &f, alive);
        return;
    }
    uint8_t code = f.p.ack.reason_code;
    if (f.type == MQTT_PUBACK && c->version == MQTT_V5)
        set(c, MI_C_QOS2, MI_NO, "PUBACK 0x%02x (%s) instead of PUBREC", code,
            rc_name(c->version, MQTT_PUBACK, code));
    else if (f.type == MQTT_PUBACK)
        set(c, MI_C_QOS2, MI_NO, "PUBACK instead of PUBREC (downgraded to QoS 1)");
    else if (!success_code(c->version, code))
        set_by_code(c, MI_C_QOS2, &f, "");
    else
        qos2_release(c, s, id, dl, alive);
}

/* The subscriber of the $SYS publish check, subscribed (before the
 * publish) to the $SYS topic and the sentinel. false (why says why, and the
 * session is closed) when it could not subscribe. */
static bool sys_subscriber(vctx *c, mi_session *sub, const char *systopic, const char *sentinel,
                           char *why, size_t whylen)
{
    if (open_connected(c, sub, "s", why, whylen) != 0)
        return false;
    mqtt_sub subs[2];
    memset(subs, 0, sizeof subs);
    subs[0].filter = mqtt_str(systopic);
    subs[1].filter = mqtt_str(sentinel);
    mqtt_packet p;
    uint16_t id = mi_sess_packet_id(sub);
    subscribe_packet(&p, subs, 2, id);
    mi_frame f;
    int rc = send_wait(sub, &p, deadline(c), MI_TYPE(MQTT_SUBACK), id, &f);
    if (rc == 0 && f.type == MQTT_SUBACK && f.derr == MQTT_OK && f.p.suback.count == 2 &&
        f.p.suback.codes[0] < 0x80 && f.p.suback.codes[1] < 0x80)
        return true;
    snprintf(why, whylen, "subscriber could not subscribe (%s)",
             rc == 0 && f.type == MQTT_SUBACK ? "SUBACK failure" : mi_sess_result_name(rc));
    mi_sess_close(sub);
    return false;
}

static bool topic_is(const mqtt_bytes *t, const char *name)
{
    return t->len == strlen(name) && memcmp(t->ptr, name, t->len) == 0;
}

/* Delivery: the subscriber publishes a sentinel to itself after the $SYS
 * publish was answered; whatever the broker delivers from that publish
 * arrives before the sentinel. A short grace covers brokers that route in
 * parallel. */
static void sys_delivery(vctx *c, mi_session *sub, const char *systopic, const char *sentinel)
{
    int64_t dl = deadline(c), until = dl;
    mqtt_packet p;
    publish_packet(&p, sentinel, 1, mi_sess_packet_id(sub), "mqttinfo sentinel");
    mi_frame f;
    int rc = mi_sess_send(sub, &p, MQTT_ENC_DEFAULT, dl);
    bool got_sys = false, got_sentinel = false;
    while (rc == 0 && !got_sys && (rc = mi_sess_recv(sub, until, &f)) == 0) {
        if (f.type == MQTT_DISCONNECT)
            rc = MI_IO_CLOSED;
        if (f.type != MQTT_PUBLISH || f.derr != MQTT_OK)
            continue;
        got_sys = topic_is(&f.p.publish.topic, systopic);
        if (!got_sentinel && topic_is(&f.p.publish.topic, sentinel)) {
            got_sentinel = true;
            until = mi_clamp(c->a, mi_now_ms() + 100);
        }
        if (f.p.publish.qos == 1) {
            mqtt_packet ack;
            mqtt_packet_init(&ack, MQTT_PUBACK);
            ack.ack.packet_id = f.p.publish.packet_id;
            mi_sess_send(sub, &ack, MQTT_ENC_DEFAULT, dl);
        }
    }
    if (got_sys)
        set(c, MI_C_SYS_PUBLISH_DELIVERED, MI_YES, "subscriber received it");
    else if (got_sentinel)
        set(c, MI_C_SYS_PUBLISH_DELIVERED, MI_NO, "not delivered (a later message was)");
    else
        set(c, MI_C_SYS_PUBLISH_DELIVERED, MI_NULL, "subscriber: %s", mi_sess_result_name(rc));
}

/* $SYS publish: acknowledged? delivered to a subscriber of that topic? */
static void check_sys_publish(vctx *c, mi_session *s, bool *alive)
{
    char systopic[96], sentinel[96], why[160];
    snprintf(systopic, sizeof systopic, "$SYS/mqttinfo/%s%d", c->a->run, c->version);
    snprintf(sentinel, sizeof sentinel, "mqttinfo/%s/%d/sentinel", c->a->run, c->version);
    mi_session sub;
    bool have_sub = sys_subscriber(c, &sub, systopic, sentinel, why, sizeof why);
    if (!have_sub)
        set(c, MI_C_SYS_PUBLISH_DELIVERED, MI_NULL, "%s", why);
    if (publish_qos1(c, s, MI_C_SYS_PUBLISH_ALLOWED, systopic, "mqttinfo: injected $SYS value",
                     alive) != 0)
        *alive = false;
    if (have_sub) {
        sys_delivery(c, &sub, systopic, sentinel);
        mi_sess_close(&sub);
    }
}

static void note_topic(void *ctx, const mqtt_publish *pub)
{
    mi_version_result *vr = ctx;
    if (vr->nseen < 4)
        mi_sanitize(vr->seen_topics[vr->nseen++], sizeof vr->seen_topics[0], pub->topic.ptr,
                    pub->topic.len);
}

static void check_subscribe_all(vctx *c, mi_session *s, bool *alive)
{
    s->on_publish = note_topic;
    s->hook_ctx = c->vr;
    mqtt_sub sub;
    memset(&sub, 0, sizeof sub);
    sub.filter = mqtt_str("#");
    mqtt_packet p;
    uint16_t id = mi_sess_packet_id(s);
    subscribe_packet(&p, &sub, 1, id);
    mi_frame f;
    int rc = send_wait(s, &p, deadline(c), MI_TYPE(MQTT_SUBACK), id, &f);
    if (rc == 0 && f.type == MQTT_SUBACK && f.derr == MQTT_OK && f.p.suback.count >= 1) {
        uint8_t code = f.p.suback.codes[0];
        if (code < 0x80)
            set(c, MI_C_SUBSCRIBE_ALL, MI_YES, "SUBACK granted QoS %d", code);
        else
            set(c, MI_C_SUBSCRIBE_ALL, MI_NO, "SUBACK 0x%02x (%s)", code,
                rc_name(c->version, MQTT_SUBACK, code));
    } else {
        set_unanswered(c, MI_C_SUBSCRIBE_ALL, "", rc, &f, alive);
    }
}

/* Sends a deliberately invalid packet on a fresh connection, followed by a
 * PINGREQ. The PINGRESP shows the broker read past the invalid packet
 * without closing; brokers that handle packets asynchronously (aedes) may
 * still acknowledge it after the PINGRESP, so a short grace follows (or,
 * when an answer is mandatory, e.g. a SUBACK, the wait goes on until the
 * deadline). Silence never has to be waited out for brokers that answer.
 * Result: 1 closed / DISCONNECT, 0 acknowledged (*code = reason code),
 * 2 ignored (no close, no acknowledgement), 3 SUBACK, -1 no decisive answer. */
#define IGNORE_GRACE_MS 200
enum { MX_PINGRESP = -2, MX_UNRELATED = -3 }; /* keep waiting */

typedef struct {
    int ack_type;       /* MQTT_PUBACK (PUBREC accepted too) or MQTT_SUBACK */
    bool ack_mandatory; /* no grace after the PINGRESP */
    uint16_t id;
    bool pinged;
    int code; /* the acknowledgement's reason code, -1 if none */
    char *desc;
    size_t desclen;
} mx_state;

/* The acknowledgement of the invalid packet: result 3 (SUBACK) or 0. */
static int mx_acknowledged(const vctx *c, mx_state *x, const mi_frame *f)
{
    if (x->ack_type == MQTT_SUBACK) {
        x->code = f->p.suback.count ? f->p.suback.codes[0] : -1;
        snprintf(x->desc, x->desclen, "SUBACK 0x%02x", x->code & 0xff);
        return 3;
    }
    x->code = f->p.ack.reason_code;
    if (c->version == MQTT_V5)
        snprintf(x->desc, x->desclen, "%s 0x%02x", mqtt_type_name(f->type), x->code);
    else
        mi_strlcpy(x->desc, mqtt_type_name(f->type), x->desclen);
    return 0;
}

/* What one wait brought: a result, or MX_PINGRESP / MX_UNRELATED. */
static int mx_outcome(const vctx *c, mx_state *x, int rc, const mi_frame *f)
{
    if (is_close(rc, f)) {
        close_desc(c->vr, rc, f, x->desc, x->desclen);
        return 1;
    }
    if (rc == MI_IO_TIMEOUT && x->pinged && !x->ack_mandatory) {
        snprintf(x->desc, x->desclen, "ignored: no close, no acknowledgement");
        return 2;
    }
    if (rc) {
        snprintf(x->desc, x->desclen, "%s%s", x->pinged ? "PINGRESP, then " : "",
                 mi_sess_result_name(rc));
        return -1;
    }
    if (f->type == MQTT_PINGRESP)
        return MX_PINGRESP;
    if (f->derr != MQTT_OK) {
        snprintf(x->desc, x->desclen, "malformed %s", mqtt_type_name(f->type));
        return -1;
    }
    uint16_t got = x->ack_type == MQTT_SUBACK ? f->p.suback.packet_id : f->p.ack.packet_id;
    return got == x->id ? mx_acknowledged(c, x, f) : MX_UNRELATED;
}

static int malformed_exchange(vctx *c, const char *tag, const mqtt_packet *bad, mx_state *x)
{
    mi_session s;
    char why[160];
    x->code = -1;
    if (open_connected(c, &s, tag, why, sizeof why) != 0) {
        mi_strlcpy(x->desc, why, x->desclen);
        return -1;
    }
    int64_t dl = deadline(c);
    int rc = mi_sess_send(&s, bad, MQTT_ENC_RAW, dl);
    static const uint8_t ping[2] = {0xc0, 0x00};
    if (rc == 0 && (rc = mi_sess_send_bytes(&s, ping, sizeof ping, dl)) == MI_IO_CLOSED)
        rc = 0; /* already closed by the broker: read below */
    unsigned mask = MI_TYPE(x->ack_type) | MI_TYPE(MQTT_PINGRESP) |
                    (x->ack_type == MQTT_PUBACK ? MI_TYPE(MQTT_PUBREC) : 0);
    int result;
    mi_frame f;
    for (;;) {
        if (rc == 0)
            rc = mi_sess_wait(&s, dl, mask, &f);
        result = mx_outcome(c, x, rc, &f);
        if (result == MX_PINGRESP && !x->pinged && !x->ack_mandatory)
            /* The grace starts once: packets pushed meanwhile never extend it. */
            dl = mi_clamp(c->a, mi_now_ms() + IGNORE_GRACE_MS);
        if (result != MX_PINGRESP && result != MX_UNRELATED)
            break;
        x->pinged |= result == MX_PINGRESP;
        rc = 0;
    }
    mi_sess_close(&s);
    return result;
}

static void check_qos3(vctx *c)
{
    char topic[96], desc[MI_DETAIL_LEN];
    snprintf(topic, sizeof topic, "mqttinfo/%s/%d/qos3", c->a->run, c->version);
    mqtt_packet p;
    uint16_t id = mi_random_u16();
    publish_packet(&p, topic, 3, id, "mqttinfo qos3");
    p.flags = 0x06; /* QoS bits 11 */
    /* PUBACK or PUBREC both mean "accepted"; wait for either. */
    mx_state x = {.ack_type = MQTT_PUBACK, .id = id, .desc = desc, .desclen = sizeof desc};
    int r = malformed_exchange(c, "q3", &p, &x);
    if (r == 1)
        set(c, MI_C_QOS3_REJECTED, MI_YES, "%s", desc);
    else if (r == 0)
        set(c, MI_C_QOS3_REJECTED, MI_NO, "acknowledged: %s", desc);
    else if (r == 2)
        set(c, MI_C_QOS3_REJECTED, MI_NO, "%s", desc);
    else
        set(c, MI_C_QOS3_REJECTED, MI_NULL, "%s", desc);
}

static void check_invalid_filter(vctx *c)
{
    char desc[MI_DETAIL_LEN];
    mqtt_sub sub;
    memset(&sub, 0, sizeof sub);
    sub.filter = mqtt_str("A+");
    mqtt_packet p;
    uint16_t id = mi_random_u16();
    subscribe_packet(&p, &sub, 1, id);
    p.flags = 0x02;
    mx_state x = {.ack_type = MQTT_SUBACK,
                  .ack_mandatory = true,
                  .id = id,
                  .desc = desc,
                  .desclen = sizeof desc};
    int r = malformed_exchange(c, "f", &p, &x);
    if (r == 1)
        set(c, MI_C_INVALID_FILTER_REJECTED, MI_YES, "%s", desc);
    else if (r == 3)
        set(c, MI_C_INVALID_FILTER_REJECTED, x.code >= 0x80 ? MI_YES : MI_NO, "%s", desc);
    else if (r == 2)
        set(c, MI_C_INVALID_FILTER_REJECTED, MI_NULL, "%s", desc);
    else
        set(c, MI_C_INVALID_FILTER_REJECTED, MI_NULL, "%s", desc);
}

static void check_invalid_utf8(vctx *c)
{
    char topic[96], desc[MI_DETAIL_LEN];
    snprintf(topic, sizeof topic, "mqttinfo/%s/%d/utf8/\xc3\x28", c->a->run, c->version);
    mqtt_packet p;
    uint16_t id = mi_random_u16();
    publish_packet(&p, topic, 1, id, "mqttinfo utf8");
    p.flags = 0x02; /* QoS 1 */
    mx_state x = {.ack_type = MQTT_PUBACK, .id = id, .desc = desc, .desclen = sizeof desc};
    int r = malformed_exchange(c, "u", &p, &x);
    if (r == 1)
        set(c, MI_C_INVALID_UTF8_REJECTED, MI_YES, "%s", desc);
    else if (r == 0)
        set(c, MI_C_INVALID_UTF8_REJECTED,
            success_code(c->version, (uint8_t)x.code) ? MI_NO : MI_YES, "%s", desc);
    else if (r == 2)
        set(c, MI_C_INVALID_UTF8_REJECTED, MI_NO, "%s", desc);
    else
        set(c, MI_C_INVALID_UTF8_REJECTED, MI_NULL, "%s", desc);
}

static void *malformed_checks(void *arg)
{
    vctx *c = arg;
    check_qos3(c);
    check_invalid_filter(c);
    check_invalid_utf8(c);
    return NULL;
}

static void disconnect(mi_session *s, int64_t dl)
{
    static const uint8_t d[2] = {0xe0, 0x00};
    mi_sess_send_bytes(s, d, sizeof d, dl);
    mi_sess_close(s);
}

/* The first probe, without credentials: supported and anonymous. Returns
 * the session result (0: a CONNACK came); *accepted when it was accepted. */
static int probe_anonymous(vctx *c, mi_session *anon, bool *accepted, bool *open_fail)
{
    int verdict, code;
    char desc[160];
    int rc = probe(c, anon, "a", NULL, NULL, &verdict, &code, desc, sizeof desc, open_fail);
    mi_actx *a = c->a;
    c->vr->anon_connack_code = code;
    a->probe_rc[c->vi] = rc;
    a->probe_open_fail[c->vi] = *open_fail;
    mi_strlcpy(a->probe_err[c->vi], desc, sizeof a->probe_err[c->vi]);
    *accepted = rc == 0 && verdict == 1;
    if (rc != 0 || verdict < -1) {
        set(c, MI_C_SUPPORTED, MI_NULL, "%s", desc);
    } else if (verdict == -1) {
        set(c, MI_C_SUPPORTED, MI_NO, "%s", desc);
    } else {
        set(c, MI_C_SUPPORTED, MI_YES, "%s", desc);
        mi_tri anon_ok = verdict == 1                                ? MI_YES
                         : refused_for_credentials(c->version, code) ? MI_NO
                                                                     : MI_NULL;
        set(c, MI_C_ANONYMOUS, anon_ok, "%s", desc);
    }
    return rc;
}

/* The second probe, with the credentials given: auth_ok (and supported,
 * when the anonymous attempt got no understood answer). true: accepted. */
static bool probe_credentials(vctx *c, mi_session *cred, int anon_rc)
{
    const mi_options *o = c->a->o;
    int verdict, code;
    bool open_fail;
    char desc[160];
    int rc =
        probe(c, cred, "c", o->user, o->password, &verdict, &code, desc, sizeof desc, &open_fail);
    if (rc == 0 && verdict == -1) {
        set(c, MI_C_SUPPORTED, MI_NO, "%s", desc);
        return false;
    }
    if (rc != 0 || verdict < 0) {
        set(c, MI_C_AUTH_OK, MI_NULL, "%s", desc);
        return false;
    }
    mi_tri ok = verdict == 1 ? MI_YES : refused_for_credentials(c->version, code) ? MI_NO : MI_NULL;
    set(c, MI_C_AUTH_OK, ok, "%s", desc);
    if (c->vr->check[MI_C_SUPPORTED] != MI_YES) {
        /* The anonymous attempt was closed or silent; this one was understood. */
        set(c, MI_C_SUPPORTED, MI_YES, "%s", desc);
        if (anon_rc == MI_IO_CLOSED)
            set(c, MI_C_ANONYMOUS, MI_NO, "connection closed without CONNACK");
        c->a->probe_rc[c->vi] = 0;
    }
    return verdict == 1;
}

/* Tells the $SYS collection (waiting in another thread) which connection
 * works for this version. */
static void announce_usable(mi_actx *a, int vi, int use)
{
    pthread_mutex_lock(&a->mu);
    a->probe_done[vi] = true;
    a->usable[vi] = use;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

/* On the accepted connection: QoS 1, QoS 2, $SYS publish, '#'. A check
 * that kills the connection makes the next one reconnect. */
static void accepted_checks(vctx *c, mi_session *s)
{
    static void (*const seq[])(vctx *, mi_session *, bool *) = {
        check_qos1, check_qos2, check_sys_publish, check_subscribe_all};
    bool alive = true;
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        if (!alive) {
            mi_sess_close(s);
            char why[160];
            if (open_connected(c, s, "m", why, sizeof why) != 0)
                break;
            alive = true;
        }
        seq[i](c, s, &alive);
    }
    if (alive)
        disconnect(s, deadline(c));
    else
        mi_sess_close(s);
}

static void checks_reset(mi_version_result *vr, int version)
{
    for (int i = 0; i < MI_C_COUNT; i++) {
        vr->check[i] = MI_NULL;
        vr->ack_code[i] = -1;
    }
    vr->version = version;
    vr->anon_connack_code = -1;
}

void mi_checks_run(mi_actx *a, int version, mi_version_result *vr)
{
    vctx c = {.a = a, .version = version, .vi = version == MQTT_V5, .vr = vr};
    checks_reset(vr, version);
    const mi_options *o = a->o;
    bool have_creds = o->user || o->password;
    mi_session anon, cred;
    bool anon_ok, open_fail;
    int anon_rc = probe_anonymous(&c, &anon, &anon_ok, &open_fail);
    int use = anon_ok ? MI_USE_ANON : MI_USE_NONE;
    if (have_creds && !open_fail && vr->check[MI_C_SUPPORTED] != MI_NO &&
        probe_credentials(&c, &cred, anon_rc)) {
        use = MI_USE_CREDS;
        if (anon_ok)
            mi_sess_close(&anon);
    }
    announce_usable(a, c.vi, use);
    if (use == MI_USE_NONE) {
        if (vr->check[MI_C_SUPPORTED] == MI_YES)
            snprintf(vr->error, sizeof vr->error, "no connection accepted%s",
                     have_creds ? "" : " (credentials may be required: -u/-P)");
        return;
    }
    if (use == MI_USE_CREDS) {
        c.user = o->user;
        c.pass = o->password;
    }
    /* Deliberately invalid packets, each on its own connection, in a second
     * thread: a broker that is slow to answer one check never delays the
     * others. */
    pthread_t mt;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    bool threaded = pthread_create(&mt, &attr, malformed_checks, &c) == 0;
    pthread_attr_destroy(&attr);
    accepted_checks(&c, use == MI_USE_CREDS ? &cred : &anon);
    if (threaded)
        pthread_join(mt, NULL);
    else
        malformed_checks(&c);
}

void mi_client_id(const mi_actx *a, int version, const char *tag, char *buf, size_t len)
{
    snprintf(buf, len, "mqttinfo%s%d%s", a->run, version == MQTT_V5 ? 5 : 3, tag);
}
