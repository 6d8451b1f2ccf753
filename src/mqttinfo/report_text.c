/* mqttinfo: the readable report for a terminal. */
#include "report.h"

#include <string.h>

typedef struct {
    bool on;
} colors;

static const char *C(const colors *c, const char *code)
{
    return c->on ? code : "";
}
#define RESET "\033[0m"
#define BOLD "\033[1m"
#define RED "\033[31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define DIM "\033[2m"

static void tri_cell(FILE *out, const colors *c, mi_tri t, bool good_true)
{
    if (t == MI_NULL) {
        fprintf(out, "%s%-7s%s", C(c, DIM), "-", C(c, RESET));
        return;
    }
    bool good = (t == MI_YES) == good_true;
    fprintf(out, "%s%-7s%s", C(c, good ? GREEN : YELLOW), t == MI_YES ? "yes" : "no", C(c, RESET));
}

static const char *sev_color(mi_severity s)
{
    switch (s) {
    case MI_SEV_CRITICAL:
    case MI_SEV_HIGH: return RED;
    case MI_SEV_MEDIUM: return YELLOW;
    default: return DIM;
    }
}

static void text_tls(FILE *out, const colors *c, const mi_tls_info *t)
{
    fprintf(out, "\nTLS      %s, %s\n", t->version, t->cipher);
    fprintf(out, "  subject  %s\n  issuer   %s\n  expires  %s\n", t->subject, t->issuer,
            t->not_after);
    if (t->verified)
        fprintf(out, "  %sverified: yes", C(c, GREEN));
    else
        fprintf(out, "  %sverified: no (%s)", C(c, RED), t->verify_error);
    fprintf(out, ", self-signed: %s\n%s", t->self_signed ? "yes" : "no", C(c, RESET));
}

static void text_checks(FILE *out, const colors *c, const mi_result *r)
{
    fprintf(out, "\n%-26s %-7s %-7s  %s\n", "check", "3.1.1", "5.0", "observed (3.1.1 | 5.0)");
    for (int i = 0; i < MI_C_COUNT; i++) {
        fprintf(out, "%-26s ", mi_check_keys[i]);
        bool g = mi_check_good_when_true[i];
        tri_cell(out, c, r->v311.check[i], g);
        fputc(' ', out);
        tri_cell(out, c, r->v5.check[i], g);
        fprintf(out, "  %s%s%s%s%s\n", C(c, DIM), r->v311.detail[i],
                r->v5.detail[i][0] ? " | " : "", r->v5.detail[i], C(c, RESET));
    }
    for (int v = 0; v < 2; v++) {
        const mi_version_result *vr = v ? &r->v5 : &r->v311;
        if (vr->error[0])
            fprintf(out, "%s%s: %s%s\n", C(c, YELLOW), v ? "5.0" : "3.1.1", vr->error, C(c, RESET));
    }
}

static const char *yes_unless_denied(bool has, bool value)
{
    return !has || value ? "yes" : "no";
}

static void text_connack(FILE *out, const mi_connack_props *p)
{
    fprintf(out,
            "\n5.0 CONNACK: maximum QoS %d, retain %s, wildcards %s, subscription ids %s, "
            "shared subscriptions %s",
            p->has_maximum_qos ? p->maximum_qos : 2,
            yes_unless_denied(p->has_retain_available, p->retain_available),
            yes_unless_denied(p->has_wildcard_available, p->wildcard_available),
            yes_unless_denied(p->has_subid_available, p->subid_available),
            yes_unless_denied(p->has_shared_available, p->shared_available));
    if (p->has_receive_maximum)
        fprintf(out, ", receive maximum %d", p->receive_maximum);
    if (p->has_topic_alias_maximum)
        fprintf(out, ", topic alias maximum %d", p->topic_alias_maximum);
    if (p->has_maximum_packet_size)
        fprintf(out, ", maximum packet size %u", (unsigned)p->maximum_packet_size);
    if (p->has_server_keep_alive)
        fprintf(out, ", server keep alive %d", p->server_keep_alive);
    if (p->has_assigned_client_id)
        fprintf(out, ", assigned id %s", p->assigned_client_id);
    if (p->has_reason_string)
        fprintf(out, ", reason \"%s\"", p->reason_string);
    if (p->has_server_reference)
        fprintf(out, ", server reference %s", p->server_reference);
    fputc('\n', out);
}

static void text_sys(FILE *out, const mi_sys_tree *s)
{
    fprintf(out, "\n$SYS tree: ");
    if (s->published == MI_YES) {
        fprintf(out, "published, %d topics", s->ntopics);
        if (s->version[0])
            fprintf(out, ", version \"%s\"", s->version);
        if (s->uptime[0])
            fprintf(out, ", uptime %s", s->uptime);
        if (s->clients[0])
            fprintf(out, ", %s clients connected", s->clients);
        if (s->canary_announced)
            fprintf(out, ", connections announced on %s", s->announce_topic);
    } else if (s->published == MI_NO) {
        fprintf(out, "nothing published");
    } else {
        fprintf(out, "unknown%s%s", s->error[0] ? ": " : "", s->error);
    }
    fputc('\n', out);
}

static void text_verdict(FILE *out, const colors *c, const mi_result *r)
{
    fprintf(out, "\n%sproduct:%s %s%s%s", C(c, BOLD), C(c, RESET), r->product.name,
            r->product.version[0] ? " " : "", r->product.version);
    if (strcmp(r->product.name, "unknown") != 0)
        fprintf(out, " (confidence %.2f)", r->product.confidence);
    fputc('\n', out);
    for (int i = 0; i < r->product.nevidence; i++)
        fprintf(out, "  - %s\n", r->product.evidence[i]);
    fprintf(out, "\n%sfindings:%s %s\n", C(c, BOLD), C(c, RESET), r->nfindings ? "" : "none");
    for (int i = 0; i < r->nfindings; i++) {
        const mi_finding *f = &r->findings[i];
        fprintf(out, "  %s[%s]%s %s: %s\n      fix: %s\n", C(c, sev_color(f->severity)),
                mi_severity_name(f->severity), C(c, RESET), f->id, f->summary, f->remediation);
    }
}

void mi_result_text(FILE *out, const mi_result *r, bool color)
{
    colors cc = {color}, *c = &cc;
    fprintf(out, "%smqttinfo%s %s (%s)  %s  %ld ms\n", C(c, BOLD), C(c, RESET), r->target,
            mi_transport_name(r->transport), r->time, r->elapsed_ms);
    if (r->error[0]) {
        fprintf(out, "%serror:%s %s\n", C(c, RED), C(c, RESET), r->error);
        return;
    }
    if (r->tls.present)
        text_tls(out, c, &r->tls);
    text_checks(out, c, r);
    if (r->v5.check[MI_C_SUPPORTED] == MI_YES && r->v5.props.present)
        text_connack(out, &r->v5.props);
    text_sys(out, &r->sys);
    text_verdict(out, c, r);
}
