/* JSON-line logs on stderr. Only events, connection serials, topics and
 * reasons are written: never a key, a password or a payload. */
#include "proxy.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
bool plog_enabled = true;

static void json_string(FILE *f, const uint8_t *s, size_t len)
{
    escape_json(f, s, len);
}

static void begin(const char *level, const char *event)
{
    char ts[32];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"event\":\"%s\"", ts,
            now.tv_nsec / 1000000L, level, event);
}

/* The detail (if any), the end of the line; releases the lock. */
static void end(const char *detail)
{
    if (detail) {
        fputs(",\"detail\":", stderr);
        json_string(stderr, (const uint8_t *)detail, strlen(detail));
    }
    fputs("}\n", stderr);
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
}

void plog(const char *level, const char *event, uint64_t conn, const char *detail)
{
    if (!plog_enabled)
        return;
    pthread_mutex_lock(&log_lock);
    begin(level, event);
    if (conn)
        fprintf(stderr, ",\"conn\":%llu", (unsigned long long)conn);
    end(detail);
}

/* A flood of bad messages must not flood the log: at most DROP_LINES_PER_S
 * lines a second, then one line counting the others (metrics count all). */
#define DROP_LINES_PER_S 20
static time_t drop_second;
static unsigned drop_lines, drop_suppressed;

static bool drop_log_allowed(void)
{
    time_t now = time(NULL);
    if (now != drop_second) {
        if (drop_suppressed) {
            begin("warn", "dropped_unlogged");
            fprintf(stderr, ",\"count\":%u}\n", drop_suppressed);
        }
        drop_second = now;
        drop_lines = drop_suppressed = 0;
    }
    if (drop_lines >= DROP_LINES_PER_S) {
        drop_suppressed++;
        return false;
    }
    drop_lines++;
    return true;
}

void plog_drop(uint64_t conn, const char *direction, const uint8_t *topic, size_t tlen,
               enum drop_reason why, const char *detail)
{
    if (!plog_enabled)
        return;
    pthread_mutex_lock(&log_lock);
    if (!drop_log_allowed()) {
        pthread_mutex_unlock(&log_lock);
        return;
    }
    begin("warn", "dropped");
    fprintf(stderr, ",\"conn\":%llu,\"direction\":\"%s\",\"topic\":", (unsigned long long)conn,
            direction);
    json_string(stderr, topic, tlen);
    fprintf(stderr, ",\"reason\":\"%s\"", drop_reason_name(why));
    end(detail);
}
