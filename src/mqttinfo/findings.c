/* mqttinfo: answers -> findings an operator can act on. */
#include "mi.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const sev_names[] = {"info", "low", "medium", "high", "critical"};

const char *mi_severity_name(mi_severity s)
{
    return sev_names[s];
}

int mi_severity_parse(const char *s)
{
    for (int i = 0; i < 5; i++)
        if (strcasecmp(s, sev_names[i]) == 0)
            return i;
    return -1;
}

mi_severity mi_result_max_severity(const mi_result *r, bool *any)
{
    mi_severity m = MI_SEV_INFO;
    *any = r->nfindings > 0;
    for (int i = 0; i < r->nfindings; i++)
        if (r->findings[i].severity > m)
            m = r->findings[i].severity;
    return m;
}

static void add(mi_result *r, const char *id, mi_severity sev, const char *remediation,
                const char *fmt, ...)
{
    if (r->nfindings >= MI_MAX_FINDINGS)
        return;
    mi_finding *f = &r->findings[r->nfindings++];
    f->id = id;
    f->severity = sev;
    f->remediation = remediation;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->summary, sizeof f->summary, fmt, ap);
    va_end(ap);
}

/* "3.1.1 and 5.0", "3.1.1" or "5.0" for a check that is true; NULL if none. */
static const char *which(const mi_result *r, int check, mi_tri want)
{
    bool a = r->v311.check[check] == want, b = r->v5.check[check] == want;
    return a && b ? "3.1.1 and 5.0" : a ? "3.1.1" : b ? "5.0" : NULL;
}

static bool expired(const char *not_after)
{
    char now[32];
    mi_utc_now(now, sizeof now);
    return not_after[0] && strcmp(not_after, now) < 0;
}

/* Who may connect, read and write. */
static void findings_access(mi_result *r)
{
    const char *w;
    if ((w = which(r, MI_C_ANONYMOUS, MI_YES)))
        add(r, "anonymous-access", MI_SEV_HIGH,
            "Require authentication: refuse clients without credentials (mosquitto: "
            "allow_anonymous false with a password_file or an auth plugin) and give each "
            "client its own credentials.",
            "Anonymous clients are accepted (%s): anyone who can reach the port can publish and "
            "subscribe.",
            w);
    if ((w = which(r, MI_C_SYS_PUBLISH_DELIVERED, MI_YES)))
        add(r, "sys-publish-delivered", MI_SEV_HIGH,
            "Deny client writes to $SYS/# with an ACL (mosquitto acl_file: grant only "
            "\"topic read $SYS/#\"), so monitoring data cannot be forged.",
            "A client's publish to $SYS/... is delivered to subscribers (%s): fake broker "
            "status data can be injected.",
            w);
    else if ((w = which(r, MI_C_SYS_PUBLISH_ALLOWED, MI_YES)))
        add(r, "sys-publish-acknowledged", MI_SEV_INFO,
            "Nothing was delivered; to make the refusal explicit, deny writes to $SYS/# in the "
            "ACL (5.0 clients then get a failure reason code).",
            "A publish to $SYS/... is acknowledged (%s) but was not delivered to a subscriber.", w);
    if ((w = which(r, MI_C_SUBSCRIBE_ALL, MI_YES)))
        add(r, "subscribe-all", MI_SEV_MEDIUM,
            "Restrict wildcard subscriptions: ACLs that grant each client only the topics it "
            "needs (mosquitto acl_file / pattern lines), so no client can read all traffic.",
            "A client may subscribe to '#' (%s) and read every message that passes through the "
            "broker.",
            w);
}

/* Answers that break the MQTT standard. */
static void findings_standard(mi_result *r)
{
    const char *w;
    if ((w = which(r, MI_C_INVALID_UTF8_REJECTED, MI_NO)))
        add(r, "invalid-utf8-accepted", MI_SEV_MEDIUM,
            "The broker violates the MQTT standard (ill-formed UTF-8 must close the "
            "connection): upgrade it to a release that validates UTF-8, or replace it.",
            "A topic with ill-formed UTF-8 (\\xc3\\x28) is accepted (%s).", w);
    if ((w = which(r, MI_C_QOS3_REJECTED, MI_NO)))
        add(r, "qos3-accepted", MI_SEV_MEDIUM,
            "The broker violates the MQTT standard (QoS 3 is a malformed packet): upgrade it or "
            "replace it.",
            "A PUBLISH with the invalid QoS 3 is not rejected (%s).", w);
    if ((w = which(r, MI_C_INVALID_FILTER_REJECTED, MI_NO)))
        add(r, "invalid-filter-accepted", MI_SEV_MEDIUM,
            "The broker violates the MQTT standard (the filter 'A+' is invalid): upgrade it or "
            "replace it.",
            "The invalid topic filter 'A+' is accepted (%s).", w);
    if (r->v311.nviolations || r->v5.nviolations) {
        const mi_version_result *v = r->v5.nviolations ? &r->v5 : &r->v311;
        add(r, "protocol-violation", MI_SEV_MEDIUM,
            "The broker violates the MQTT standard: clients that check its answers may refuse "
            "to work with it. Upgrade it to a conforming release, or replace it.",
            "The broker's answers break the MQTT standard (%s: %s).", v == &r->v5 ? "5.0" : "3.1.1",
            v->violations[0]);
    }
}

