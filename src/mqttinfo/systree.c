/* mqttinfo: what the broker publishes under $SYS. Subscribes to $SYS/#
 * (and ActiveMQ's ActiveMQ/Advisory/#), provokes one connection
 * announcement (a "canary" client connects and leaves) and collects until
 * the messages stop for a short quiet window. */
#include "analyze.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADVISORY_PREFIX "ActiveMQ/Advisory/"

static bool has_topic(const mi_sys_tree *st, const uint8_t *t, size_t n)
{
    for (int i = 0; i < st->ntopics_stored; i++)
        if (strlen(st->topics[i]) == n && memcmp(st->topics[i], t, n) == 0)
            return true;
    return false;
}

static bool contains(const uint8_t *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; k && i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return true;
    return false;
}

static char *dup_sanitized(const uint8_t *p, size_t n, size_t cap)
{
    size_t k = n < cap ? n : cap;
    char *s = malloc(k + 1);
    if (s)
        mi_sanitize(s, k + 1, p, k);
    return s;
}

static bool ends_with_str(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Topics whose values are worth reporting. */
static bool interesting(const char *t)
{
    static const char *const suffixes[] = {
        "/version",         "/uptime",    "/clients/connected", "/clients/total",
        "/clients/maximum", "/timestamp", "/sysdescr",          "/datetime"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        if (ends_with_str(t, suffixes[i]))
            return true;
    return false;
}

/* Keeps the value of an interesting topic, and the version, uptime and
 * client count it may be. */
static void keep_value(mi_sys_tree *st, const char *name, const mqtt_publish *pub)
{
    if (!interesting(name) || st->nvalues >= MI_SYS_MAX_VALUES)
        return;
    char *v = dup_sanitized(pub->payload.ptr, pub->payload.len, 120);
    char *tcopy = strdup(name);
    if (!v || !tcopy) {
        free(v);
        free(tcopy);
        return;
    }
    st->value_topic[st->nvalues] = tcopy;
    st->value[st->nvalues++] = v;
    if (ends_with_str(name, "/version") && !st->version[0]) {
        mi_strlcpy(st->version, v, sizeof st->version);
        mi_strlcpy(st->version_topic, name, sizeof st->version_topic);
    } else if (strstr(name, "/uptime") && !st->uptime[0]) {
        mi_strlcpy(st->uptime, v, sizeof st->uptime);
    } else if (strstr(name, "/clients/connected") && !st->clients[0]) {
        mi_strlcpy(st->clients, v, sizeof st->clients);
    }
}

static void note_canary(mi_sys_tree *st, const uint8_t *t, size_t tn, const mqtt_publish *pub)
{
    if (st->canary_client_id[0] && !st->canary_announced &&
        (contains(pub->payload.ptr, pub->payload.len, st->canary_client_id) ||
         contains(t, tn, st->canary_client_id))) {
        st->canary_announced = true;
        mi_sanitize(st->announce_topic, sizeof st->announce_topic, t, tn);
    }
}

static void record(mi_sys_tree *st, const mqtt_publish *pub)
{
    const uint8_t *t = pub->topic.ptr;
    size_t tn = pub->topic.len;
    size_t an = strlen(ADVISORY_PREFIX);
    if (tn > an && memcmp(t, ADVISORY_PREFIX, an) == 0 && !st->advisory_topic[0])
        mi_sanitize(st->advisory_topic, sizeof st->advisory_topic, t, tn);
    if (tn < 4 || memcmp(t, "$SYS", 4) != 0)
        return;
    st->published = MI_YES;
    note_canary(st, t, tn, pub);
    if (has_topic(st, t, tn))
        return;
    st->ntopics++;
    if (st->ntopics_stored >= MI_SYS_MAX_TOPICS)
        return;
    char *name = dup_sanitized(t, tn, 200);
    if (!name)
        return;
    st->topics[st->ntopics_stored++] = name;
    keep_value(st, name, pub);
}

/* The canary: connect, and leave at once. */
static void canary(mi_actx *a, int version, const char *user, const char *pass)
{
    mi_session s;
    int64_t dl = mi_deadline(a);
    char id[32];
    mi_client_id(a, version, "k", id, sizeof id);
    if (mi_sess_open(&s, a->ep, a->o, version, dl, NULL) == 0) {
        mi_frame f;
        if (mi_sess_connect(&s, id, user, pass, dl, &f) == 0) {
            static const uint8_t d[2] = {0xe0, 0x00};
            mi_sess_send_bytes(&s, d, sizeof d, dl);
        }
    }
    mi_sess_close(&s);
}

/* The collection of one analysis. */
typedef struct {
    mi_actx *a;
    mi_sys_tree *st;
    mi_session s;
    int version;
    const char *user, *pass; /* what the probes found accepted (NULL: anonymous) */
    uint16_t pid;            /* of the SUBSCRIBE */
    bool subacked;
    int64_t dl, last, cap; /* deadline before the SUBACK; last message; hard cap */
} sys_collect;

/* Waits for the probes to say which interface and credentials work. */
static bool sys_pick(sys_collect *k)
{
    mi_actx *a = k->a;
    pthread_mutex_lock(&a->mu);
    while (!(a->probe_done[0] && (a->usable[0] != MI_USE_NONE || a->probe_done[1])))
        pthread_cond_wait(&a->cv, &a->mu);
    int vi = a->usable[0] != MI_USE_NONE ? 0 : 1;
    int use = a->usable[vi];
    pthread_mutex_unlock(&a->mu);
    k->version = vi ? MQTT_V5 : MQTT_V311;
    k->user = use == MI_USE_CREDS ? a->o->user : NULL;
    k->pass = use == MI_USE_CREDS ? a->o->password : NULL;
    return use != MI_USE_NONE;
}

/* Connects and sends SUBSCRIBE $SYS/#. 0, or -1 with st->error set and the
 * session closed. */
static int sys_subscribe(sys_collect *k)
{
    mi_actx *a = k->a;
    k->dl = mi_deadline(a);
    if (mi_sess_open(&k->s, a->ep, a->o, k->version, k->dl, &a->tls[2]) != 0) {
        snprintf(k->st->error, sizeof k->st->error, "connect: %.140s", k->s.err);
        mi_sess_close(&k->s);
        return -1;
    }
    char id[32];
    mi_client_id(a, k->version, "t", id, sizeof id);
    mi_frame f;
    int rc = mi_sess_connect(&k->s, id, k->user, k->pass, k->dl, &f);
    if (rc || mi_connack_code(&f, k->version, NULL, 0) != 0) {
        snprintf(k->st->error, sizeof k->st->error, "CONNECT not accepted");
        mi_sess_close(&k->s);
        return -1;
    }
    /* ActiveMQ keeps its status tree outside $SYS, where '#' does not
     * reach: ask for it too (any other broker just grants or refuses it). */
    mqtt_sub subs[2];
    memset(subs, 0, sizeof subs);
    subs[0].filter = mqtt_str("$SYS/#");
    subs[1].filter = mqtt_str(ADVISORY_PREFIX "#");
    mqtt_packet p;
    mqtt_packet_init(&p, MQTT_SUBSCRIBE);
    k->pid = mi_sess_packet_id(&k->s);
    p.subscribe.packet_id = k->pid;
    p.subscribe.subs = subs;
    p.subscribe.count = 2;
    mi_client_id(a, k->version, "k", k->st->canary_client_id, sizeof k->st->canary_client_id);
    return mi_sess_send(&k->s, &p, MQTT_ENC_DEFAULT, k->dl);
}

/* One packet of the collection: 0 to go on, else why it ended (1: the
 * subscription was refused). */
static int sys_packet(sys_collect *k, const mi_frame *f)
{
    if (f->type == MQTT_PUBLISH && f->derr == MQTT_OK) {
        record(k->st, &f->p.publish);
        if (k->subacked)
            k->last = mi_now_ms();
        return 0;
    }
    if (f->type == MQTT_DISCONNECT)
        return MI_IO_CLOSED;
    if (f->type != MQTT_SUBACK || f->derr != MQTT_OK || f->p.suback.packet_id != k->pid)
        return 0;
    if (f->p.suback.count < 1 || f->p.suback.codes[0] >= 0x80) {
        snprintf(k->st->error, sizeof k->st->error, "subscription to $SYS/# refused (0x%02x)",
                 f->p.suback.count ? f->p.suback.codes[0] : 0);
        return 1;
    }
    k->subacked = true;
    k->last = mi_now_ms();
    k->cap = mi_clamp(k->a, k->last + k->a->o->sys_cap_ms);
    canary(k->a, k->version, k->user, k->pass);
    return 0;
}

/* Collects until a quiet window after the SUBACK, the cap, or the deadline
 * when no SUBACK comes. Returns why it ended (MI_IO_TIMEOUT: normally). */
static int sys_collect_all(sys_collect *k)
{
    int rc = 0;
    while (rc == 0) {
        int64_t until = k->dl;
        if (k->subacked)
            until = k->last + k->a->o->sys_window_ms < k->cap ? k->last + k->a->o->sys_window_ms
                                                              : k->cap;
        mi_frame f;
        rc = mi_sess_recv(&k->s, until, &f);
        if (rc == 0)
            rc = sys_packet(k, &f);
    }
    return rc;
}

/* published / error from how the collection ended. */
static void sys_conclude(const sys_collect *k, int rc)
{
    mi_sys_tree *st = k->st;
    if (k->subacked && rc == MI_IO_TIMEOUT && st->published != MI_YES)
        st->published = MI_NO;
    else if (!k->subacked && !st->error[0])
        snprintf(st->error, sizeof st->error, "subscription to $SYS/#: %s",
                 mi_sess_result_name(rc));
    else if (k->subacked && rc != MI_IO_TIMEOUT && rc != 1 && st->published != MI_YES)
        snprintf(st->error, sizeof st->error, "%s while collecting", mi_sess_result_name(rc));
}

void mi_systree_run(mi_actx *a, mi_sys_tree *st)
{
    sys_collect k = {.a = a, .st = st};
    st->published = MI_NULL;
    if (!sys_pick(&k)) {
        snprintf(st->error, sizeof st->error, "no accepted connection");
        return;
    }
    int rc = sys_subscribe(&k);
    if (rc < 0 && st->error[0])
        return;
    if (rc == 0)
        rc = sys_collect_all(&k);
    sys_conclude(&k, rc);
    if (rc == MI_IO_TIMEOUT) {
        static const uint8_t d[2] = {0xe0, 0x00};
        mi_sess_send_bytes(&k.s, d, sizeof d, mi_now_ms() + 200);
    }
    mi_sess_close(&k.s);
}
