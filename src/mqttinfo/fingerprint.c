/* mqttinfo: product guess from evidence. Every point of confidence comes
 * from something the broker said; no evidence means "unknown" (never a
 * guess by elimination). */
#include "mi.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { P_MOSQUITTO, P_HIVEMQ, P_VERNEMQ, P_EMQX, P_RABBITMQ, P_ACTIVEMQ, P_AEDES, P_MOSCA,
       P_EJABBERD, P_NANOMQ, P_COUNT };

static const char *const names[P_COUNT] = {"mosquitto", "hivemq",  "vernemq", "emqx",
                                           "rabbitmq",  "activemq", "aedes",  "mosca",
                                           "ejabberd",  "nanomq"};
/* How each product spells itself in banners and strings. */
static const char *const spellings[P_COUNT] = {"mosquitto", "hivemq", "vernemq", "emqx",
                                               "rabbitmq",  "activemq", "aedes", "mosca",
                                               "ejabberd",  "nanomq"};

typedef struct {
    double score[P_COUNT];
    int nev[P_COUNT];
    char ev[P_COUNT][MI_MAX_EVIDENCE][160];
    char version[P_COUNT][64];
} tally;

static void add(tally *t, int p, double w, const char *fmt, const char *arg)
{
    t->score[p] += w;
    if (t->nev[p] < MI_MAX_EVIDENCE)
        snprintf(t->ev[p][t->nev[p]++], 160, fmt, arg ? arg : "");
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

/* Copies the version-looking token after `after` (e.g. "2.0.11"). */
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

/* "$SYS/<id>/<rest>": is <rest> the given suffix, with a single id level? */
static bool sys_id_topic(const char *topic, const char *rest)
{
    if (strncmp(topic, "$SYS/", 5) != 0)
        return false;
    const char *id = topic + 5;
    const char *slash = strchr(id, '/');
    return slash && slash > id && strcmp(slash + 1, rest) == 0;
}

static void from_sys(tally *t, const mi_sys_tree *st)
{
    const char *v = st->version;
    if (v[0]) {
        for (int p = 0; p < P_COUNT; p++) {
            const char *at = ci_find(v, spellings[p]);
            if (at) {
                char ev[300];
                snprintf(ev, sizeof ev, "%.100s says \"%.100s\"", st->version_topic, v);
                add(t, p, 0.9, "%.159s", ev);
                version_after(at + strlen(spellings[p]), t->version[p], sizeof t->version[p]);
            }
        }
    }
    for (int i = 0; i < st->nvalues; i++) {
        if (st->value[i] == NULL || strcmp(st->value[i], v) == 0)
            continue;
        for (int p = 0; p < P_COUNT; p++)
            if (ci_find(st->value[i], spellings[p]))
                add(t, p, 0.5, "$SYS value mentions the product: %.100s", st->value_topic[i]);
    }
    bool mosq_load = false, mosq_heap = false, emqx_brokers = false, aedes_hb = false,
         mosca_load = false, nanomq_conn = false, vmq = false;
    for (int i = 0; i < st->ntopics_stored; i++) {
        const char *tp = st->topics[i];
        if (strncmp(tp, "$SYS/broker/load/", 17) == 0)
            mosq_load = true;
        if (strcmp(tp, "$SYS/broker/heap/current") == 0)
            mosq_heap = true;
        if (strncmp(tp, "$SYS/brokers/", 13) == 0 && (ends_with(tp, "/sysdescr") ||
                                                       ends_with(tp, "/version")))
            emqx_brokers = true;
        if (sys_id_topic(tp, "heartbeat") || sys_id_topic(tp, "birth") ||
            sys_id_topic(tp, "new/subscribes"))
            aedes_hb = true;
        if (strncmp(tp, "$SYS/", 5) == 0 && strstr(tp, "/load/publish/") &&
            strncmp(tp, "$SYS/broker/", 12) != 0)
            mosca_load = true;
        if (strcmp(tp, "$SYS/brokers/connected") == 0 || strcmp(tp, "$SYS/brokers/disconnected") == 0)
            nanomq_conn = true;
        if (ci_find(tp, "VerneMQ@") || strstr(tp, "/mqtt/connect/received"))
            vmq = true;
    }
    if (mosq_load && mosq_heap)
        add(t, P_MOSQUITTO, 0.5, "%s", "$SYS/broker/load/... and $SYS/broker/heap/current topics");
    if (emqx_brokers)
        add(t, P_EMQX, 0.5, "%s", "$SYS/brokers/<node>/version|sysdescr topics");
    if (nanomq_conn)
        add(t, P_NANOMQ, 0.6, "%s", "$SYS/brokers/connected event topic");
    if (vmq)
        add(t, P_VERNEMQ, 0.6, "%s", "VerneMQ node metrics under $SYS");
    if (mosca_load)
        add(t, P_MOSCA, 0.4, "%s", "$SYS/<id>/load/publish/... topics");
    if (st->canary_announced) {
        const char *at = st->announce_topic;
        if (sys_id_topic(at, "new/clients")) {
            if (mosca_load)
                add(t, P_MOSCA, 0.3, "connection announced on %.100s", at);
            else
                add(t, P_AEDES, 0.7, "connection announced on %.100s (aedes' $SYS/<id>/new/clients)", at);
        } else if (strcmp(at, "$SYS/brokers/connected") == 0) {
            add(t, P_NANOMQ, 0.2, "connection announced on %.100s", at);
        } else if (strncmp(at, "$SYS/brokers/", 13) == 0 && ends_with(at, "/connected")) {
            add(t, P_EMQX, 0.6, "connection announced on %.100s", at);
        }
    }
    if (aedes_hb && !mosca_load)
        add(t, P_AEDES, 0.2, "%s", "$SYS/<id>/heartbeat, birth or new/subscribes topic");
}

static void from_version(tally *t, const mi_version_result *vr, int version)
{
    const mi_connack_props *cp = &vr->props;
    if (cp->present && cp->has_reason_string)
        for (int p = 0; p < P_COUNT; p++)
            if (ci_find(cp->reason_string, spellings[p]))
                add(t, p, 0.6, "CONNACK reason string \"%.100s\"", cp->reason_string);
    if (cp->present && cp->has_server_reference)
        for (int p = 0; p < P_COUNT; p++)
            if (ci_find(cp->server_reference, spellings[p]))
                add(t, p, 0.3, "server reference \"%.100s\"", cp->server_reference);
    for (int i = 0; i < vr->nseen; i++)
        if (strncmp(vr->seen_topics[i], "ActiveMQ/Advisory", 17) == 0) {
            add(t, P_ACTIVEMQ, 0.8, "pushed advisory topic %.96s", vr->seen_topics[i]);
            break;
        }
    (void)version;
}

void mi_fingerprint(mi_result *r)
{
    tally local; /* ~20 KB */
    tally *tp = &local;
    memset(tp, 0, sizeof *tp);
    from_sys(tp, &r->sys);
    from_version(tp, &r->v311, 4);
    from_version(tp, &r->v5, 5);
    /* Supporting (never sufficient) evidence, counted only for a product
     * something else already pointed at. */
    if (tp->score[P_AEDES] > 0 && r->v5.check[MI_C_SUPPORTED] == MI_NO &&
        r->v5.anon_connack_code == 1 && strstr(r->v5.detail[MI_C_SUPPORTED], "3.1.1-shaped"))
        add(tp, P_AEDES, 0.1, "%s", "answers a 5.0 CONNECT with a 3.1.1 CONNACK code 1");
    if (tp->score[P_MOSQUITTO] > 0 && r->v5.props.present && r->v5.props.has_topic_alias_maximum &&
        r->v5.props.topic_alias_maximum == 10)
        add(tp, P_MOSQUITTO, 0.05, "%s", "5.0 CONNACK topic alias maximum 10 (mosquitto default)");

    int best = -1;
    for (int p = 0; p < P_COUNT; p++)
        if (tp->score[p] > 0 && (best < 0 || tp->score[p] > tp->score[best]))
            best = p;
    memset(&r->product, 0, sizeof r->product);
    if (best < 0) {
        mi_strlcpy(r->product.name, "unknown", sizeof r->product.name);
        return;
    }
    mi_strlcpy(r->product.name, names[best], sizeof r->product.name);
    mi_strlcpy(r->product.version, tp->version[best], sizeof r->product.version);
    double c = tp->score[best];
    /* Competing evidence lowers confidence. */
    for (int p = 0; p < P_COUNT; p++)
        if (p != best)
            c -= tp->score[p] / 2;
    if (c > 0.99)
        c = 0.99;
    if (c < 0.1)
        c = 0.1;
    r->product.confidence = (double)(int)(c * 100 + 0.5) / 100;
    r->product.nevidence = tp->nev[best];
    memcpy(r->product.evidence, tp->ev[best], sizeof r->product.evidence);
}
