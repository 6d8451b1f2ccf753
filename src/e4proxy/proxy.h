/*
 * e4proxy: internal interfaces.
 *
 * One thread runs one epoll loop (loop.c) over non-blocking sockets. Each
 * MQTT client accepted ("down") gets its own connection to the broker
 * ("up"): a pair (struct pconn). Bytes read from one side are framed and
 * handed to the session (session.c), which decodes every packet with
 * lib/mqtt, transforms PUBLISH payloads (publish.c) and appends what must be
 * sent to the output buffer of a side. The session never touches a socket,
 * so the fuzz target drives it directly.
 *
 * Each E4 identity (one, or one per downstream client id in gateway mode)
 * has its own control connection to the broker: a libmosquitto client with
 * its network thread (control.c), subscribed to the identity's control
 * topic; e4_client is thread-safe, so messages are protected in the loop
 * while commands are applied in the control thread.
 */
#ifndef E4PROXY_H
#define E4PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <e4/client.h>
#include <mqtt.h>

#include "cli.h"
#include "identity.h"

#define PROXY_ALIAS_MAX 32 /* topic aliases resolved per direction */
#define PROXY_DEFAULT_MAX_PACKET (256u * 1024u)
/* Replays are refused per client connection, as each device would refuse
 * them (the identity's own cache would refuse the second copy the broker
 * sends to a second subscriber behind the same proxy). */
#define PROXY_SEEN_MAX 256

/* ---- buffers (buf.c) ---- */

typedef struct pbuf {
    uint8_t *data;
    size_t len, cap;
} pbuf;
/* Room for n more bytes at data + len: a pointer, or NULL without memory. */
uint8_t *pbuf_reserve(pbuf *b, size_t n);
int pbuf_append(pbuf *b, const void *p, size_t n) __attribute__((warn_unused_result));
/* Drop the first n bytes; the memory is released when nothing is left. */
void pbuf_consume(pbuf *b, size_t n);
void pbuf_free(pbuf *b);

/* ---- topic policy (policy.c) ---- */

typedef struct policy_rule {
    char *filter;
    int clear_ok; /* a message without a key goes in clear (--allow-clear) */
} policy_rule;
typedef struct policy {
    policy_rule *rules; /* none: every topic but $-topics is protected */
    size_t n;
} policy;
enum { POLICY_CLEAR = 0, POLICY_PROTECT = 1, POLICY_PROTECT_OR_CLEAR = 2 };
/* What to do with topic: POLICY_CLEAR (not protected), POLICY_PROTECT,
 * POLICY_PROTECT_OR_CLEAR (protected when a key exists, else clear). */
int policy_decide(const policy *p, const uint8_t *topic, size_t len);
/* Add --protect FILTER (clear_ok 0) or --allow-clear FILTER (1): 0, or
 * EXIT_USAGE for an invalid filter, 1 without memory (reported). */
int policy_add(policy *p, const char *filter, int clear_ok);
void policy_free(policy *p);

/* ---- metrics (metrics.c) ---- */

/* Why a message was dropped; the one list (metrics labels, logs). */
#define PROXY_DROP_REASONS(X)                                                 \
    X(NO_KEY, "no_key")               /* protected topic, no topic key */     \
    X(NOT_AUTHENTIC, "not_authentic") /* failed authentication / signature */ \
    X(TOO_OLD, "too_old")                                                     \
    X(IN_FUTURE, "in_future")                                                 \
    X(REPLAYED, "replayed")                                                   \
    X(TOO_SHORT, "too_short") /* cannot be a protected message */             \
    X(TOO_LARGE, "too_large") /* over the receiver's maximum packet size */   \
    X(BAD_TOPIC, "bad_topic") /* topic longer than E4 allows */               \
    X(OTHER, "other")
enum drop_reason {
#define X(id, name) DROP_##id,
    PROXY_DROP_REASONS(X)
#undef X
        DROP_COUNT
};
const char *drop_reason_name(enum drop_reason r);
enum drop_reason drop_reason_of(e4_err err);

