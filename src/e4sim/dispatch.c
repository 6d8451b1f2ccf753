/* A message received on a connection: find the device by its control topic
 * and give the message to e4_unprotect with the current time; an applied
 * command updates the tracker. Runs on the connection's network thread,
 * the only one touching the states of its devices. */
#include "sim.h"

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

void dispatch_message(sim_conn *c, const char *topic, const void *payload, int len)
{
    sim *s = c->sim;
    sim_device *d = fleet_by_topic(&s->fleet, topic);
    size_t n = len > 0 ? (size_t)len : 0, out_len = 0;
    uint8_t small[256], *out;
    const uint8_t *in = n ? payload : small;
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
    err = e4_unprotect(d->state, topic, in, n, out, out == small ? sizeof small : n, &out_len,
                       (uint64_t)time(NULL));
    e4_wipe(out, out_len);
    if (out != small)
        free(out);
    if (s->opts->verbose)
        report(d, err);
    if (err == E4_COMMAND)
        tracker_command(&s->tracker, d);
    else
        tracker_error(&s->tracker, err == E4_OK ? E4_ERR_INVALID_COMMAND : err);
}
