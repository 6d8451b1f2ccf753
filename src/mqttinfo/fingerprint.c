/* mqttinfo: product guess from evidence. Every point of confidence comes
 * from something the broker said; no evidence means "unknown" (never a
 * guess by elimination).
 *
 * The evidence is THE table below, one rule per observation, each checked
 * against the real product by tests/integration/test_mqttinfo_products.sh
 * (or, for products Debian and npm do not carry, written from their
 * documentation and marked so). A "supporting" rule only counts for a
 * product something else already pointed at: it tells two relatives apart
 * but would be a guess on its own. */
#include "mi.h"

#include "mqtt.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

// clang-format off
#define PRODUCTS(X)                                                                            \
    X(MOSQUITTO, "mosquitto") X(HIVEMQ, "hivemq") X(VERNEMQ, "vernemq") X(EMQX, "emqx")       \
    X(RABBITMQ, "rabbitmq") X(ACTIVEMQ, "activemq") X(AEDES, "aedes") X(MOSCA, "mosca")       \
    X(EJABBERD, "ejabberd") X(NANOMQ, "nanomq")
// clang-format on

#define AS_ENUM(id, name) P_##id,
#define AS_NAME(id, name) name,
enum { PRODUCTS(AS_ENUM) P_COUNT };
/* Lower-case names, as reported and as products spell themselves in
 * banners and strings. */
static const char *const names[P_COUNT] = {PRODUCTS(AS_NAME)};

#define EV_LEN 160

typedef struct {
    double score[P_COUNT];
    int nev[P_COUNT];
    char ev[P_COUNT][MI_MAX_EVIDENCE][EV_LEN];
    char version[P_COUNT][64];
} tally;

