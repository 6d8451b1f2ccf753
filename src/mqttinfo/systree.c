/* mqttinfo: what the broker publishes under $SYS. Subscribes to $SYS/#,
 * provokes one connection announcement (a "canary" client connects and
 * leaves) and collects until the messages stop for a short quiet window. */
#include "analyze.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Topics whose values are worth reporting. */
static bool interesting(const char *t)
{
    static const char *const suffixes[] = {"/version", "/uptime", "/clients/connected",
                                           "/clients/total", "/clients/maximum", "/timestamp",
                                           "/sysdescr", "/datetime"};
    size_t tl = strlen(t);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t sl = strlen(suffixes[i]);
        if (tl >= sl && strcmp(t + tl - sl, suffixes[i]) == 0)
            return true;
    }
    return false;
}

static void record(mi_sys_tree *st, const mqtt_publish *pub)
{
    const uint8_t *t = pub->topic.ptr;
    size_t tn = pub->topic.len;
    if (tn < 4 || memcmp(t, "$SYS", 4) != 0)
        return;
    st->published = MI_YES;
    if (st->canary_client_id[0] && !st->canary_announced &&
        (contains(pub->payload.ptr, pub->payload.len, st->canary_client_id) ||
         contains(t, tn, st->canary_client_id))) {
        st->canary_announced = true;
        mi_sanitize(st->announce_topic, sizeof st->announce_topic, t, tn);
    }
    if (has_topic(st, t, tn))
        return;
    st->ntopics++;
    if (st->ntopics_stored >= MI_SYS_MAX_TOPICS)
        return;
    char *name = dup_sanitized(t, tn, 200);
    if (!name)
        return;
    st->topics[st->ntopics_stored++] = name;
    if (interesting(name) && st->nvalues < MI_SYS_MAX_VALUES) {
        char *v = dup_sanitized(pub->payload.ptr, pub->payload.len, 120);
        char *tcopy = strdup(name);
        if (v && tcopy) {
            st->value_topic[st->nvalues] = tcopy;
            st->value[st->nvalues++] = v;
            size_t nl = strlen(name);
            if (nl >= 8 && strcmp(name + nl - 8, "/version") == 0 && !st->version[0])
            {
                mi_strlcpy(st->version, v, sizeof st->version);
                mi_strlcpy(st->version_topic, name, sizeof st->version_topic);
            }
            else if (strstr(name, "/uptime") && !st->uptime[0])
                mi_strlcpy(st->uptime, v, sizeof st->uptime);
            else if (strstr(name, "/clients/connected") && !st->clients[0])
                mi_strlcpy(st->clients, v, sizeof st->clients);
        } else {
            free(v);
            free(tcopy);
        }
    }
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

void mi_systree_run(mi_actx *a, mi_sys_tree *st)
{
    st->published = MI_NULL;
    /* Wait for the probes to say which interface and credentials work. */
    pthread_mutex_lock(&a->mu);
    while (!(a->probe_done[0] && (a->usable[0] != MI_USE_NONE || a->probe_done[1])))
        pthread_cond_wait(&a->cv, &a->mu);
    int vi = a->usable[0] != MI_USE_NONE ? 0 : 1;
    int use = a->usable[vi];
    pthread_mutex_unlock(&a->mu);
    if (use == MI_USE_NONE) {
        snprintf(st->error, sizeof st->error, "no accepted connection");
        return;
    }
    int version = vi ? MQTT_V5 : MQTT_V311;
    const char *user = use == MI_USE_CREDS ? a->o->user : NULL;
    const char *pass = use == MI_USE_CREDS ? a->o->password : NULL;

    mi_session s;
    int64_t dl = mi_deadline(a);
    if (mi_sess_open(&s, a->ep, a->o, version, dl, &a->tls[2]) != 0) {
        snprintf(st->error, sizeof st->error, "connect: %.140s", s.err);
        mi_sess_close(&s);
        return;
    }
    char id[32];
    mi_client_id(a, version, "t", id, sizeof id);
    mi_frame f;
    int rc = mi_sess_connect(&s, id, user, pass, dl, &f);
    if (rc || mi_connack_code(&f, version, NULL, 0) != 0) {
        snprintf(st->error, sizeof st->error, "CONNECT not accepted");
        mi_sess_close(&s);
        return;
    }
    mqtt_sub sub;
    memset(&sub, 0, sizeof sub);
    sub.filter = mqtt_str("$SYS/#");
    mqtt_packet p;
    mqtt_packet_init(&p, MQTT_SUBSCRIBE);
    uint16_t pid = mi_sess_packet_id(&s);
    p.subscribe.packet_id = pid;
    p.subscribe.subs = &sub;
    p.subscribe.count = 1;
    rc = mi_sess_send(&s, &p, MQTT_ENC_DEFAULT, dl);
    bool subacked = false;
    int64_t last = 0, cap = 0;
    mi_client_id(a, version, "k", st->canary_client_id, sizeof st->canary_client_id);
    while (rc == 0) {
        int64_t until = subacked ? last + a->o->sys_window_ms : dl;
        if (subacked && until > cap)
            until = cap;
        rc = mi_sess_recv(&s, until, &f);
        if (rc)
            break;
        if (f.type == MQTT_PUBLISH && f.derr == MQTT_OK) {
            record(st, &f.p.publish);
            if (subacked)
                last = mi_now_ms();
        } else if (f.type == MQTT_SUBACK && f.derr == MQTT_OK && f.p.suback.packet_id == pid) {
            if (f.p.suback.count < 1 || f.p.suback.codes[0] >= 0x80) {
                snprintf(st->error, sizeof st->error, "subscription to $SYS/# refused (0x%02x)",
                         f.p.suback.count ? f.p.suback.codes[0] : 0);
                break;
            }
            subacked = true;
            last = mi_now_ms();
            cap = mi_clamp(a, last + a->o->sys_cap_ms);
            canary(a, version, user, pass);
        } else if (f.type == MQTT_DISCONNECT) {
            rc = MI_IO_CLOSED;
        }
    }
    if (subacked && rc == MI_IO_TIMEOUT && st->published != MI_YES)
        st->published = MI_NO;
    else if (!subacked && !st->error[0])
        snprintf(st->error, sizeof st->error, "subscription to $SYS/#: %s",
                 mi_sess_result_name(rc));
    else if (subacked && rc != MI_IO_TIMEOUT && st->published != MI_YES)
        snprintf(st->error, sizeof st->error, "%s while collecting", mi_sess_result_name(rc));
    if (rc == MI_IO_TIMEOUT) {
        static const uint8_t d[2] = {0xe0, 0x00};
        mi_sess_send_bytes(&s, d, sizeof d, mi_now_ms() + 200);
    }
    mi_sess_close(&s);
}
