/* The proxy's E4 identities: one (the proxy is one device), or in gateway
 * mode one per downstream MQTT client id, each with its own state file,
 * from the map file's "CLIENT-ID STATE-FILE" lines. */
#include "proxy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

proxy_identity *proxy_identity_for(proxy *px, const uint8_t *client_id, size_t len)
{
    size_t i;
    for (i = 0; i < px->nids; i++) {
        const char *cid = px->ids[i].client_id;
        if (!cid)
            return &px->ids[i];
        if (strlen(cid) == len && memcmp(cid, client_id, len) == 0)
            return &px->ids[i];
    }
    return NULL;
}

bool ids_is_control(const proxy_identity *id, const uint8_t *topic, size_t len)
{
    if (!id || len < id->control_len || memcmp(topic, id->control_topic, id->control_len) != 0)
        return false;
    return len == id->control_len || topic[id->control_len] == '/';
}

static int identity_init(proxy_identity *id, e4_client *e4)
{
    id->e4 = e4;
    id->control_topic = strdup(e4_client_control_topic(e4));
    if (!id->control_topic) {
        cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
        return 1;
    }
    id->control_len = strlen(id->control_topic);
    id->overhead = e4_client_protected_len(e4, 0); /* the identity's suite decides */
    return 0;
}

static proxy_identity *ids_add(proxy *px)
{
    proxy_identity *n = realloc(px->ids, (px->nids + 1) * sizeof *n);
    if (!n) {
        cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
        return NULL;
    }
    px->ids = n;
    memset(&n[px->nids], 0, sizeof *n);
    return &n[px->nids++];
}

/* One map line "CLIENT-ID STATE-FILE": 0 or 1 (reported). */
static int map_line(proxy *px, const char *path, int lineno, char *line)
{
    char *cid = strtok(line, " \t\r\n"), *state = strtok(NULL, " \t\r\n");
    e4_client_options eo;
    proxy_identity *id;
    e4_client *e4;
    e4_err err;

    if (!cid || cid[0] == '#')
        return 0;
    if (!state || strtok(NULL, " \t\r\n")) {
        cli_error("%s:%d: expected CLIENT-ID STATE-FILE", path, lineno);
        return 1;
    }
    if (proxy_identity_for(px, (const uint8_t *)cid, strlen(cid))) {
        cli_error("%s:%d: client id '%s' mapped twice", path, lineno, cid);
        return 1;
    }
    memset(&eo, 0, sizeof eo);
    eo.state_path = state;
    eo.replay_cache = E4_REPLAY_COMMANDS_ONLY; /* data: per connection (PROXY_SEEN_MAX) */
    if ((err = e4_client_open(&e4, &eo)) != E4_OK) {
        cli_error("%s:%d: cannot open the client state %s: %s", path, lineno, state,
                  err == E4_ERR_STORAGE_IO ? e4_client_storage_error() : e4_strerror(err));
        return 1;
    }
    if (!(id = ids_add(px)) || !(id->client_id = strdup(cid)) ||
        !(id->state_path = strdup(state))) {
        e4_client_free(e4);
        return 1;
    }
    return identity_init(id, e4);
}

static int open_map(proxy *px, const char *path)
{
    char line[8192];
    int lineno = 0, rc = 0;
    FILE *f = fopen(path, "r");

    if (!f) {
        cli_error("--gateway-map %s: %s", path, strerror(errno));
        return 1;
    }
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        rc = map_line(px, path, lineno, line);
    }
    fclose(f);
    if (rc == 0 && px->nids == 0) {
        cli_error("--gateway-map %s: no client mapped", path);
        rc = 1;
    }
    return rc;
}

int ids_adopt(proxy *px, e4_client *e4)
{
    proxy_identity *id = ids_add(px);
    if (!id) {
        e4_client_free(e4);
        return 1;
    }
    return identity_init(id, e4);
}

int proxy_prepare(proxy *px)
{
    size_t i, overhead = 0;
    for (i = 0; i < px->nids; i++)
        if (px->ids[i].overhead > overhead)
            overhead = px->ids[i].overhead;
    px->scratch_cap = (size_t)px->conf.max_packet + overhead;
    if (!(px->scratch = malloc(px->scratch_cap))) {
        cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
        return 1;
    }
    return 0;
}

int ids_open(proxy *px, struct identity_opts *io)
{
    e4_client *e4 = NULL;
    int rc;

    px->replay_check = !io->no_replay;
    io->replay_cache = E4_REPLAY_COMMANDS_ONLY; /* data: per connection (PROXY_SEEN_MAX) */
    if (px->conf.gateway_map)
        return open_map(px, px->conf.gateway_map);
    if ((rc = identity_open(io, &e4, NULL, NULL)) != 0) {
        if (e4)
            e4_client_free(e4);
        return rc;
    }
    return ids_adopt(px, e4);
}

void ids_close(proxy *px)
{
    size_t i;
    for (i = 0; i < px->nids; i++) {
        control_stop(&px->ids[i]);
        if (px->ids[i].e4)
            e4_client_free(px->ids[i].e4);
        free(px->ids[i].client_id);
        free(px->ids[i].state_path);
        free(px->ids[i].control_topic);
    }
    free(px->ids);
    px->ids = NULL;
    px->nids = 0;
}
