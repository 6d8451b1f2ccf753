/* mqttinfo: types shared by the analyzer's modules. */
#ifndef MQTTINFO_MI_H
#define MQTTINFO_MI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A check's answer: yes, no, or "no decisive answer in time". */
typedef enum { MI_NULL = -1, MI_NO = 0, MI_YES = 1 } mi_tri;

/* ---- target (target.c) ---- */

typedef enum { MI_TCP, MI_TLS, MI_WS, MI_WSS } mi_transport;

typedef struct {
    mi_transport transport;
    char host[256];
    int port;
    char path[256]; /* WebSocket path, "/mqtt" by default */
} mi_target;

/* Parses "host", "host:port", "[v6]:port", a bare IPv6 address ("::1") or
 * a mqtt://, mqtts://, ws://, wss:// URL. The port: the one written in the
 * text, else default_port (-p) when > 0, else the scheme's (1883, 8883, 80,
 * 443). Text with credentials ('@') is refused. Returns 0, or -1 with a
 * message in err (which never repeats credentials). */
int mi_target_parse(const char *text, int default_port, bool force_tls, mi_target *t, char *err,
                    size_t errlen);
/* text with any user info before an '@' replaced by "***", for results and
 * messages about text that could not be parsed. */
void mi_target_redact(const char *text, char *buf, size_t len);
/* "host:port" (plus the path for WebSocket), as reported in "target". */
void mi_target_format(const mi_target *t, char *buf, size_t len);
const char *mi_transport_name(mi_transport tr);

/* ---- options ---- */

typedef struct {
    const char *user;     /* NULL: no credentials supplied */
    const char *password; /* NULL: none */
    const char *cafile;
    bool insecure;     /* TLS: do not fail on an unverified certificate */
    int timeout_ms;    /* per-check deadline */
    int sys_window_ms; /* $SYS collection: quiet period that ends it */
    int sys_cap_ms;    /* $SYS collection: hard cap */
} mi_options;

/* ---- result ---- */

/* THE list of checks, in report order: the JSON key of each, and whether
 * "yes" is the good answer (shown green in the text report). */
// clang-format off
#define MI_CHECKS(X)                                                                           \
    X(SUPPORTED, "supported", true)                                                             \
    X(ANONYMOUS, "anonymous", false)                                                            \
    X(AUTH_OK, "auth_ok", true)                                                                 \
    X(QOS1, "qos1", true)                                                                       \
    X(QOS2, "qos2", true)                                                                       \
    X(QOS3_REJECTED, "qos3_rejected", true)                                                     \
    X(SUBSCRIBE_ALL, "subscribe_all", false)                                                    \
    X(INVALID_FILTER_REJECTED, "invalid_filter_rejected", true)                                 \
    X(INVALID_UTF8_REJECTED, "invalid_utf8_rejected", true)                                     \
    X(SYS_PUBLISH_ALLOWED, "sys_publish_allowed", false)                                        \
    X(SYS_PUBLISH_DELIVERED, "sys_publish_delivered", false)
// clang-format on

#define MI_CHECK_ENUM(id, key, good) MI_C_##id,
enum { MI_CHECKS(MI_CHECK_ENUM) MI_C_COUNT };
#undef MI_CHECK_ENUM
extern const char *const mi_check_keys[MI_C_COUNT];
extern const bool mi_check_good_when_true[MI_C_COUNT];

#define MI_DETAIL_LEN 80
#define MI_MAX_VIOLATIONS 4

/* What a 5.0 CONNACK announced. has_* tells whether the property was present. */
typedef struct {
    bool present; /* a 5.0 CONNACK was decoded */
    int reason_code;
    bool has_maximum_qos, has_retain_available, has_wildcard_available, has_subid_available,
        has_shared_available, has_maximum_packet_size, has_receive_maximum, has_topic_alias_maximum,
        has_server_keep_alive;
    int maximum_qos;
    bool retain_available, wildcard_available, subid_available, shared_available;
    uint32_t maximum_packet_size;
    int receive_maximum, topic_alias_maximum, server_keep_alive;
    char assigned_client_id[128];
    char reason_string[160];
    char server_reference[160];
    bool has_assigned_client_id, has_reason_string, has_server_reference;
    uint8_t order[16]; /* property identifiers in the order they came */
    int norder;
} mi_connack_props;

