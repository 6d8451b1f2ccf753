/* Aligned tables and field lists from JSON objects. */
#ifndef E4CTL_TABLE_H
#define E4CTL_TABLE_H

#include <jansson.h>
#include <stddef.h>

#define TABLE_MAX_COLS 10

enum cell_kind {
    C_STR,  /* string, control characters escaped */
    C_INT,  /* integer */
    C_TIME, /* unix seconds -> 2026-01-31T12:00:00Z */
    C_BOOL, /* yes / no */
    C_JSON, /* any value, compact JSON */
};

struct column {
    const char *title; /* header (tables) or label (field lists) */
    const char *key;
    enum cell_kind kind;
    const char *alt; /* key used when key is absent or null (may be NULL) */
};

/* A table printed page by page: the header once, widths that only grow. */
struct table {
    const struct column *cols;
    size_t ncols;
    size_t width[TABLE_MAX_COLS];
    int header_done;
};

void table_init(struct table *t, const struct column *cols, size_t ncols);
/* Prints the rows of one page (an array of objects). */
void table_page(struct table *t, const json_t *items);

/* "label:  value" lines for the columns present in obj. */
void print_fields(const json_t *obj, const struct column *cols, size_t ncols);

/* The text of one cell (malloc'ed, safe to print); "-" when absent. */
char *cell_text(const json_t *obj, const struct column *c);
/* Unix seconds as an ISO 8601 UTC time. */
void format_time(char *out, size_t len, long long t);
/* Display width: UTF-8 code points. */
size_t text_width(const char *s);

#endif