typedef struct metrics {
    uint64_t connections_total, connections_open, connections_failed;
    uint64_t protected_msgs, unprotected_msgs, passed_clear, commands;
    uint64_t dropped[DROP_COUNT];
    uint64_t bytes_from_clients, bytes_from_broker;
    uint64_t malformed, oversized;
    uint64_t buffer_bytes, buffer_bytes_peak; /* connections' buffers (gauges) */
} metrics;
extern metrics proxy_metrics;
#define METRIC_ADD(field, n) __atomic_fetch_add(&proxy_metrics.field, (n), __ATOMIC_RELAXED)
#define METRIC_SUB(field, n) __atomic_fetch_sub(&proxy_metrics.field, (n), __ATOMIC_RELAXED)
/* The Prometheus text of the counters into a malloc'ed string. */
char *metrics_render(size_t *len);
/* Serve GET /metrics on host:port (its own thread): 0 or 1 (reported). */
int metrics_start(const char *host, int port);
void metrics_stop(void);

/* ---- logs (log.c): JSON lines on stderr, never a key or a payload ---- */

void plog(const char *level, const char *event, uint64_t conn, const char *detail);
/* false: nothing is written (the fuzz target). */
extern bool plog_enabled;
/* A dropped message: direction "up" (client to broker) or "down". */
void plog_drop(uint64_t conn, const char *direction, const uint8_t *topic, size_t tlen,
               enum drop_reason why, const char *detail);

/* ---- identities (ids.c, control.c) ---- */

typedef struct control_link control_link;
typedef struct proxy_identity {
    char *client_id; /* gateway: the downstream MQTT client id; NULL: anyone */
    char *state_path;
    e4_client *e4;
    char *control_topic; /* never unprotected as data: C2's channel */
    size_t control_len;
    size_t overhead; /* bytes protection adds (24 SK, 104 PK, its suite's) */
    control_link *link;
} proxy_identity;

/* ---- the proxy ---- */

typedef struct proxy_conf {
    const char *listen; /* HOST:PORT */
    const char *broker; /* mqtt://HOST:PORT */
    char *broker_host;
    int broker_port, listen_port;
    char *listen_host;
    const char *metrics;            /* HOST:PORT or NULL */
    const char *gateway_map;        /* FILE: CLIENT-ID STATE-FILE lines */
    const char *config;             /* --config FILE */
    const char *tls_cert, *tls_key; /* clients connect with TLS */
    const char *cafile, *capath;    /* verifying an mqtts:// broker */
    int broker_tls;
    const char *username; /* upstream credentials replacing the clients' */
    char *password;
    uint32_t max_packet, max_conns, keepalive, state_interval;
    int no_receipts;
    int reuse_port; /* several e4proxy processes share --listen */
    int log_level;
} proxy_conf;

typedef struct proxy {
    proxy_conf conf;
    policy pol;
    proxy_identity *ids;
    size_t nids;
    uint8_t *scratch; /* protect / unprotect output */
    size_t scratch_cap;
    uint64_t next_serial;
    bool replay_check; /* not with --no-replay-check */
} proxy;

/* The identity for a downstream MQTT client id, NULL when none. */
proxy_identity *proxy_identity_for(proxy *px, const uint8_t *client_id, size_t len);
/* Single mode: one identity from the identity options. Gateway: the map's
 * states. 0 or 1 (reported). */
int ids_open(proxy *px, struct identity_opts *io);
void ids_close(proxy *px);
/* Serve with e4 (taken over, freed by ids_close) as the single identity. */
int ids_adopt(proxy *px, e4_client *e4);
/* The scratch buffer for px->conf.max_packet and the identities' largest
 * overhead (after ids_open / ids_adopt): 0 or 1 (reported). */
int proxy_prepare(proxy *px);
/* Is topic this identity's control topic (or under it: receipts)? */
bool ids_is_control(const proxy_identity *id, const uint8_t *topic, size_t len);

/* Control connections (control.c). */
int control_start(proxy *px, proxy_identity *id);
void control_tick(proxy_identity *id); /* once a second: STATE receipts due */
void control_stop(proxy_identity *id);

/* ---- the event loop (loop.c) ---- */

/* Listen and serve until SIGTERM/SIGINT; SIGHUP calls reload(px). 0, or 1
 * when the proxy could not start (reported). */