static void add(tally *t, int p, double w, const char *ev)
{
    t->score[p] += w;
    if (t->nev[p] < MI_MAX_EVIDENCE)
        mi_strlcpy(t->ev[p][t->nev[p]++], ev, EV_LEN);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static const char *ci_find(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return hay;
    return NULL;
}

/* Copies the version-looking token that follows (e.g. "2.0.11"). */
static void version_after(const char *s, char *out, size_t len)
{
    while (*s && !isdigit((unsigned char)*s))
        s++;
    size_t k = 0;
    while (s[k] && (isalnum((unsigned char)s[k]) || s[k] == '.' || s[k] == '-' || s[k] == '_') &&
           k + 1 < len)
        k++;
    memcpy(out, s, k);
    out[k] = '\0';
}

/* "$SYS/<id>/<rest>" with a single id level: the id, copied to id. */
static bool sys_id_topic(const char *topic, const char *rest, char *id, size_t idlen)
{
    if (strncmp(topic, "$SYS/", 5) != 0)
        return false;
    const char *start = topic + 5, *slash = strchr(start, '/');
    if (!slash || slash == start || strcmp(slash + 1, rest) != 0)
        return false;
    if (id)
        snprintf(id, idlen, "%.*s", (int)(slash - start), start);
    return true;
}

static bool any_sys_topic(const mi_result *r, bool (*pred)(const char *))
{
    for (int i = 0; i < r->sys.ntopics_stored; i++)
        if (pred(r->sys.topics[i]))
            return true;
    return false;
}

static bool is_uuid(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    if (strlen(s) != sizeof shape - 1)
        return false;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* ---- the observations ---- */

static bool mosq_load_topic(const char *t)
{
    return strncmp(t, "$SYS/broker/load/", 17) == 0;
}
static bool mosq_heap_topic(const char *t)
{
    return strcmp(t, "$SYS/broker/heap/current") == 0;
}

static bool r_mosquitto_sys(const mi_result *r, char *ev, size_t n)
{
    snprintf(ev, n, "$SYS/broker/load/... and $SYS/broker/heap/current topics");
    return any_sys_topic(r, mosq_load_topic) && any_sys_topic(r, mosq_heap_topic);
}

/* The order properties come in says which code built the CONNACK. */
static bool props_in_order(const mi_connack_props *cp, const uint8_t *canon, size_t ncanon)
{
    size_t j = 0;
    for (int i = 0; i < cp->norder; i++) {
        while (j < ncanon && canon[j] != cp->order[i])
            j++;
        if (j++ >= ncanon)
            return false;
    }
    return true;
}

static bool props_have(const mi_connack_props *cp, uint8_t id)
{
    return memchr(cp->order, id, (size_t)cp->norder) != NULL;
}

/* mosquitto 2.x: topic alias maximum (and server keep alive, assigned
 * client id) where the session is set up, then retain available, maximum
 * packet size, receive maximum and maximum QoS where the CONNACK is sent. */
static bool r_mosquitto_props(const mi_result *r, char *ev, size_t n)
{
    static const uint8_t canon[] = {MQTT_PROP_TOPIC_ALIAS_MAXIMUM,
                                    MQTT_PROP_SERVER_KEEP_ALIVE,
                                    MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER,
                                    MQTT_PROP_RETAIN_AVAILABLE,
                                    MQTT_PROP_MAXIMUM_PACKET_SIZE,
                                    MQTT_PROP_RECEIVE_MAXIMUM,
                                    MQTT_PROP_MAXIMUM_QOS};
    const mi_connack_props *cp = &r->v5.props;
    snprintf(ev, n,
             "5.0 CONNACK properties in mosquitto's order: topic alias maximum %d, then "
             "receive maximum %d",
             cp->topic_alias_maximum, cp->receive_maximum);
    return cp->present && cp->reason_code == 0 && props_have(cp, MQTT_PROP_TOPIC_ALIAS_MAXIMUM) &&
           props_have(cp, MQTT_PROP_RECEIVE_MAXIMUM) && props_in_order(cp, canon, sizeof canon);
}

/* mosquitto drops a client's $SYS publish: silently in 3.1.1 (PUBACK, never
 * delivered), with "not authorized" in 5.0. Weak alone; it is what is left
 * when $SYS and topic aliases are both turned off. */
static bool r_mosquitto_sys_publish(const mi_result *r, char *ev, size_t n)
{
    snprintf(ev, n,
             "$SYS publish: 3.1.1 PUBACK but never delivered, 5.0 PUBACK 0x87 (not "
             "authorized), as mosquitto answers");
    return r->v311.check[MI_C_SYS_PUBLISH_ALLOWED] == MI_YES &&
           r->v311.check[MI_C_SYS_PUBLISH_DELIVERED] == MI_NO &&
           r->v5.ack_code[MI_C_SYS_PUBLISH_ALLOWED] == 0x87;
}

/* ejabberd's mod_mqtt: exactly these four, in this order. */
static bool r_ejabberd_props(const mi_result *r, char *ev, size_t n)
{
    static const uint8_t sig[] = {MQTT_PROP_TOPIC_ALIAS_MAXIMUM,
                                  MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE,
                                  MQTT_PROP_SESSION_EXPIRY_INTERVAL, MQTT_PROP_SERVER_KEEP_ALIVE};
    const mi_connack_props *cp = &r->v5.props;
    snprintf(ev, n,
             "5.0 CONNACK properties exactly topic alias maximum, shared subscription "
             "available, session expiry, server keep alive (ejabberd's order)");
    return cp->present && cp->norder == (int)sizeof sig && memcmp(cp->order, sig, sizeof sig) == 0;
}

/* ejabberd words its protocol errors "Protocol error: ..." (mqtt_codec). */
static bool r_ejabberd_reason(const mi_result *r, char *ev, size_t n)
{
    const char *why = r->v5.disconnect_reason;
    snprintf(ev, n, "DISCONNECT reason string \"%.100s\"", why);
    return strncmp(why, "Protocol error: ", 16) == 0;
}

/* RabbitMQ's MQTT plugin (before 3.13) maps QoS 2 to QoS 1. */
static bool r_rabbitmq_qos2(const mi_result *r, char *ev, size_t n)
{
    snprintf(ev, n,
             "a QoS 2 PUBLISH is answered with PUBACK: QoS 2 downgraded to 1, as "
             "RabbitMQ's MQTT plugin does");
    return r->v311.qos2_answer == MQTT_PUBACK;
}

static bool r_activemq_advisory(const mi_result *r, char *ev, size_t n)
{
    const char *topic = r->sys.advisory_topic;
    for (int i = 0; !topic[0] && i < r->v311.nseen; i++)
        if (strncmp(r->v311.seen_topics[i], "ActiveMQ/Advisory/", 18) == 0)
            topic = r->v311.seen_topics[i];
    snprintf(ev, n, "ActiveMQ advisory message on %.96s", topic);
    return topic[0] != '\0';
}

static bool r_emqx_sys(const mi_result *r, char *ev, size_t n)
{
    snprintf(ev, n, "$SYS/brokers/<node>/version|sysdescr topics");
    for (int i = 0; i < r->sys.ntopics_stored; i++) {
        const char *t = r->sys.topics[i];
        if (strncmp(t, "$SYS/brokers/", 13) == 0 &&
            (ends_with(t, "/sysdescr") || ends_with(t, "/version")))
            return true;
    }
    return false;
}

static bool r_emqx_announce(const mi_result *r, char *ev, size_t n)
{
    const char *at = r->sys.announce_topic;
    snprintf(ev, n, "connection announced on %.100s", at);
    return r->sys.canary_announced && strncmp(at, "$SYS/brokers/", 13) == 0 &&
           ends_with(at, "/connected") && strcmp(at, "$SYS/brokers/connected") != 0;
}

static bool nanomq_topic(const char *t)
{
    return strcmp(t, "$SYS/brokers/connected") == 0 || strcmp(t, "$SYS/brokers/disconnected") == 0;
}

static bool r_nanomq_sys(const mi_result *r, char *ev, size_t n)
{
    snprintf(ev, n, "$SYS/brokers/connected event topic");
    return any_sys_topic(r, nanomq_topic);
}

static bool vernemq_topic(const char *t)
{
    return ci_find(t, "VerneMQ@") || strstr(t, "/mqtt/connect/received");
}

static bool r_vernemq_sys(const mi_result *r, char *ev, size_t n)
{
    snprintf(ev, n, "VerneMQ node metrics under $SYS");
    return any_sys_topic(r, vernemq_topic);
}

/* aedes and mosca (its predecessor) both announce connections on
 * $SYS/<broker id>/new/clients. */
static bool r_node_announce(const mi_result *r, char *ev, size_t n)
{
    snprintf(ev, n, "connection announced on %.100s", r->sys.announce_topic);
    return r->sys.canary_announced && sys_id_topic(r->sys.announce_topic, "new/clients", NULL, 0);
}

static bool announce_id_is_uuid(const mi_result *r)
{
    char id[64] = "";
    sys_id_topic(r->sys.announce_topic, "new/clients", id, sizeof id);
    return is_uuid(id);
}

static bool r_aedes_uuid(const mi_result *r, char *ev, size_t n)
{
    snprintf(ev, n, "its broker id is a UUID, as aedes makes them");
    return r->sys.canary_announced && announce_id_is_uuid(r);
}

static bool r_mosca_shortid(const mi_result *r, char *ev, size_t n)
{
    snprintf(ev, n, "its broker id is a short id, as mosca makes them, not aedes' UUID");
    return r->sys.canary_announced && !announce_id_is_uuid(r);
}

static bool r_mosca_no_qos2(const mi_result *r, char *ev, size_t n)
{
    snprintf(ev, n, "a QoS 2 PUBLISH gets no answer at all (mosca never implemented QoS 2)");
    return r->v311.qos2_answer == 0;
}

static bool r_aedes_qos2(const mi_result *r, char *ev, size_t n)
{
    snprintf(ev, n, "QoS 2 completes (PUBREC, PUBCOMP), which mosca never did");
    return r->v311.qos2_answer == MQTT_PUBREC && r->v311.check[MI_C_QOS2] == MI_YES;
}

static bool mosca_load_topic(const char *t)
{
    return strncmp(t, "$SYS/", 5) == 0 && strstr(t, "/load/publish/") &&
           strncmp(t, "$SYS/broker/", 12) != 0;
}

static bool r_mosca_load(const mi_result *r, char *ev, size_t n)
{
    snprintf(ev, n, "$SYS/<id>/load/publish/... topics");
    return any_sys_topic(r, mosca_load_topic);
}

static bool aedes_topic(const char *t)
{
    return sys_id_topic(t, "heartbeat", NULL, 0) || sys_id_topic(t, "birth", NULL, 0);
}

static bool r_aedes_heartbeat(const mi_result *r, char *ev, size_t n)
{
    snprintf(ev, n, "$SYS/<id>/heartbeat or birth topic");
    return any_sys_topic(r, aedes_topic) && !any_sys_topic(r, mosca_load_topic);
}

static bool r_aedes_v5_answer(const mi_result *r, char *ev, size_t n)
{
    snprintf(ev, n, "answers a 5.0 CONNECT with a 3.1.1 CONNACK code 1");
    return r->v5.v311_shaped_connack && r->v5.anon_connack_code == 1;
}

typedef struct {
    int product;
    double weight;
    bool supporting; /* counts only for a product already pointed at */
    bool (*match)(const mi_result *r, char *ev, size_t evlen);
} rule;

static const rule rules[] = {
    {P_MOSQUITTO, 0.5, false, r_mosquitto_sys},
    {P_MOSQUITTO, 0.5, false, r_mosquitto_props},
    {P_MOSQUITTO, 0.3, false, r_mosquitto_sys_publish},
    {P_EJABBERD, 0.5, false, r_ejabberd_props},
    {P_EJABBERD, 0.5, false, r_ejabberd_reason},
    {P_RABBITMQ, 0.7, false, r_rabbitmq_qos2},
    {P_ACTIVEMQ, 0.9, false, r_activemq_advisory},
    {P_EMQX, 0.5, false, r_emqx_sys},
    {P_EMQX, 0.6, false, r_emqx_announce},
    {P_NANOMQ, 0.6, false, r_nanomq_sys},
    {P_VERNEMQ, 0.6, false, r_vernemq_sys},
    {P_AEDES, 0.3, false, r_node_announce},
    {P_MOSCA, 0.3, false, r_node_announce},
    {P_MOSCA, 0.4, false, r_mosca_load},
    {P_AEDES, 0.2, false, r_aedes_heartbeat},
    {P_AEDES, 0.5, true, r_aedes_uuid},
    {P_AEDES, 0.2, true, r_aedes_qos2},
    {P_AEDES, 0.1, true, r_aedes_v5_answer},
    {P_MOSCA, 0.2, true, r_mosca_shortid},
    {P_MOSCA, 0.4, true, r_mosca_no_qos2},
};

static void apply_rules(tally *t, const mi_result *r, bool supporting)
{
    char ev[EV_LEN];
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const rule *ru = &rules[i];
        if (ru->supporting != supporting || (supporting && t->score[ru->product] <= 0))
            continue;
        if (ru->match(r, ev, sizeof ev))
            add(t, ru->product, ru->weight, ev);
    }
}

/* A product naming itself: in the $SYS version or another $SYS value, a
 * CONNACK reason string or server reference. The version comes from there. */
static void mention(tally *t, const char *text, const char *what, double w, bool version)
{
    char ev[EV_LEN];
    for (int p = 0; text[0] && p < P_COUNT; p++) {
        const char *at = ci_find(text, names[p]);
        if (!at)
            continue;
        snprintf(ev, sizeof ev, "%.60s \"%.90s\"", what, text);
        add(t, p, w, ev);
        if (version && !t->version[p][0])
            version_after(at + strlen(names[p]), t->version[p], sizeof t->version[p]);
    }
}

static void from_mentions(tally *t, const mi_result *r)
{
    const mi_sys_tree *st = &r->sys;
    char where[80];
    snprintf(where, sizeof where, "%.70s says", st->version_topic);
    mention(t, st->version, where, 0.9, true);
    for (int i = 0; i < st->nvalues; i++)
        if (st->value[i] && strcmp(st->value[i], st->version) != 0)
            mention(t, st->value[i], st->value_topic[i], 0.5, false);
    const mi_version_result *vr[2] = {&r->v311, &r->v5};
    for (int v = 0; v < 2; v++) {
        const mi_connack_props *cp = &vr[v]->props;
        if (cp->present && cp->has_reason_string)
            mention(t, cp->reason_string, "CONNACK reason string", 0.6, false);
        if (cp->present && cp->has_server_reference)
            mention(t, cp->server_reference, "server reference", 0.3, false);
    }
}

static void conclude(const tally *t, mi_product *out)
{
    int best = -1;
    for (int p = 0; p < P_COUNT; p++)
        if (t->score[p] > 0 && (best < 0 || t->score[p] > t->score[best]))
            best = p;
    memset(out, 0, sizeof *out);
    if (best < 0) {
        mi_strlcpy(out->name, "unknown", sizeof out->name);
        return;
    }
    mi_strlcpy(out->name, names[best], sizeof out->name);
    mi_strlcpy(out->version, t->version[best], sizeof out->version);
    double c = t->score[best];
    for (int p = 0; p < P_COUNT; p++) /* competing evidence lowers confidence */
        if (p != best)
            c -= t->score[p] / 2;
    c = c > 0.99 ? 0.99 : c < 0.1 ? 0.1 : c;
    out->confidence = (double)(int)(c * 100 + 0.5) / 100;
    out->nevidence = t->nev[best];
    memcpy(out->evidence, t->ev[best], sizeof out->evidence);
}

void mi_fingerprint(mi_result *r)
{
    static _Thread_local tally t; /* ~20 KB: not on a scan worker's stack */
    memset(&t, 0, sizeof t);
    from_mentions(&t, r);
    apply_rules(&t, r, false);
    apply_rules(&t, r, true);
    conclude(&t, &r->product);
}
