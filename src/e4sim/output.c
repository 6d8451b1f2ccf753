/* Result lines on stdout, text or JSON (--json), one per line, flushed.
 * Only the main thread writes them. */
#include "sim.h"
#include "../e4/cli.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void str(const char *s)
{
    escape_json(stdout, (const uint8_t *)s, strlen(s));
}

static void end(void)
{
    fputc('\n', stdout);
    fflush(stdout);
}

void out_ready(const sim *s, size_t n, uint64_t ms)
{
    if (s->opts->json)
        printf("{\"event\":\"ready\",\"devices\":%zu,\"startup_ms\":%" PRIu64 "}", n, ms);
    else
        printf("ready %zu", n);
    end();
}

void out_ok(const sim *s, const char *topic, const char *key_id, uint32_t count, uint64_t ms)
{
    if (s->opts->json) {
        fputs("{\"event\":\"ok\",\"topic\":", stdout);
        str(topic);
        printf(",\"key_id\":\"%s\",\"count\":%u,\"elapsed_ms\":%" PRIu64 "}", key_id, count, ms);
    } else {
        printf("ok %s %s %u %" PRIu64, topic, key_id, count, ms);
    }
    end();
}

void out_timeout(const sim *s, const char *topic, const char *key_id, uint32_t count)
{
    if (s->opts->json) {
        fputs("{\"event\":\"timeout\",\"topic\":", stdout);
        str(topic);
        printf(",\"key_id\":\"%s\",\"count\":%u}", key_id, count);
    } else {
        printf("timeout %s %s %u", topic, key_id, count);
    }
    end();
}

void out_count(const sim *s, uint32_t count)
{
    if (s->opts->json)
        printf("{\"event\":\"count\",\"count\":%u}", count);
    else
        printf("count %u", count);
    end();
}

/* Error kinds with a count, named; the unnamed ones summed as "other". */
static void kinds(const sim *s, const tracker_stats *st)
{
    uint64_t other = st->err_kind[0];
    int k, first = 1;
    for (k = 1; k < SIM_ERR_KINDS; k++) {
        const char *name = tracker_kind_name(k);
        if (!st->err_kind[k])
            continue;
        if (!strcmp(name, "other")) {
            other += st->err_kind[k];
            continue;
        }
        printf(s->opts->json ? "%s\"%s\":%" PRIu64 : " %s%s=%" PRIu64,
               s->opts->json && !first ? "," : "", name, st->err_kind[k]);
        first = 0;
    }
    if (other)
        printf(s->opts->json ? "%s\"other\":%" PRIu64 : " %sother=%" PRIu64,
               s->opts->json && !first ? "," : "", other);
}

void out_stats(const sim *s, const tracker_stats *st)
{
    if (s->opts->json) {
        printf("{\"event\":\"stats\",\"commands\":%" PRIu64 ",\"errors\":%" PRIu64
               ",\"ignored\":%" PRIu64 ",\"error_kinds\":{",
               st->commands, st->errors, st->ignored);
        kinds(s, st);
        fputs("}}", stdout);
    } else {
        printf("stats commands=%" PRIu64 " errors=%" PRIu64, st->commands, st->errors);
        kinds(s, st);
        if (st->ignored)
            printf(" ignored=%" PRIu64, st->ignored);
    }
    end();
}

void out_holds(const sim *s, const char *name, const char *topic, const char *key_id)
{
    if (s->opts->json) {
        fputs("{\"event\":\"holds\",\"name\":", stdout);
        str(name);
        fputs(",\"topic\":", stdout);
        str(topic);
        if (key_id)
            printf(",\"key_id\":\"%s\"}", key_id);
        else
            fputs(",\"key_id\":null}", stdout);
    } else {
        printf("holds %s %s %s", name, topic, key_id ? key_id : "none");
    }
    end();
}

void out_error(const sim *s, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (s->opts->json) {
        fputs("{\"event\":\"error\",\"error\":", stdout);
        str(msg);
        fputc('}', stdout);
    } else {
        printf("error %s", msg);
    }
    end();
}

void out_range(const sim *s, const char *event, uint32_t from, uint32_t count, int conns)
{
    if (s->opts->json)
        printf("{\"event\":\"%s\",\"from\":%u,\"count\":%u,\"connections\":%d}", event, from, count,
               conns);
    else
        printf("%s %u %u connections=%d", event, from, count, conns);
    end();
}

void out_receipts(const sim *s, const uint64_t counts[3])
{
    if (s->opts->json)
        printf("{\"event\":\"receipts\",\"applied\":%" PRIu64 ",\"state\":%" PRIu64
               ",\"failed\":%" PRIu64 "}",
               counts[SIM_SENT_APPLIED], counts[SIM_SENT_STATE], counts[SIM_RECEIPT_FAILED]);
    else
        printf("receipts applied=%" PRIu64 " state=%" PRIu64 " failed=%" PRIu64,
               counts[SIM_SENT_APPLIED], counts[SIM_SENT_STATE], counts[SIM_RECEIPT_FAILED]);
    end();
}
