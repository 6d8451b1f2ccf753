/* mqttinfo: one MQTT connection: send packets (encoded by lib/mqtt), read
 * framed packets with a deadline, wait for an answer of a given type while
 * skipping unrelated PUBLISH packets. */
#ifndef MQTTINFO_SESSION_H
#define MQTTINFO_SESSION_H

#include "mqtt.h"
#include "transport.h"

/* Extra results beside the MI_IO_* codes */
enum {
    MI_SESS_MALFORMED = -10, /* the broker sent bytes that are not MQTT framing */
};

typedef struct {
    int type;             /* packet type (high nibble) */
    uint8_t flags;        /* low nibble */
    const uint8_t *bytes; /* the whole packet, valid until the next receive */
    size_t len;
    size_t body_len; /* remaining length */
    mqtt_err derr;   /* decode result of p */
    mqtt_packet p;   /* decoded (when derr == MQTT_OK) */
} mi_frame;

typedef struct {
    mi_conn *conn;
    int version; /* MQTT_V311 or MQTT_V5 */
    uint8_t *buf;
    size_t cap, len, consumed;
    size_t skip_left; /* bytes of an oversized packet still to discard */
    uint16_t next_id;
    /* called for PUBLISH packets mi_sess_wait skips (may be NULL) */
    void (*on_publish)(void *ctx, const mqtt_publish *pub);
    void *hook_ctx;
    char err[160];
} mi_session;

#define MI_TYPE(t) (1u << (t))

/* Opens the transport. 0 or MI_IO_* (message in s->err). */
int mi_sess_open(mi_session *s, const mi_endpoint *ep, const mi_options *o, int version,
                 int64_t deadline, mi_tls_info *tls);
void mi_sess_close(mi_session *s);

uint16_t mi_sess_packet_id(mi_session *s);

/* Encodes and sends p (opts: MQTT_ENC_*). 0 or MI_IO_*. */
int mi_sess_send(mi_session *s, const mqtt_packet *p, unsigned opts, int64_t deadline);
int mi_sess_send_bytes(mi_session *s, const uint8_t *b, size_t n, int64_t deadline);

/* Reads the next complete packet. 0 or MI_IO_* / MI_SESS_MALFORMED. */
int mi_sess_recv(mi_session *s, int64_t deadline, mi_frame *f);

/* Reads until a packet whose type is in type_mask (MI_TYPE bits) or a
 * DISCONNECT arrives; everything else (PUBLISH pushed by the broker...) is
 * skipped. */
int mi_sess_wait(mi_session *s, int64_t deadline, unsigned type_mask, mi_frame *f);

/* Sends CONNECT (clean, keep alive 60, given credentials; NULL user/pass =
 * none) and reads the first answer. 0 with the answer in f (any type), or an
 * MI_IO_* / MI_SESS_MALFORMED code. */
int mi_sess_connect(mi_session *s, const char *client_id, const char *user, const char *pass,
                    int64_t deadline, mi_frame *f);

/* The reason code of a CONNACK, or -1 when f is no CONNACK whose code can
 * be read. A 5.0 CONNACK whose properties are broken (duplicate, unknown,
 * overlong...) still tells its code; violation (may be NULL) then says what
 * is wrong, and is empty otherwise. */
int mi_connack_code(const mi_frame *f, int version, char *violation, size_t len);

/* Describes a receive result for reports ("connection closed", ...). */
const char *mi_sess_result_name(int rc);

#endif
