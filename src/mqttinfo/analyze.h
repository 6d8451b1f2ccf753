/* mqttinfo: state shared by the threads of one analysis (private). */
#ifndef MQTTINFO_ANALYZE_H
#define MQTTINFO_ANALYZE_H

#include "session.h"

#include <pthread.h>

/* Which credentials got a CONNACK 0 on an interface. */
enum { MI_USE_NONE = 0, MI_USE_ANON = 1, MI_USE_CREDS = 2 };

typedef struct {
    const mi_endpoint *ep;
    const mi_options *o;
    char run[11]; /* random per analysis: client ids and topics */
    int64_t end;  /* the whole analysis ends here (MI_ANALYSIS_BUDGET) */

    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool probe_done[2]; /* [0] = 3.1.1, [1] = 5.0 */
    int usable[2];      /* MI_USE_* */

    /* raw probe outcomes, finalised by analyze.c */
    int probe_rc[2];         /* 0 = a CONNACK came, else MI_IO_* / MI_SESS_MALFORMED */
    bool probe_open_fail[2]; /* the transport itself failed */
    char probe_err[2][160];
    mi_tls_info tls[3];
} mi_actx;

/* A check's deadline: one --timeout from now, but never after a->end. */
int64_t mi_deadline(const mi_actx *a);
/* t, or a->end when that comes first. */
int64_t mi_clamp(const mi_actx *a, int64_t t);

/* Client id "mqttinfo<run><v><tag>" (<= 23 characters). */
void mi_client_id(const mi_actx *a, int version, const char *tag, char *buf, size_t len);

/* checks.c: every check of one interface (version 4 or 5). */
void mi_checks_run(mi_actx *a, int version, mi_version_result *vr);
/* systree.c: the $SYS collection (waits for the probes to pick credentials). */
void mi_systree_run(mi_actx *a, mi_sys_tree *st);

#endif
