/* mqttinfo: small helpers (clock, randomness, strings). */
#include "mi.h"

#include <openssl/rand.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t mi_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static volatile sig_atomic_t g_cancelled;

void mi_cancel(void)
{
    g_cancelled = 1;
}

bool mi_cancelled(void)
{
    return g_cancelled != 0;
}

static void random_bytes(uint8_t *b, size_t n)
{
    if (RAND_bytes(b, (int)n) != 1) {
        /* Uniqueness, not secrecy, is what matters here. */
        static unsigned long counter;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long x = (unsigned long)ts.tv_nsec ^ (unsigned long)ts.tv_sec ^ ++counter;
        for (size_t i = 0; i < n; i++) {
            x = x * 6364136223846793005UL + 1442695040888963407UL;
            b[i] = (uint8_t)(x >> 33);
        }
    }
}

void mi_random_hex(char *buf, size_t nhex)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t b[64];
    size_t nb = (nhex + 1) / 2;
    if (nb > sizeof b)
        nb = sizeof b, nhex = 2 * sizeof b;
    random_bytes(b, nb);
    for (size_t i = 0; i < nhex; i++)
        buf[i] = hex[(b[i / 2] >> ((i & 1) ? 0 : 4)) & 15];
    buf[nhex] = '\0';
}

uint16_t mi_random_u16(void)
{
    uint8_t b[2];
    uint16_t v;
    do {
        random_bytes(b, 2);
        v = (uint16_t)(b[0] << 8 | b[1]);
    } while (v == 0);
    return v;
}

void mi_utc_now(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Copies bytes a broker sent into a printable, NUL-terminated string. */
void mi_sanitize(char *dst, size_t dstlen, const uint8_t *src, size_t srclen)
{
    size_t j = 0;
    if (dstlen == 0)
        return;
    for (size_t i = 0; i < srclen && j + 1 < dstlen; i++) {
        uint8_t c = src[i];
        dst[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    dst[j] = '\0';
}

size_t mi_strlcpy(char *dst, const char *src, size_t len)
{
    size_t n = strlen(src);
    if (len) {
        size_t k = n < len - 1 ? n : len - 1;
        memcpy(dst, src, k);
        dst[k] = '\0';
    }
    return n;
}
