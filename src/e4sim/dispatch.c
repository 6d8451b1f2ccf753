/* A message received on a connection: find the device by its control topic
 * and give the message to e4_unprotect with the current time; an applied
 * command updates the tracker. A command that authenticated (applied or
 * refused) gets an APPLIED receipt, and every control message counts
 * towards the device's next STATE. Runs on the connection's network
 * thread; the connection's lock keeps the receipt thread away from the
 * device's state meanwhile. */
#include "sim.h"

#include <e4/receipt.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void report(const sim_device *d, e4_err err)
{
    if (err == E4_COMMAND)
        fprintf(stderr, "e4sim: %s: command applied\n", d->name);
    else
        fprintf(stderr, "e4sim: %s: command rejected: %s\n", d->name, e4_strerror(err));
}

/* Unprotect for d under c's lock; with receipts, the APPLIED receipt in
 * receipt (*have set) and the burst noted. */
static e4_err unprotect(sim_conn *c, sim_device *d, const char *topic, const uint8_t *in, size_t n,
                        uint8_t *out, size_t cap, uint8_t receipt[E4_RECEIPT_APPLIED_LEN],
                        int *have)
{
    uint64_t now = (uint64_t)time(NULL);
    size_t out_len = 0;
    pthread_mutex_lock(&c->lock);
    e4_err err = e4_unprotect(d->state, topic, in, n, out, cap, &out_len, now);
    e4_wipe(out, out_len);
    if (!c->sim->opts->no_receipts) {
        *have = (err == E4_COMMAND || e4_err_is_refusal(err)) &&
                e4_receipt_applied(d->state, in, n, err, receipt, now) == E4_OK;
        rs_activity(&d->schedule, sim_now_ms());
    }
    pthread_mutex_unlock(&c->lock);
    return err;
}

void dispatch_message(sim_conn *c, const char *topic, const void *payload, int len)
{
    sim *s = c->sim;
    sim_device *d = fleet_by_topic(&s->fleet, topic);
    size_t n = len > 0 ? (size_t)len : 0;
    uint8_t small[256], *out, receipt[E4_RECEIPT_APPLIED_LEN];
    const uint8_t *in = n ? payload : small;
    int have_receipt = 0;
    e4_err err;

    /* a device of another connection: that connection receives it too (a
     * subscription left in this session by an earlier run) */
    if (!d || d->conn != c->index) {
        tracker_ignored(&s->tracker);
        return;
    }
    out = n <= sizeof small ? small : malloc(n);
    if (!out) {
        tracker_error(&s->tracker, E4_ERR_NO_MEMORY);
        return;
    }
    err =
        unprotect(c, d, topic, in, n, out, out == small ? sizeof small : n, receipt, &have_receipt);
    if (out != small)
        free(out);
    if (s->opts->verbose)
        report(d, err);
    if (err == E4_COMMAND)
        tracker_command(&s->tracker, d);
    else
        tracker_error(&s->tracker, err == E4_OK ? E4_ERR_INVALID_COMMAND : err);
    if (have_receipt)
        receipts_publish(c, d, receipt, sizeof receipt, SIM_SENT_APPLIED);
}
