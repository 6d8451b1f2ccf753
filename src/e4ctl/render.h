/* Printing answers for people (without --json). */
#ifndef E4CTL_RENDER_H
#define E4CTL_RENDER_H

#include <jansson.h>

#include "ctl.h"
#include "table.h"

/* A single answer (not a page). */
void render_answer(const struct ctl_request *req, const json_t *doc);

/* Pages: begin once, one call per page, end once. */
struct page_printer {
    struct table table;
    const char *noun; /* "clients", "topics"... */
    int events;       /* events: one line each, no table */
    int flatten;      /* monitoring: each row's counts shown as columns */
    unsigned long long shown;
};
void page_begin(struct page_printer *pp, const struct ctl_request *req);
void page_rows(struct page_printer *pp, const json_t *items);
/* all: every page was printed (no "more" hint). */
void page_end(struct page_printer *pp, const struct ctl_request *req, const json_t *last, int all);

/* topic show, after the topic: its members not on the current key version
 * (a page of GET /v1/topics/{topic}/members?behind=true). */
void render_behind(const json_t *page);

/* One event as one line: ID  TIME  TYPE  DATA. */
void render_event_line(const json_t *ev);
/* 1 when the command's answer is a page (items). */
int render_is_page(enum ctl_render r);

#endif
