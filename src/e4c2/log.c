#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int min_level = 1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const levels[] = {"debug", "info", "warn", "error"};

int log_set_level(const char *level)
{
    int i;
    for (i = 0; i < 4; i++)
        if (!strcmp(level, levels[i])) {
            min_level = i;
            return 0;
        }
    return -1;
}

static void put_escaped(FILE *f, const char *s)
{
    const unsigned char *c;
    for (c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c < 0x20)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    }
}

static void emit(int level, const char *msg, const char *key, const char *value)
{
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    if (level < min_level)
        return;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    pthread_mutex_lock(&lock);
    fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, levels[level]);
    put_escaped(stderr, msg);
    if (key && value) {
        fputs("\",\"", stderr);
        put_escaped(stderr, key);
        fputs("\":\"", stderr);
        put_escaped(stderr, value);
    }
    fputs("\"}\n", stderr);
    fflush(stderr);
    pthread_mutex_unlock(&lock);
}

void log_info(const char *msg, const char *key, const char *value)
{
    emit(1, msg, key, value);
}
void log_warn(const char *msg, const char *key, const char *value)
{
    emit(2, msg, key, value);
}
void log_error(const char *msg, const char *key, const char *value)
{
    emit(3, msg, key, value);
}
