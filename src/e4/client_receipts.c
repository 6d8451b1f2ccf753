/*
 * e4 client: receipts (docs/receipts.md). An APPLIED receipt for every
 * command that authenticated, published by the network thread right after
 * the command; STATE receipts published by the main thread when
 * receipt_schedule.c says (after each subscription of the control topic,
 * after bursts of control messages, applied or rejected: rejected stale
 * commands are exactly what C2 must learn about, and periodically), none
 * while offline (the reconnection sends one). The schedule uses the
 * monotonic clock; the receipts' own timestamps come from the e4 client's
 * clock (time()) when they are built.
 */
#include "device.h"
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Wake the main loop (any thread; a full pipe already wakes it). */
static void wake(client_ctx *c)
{
    static const char b = 1;
    ssize_t r = write(c->wake[1], &b, 1);
    (void)r;
}

/* Network thread, inside e4_client_unprotect: keep the receipt for
 * receipts_after_control, which knows the command's result. */
static void sink(void *ctx, const uint8_t *receipt, size_t len)
{
    client_ctx *c = ctx;
    if (len != sizeof c->applied)
        return;
    memcpy(c->applied, receipt, len);
    c->have_applied = 1;
}

int receipts_init(client_ctx *c)
{
    c->wake[0] = c->wake[1] = -1;
    if (!c->receipts)
        return 0;
    if (pipe(c->wake) != 0) {
        cli_error("cannot create a pipe: %s", strerror(errno));
        return 1;
    }
    for (int i = 0; i < 2; i++)
        fcntl(c->wake[i], F_SETFL, fcntl(c->wake[i], F_GETFL) | O_NONBLOCK);
    e4_client_set_receipt_sink(c->e4, sink, c);
    return 0;
}

void receipts_close(client_ctx *c)
{
    if (!c->receipts)
        return;
    if (c->e4)
        e4_client_set_receipt_sink(c->e4, NULL, NULL);
    for (int i = 0; i < 2; i++)
        if (c->wake[i] >= 0)
            close(c->wake[i]);
}

void receipts_online_locked(client_ctx *c, int online)
{
    if (!c->receipts)
        return;
    c->online = online;
    if (online) {
        rs_subscribed(&c->schedule);
        wake(c);
    }
}

void receipts_before_control(client_ctx *c)
{
    c->have_applied = 0;
}

void receipts_after_control(client_ctx *c, e4_err err)
{
    if (!c->receipts)
        return;
    if (c->have_applied) {
        struct pending info = {.rkind = E4_RECEIPT_APPLIED,
                               .rresult = err == E4_COMMAND ? 0 : -(int)err};
        broker_publish_receipt(c, c->applied, sizeof c->applied, &info);
        c->have_applied = 0;
    }
    uint64_t now = mono_ms();
    pthread_mutex_lock(&c->lock);
    rs_activity(&c->schedule, now);
    pthread_mutex_unlock(&c->lock);
    wake(c);
}

int receipts_wake_fd(const client_ctx *c)
{
    return c->receipts ? c->wake[0] : -1;
}

/* When the next STATE is due (monotonic ms), UINT64_MAX for never
 * (lock held). */
static uint64_t next_due_locked(const client_ctx *c)
{
    return c->online ? rs_due(&c->schedule, c->state_interval) : UINT64_MAX;
}

int receipts_timeout_ms(client_ctx *c)
{
    if (!c->receipts)
        return -1;
    pthread_mutex_lock(&c->lock);
    uint64_t due = next_due_locked(c);
    pthread_mutex_unlock(&c->lock);
    if (due == UINT64_MAX)
        return -1;
    uint64_t now = mono_ms();
    return due <= now ? 0 : (int)(due - now < 60000 ? due - now : 60000);
}

static void count_keys(const e4_state *s, void *ctx)
{
    struct pending *info = ctx;
    info->rtopics = e4_state_topic_count(s);
    info->rpubkeys = e4_state_pubkey_count(s);
}

static void send_state(client_ctx *c)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct pending info = {.rkind = E4_RECEIPT_STATE};
    e4_err err = e4_client_state_receipt(c->e4, &buf, &len);
    if (err != E4_OK) {
        out_error(c, "receipt", e4_client_receipt_topic(c->e4), err, NULL);
        return;
    }
    e4_client_inspect(c->e4, count_keys, &info);
    broker_publish_receipt(c, buf, len, &info);
    free(buf);
}

void receipts_tick(client_ctx *c)
{
    char drain[64];
    if (!c->receipts)
        return;
    while (read(c->wake[0], drain, sizeof drain) > 0)
        ;
    uint64_t now = mono_ms();
    pthread_mutex_lock(&c->lock);
    int due = next_due_locked(c) <= now;
    if (due)
        rs_sent(&c->schedule, now);
    pthread_mutex_unlock(&c->lock);
    if (due)
        send_state(c);
}
