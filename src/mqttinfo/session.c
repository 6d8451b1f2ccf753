/* mqttinfo: MQTT packet exchange over a transport, with deadlines. */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESS_INITIAL_CAP 4096
#define SESS_MAX_CAP (1u << 20) /* larger packets are skipped, never buffered */

int mi_sess_open(mi_session *s, const mi_endpoint *ep, const mi_options *o, int version,
                 int64_t deadline, mi_tls_info *tls)
{
    memset(s, 0, sizeof *s);
    s->version = version;
    s->next_id = mi_random_u16();
    return mi_conn_open(&s->conn, ep, o, deadline, tls, s->err, sizeof s->err);
}

void mi_sess_close(mi_session *s)
{
    mi_conn_close(s->conn);
    s->conn = NULL;
    free(s->buf);
    s->buf = NULL;
    s->cap = s->len = s->consumed = 0;
}

uint16_t mi_sess_packet_id(mi_session *s)
{
    if (++s->next_id == 0)
        s->next_id = 1;
    return s->next_id;
}

const char *mi_sess_result_name(int rc)
{
    switch (rc) {
    case 0: return "ok";
    case MI_IO_CLOSED: return "connection closed";
    case MI_IO_TIMEOUT: return "no answer (timeout)";
    case MI_IO_REFUSED: return "connection refused";
    case MI_SESS_MALFORMED: return "malformed answer (not MQTT)";
    default: return "I/O error";
    }
}

int mi_sess_send_bytes(mi_session *s, const uint8_t *b, size_t n, int64_t deadline)
{
    return mi_conn_write(s->conn, b, n, deadline);
}

int mi_sess_send(mi_session *s, const mqtt_packet *p, unsigned opts, int64_t deadline)
{
    uint8_t stackbuf[1024];
    size_t len = 0;
    mqtt_err e = mqtt_encode(stackbuf, sizeof stackbuf, &len, p, s->version, opts);
    if (e == MQTT_OK)
        return mi_conn_write(s->conn, stackbuf, len, deadline);
    if (e != MQTT_ERR_NO_SPACE) {
        snprintf(s->err, sizeof s->err, "encode %s: %s", mqtt_type_name(p->type), mqtt_strerror(e));
        return MI_IO_ERROR;
    }
    uint8_t *heap = malloc(len);
    if (!heap)
        return MI_IO_ERROR;
    e = mqtt_encode(heap, len, &len, p, s->version, opts);
    int rc = e == MQTT_OK ? mi_conn_write(s->conn, heap, len, deadline) : MI_IO_ERROR;
    free(heap);
    return rc;
}

static int fill(mi_session *s, int64_t deadline)
{
    if (s->cap - s->len < 512) {
        size_t ncap = s->cap ? s->cap * 2 : SESS_INITIAL_CAP;
        if (ncap > SESS_MAX_CAP + 8)
            ncap = SESS_MAX_CAP + 8;
        if (ncap > s->cap) {
            uint8_t *nb = realloc(s->buf, ncap);
            if (!nb)
                return MI_IO_ERROR;
            s->buf = nb;
            s->cap = ncap;
        }
    }
    if (s->len >= s->cap)
        return MI_IO_ERROR;
    int rc = mi_conn_read(s->conn, s->buf + s->len, s->cap - s->len, deadline);
    if (rc < 0)
        return rc;
    s->len += (size_t)rc;
    return 0;
}

int mi_sess_recv(mi_session *s, int64_t deadline, mi_frame *f)
{
    memset(f, 0, sizeof *f);
    if (s->consumed) {
        memmove(s->buf, s->buf + s->consumed, s->len - s->consumed);
        s->len -= s->consumed;
        s->consumed = 0;
    }
    for (;;) {
        /* Discard the rest of an oversized packet. */
        while (s->skip_left > 0) {
            if (s->len == 0) {
                int rc = fill(s, deadline);
                if (rc)
                    return rc;
            }
            size_t k = s->len < s->skip_left ? s->len : s->skip_left;
            memmove(s->buf, s->buf + k, s->len - k);
            s->len -= k;
            s->skip_left -= k;
        }
        size_t plen = 0;
        mqtt_err e = s->len ? mqtt_frame(s->buf, s->len, 0, &plen) : MQTT_NEED_MORE;
        if (e == MQTT_OK)
            break;
        if (e == MQTT_NEED_MORE) {
            if (plen > SESS_MAX_CAP) {
                /* Too big to keep: drop it. */
                s->skip_left = plen - s->len;
                s->len = 0;
                continue;
            }
            int rc = fill(s, deadline);
            if (rc)
                return rc;
            continue;
        }
        snprintf(s->err, sizeof s->err, "framing: %s", mqtt_strerror(e));
        return MI_SESS_MALFORMED;
    }
    size_t plen = 0;
    mqtt_frame(s->buf, s->len, 0, &plen);
    f->bytes = s->buf;
    f->len = plen;
    f->type = s->buf[0] >> 4;
    f->flags = s->buf[0] & 0x0f;
    uint32_t rl = 0;
    size_t used = 0;
    mqtt_varint_decode(s->buf + 1, plen - 1, &rl, &used);
    f->body_len = rl;
    f->derr = mqtt_decode(s->buf, plen, s->version, &f->p);
    s->consumed = plen;
    return 0;
}

