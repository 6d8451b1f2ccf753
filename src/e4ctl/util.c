/* Small helpers: growing strings, files, wiping, UTF-8, safe printing. */
#include "ctl.h"
#include "utf8.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- growing strings ---- */

static int sb_reserve(struct sbuf *b, size_t extra)
{
    size_t cap;
    char *s;
    if (b->oom || extra > SIZE_MAX / 2 - b->len)
        return b->oom = 1, -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    s = malloc(cap);
    if (!s)
        return b->oom = 1, -1;
    if (b->s) {
        memcpy(s, b->s, b->len);
        ctl_wipe_free(b->s, b->cap); /* bodies may hold secrets: never leave copies */
    }
    b->s = s;
    b->cap = cap;
    return 0;
}

void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (sb_reserve(b, n))
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sb_adds(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

void sb_addf(struct sbuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        sb_add(b, small, (size_t)n);
        return;
    }
    if (sb_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *sb_take(struct sbuf *b)
{
    char *s;
    if (b->oom) {
        sb_wipe(b);
        return NULL;
    }
    if (!b->s)
        sb_add(b, "", 0);
    s = b->oom ? NULL : b->s;
    memset(b, 0, sizeof *b);
    return s;
}

void sb_wipe(struct sbuf *b)
{
    if (b->s)
        ctl_wipe_free(b->s, b->cap);
    memset(b, 0, sizeof *b);
}

/* ---- wiping ---- */

void ctl_wipe_free(void *p, size_t len)
{
    if (!p)
        return;
    explicit_bzero(p, len);
    free(p);
}

void ctl_wipe_str(char *s)
{
    if (s)
        ctl_wipe_free(s, strlen(s));
}

/* Jansson's allocations carry their size in front, to be wiped on free. */
#define SEC_HEAD 16

static void *sec_malloc(size_t n)
{
    unsigned char *p;
    if (n > SIZE_MAX - SEC_HEAD)
        return NULL;
    p = malloc(n + SEC_HEAD);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    return p + SEC_HEAD;
}

static void sec_free(void *q)
{
    unsigned char *p;
    size_t n;
    if (!q)
        return;
    p = (unsigned char *)q - SEC_HEAD;
    memcpy(&n, p, sizeof n);
    explicit_bzero(p, n + SEC_HEAD);
    free(p);
}

void ctl_secure_json(void)
{
    json_set_alloc_funcs(sec_malloc, sec_free);
}

char *ctl_json_dump(const json_t *v)
{
    size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY), m;
    char *s = n ? malloc(n + 1) : NULL;
    if (!s)
        return NULL;
    m = json_dumpb(v, s, n, JSON_COMPACT | JSON_ENCODE_ANY);
    s[m < n ? m : n] = '\0';
    return s;
}

/* ---- files ---- */

int ctl_read_file(const char *path, size_t max, char **out, size_t *len, char *err, size_t errlen)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    struct sbuf b = {0};
    char chunk[65536];
    size_t n;

    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= max)
        sb_add(&b, chunk, n);
    explicit_bzero(chunk, sizeof chunk);
    if (ferror(f) || b.oom || b.len > max) {
        if (b.len > max)
            snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
        else
            snprintf(err, errlen, "%s: %s", path, ferror(f) ? "read error" : "out of memory");
        if (f != stdin)
            fclose(f);
        sb_wipe(&b);
        return -1;
    }
    if (f != stdin)
        fclose(f);
    *len = b.len;
    *out = sb_take(&b);
    return *out ? 0 : (snprintf(err, errlen, "out of memory"), -1);
}

char *ctl_read_first_line(const char *path, const char *what, char *err, size_t errlen)
{
    char *all = NULL;
    size_t len = 0, n;
    if (ctl_read_file(path, 1u << 16, &all, &len, err, errlen))
        return NULL;
    n = strcspn(all, "\r\n");
    if (n == 0) {
        snprintf(err, errlen, "%s: no %s on its first line", path, what);
        ctl_wipe_free(all, len);
        return NULL;
    }
    explicit_bzero(all + n, len - n);
    return all;
}

/* ---- UTF-8 and URLs ---- */

int ctl_utf8_valid(const char *s, size_t len)
{
    return utf8_valid((const uint8_t *)s, len);
}

int ctl_url_valid(const char *url)
{
    const char *host;
    const unsigned char *p;
    if (!strncmp(url, "http://", 7))
        host = url + 7;
    else if (!strncmp(url, "https://", 8))
        host = url + 8;
    else
        return 0;
    if (!*host || *host == '/' || *host == ':')
        return 0;
    for (p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return 0;
    return !strchr(url, '?') && !strchr(url, '#');
}

/* ---- messages ---- */

void ctl_error(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("e4ctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Control characters (C0, DEL, C1) and invalid UTF-8 become \xNN. */
char *ctl_safe_dup(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;
    struct sbuf b = {0};
    while (i < n) {
        uint32_t cp = 0;
        int len = utf8_decode(p + i, n - i, &cp);
        size_t k = len > 0 ? (size_t)len : 0;
        if (k == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
            sb_addf(&b, "\\x%02x", p[i]);
            i++;
        } else {
            sb_add(&b, s + i, k);
            i += k;
        }
    }
    return sb_take(&b);
}

void ctl_put_safe(FILE *f, const char *s)
{
    char *safe = ctl_safe_dup(s);
    if (safe)
        fputs(safe, f);
    free(safe);
}