typedef struct {
    int version; /* 4 or 5 */
    mi_tri check[MI_C_COUNT];
    char detail[MI_C_COUNT][MI_DETAIL_LEN]; /* what was observed, for evidence */
    int ack_code[MI_C_COUNT];               /* reason code of the answering ack, -1: none */
    int anon_connack_code;                  /* -1: none received */
    bool v311_shaped_connack;               /* 5.0 only: answered with a 3.1.1 CONNACK */
    mi_connack_props props;                 /* 5.0 only */
    char error[160];                        /* why the interface could not be analyzed */
    int nviolations;                        /* answers that break the standard */
    char violations[MI_MAX_VIOLATIONS][MI_DETAIL_LEN];
    int qos2_answer;                       /* what a QoS 2 PUBLISH got: PUBREC, PUBACK,
                                              DISCONNECT (also a close), 0 nothing,
                                              -1 not asked */
    char disconnect_reason[MI_DETAIL_LEN]; /* first 5.0 DISCONNECT reason string */
    int nseen;                             /* PUBLISH topics pushed while waiting for acks */
    char seen_topics[4][96];
} mi_version_result;

#define MI_SYS_MAX_TOPICS 256
#define MI_SYS_MAX_VALUES 16

typedef struct {
    mi_tri published;
    int ntopics;        /* distinct topic names seen */
    int ntopics_stored; /* how many are in topics[] (bounded) */
    char *topics[MI_SYS_MAX_TOPICS];
    int nvalues;
    char *value_topic[MI_SYS_MAX_VALUES];
    char *value[MI_SYS_MAX_VALUES];
    char version[128];
    char version_topic[160]; /* where version came from */
    char uptime[64];
    char clients[64];
    char canary_client_id[64]; /* id of the connection made to provoke announcements */
    bool canary_announced;     /* its id was published under $SYS */
    char announce_topic[160];  /* where it was announced */
    char advisory_topic[96];   /* first ActiveMQ/Advisory/... message (ActiveMQ's status tree) */
    char error[160];
} mi_sys_tree;

typedef struct {
    bool present;
    char version[32];
    char cipher[64];
    char subject[256];
    char issuer[256];
    char not_before[32];
    char not_after[32];
    bool self_signed;
    bool verified;
    char verify_error[128];
} mi_tls_info;

#define MI_MAX_EVIDENCE 12
typedef struct {
    char name[32];
    char version[64];
    double confidence;
    int nevidence;
    char evidence[MI_MAX_EVIDENCE][160];
} mi_product;

typedef enum { MI_SEV_INFO, MI_SEV_LOW, MI_SEV_MEDIUM, MI_SEV_HIGH, MI_SEV_CRITICAL } mi_severity;

#define MI_MAX_FINDINGS 24
typedef struct {
    const char *id;
    mi_severity severity;
    char summary[200];
    const char *remediation;
} mi_finding;

typedef struct {
    char target[300];
    mi_transport transport;
    char time[32];
    char error[200]; /* empty: no error */
    mi_version_result v311, v5;
    mi_sys_tree sys;
    mi_tls_info tls;
    mi_product product;
    int nfindings;
    mi_finding findings[MI_MAX_FINDINGS];
    long elapsed_ms;
} mi_result;

/* ---- analysis (analyze.c) ---- */

/* A whole analysis, name resolution included, ends within this many
 * --timeout periods, however the endpoint behaves (docs/mqttinfo.md). */
#define MI_ANALYSIS_BUDGET 5

void mi_result_init(mi_result *r);
void mi_result_free(mi_result *r);
/* Runs every check against t and fills r. Each check ends at its deadline
 * (--timeout) and the whole analysis within MI_ANALYSIS_BUDGET of them. */
void mi_analyze(const mi_target *t, const mi_options *o, mi_result *r);

/* ---- fingerprint.c / findings.c ---- */
void mi_fingerprint(mi_result *r);
void mi_findings(mi_result *r);
const char *mi_severity_name(mi_severity s);
int mi_severity_parse(const char *s); /* -1 when unknown */
mi_severity mi_result_max_severity(const mi_result *r, bool *any);

/* ---- util.c ---- */
int64_t mi_now_ms(void); /* monotonic */
/* Stops every analysis of the process: waits and reads end at once (as at
 * their deadline). Async-signal-safe (a SIGINT handler calls it). */
void mi_cancel(void);
bool mi_cancelled(void);
void mi_random_hex(char *buf, size_t nhex); /* nhex hex digits + NUL */
uint16_t mi_random_u16(void);
void mi_utc_now(char *buf, size_t len); /* RFC 3339 */
void mi_sanitize(char *dst, size_t dstlen, const uint8_t *src, size_t srclen);
size_t mi_strlcpy(char *dst, const char *src, size_t len);

#endif
