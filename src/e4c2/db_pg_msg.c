/*
 * db_pg_msg: what of PostgreSQL's and libpq's messages may reach db_errmsg()
 * and, from there, the logs. Keys and passwords must not:
 *
 * - libpq echoes pieces of a malformed URL ('invalid percent-encoded token:
 *   "p%zz..."'), which can be the password: every password spelled in the
 *   URL is replaced by "***", whole and split at '@' (libpq splits the
 *   userinfo at the first '@', a reader at the last).
 * - Data exceptions quote the offending value ('invalid input syntax for
 *   type bigint: "..."', 'invalid byte sequence ... 0x..' after the quote),
 *   and values are parameters: quoted text is replaced by "?" (db_pg.c also
 *   cuts the message at ": ").
 * - DETAIL ("Key (eid)=(\x...) already exists") is never read by db_pg.c.
 */
#include "db_internal.h"

#include <stdlib.h>
#include <string.h>

#include "hex.h"

void pg_msg_one_line(char *msg)
{
    char *o = msg;
    for (const char *p = msg; *p; p++) {
        char c = *p == '\n' || *p == '\r' || *p == '\t' ? ' ' : *p;
        if (c != ' ' || (o > msg && o[-1] != ' '))
            *o++ = c;
    }
    while (o > msg && o[-1] == ' ')
        o--;
    *o = '\0';
}

void pg_msg_scrub(char *msg, size_t cap, const char *secret, size_t secret_len)
{
    char *out = secret_len && cap ? malloc(cap) : NULL;
    if (!out)
        return;
    size_t o = 0;
    for (const char *p = msg; *p && o + 1 < cap;) {
        if (strncmp(p, secret, secret_len) == 0) {
            for (const char *r = "***"; *r && o + 1 < cap; r++)
                out[o++] = *r;
            p += secret_len;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    memcpy(msg, out, o + 1);
    free(out);
}

/* Percent-decodes s[0..n) into out (n + 1 bytes); its length, or 0 when s
 * is not valid percent-encoding (libpq then quotes s as written). */
static size_t percent_decode(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        if (i + 2 >= n)
            return 0;
        int hi = hex_digit((unsigned char)s[i + 1]), lo = hex_digit((unsigned char)s[i + 2]);
        if (hi < 0 || lo < 0)
            return 0;
        out[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    out[o] = '\0';
    return o;
}

/* Scrubs s[0..n) as written and decoded. */
static void scrub_spelled(char *msg, size_t cap, const char *s, size_t n)
{
    char *dec = malloc(n + 1);
    if (!dec)
        return;
    pg_msg_scrub(msg, cap, s, n);
    size_t m = percent_decode(s, n, dec);
    pg_msg_scrub(msg, cap, dec, m);
    explicit_bzero(dec, n + 1);
    free(dec);
}

/* The whole secret, then each '@'-separated piece of it. */
static void scrub_pieces(char *msg, size_t cap, const char *s, size_t n)
{
    scrub_spelled(msg, cap, s, n);
    for (size_t i = 0; i < n;) {
        const char *at = memchr(s + i, '@', n - i);
        size_t len = at ? (size_t)(at - (s + i)) : n - i;
        if (len < n)
            scrub_spelled(msg, cap, s + i, len);
        i += len + 1;
    }
}

void pg_msg_scrub_url(char *msg, size_t cap, const char *url)
{
    const char *p = strstr(url, "://");
    if (!p)
        return;
    p += 3;
    size_t auth = strcspn(p, "/?#");
    const char *at = NULL;
    for (const char *q = p; q < p + auth; q++)
        if (*q == '@')
            at = q;
    const char *colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
    if (colon)
        scrub_pieces(msg, cap, colon + 1, (size_t)(at - colon - 1));
    const char *query = strchr(p, '?');
    for (const char *q = query; q && (q = strstr(q, "password=")) != NULL; q += 9) {
        if (q[-1] == '?' || q[-1] == '&')
            scrub_pieces(msg, cap, q + 9, strcspn(q + 9, "&#"));
    }
}

/* In place: "" stays "", and "x..." (at least 3 bytes) becomes "?" (3). */
void pg_msg_redact_quoted(char *msg)
{
    char *o = msg;
    int open = 0;
    size_t inside = 0;
    for (const char *p = msg; *p; p++) {
        if (*p == '"') {
            if (open && inside)
                *o++ = '?';
            *o++ = '"';
            open = !open;
            inside = 0;
        } else if (open) {
            inside++;
        } else {
            *o++ = *p;
        }
    }
    if (open && inside)
        *o++ = '?';
    *o = '\0';
}
