/*
 * CHECK(c): an invariant of a fuzz target or test harness. A failure prints
 * where and what, then aborts, so libFuzzer (or the sanitizers) keep the
 * input that broke it.
 */
#ifndef E4_SUPPORT_CHECK_H
#define E4_SUPPORT_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                                      \
    do {                                                                              \
        if (!(c)) {                                                                   \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

#endif