int mi_sess_wait(mi_session *s, int64_t deadline, unsigned type_mask, mi_frame *f)
{
    type_mask |= MI_TYPE(MQTT_DISCONNECT);
    for (;;) {
        /* Checked before every packet, buffered or not: a broker pushing
         * PUBLISH packets cannot hold the wait past its deadline. */
        if (mi_now_ms() >= deadline)
            return MI_IO_TIMEOUT;
        int rc = mi_sess_recv(s, deadline, f);
        if (rc)
            return rc;
        if (type_mask & MI_TYPE(f->type))
            return 0;
        /* Anything else (PUBLISH pushed by the broker, ...) is skipped. A
         * QoS 1/2 PUBLISH is acknowledged so the broker does not stall. */
        if (f->type == MQTT_PUBLISH && f->derr == MQTT_OK && s->on_publish)
            s->on_publish(s->hook_ctx, &f->p.publish);
        if (f->type == MQTT_PUBLISH && f->derr == MQTT_OK && f->p.publish.qos > 0) {
            mqtt_packet ack;
            mqtt_packet_init(&ack, f->p.publish.qos == 1 ? MQTT_PUBACK : MQTT_PUBREC);
            ack.ack.packet_id = f->p.publish.packet_id;
            mi_sess_send(s, &ack, MQTT_ENC_DEFAULT, deadline);
        }
    }
}

int mi_sess_connect(mi_session *s, const char *client_id, const char *user, const char *pass,
                    int64_t deadline, mi_frame *f)
{
    mqtt_packet p;
    mqtt_packet_init(&p, MQTT_CONNECT);
    p.connect.protocol_level = (uint8_t)s->version;
    p.connect.clean_start = true;
    p.connect.keep_alive = 60;
    p.connect.client_id = mqtt_str(client_id);
    if (user) {
        p.connect.has_username = true;
        p.connect.username = mqtt_str(user);
    }
    if (pass) {
        p.connect.has_password = true;
        p.connect.password = mqtt_str(pass);
    }
    /* A 3.1.1 CONNECT with a password but no user name is invalid; encode
     * without validation so the broker decides. */
    unsigned opts = (pass && !user) ? MQTT_ENC_NO_VALIDATE : MQTT_ENC_DEFAULT;
    int rc = mi_sess_send(s, &p, opts, deadline);
    if (rc)
        return rc;
    /* A CONNACK starts with 0x20 and is tiny: judge the first bytes before
     * waiting for a length that garbage may announce. */
    while (s->len == 0) {
        rc = fill(s, deadline);
        if (rc)
            return rc;
    }
    if (s->buf[0] != 0x20) {
        char preview[40];
        mi_sanitize(preview, sizeof preview, s->buf, s->len < 24 ? s->len : 24);
        snprintf(s->err, sizeof s->err, "not an MQTT answer: first byte 0x%02x (\"%s\")", s->buf[0],
                 preview);
        return MI_SESS_MALFORMED;
    }
    return mi_sess_recv(s, deadline, f);
}

int mi_connack_code(const mi_frame *f, int version, char *violation, size_t len)
{
    if (violation && len)
        violation[0] = '\0';
    if (f->type != MQTT_CONNACK)
        return -1;
    if (f->derr == MQTT_OK)
        return f->p.connack.reason_code;
    /* Flags and reason code come before the properties. */
    if (version != MQTT_V5 || f->body_len < 3 || f->derr == MQTT_ERR_PROTOCOL ||
        f->derr == MQTT_ERR_REASON_CODE)
        return -1;
    const uint8_t *body = f->bytes + f->len - f->body_len;
    if ((body[0] & 0xfe) || (body[0] && body[1]) ||
        !mqtt_reason_valid(MQTT_V5, MQTT_CONNACK, body[1]))
        return -1;
    if (violation)
        snprintf(violation, len, "CONNACK properties: %s", mqtt_strerror(f->derr));
    return body[1];
}
