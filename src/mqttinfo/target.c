/* mqttinfo: endpoint parsing ("host", "host:port", URLs). */
#include "mi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *mi_transport_name(mi_transport tr)
{
    switch (tr) {
    case MI_TCP: return "tcp";
    case MI_TLS: return "tls";
    case MI_WS: return "ws";
    case MI_WSS: return "wss";
    }
    return "tcp";
}

static int default_port_for(mi_transport tr)
{
    switch (tr) {
    case MI_TLS: return 8883;
    case MI_WS: return 80;
    case MI_WSS: return 443;
    default: return 1883;
    }
}

static int parse_port(const char *s, size_t n, int *port)
{
    if (n == 0 || n > 5)
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return -1;
    *port = v;
    return 0;
}

void mi_target_redact(const char *text, char *buf, size_t len)
{
    const char *auth = strstr(text, "://");
    auth = auth ? auth + 3 : text;
    const char *at = strrchr(auth, '@');
    if (!at)
        mi_strlcpy(buf, text, len);
    else
        snprintf(buf, len, "%.*s***%s", (int)(auth - text), text, at);
}

/* Scheme prefix: sets t->transport and returns what follows it (or NULL
 * for an unknown scheme). *url tells whether there was one. */
static const char *parse_scheme(const char *text, bool force_tls, mi_target *t, bool *url)
{
    static const struct {
        const char *prefix;
        mi_transport tr;
    } schemes[] = {
        {"mqtt://", MI_TCP}, {"tcp://", MI_TCP}, {"mqtts://", MI_TLS}, {"ssl://", MI_TLS},
        {"tls://", MI_TLS},  {"ws://", MI_WS},   {"wss://", MI_WSS},
    };
    const char *p = text;
    t->transport = MI_TCP;
    *url = false;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0] && !*url; i++) {
        size_t n = strlen(schemes[i].prefix);
        if (strncasecmp(p, schemes[i].prefix, n) == 0) {
            t->transport = schemes[i].tr;
            p += n;
            *url = true;
        }
    }
    if (!*url && strstr(p, "://"))
        return NULL;
    if (force_tls && t->transport == MI_TCP)
        t->transport = MI_TLS;
    else if (force_tls && t->transport == MI_WS)
        t->transport = MI_WSS;
    return p;
}

/* Host and port of the authority [p, end): "host", "host:port", "[v6]",
 * "[v6]:port", or a bare IPv6 address ("::1", two colons or more).
 * *portp: the port text, or NULL. -1 when malformed. */
static int split_host(const char *p, const char *end, mi_target *t, const char **portp)
{
    const char *hs = p, *he = end;
    const char *colon = memchr(p, ':', (size_t)(end - p));
    *portp = NULL;
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (!rb || (rb + 1 < end && rb[1] != ':'))
            return -1;
        hs = p + 1;
        he = rb;
        if (rb + 1 < end)
            *portp = rb + 2;
    } else if (colon && !memchr(colon + 1, ':', (size_t)(end - colon - 1))) {
        he = colon;
        *portp = colon + 1;
    }
    size_t hl = (size_t)(he - hs);
    if (hl == 0 || hl >= sizeof t->host)
        return -1;
    memcpy(t->host, hs, hl);
    t->host[hl] = '\0';
    return 0;
}

/* What follows the authority: a WebSocket path ("/mqtt" by default);
 * nothing (or "/") for the other transports. */
static int parse_path(const char *end, mi_target *t)
{
    bool ws = t->transport == MI_WS || t->transport == MI_WSS;
    if (ws && *end == '/') {
        size_t pl = strcspn(end, "#");
        if (pl >= sizeof t->path)
            return -1;
        memcpy(t->path, end, pl);
        t->path[pl] = '\0';
    } else if (!ws && *end != '\0' && strcmp(end, "/") != 0) {
        return -1;
    }
    if (ws && t->path[0] == '\0')
        strcpy(t->path, "/mqtt");
    return 0;
}

int mi_target_parse(const char *text, int default_port, bool force_tls, mi_target *t, char *err,
                    size_t errlen)
{
    char shown[300]; /* the text for messages, without any credentials */
    mi_target_redact(text, shown, sizeof shown);
    memset(t, 0, sizeof *t);
    /* Credentials are refused: they would end up in reports. */
    if (strchr(text, '@')) {
        snprintf(err, errlen, "credentials in the target are not accepted ('%s'); use -u/-P",
                 shown);
        return -1;
    }
    bool url;
    const char *p = parse_scheme(text, force_tls, t, &url);
    if (!p) {
        snprintf(err, errlen, "unsupported scheme in '%s' (use mqtt, mqtts, ws or wss)", shown);
        return -1;
    }
    const char *end = p + strcspn(p, "/?#"), *portp;
    if (split_host(p, end, t, &portp) != 0) {
        snprintf(err, errlen, "bad or missing host in '%s'", shown);
        return -1;
    }
    /* A port written in the target wins; else -p; else the scheme's. */
    if (portp && parse_port(portp, (size_t)(end - portp), &t->port) != 0) {
        snprintf(err, errlen, "bad port in '%s'", shown);
        return -1;
    }
    if (!portp)
        t->port = default_port > 0 ? default_port : default_port_for(t->transport);
    if (parse_path(end, t) != 0) {
        snprintf(err, errlen, "unexpected or too long path in '%s'", shown);
        return -1;
    }
    return 0;
}

void mi_target_format(const mi_target *t, char *buf, size_t len)
{
    bool v6 = strchr(t->host, ':') != NULL;
    if (t->transport == MI_WS || t->transport == MI_WSS)
        snprintf(buf, len, "%s://%s%s%s:%d%s", mi_transport_name(t->transport), v6 ? "[" : "",
                 t->host, v6 ? "]" : "", t->port, t->path);
    else
        snprintf(buf, len, "%s%s%s:%d", v6 ? "[" : "", t->host, v6 ? "]" : "", t->port);
}
