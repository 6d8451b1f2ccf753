/*
 * scheduler: one thread that runs due rotation policies (store_auto.h),
 * once a second and whenever this process changes the database. Several
 * e4c2 on one database each run one; the claim in the database makes sure
 * a due policy runs once.
 */
#ifndef E4C2_SCHEDULER_H
#define E4C2_SCHEDULER_H

#include "store.h"

typedef struct scheduler scheduler;

scheduler *scheduler_start(store_pool *pool, c2_error *e);
void scheduler_stop(scheduler *s);

#endif
