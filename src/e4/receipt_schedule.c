/* When a device sends its STATE receipts (docs/receipts.md), shared by
 * `e4 client` and e4sim: once subscribed after each (re)connection; about a
 * second after the last control-topic message of a burst (at most 5 s after
 * the burst began, for bursts that never pause); every interval seconds
 * after the last STATE; never two within a second. Times are monotonic
 * milliseconds. */
#include "cli.h"

#define MIN_GAP_MS 1000     /* at most one STATE a second */
#define BURST_QUIET_MS 1000 /* a burst ends after a second without messages */
#define BURST_MAX_MS 5000   /* a burst that never ends still gets its STATE */

static uint64_t max64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}
static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

void rs_subscribed(receipt_schedule *r)
{
    r->state_wanted = 1;
}

void rs_activity(receipt_schedule *r, uint64_t now_ms)
{
    if (!r->burst)
        r->burst_first_ms = now_ms;
    r->burst = 1;
    r->burst_last_ms = now_ms;
}

uint64_t rs_due(const receipt_schedule *r, uint32_t interval_s)
{
    uint64_t earliest = r->have_state ? r->last_state_ms + MIN_GAP_MS : 0, due = UINT64_MAX;
    if (r->state_wanted)
        due = earliest;
    if (r->burst) {
        uint64_t end = min64(r->burst_last_ms + BURST_QUIET_MS, r->burst_first_ms + BURST_MAX_MS);
        due = min64(due, max64(end, earliest));
    }
    if (interval_s && r->have_state)
        due = min64(due, r->last_state_ms + (uint64_t)interval_s * 1000u);
    return due;
}

void rs_sent(receipt_schedule *r, uint64_t now_ms)
{
    r->state_wanted = 0;
    r->burst = 0;
    r->have_state = 1;
    r->last_state_ms = now_ms;
}
