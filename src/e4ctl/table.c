/* Aligned tables and field lists from JSON objects. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* wcwidth */
#endif
#include "table.h"

#include "ctl.h"

#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <time.h>
#include <wchar.h>

void format_time(char *out, size_t len, long long t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, len, "%lld", t);
}

/* Columns of one character (wcwidth in a UTF-8 locale, else 1). */
static size_t char_width(const char *s, size_t *used)
{
    mbstate_t st;
    wchar_t wc;
    size_t n;
    int w;
    memset(&st, 0, sizeof st);
    n = mbrtowc(&wc, s, MB_LEN_MAX, &st);
    if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
        for (n = 1; ((unsigned char)s[n] & 0xc0) == 0x80; n++)
            ;
        *used = n;
        return 1;
    }
    *used = n;
    w = wcwidth(wc);
    return w < 0 ? 1 : (size_t)w;
}

size_t text_width(const char *s)
{
    size_t w = 0, used = 1;
    for (; *s; s += used)
        w += char_width(s, &used);
    return w;
}

static char *json_text(const json_t *v)
{
    char *d = ctl_json_dump(v);
    char *s = d ? ctl_safe_dup(d) : NULL;
    free(d);
    return s;
}

static char *value_text(const json_t *v, enum cell_kind kind)
{
    char buf[64];
    if (kind == C_JSON)
        return json_text(v);
    if (json_is_string(v))
        return ctl_safe_dup(json_string_value(v));
    if (json_is_integer(v) && kind == C_TIME) {
        format_time(buf, sizeof buf, (long long)json_integer_value(v));
        return strdup(buf);
    }
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        return strdup(buf);
    }
    if (json_is_boolean(v))
        return strdup(json_is_true(v) ? "yes" : "no");
    return json_text(v);
}

char *cell_text(const json_t *obj, const struct column *c)
{
    const json_t *v = json_object_get(obj, c->key);
    if ((!v || json_is_null(v)) && c->alt)
        v = json_object_get(obj, c->alt);
    if (!v || json_is_null(v))
        return strdup("-");
    return value_text(v, c->kind);
}

void table_init(struct table *t, const struct column *cols, size_t ncols)
{
    size_t i;
    memset(t, 0, sizeof *t);
    t->cols = cols;
    t->ncols = ncols < TABLE_MAX_COLS ? ncols : TABLE_MAX_COLS;
    for (i = 0; i < t->ncols; i++)
        t->width[i] = text_width(cols[i].title);
}

static void print_row(const struct table *t, const char *const *cells)
{
    size_t i;
    for (i = 0; i < t->ncols; i++) {
        const char *s = cells[i] ? cells[i] : "?";
        int last = i + 1 == t->ncols;
        fputs(s, stdout);
        if (!last)
            printf("%*s", (int)(t->width[i] - text_width(s) + 2), "");
    }
    putchar('\n');
}

static void free_cells(char **cells, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
}

void table_page(struct table *t, const json_t *items)
{
    size_t rows = json_array_size(items), r, i, nc = t->ncols;
    char **cells = calloc(rows * nc + 1, sizeof *cells);
    const char *titles[TABLE_MAX_COLS] = {0};

    if (!cells)
        return;
    for (r = 0; r < rows; r++)
        for (i = 0; i < nc; i++) {
            char *s = cell_text(json_array_get(items, r), &t->cols[i]);
            size_t w = s ? text_width(s) : 1;
            cells[r * nc + i] = s;
            if (w > t->width[i])
                t->width[i] = w;
        }
    if (!t->header_done) {
        for (i = 0; i < nc; i++)
            titles[i] = t->cols[i].title;
        print_row(t, titles);
        t->header_done = 1;
    }
    for (r = 0; r < rows; r++)
        print_row(t, (const char *const *)(cells + r * nc));
    free_cells(cells, rows * nc);
}

void print_fields(const json_t *obj, const struct column *cols, size_t ncols)
{
    size_t i, w = 0;
    for (i = 0; i < ncols; i++)
        if (text_width(cols[i].title) > w)
            w = text_width(cols[i].title);
    for (i = 0; i < ncols; i++) {
        const json_t *v = json_object_get(obj, cols[i].key);
        char *s;
        if (!v && !(cols[i].alt && json_object_get(obj, cols[i].alt)))
            continue; /* absent: not in this mode */
        s = cell_text(obj, &cols[i]);
        printf("%s:%*s%s\n", cols[i].title, (int)(w - text_width(cols[i].title) + 2), "",
               s ? s : "?");
        free(s);
    }
}
