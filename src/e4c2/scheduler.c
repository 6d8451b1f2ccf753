#include "scheduler.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "store_auto.h"
#include "store_internal.h"

#define TICK_MS 1000
#define RUNS_PER_TICK 64 /* a backlog is worked off in steps; the API stays served */

struct scheduler {
    store_pool *pool;
    store *st;
    pthread_t thread;
    atomic_int stopping;
};

/* Run what is due; 1 if there may be more. */
static int run_due(scheduler *sc)
{
    for (int i = 0; i < RUNS_PER_TICK && !atomic_load(&sc->stopping); i++) {
        c2_policy_run run;
        c2_error e = {0};
        if (store_policy_run_due(sc->st, &run, &e) != C2_OK) {
            log_warn("cannot run due policies", "error", e.message);
            return 0;
        }
        if (!run.ran) {
            metrics_policy_check();
            return 0;
        }
        if (run.failed)
            log_warn("a policy failed; it will be retried", "error", run.error);
    }
    return 1;
}

static void *loop(void *arg)
{
    scheduler *sc = arg;
    uint64_t seen = notify_generation();
    while (!atomic_load(&sc->stopping)) {
        if (run_due(sc))
            continue;
        seen = notify_wait(seen, TICK_MS);
    }
    return NULL;
}

scheduler *scheduler_start(store_pool *pool, c2_error *e)
{
    scheduler *sc = calloc(1, sizeof *sc);
    if (!sc) {
        set_error(e, C2_INTERNAL, "out of memory");
        return NULL;
    }
    sc->pool = pool;
    sc->st = store_pool_get(pool);
    if (pthread_create(&sc->thread, NULL, loop, sc) != 0) {
        store_pool_put(pool, sc->st);
        free(sc);
        set_error(e, C2_INTERNAL, "cannot start the policy scheduler");
        return NULL;
    }
    return sc;
}

void scheduler_stop(scheduler *sc)
{
    if (!sc)
        return;
    atomic_store(&sc->stopping, 1);
    notify_changed();
    pthread_join(sc->thread, NULL);
    store_pool_put(sc->pool, sc->st);
    free(sc);
}