int loop_run(proxy *px, int (*reload)(proxy *px));

/* ---- TLS (tls.c) ---- */

struct side;

/* The contexts the configuration asks for: 0 or 1 (reported). */
int tls_setup(const proxy_conf *c);
void tls_free(void);
/* Use TLS on s (its fd set) when that side is configured for it: the
 * server side for clients, the client side (host checked) for the broker.
 * 0, or -1. */
int tls_attach(struct side *s, bool server, const char *host);
void tls_detach(struct side *s);
/* Bytes TLS has decrypted and not yet returned. */
size_t tls_pending(const struct side *s);
/* recv / send, through TLS when the side has it: > 0 bytes, 0 at the end,
 * -1 with errno (EAGAIN: when the socket allows). */
ssize_t side_read(struct side *s, void *buf, size_t n);
ssize_t side_write(struct side *s, const void *buf, size_t n);

/* ---- one connection pair and its session (session.c) ---- */

enum { TAG_DOWN = 1, TAG_UP = 2, TAG_LISTEN = 3, TAG_SIGNAL = 4 };

enum pc_state { PC_WAIT_CONNECT, PC_CONNECTING, PC_OPEN, PC_CLOSING };

struct pconn;
struct side {
    int kind; /* first member: the epoll tag (loop.c) */
    int fd;
    struct pconn *pc;
    pbuf in, out;
    uint32_t max_packet; /* largest packet the peer on this side accepts */
    uint16_t alias_max;  /* aliases this side's peer may send us */
    char **alias;        /* topics of the aliases received from this side */
    uint16_t *held;      /* QoS 2 ids the proxy answered itself (dropped) */
    size_t nheld, capheld;
    uint32_t ev; /* epoll events registered (loop.c) */
    bool paused, connecting;
    void *ssl;           /* SSL * when this side uses TLS (tls.c) */
    bool tls_want_write; /* TLS needs the socket writable to go on */
};

typedef struct pconn {
    struct side down, up;
    enum pc_state state;
    int version;     /* MQTT_V311 or MQTT_V5, 0 before CONNECT */
    uint64_t serial; /* in logs */
    proxy_identity *id;
    bool want_upstream;    /* CONNECT accepted: the loop connects up */
    bool clean_disconnect; /* the client sent DISCONNECT */
    bool dead;             /* closed; freed at the end of the loop's turn */
    uint8_t (*seen)[16];   /* tags of messages unprotected for this client
                              (replays), PROXY_SEEN_MAX slots, lazily */
    struct pconn *next, *prev;
} pconn;

/* Initialise a pair for an accepted client (fds may be -1: fuzzing). */
void session_init(pconn *pc, uint64_t serial);
/* Frame and handle the bytes of side s (&pc->down or &pc->up) held in
 * s->in: complete packets are consumed. 0, or -1: close the pair (logged,
 * counted). */
int session_input(proxy *px, pconn *pc, struct side *s);
/* The same over bytes not yet copied: consumes what it can and keeps a
 * trailing partial packet in s->in. */
int session_feed(proxy *px, pconn *pc, struct side *s, const uint8_t *data, size_t len);
/* Free what the session allocated (not the sockets). */
void session_free(pconn *pc);

/* ---- PUBLISH transform (publish.c) ---- */

/* A PUBLISH from the client (to = &pc->up) or the broker (to = &pc->down),
 * decoded from pkt: forwarded protected / unprotected / as is, or dropped
 * with the acknowledgement the sender expects. 0, or -1 to close. */
int publish_forward(proxy *px, pconn *pc, struct side *from, struct side *to, const mqtt_packet *p,
                    const uint8_t *pkt, size_t len);
/* The will of a CONNECT: its payload protected in place into the proxy's
 * scratch (c->will_payload updated; its properties rebuilt in wprops,
 * wcap entries) or the will removed. */
void publish_protect_will(proxy *px, pconn *pc, mqtt_connect *c, mqtt_prop *wprops, size_t wcap);
/* Encode p for pc's version at the end of to's output. */
int session_send(pconn *pc, struct side *to, const mqtt_packet *p);

#endif
