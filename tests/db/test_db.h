/*
 * test_db: the database layer (src/e4c2/db.h) against one backend, given by
 * URL. Every check exits non-zero with file:line on failure.
 */
#ifndef TEST_DB_H
#define TEST_DB_H

#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                                 \
        }                                                                            \
    } while (0)

/* expr must give want (a db_status or a row count); prints the db's error. */
#define CHECK_IS(d, expr, want)                                                                 \
    do {                                                                                        \
        long long got_ = (long long)(expr);                                                     \
        if (got_ != (long long)(want)) {                                                        \
            fprintf(stderr, "%s:%d: %s gave %lld, want %lld (%s)\n", __FILE__, __LINE__, #expr, \
                    got_, (long long)(want), db_errmsg(d));                                     \
            exit(1);                                                                            \
        }                                                                                       \
    } while (0)

#define CHECK_OK(d, expr) CHECK_IS(d, expr, DB_OK)

/* A case: d is open on url; url lets a case open a second connection. */
typedef void (*db_case_fn)(db *d, const char *url);

typedef struct db_case {
    const char *name;
    db_case_fn fn;
} db_case;

extern const db_case db_data_cases[]; /* test_db_cases.c, NULL-terminated */
extern const db_case db_tx_cases[];   /* test_db_tx.c, NULL-terminated */
extern const db_case db_text_cases[]; /* test_db_text.c: no database needed */

double now_seconds(void);
/* msg must say something and contain none of the secrets. */
void check_clean(const char *msg, const char *const *secrets);
/* Opens a second connection on url, or exits. */
db *open_or_die(const char *url);

#endif
