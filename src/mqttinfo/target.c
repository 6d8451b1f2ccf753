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

int mi_target_parse(const char *text, int default_port, bool force_tls, mi_target *t, char *err,
                    size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->transport = MI_TCP;
    const char *p = text;
    bool url = false;
    static const struct { const char *prefix; mi_transport tr; } schemes[] = {
        {"mqtt://", MI_TCP}, {"tcp://", MI_TCP}, {"mqtts://", MI_TLS}, {"ssl://", MI_TLS},
        {"tls://", MI_TLS},  {"ws://", MI_WS},   {"wss://", MI_WSS},
    };
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t n = strlen(schemes[i].prefix);
        if (strncasecmp(p, schemes[i].prefix, n) == 0) {
            t->transport = schemes[i].tr;
            p += n;
            url = true;
            break;
        }
    }
    if (!url && strstr(p, "://")) {
        snprintf(err, errlen, "unsupported scheme in '%s' (use mqtt, mqtts, ws or wss)", text);
        return -1;
    }
    if (force_tls) {
        if (t->transport == MI_TCP)
            t->transport = MI_TLS;
        else if (t->transport == MI_WS)
            t->transport = MI_WSS;
    }
    /* Credentials in a URL are refused: they would end up in reports. */
    const char *end = p + strcspn(p, "/?#");
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at) {
        snprintf(err, errlen, "credentials in the URL are not accepted; use -u/-P");
        return -1;
    }
    const char *hs = p, *he, *portp = NULL;
    if (*p == '[') {
        const char *rb = memchr(p, ']', (size_t)(end - p));
        if (!rb) {
            snprintf(err, errlen, "unterminated '[' in '%s'", text);
            return -1;
        }
        hs = p + 1;
        he = rb;
        if (rb + 1 < end) {
            if (rb[1] != ':') {
                snprintf(err, errlen, "bad host in '%s'", text);
                return -1;
            }
            portp = rb + 2;
        }
    } else {
        const char *colon = memchr(p, ':', (size_t)(end - p));
        he = colon ? colon : end;
        if (colon)
            portp = colon + 1;
    }
    size_t hl = (size_t)(he - hs);
    if (hl == 0 || hl >= sizeof t->host) {
        snprintf(err, errlen, "missing or too long host in '%s'", text);
        return -1;
    }
    memcpy(t->host, hs, hl);
    t->host[hl] = '\0';
    if (portp) {
        if (parse_port(portp, (size_t)(end - portp), &t->port) != 0) {
            snprintf(err, errlen, "bad port in '%s'", text);
            return -1;
        }
    } else {
        t->port = (url || default_port <= 0) ? default_port_for(t->transport) : default_port;
    }
    if (*end == '/' && (t->transport == MI_WS || t->transport == MI_WSS)) {
        size_t pl = strcspn(end, "#");
        if (pl >= sizeof t->path) {
            snprintf(err, errlen, "path too long in '%s'", text);
            return -1;
        }
        memcpy(t->path, end, pl);
        t->path[pl] = '\0';
    } else if (*end != '\0' && !(*end == '/' && end[1] == '\0')) {
        if (!(t->transport == MI_WS || t->transport == MI_WSS)) {
            snprintf(err, errlen, "unexpected path in '%s'", text);
            return -1;
        }
    }
    if ((t->transport == MI_WS || t->transport == MI_WSS) && t->path[0] == '\0')
        strcpy(t->path, "/mqtt");
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
