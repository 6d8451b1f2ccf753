/* e4 client: the event lines on stdout, as text or JSON (one per line). */
#include "device.h"
#include "identity.h"
#include "cli.h"
#include "utf8.h"

#include <stdio.h>
#include <string.h>

static void begin(client_ctx *c)
{
    pthread_mutex_lock(&c->out_lock);
}

static void end(client_ctx *c)
{
    fputc('\n', stdout);
    fflush(stdout);
    pthread_mutex_unlock(&c->out_lock);
}

static void text_topic(const char *topic)
{
    escape_text(stdout, (const uint8_t *)topic, strlen(topic), 1);
}

static void json_str(const char *s)
{
    escape_json(stdout, (const uint8_t *)s, strlen(s));
}

void out_ready(client_ctx *c)
{
    uint8_t id[E4_ID_LEN];
    char hex[2 * E4_ID_LEN + 1];
    const char *mode = e4_client_mode(c->e4) == E4_MODE_PK ? "pk" : "sk";
    e4_suite suite = e4_client_suite(c->e4);

    e4_client_id(c->e4, id);
    hex_encode(hex, id, sizeof id);
    begin(c);
    if (c->json) {
        printf("{\"event\":\"ready\",\"id\":\"%s\",\"mode\":\"%s\",\"suite\":\"%s\","
               "\"control_topic\":",
               hex, mode, cli_suite_of(suite)->name);
        json_str(c->control_topic);
        fputc('}', stdout);
    } else {
        printf("ready id=%s mode=%s ", hex, mode);
        if (suite != E4_SUITE_BASE) /* base devices print what they always printed */
            printf("suite=%s ", cli_suite_of(suite)->name);
        printf("control=");
        text_topic(c->control_topic);
    }
    end(c);
}

static void topic_event(client_ctx *c, const char *event, const char *topic, const char *extra_json)
{
    begin(c);
    if (c->json) {
        printf("{\"event\":\"%s\",\"topic\":", event);
        json_str(topic);
        if (extra_json)
            fputs(extra_json, stdout);
        fputc('}', stdout);
    } else {
        printf("%s ", event);
        text_topic(topic);
    }
    end(c);
}

void out_subscribed(client_ctx *c, const char *topic, int qos)
{
    char extra[32];
    snprintf(extra, sizeof extra, ",\"qos\":%d", qos);
    topic_event(c, "subscribed", topic, extra);
}

void out_unsubscribed(client_ctx *c, const char *topic)
{
    topic_event(c, "unsubscribed", topic, NULL);
}

void out_published(client_ctx *c, const char *topic, int clear)
{
    if (c->json) {
        topic_event(c, "published", topic, clear ? ",\"protected\":false" : ",\"protected\":true");
        return;
    }
    begin(c);
    fputs("published ", stdout);
    text_topic(topic);
    if (clear)
        fputs(" (clear)", stdout);
    end(c);
}

void out_command(client_ctx *c, const char *topic)
{
    if (c->json) {
        topic_event(c, "command", topic, ",\"result\":\"applied\"");
        return;
    }
    begin(c);
    fputs("command applied ", stdout);
    text_topic(topic);
    end(c);
}

void out_message(client_ctx *c, const char *topic, const uint8_t *payload, size_t len)
{
    begin(c);
    if (c->json) {
        fputs("{\"event\":\"message\",\"topic\":", stdout);
        json_str(topic);
        if (utf8_valid(payload, len)) {
            fputs(",\"payload\":", stdout);
            escape_json(stdout, payload, len);
        } else {
            size_t i;
            fputs(",\"payload_hex\":\"", stdout);
            for (i = 0; i < len; i++)
                printf("%02x", payload[i]);
            fputc('"', stdout);
        }
        fputc('}', stdout);
    } else {
        fputs("message ", stdout);
        text_topic(topic);
        fputc(' ', stdout);
        escape_text(stdout, payload, len, 0);
    }
    end(c);
}

const char *client_strerror(e4_err err)
{
    return identity_strerror(err);
}

void out_error(client_ctx *c, const char *op, const char *topic, e4_err err, const char *msg)
{
    const char *text = msg ? msg : client_strerror(err);
    begin(c);
    if (c->json) {
        printf("{\"event\":\"error\",\"op\":\"%s\"", op);
        if (topic) {
            fputs(",\"topic\":", stdout);
            json_str(topic);
        }
        fputs(",\"error\":", stdout);
        json_str(text);
        if (err != E4_OK)
            printf(",\"code\":%d", (int)err);
        fputc('}', stdout);
    } else {
        printf("error %s", op);
        if (topic) {
            fputc(' ', stdout);
            text_topic(topic);
        }
        fputs(": ", stdout);
        escape_text(stdout, (const uint8_t *)text, strlen(text), 0);
    }
    end(c);
}

