/* e4 client: topics named by the user, so `keys` can show names by hash. */
#include "device.h"
#include "cli.h"

#include <stdlib.h>
#include <string.h>

void names_add(client_ctx *c, const char *topic)
{
    uint8_t hash[E4_TOPIC_HASH_LEN];
    struct topic_name *n;
    char *copy;

    if (strpbrk(topic, "+#") || cli_hash_topic(hash, topic) != E4_OK)
        return; /* wildcards name no single topic */
    if (names_find(c, hash))
        return;
    copy = strdup(topic);
    n = realloc(c->names, (c->nnames + 1) * sizeof *n);
    if (!copy || !n) {
        free(copy);
        if (n)
            c->names = n;
        return;
    }
    c->names = n;
    memcpy(n[c->nnames].hash, hash, sizeof hash);
    n[c->nnames].topic = copy;
    c->nnames++;
}

const char *names_find(const client_ctx *c, const uint8_t hash[E4_TOPIC_HASH_LEN])
{
    size_t i;
    for (i = 0; i < c->nnames; i++)
        if (!memcmp(c->names[i].hash, hash, E4_TOPIC_HASH_LEN))
            return c->names[i].topic;
    return NULL;
}

void names_free(client_ctx *c)
{
    size_t i;
    for (i = 0; i < c->nnames; i++)
        free(c->names[i].topic);
    free(c->names);
    c->names = NULL;
    c->nnames = 0;
}