/* Credentials, QoS, what $SYS discloses. */
static void findings_service(mi_result *r)
{
    const char *w;
    if ((w = which(r, MI_C_AUTH_OK, MI_NO)))
        add(r, "credentials-rejected", MI_SEV_INFO,
            "Check the user name and password given with -u/-P.",
            "The supplied credentials were refused (%s).", w);
    if ((w = which(r, MI_C_QOS1, MI_NO)))
        add(r, "qos1-unsupported", MI_SEV_LOW,
            "Enable QoS 1 if clients rely on delivery guarantees.",
            "QoS 1 publishes are not acknowledged successfully (%s).", w);
    if ((w = which(r, MI_C_QOS2, MI_NO)))
        add(r, "qos2-unsupported", MI_SEV_LOW,
            "Enable QoS 2 if clients rely on exactly-once delivery.",
            "QoS 2 publishes do not complete (%s).", w);
    if (r->sys.published == MI_YES && r->sys.version[0])
        add(r, "version-disclosed", MI_SEV_LOW,
            "Restrict reads of $SYS/# to administrators (ACL), or disable the $SYS tree "
            "(mosquitto: sys_interval 0), so attackers cannot look up known vulnerabilities.",
            "The broker discloses its product and version under $SYS: \"%s\".", r->sys.version);
    else if (r->sys.published == MI_YES)
        add(r, "sys-tree-readable", MI_SEV_INFO,
            "Restrict reads of $SYS/# to administrators if the data is sensitive.",
            "Clients can read the broker's $SYS tree (%d topics).", r->sys.ntopics);
}

/* Plaintext transports. */
static void findings_transport(mi_result *r)
{
    bool anon = which(r, MI_C_ANONYMOUS, MI_YES) != NULL;
    bool creds = which(r, MI_C_AUTH_OK, MI_YES) != NULL;
    if (r->transport == MI_TCP || r->transport == MI_WS) {
        if (creds)
            add(r, "plaintext-credentials", MI_SEV_HIGH,
                "Serve MQTT over TLS (port 8883, or wss://) and close the plaintext listener.",
                "Credentials are accepted over an unencrypted connection: anyone on the path "
                "can read them.");
        else if (!anon)
            add(r, "plaintext-transport", MI_SEV_MEDIUM,
                "Serve MQTT over TLS (port 8883, or wss://) and close the plaintext listener.",
                "The broker is reachable without TLS: clients' credentials and messages travel "
                "in clear text.");
        else
            add(r, "plaintext-transport", MI_SEV_LOW,
                "Serve MQTT over TLS (port 8883, or wss://) and close the plaintext listener.",
                "The broker is reachable without TLS: messages travel in clear text.");
    }
}

/* The TLS certificate and version. */
static void findings_tls(mi_result *r)
{
    if (!r->tls.present)
        return;
    if (!r->tls.verified)
        add(r, "tls-unverified", MI_SEV_HIGH,
            "Use a certificate issued by a CA the clients trust, matching the host name; "
            "clients must verify it.",
            "The broker's certificate does not verify: %s.", r->tls.verify_error);
    if (r->tls.self_signed)
        add(r, "tls-self-signed", MI_SEV_MEDIUM,
            "Use a certificate from a CA (public or a private PKI the clients pin).",
            "The broker's certificate is self-signed (%s).", r->tls.subject);
    if (expired(r->tls.not_after))
        add(r, "tls-expired", MI_SEV_HIGH, "Renew the certificate and automate renewal.",
            "The broker's certificate expired on %s.", r->tls.not_after);
    if (strcmp(r->tls.version, "TLSv1") == 0 || strcmp(r->tls.version, "TLSv1.1") == 0)
        add(r, "tls-old-version", MI_SEV_MEDIUM,
            "Allow only TLS 1.2 and 1.3 (mosquitto: tls_version tlsv1.2).",
            "The broker negotiated %s, which is deprecated.", r->tls.version);
}

/* Most severe first (stable). */
static void sort_findings(mi_result *r)
{
    for (int i = 1; i < r->nfindings; i++) {
        mi_finding f = r->findings[i];
        int j = i - 1;
        while (j >= 0 && r->findings[j].severity < f.severity) {
            r->findings[j + 1] = r->findings[j];
            j--;
        }
        r->findings[j + 1] = f;
    }
}

void mi_findings(mi_result *r)
{
    r->nfindings = 0;
    if (r->error[0])
        return;
    findings_access(r);
    findings_standard(r);
    findings_service(r);
    findings_transport(r);
    findings_tls(r);
    sort_findings(r);
}
