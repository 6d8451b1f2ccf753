/*
 * notify: wakes the threads that wait for new database rows in this
 * process (the publisher for outbox rows, SSE streams for events). Other
 * e4c2 processes on the same database are seen by polling, so waits always
 * have a timeout.
 */
#ifndef E4C2_NOTIFY_H
#define E4C2_NOTIFY_H

#include <stdint.h>

/* Bump the generation and wake every waiter. */
void notify_changed(void);
/* The current generation. */
uint64_t notify_generation(void);
/* Wait until the generation differs from seen, or timeout_ms passes.
 * Returns the generation. */
uint64_t notify_wait(uint64_t seen, int timeout_ms);

#endif