void out_event(client_ctx *c, const char *event, const char *detail)
{
    begin(c);
    if (c->json) {
        printf("{\"event\":\"%s\"", event);
        if (detail) {
            fputs(",\"detail\":", stdout);
            json_str(detail);
        }
        fputc('}', stdout);
    } else {
        fputs(event, stdout);
        if (detail) {
            fputs(": ", stdout);
            escape_text(stdout, (const uint8_t *)detail, strlen(detail), 0);
        }
    }
    end(c);
}

void out_receipt(client_ctx *c, const struct pending *p)
{
    int applied = p->rkind == E4_RECEIPT_APPLIED;
    begin(c);
    if (c->json) {
        printf("{\"event\":\"receipt\",\"kind\":\"%s\",\"topic\":", applied ? "applied" : "state");
        json_str(p->topic);
        if (applied)
            printf(",\"result\":%d}", p->rresult);
        else
            printf(",\"topics\":%u,\"pubkeys\":%u}", (unsigned)p->rtopics, (unsigned)p->rpubkeys);
    } else {
        printf("receipt %s ", applied ? "applied" : "state");
        text_topic(p->topic);
        if (applied)
            printf(" result=%d", p->rresult);
        else
            printf(" topics=%u pubkeys=%u", (unsigned)p->rtopics, (unsigned)p->rpubkeys);
    }
    end(c);
}

/* ---- keys ---- */

struct keys_walk {
    client_ctx *c;
};

/* The suite (base devices print what they always printed) and pq-pk's
 * command-key epoch (0: none established yet). */
static void keys_suite(const client_ctx *c, e4_suite suite, uint32_t epoch)
{
    if (c->json && suite != E4_SUITE_BASE)
        printf("\"suite\":\"%s\",", cli_suite_of(suite)->name);
    if (c->json && suite == E4_SUITE_PQ_PK)
        printf("\"epoch\":%u,", (unsigned)epoch);
    if (c->json) {
        fputs("\"topics\":[", stdout);
        return;
    }
    if (suite != E4_SUITE_BASE)
        printf(" suite=%s", cli_suite_of(suite)->name);
    if (suite == E4_SUITE_PQ_PK)
        printf(" epoch=%u", (unsigned)epoch);
}

/* The topic lines (or JSON entries) of `keys`: hashes, never keys. */
static void keys_topics(client_ctx *c, const e4_state *s)
{
    uint8_t hash[E4_TOPIC_HASH_LEN], key[E4_KEY_LEN];
    char hex[2 * E4_TOPIC_HASH_LEN + 1];
    uint32_t i;
    int has_old, first = 1;

    for (i = 0; e4_state_topic_at(s, i, hash, key, &has_old) == E4_OK; i++) {
        const char *name = names_find(c, hash);
        e4_wipe(key, sizeof key);
        hex_encode(hex, hash, sizeof hash);
        if (c->json) {
            printf("%s{\"hash\":\"%s\",\"old_key\":%s", first ? "" : ",", hex,
                   has_old ? "true" : "false");
            if (name) {
                fputs(",\"topic\":", stdout);
                json_str(name);
            }
            fputc('}', stdout);
        } else {
            printf("\ntopic %s old-key=%s", hex, has_old ? "yes" : "no");
            if (name) {
                fputc(' ', stdout);
                text_topic(name);
            }
        }
        first = 0;
    }
}

static void keys_inspect(const e4_state *s, void *ctx)
{
    client_ctx *c = ((struct keys_walk *)ctx)->c;
    uint8_t id[E4_ID_LEN];
    char hex[2 * E4_ID_LEN + 1];
    const char *mode = e4_state_mode(s) == E4_MODE_PK ? "pk" : "sk";
    uint32_t i, ntopics = e4_state_topic_count(s), npubkeys = e4_state_pubkey_count(s);
    int first;
    e4_suite suite = e4_state_suite(s);

    e4_state_id(s, id);
    hex_encode(hex, id, sizeof id);
    begin(c);
    if (c->json)
        printf("{\"event\":\"keys\",\"id\":\"%s\",\"mode\":\"%s\",", hex, mode);
    else
        printf("keys id=%s mode=%s topics=%u pubkeys=%u", hex, mode, (unsigned)ntopics,
               (unsigned)npubkeys);
    keys_suite(c, suite, e4_state_epoch(s));
    keys_topics(c, s);
    if (c->json)
        fputs("],\"pubkeys\":[", stdout);
    first = 1;
    for (i = 0; e4_state_pubkey_at(s, i, id, NULL) == E4_OK;
         i++) { /* ids: a suite key may be longer */
        hex_encode(hex, id, sizeof id);
        if (c->json)
            printf("%s\"%s\"", first ? "" : ",", hex);
        else
            printf("\npubkey %s", hex);
        first = 0;
    }
    if (c->json)
        fputs("]}", stdout);
    end(c);
}

void out_keys(client_ctx *c)
{
    struct keys_walk w = {c};
    e4_client_inspect(c->e4, keys_inspect, &w);
}
