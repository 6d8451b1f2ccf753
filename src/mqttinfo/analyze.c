/* mqttinfo: one analysis: the 3.1.1 and 5.0 interfaces and the $SYS
 * collection run in parallel threads; the results are then reconciled,
 * fingerprinted and turned into findings. */
#include "analyze.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_KEY(id, key, good) key,
#define CHECK_GOOD(id, key, good) good,
const char *const mi_check_keys[MI_C_COUNT] = {MI_CHECKS(CHECK_KEY)};
const bool mi_check_good_when_true[MI_C_COUNT] = {MI_CHECKS(CHECK_GOOD)};

void mi_result_init(mi_result *r)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < MI_C_COUNT; i++) {
        r->v311.check[i] = r->v5.check[i] = MI_NULL;
        r->v311.ack_code[i] = r->v5.ack_code[i] = -1;
    }
    r->v311.version = 4;
    r->v5.version = 5;
    r->v311.anon_connack_code = r->v5.anon_connack_code = -1;
    r->v311.qos2_answer = r->v5.qos2_answer = -1;
    r->sys.published = MI_NULL;
}

void mi_result_free(mi_result *r)
{
    for (int i = 0; i < r->sys.ntopics_stored; i++)
        free(r->sys.topics[i]);
    for (int i = 0; i < r->sys.nvalues; i++) {
        free(r->sys.value_topic[i]);
        free(r->sys.value[i]);
    }
    r->sys.ntopics_stored = r->sys.nvalues = 0;
}

int64_t mi_clamp(const mi_actx *a, int64_t t)
{
    return t < a->end ? t : a->end;
}

int64_t mi_deadline(const mi_actx *a)
{
    return mi_clamp(a, mi_now_ms() + a->o->timeout_ms);
}

typedef struct {
    mi_actx *a;
    int version;
    mi_version_result *vr;
    mi_sys_tree *st;
} job;

static void *version_thread(void *arg)
{
    job *j = arg;
    mi_checks_run(j->a, j->version, j->vr);
    return NULL;
}

static void *sys_thread(void *arg)
{
    job *j = arg;
    mi_systree_run(j->a, j->st);
    return NULL;
}

static int spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    int rc = pthread_create(t, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    return rc;
}

/* The 3.1.1 and 5.0 checks and the $SYS collection, in parallel (in turn
 * when a thread cannot be created). */
static void run_threads(mi_actx *a, mi_result *r)
{
    job j311 = {a, MQTT_V311, &r->v311, NULL};
    job j5 = {a, MQTT_V5, &r->v5, NULL};
    job js = {a, 0, NULL, &r->sys};
    pthread_t th[3];
    bool started[3];
    started[0] = spawn(&th[0], version_thread, &j311) == 0;
    started[1] = spawn(&th[1], version_thread, &j5) == 0;
    if (!started[0])
        version_thread(&j311);
    if (!started[1])
        version_thread(&j5);
    started[2] = spawn(&th[2], sys_thread, &js) == 0;
    if (!started[2])
        sys_thread(&js);
    for (int i = 0; i < 3; i++)
        if (started[i])
            pthread_join(th[i], NULL);
}

/* A version whose CONNECT was closed, left unanswered or answered with
 * garbage, while the other version got a CONNACK: it is not spoken. */
static void reconcile(mi_actx *a, mi_result *r)
{
    mi_version_result *v[2] = {&r->v311, &r->v5};
    bool answered[2];
    for (int i = 0; i < 2; i++)
        answered[i] = v[i]->check[MI_C_SUPPORTED] != MI_NULL;
    for (int i = 0; i < 2; i++) {
        if (answered[i] || !answered[1 - i] || a->probe_open_fail[i])
            continue;
        v[i]->check[MI_C_SUPPORTED] = MI_NO;
        mi_strlcpy(v[i]->detail[MI_C_SUPPORTED], a->probe_err[i], MI_DETAIL_LEN);
    }
    for (int i = 0; i < 2; i++) {
        if (v[i]->check[MI_C_SUPPORTED] != MI_YES) {
            for (int k = 1; k < MI_C_COUNT; k++) {
                v[i]->check[k] = MI_NULL;
                if (v[i]->check[MI_C_SUPPORTED] == MI_NO)
                    v[i]->detail[k][0] = '\0';
            }
        }
        if (v[i]->check[MI_C_SUPPORTED] == MI_NULL && !v[i]->error[0])
            mi_strlcpy(v[i]->error, a->probe_err[i], sizeof v[i]->error);
    }
    if (!answered[0] && !answered[1]) {
        /* Nothing decisive on either interface: that is the endpoint's error. */
        const char *e = a->probe_err[0][0] ? a->probe_err[0] : a->probe_err[1];
        mi_strlcpy(r->error, e[0] ? e : "no answer", sizeof r->error);
    }
}

void mi_analyze(const mi_target *t, const mi_options *o, mi_result *r)
{
    int64_t start = mi_now_ms();
    mi_result_init(r);
    mi_target_format(t, r->target, sizeof r->target);
    r->transport = t->transport;
    mi_utc_now(r->time, sizeof r->time);

    mi_endpoint ep;
    char err[200];
    if (mi_endpoint_resolve(&ep, t, start + o->timeout_ms, err, sizeof err) != 0) {
        mi_strlcpy(r->error, err, sizeof r->error);
        r->elapsed_ms = mi_now_ms() - start;
        mi_fingerprint(r);
        mi_findings(r);
        return;
    }
    mi_actx *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(r->error, sizeof r->error, "out of memory");
        return;
    }
    a->ep = &ep;
    a->o = o;
    a->end = start + (int64_t)MI_ANALYSIS_BUDGET * o->timeout_ms;
    mi_random_hex(a->run, 10);
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);

    run_threads(a, r);
    reconcile(a, r);
    for (int i = 0; i < 3; i++)
        if (a->tls[i].present) {
            r->tls = a->tls[i];
            break;
        }
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a);

    mi_fingerprint(r);
    mi_findings(r);
    r->elapsed_ms = mi_now_ms() - start;
}
