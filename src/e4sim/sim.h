/*
 * e4sim: many E4 devices in one process, for tests and benchmarks of the key
 * server (C2).
 *
 * Threads: the main thread loads the devices, starts the MQTT connections
 * and answers the commands read on stdin. Each connection has its own
 * libmosquitto network thread (mosquitto_loop_start), and that thread alone
 * touches the e4_state of the devices the connection serves
 * (sim_device.conn). What the main thread reads (which keys the devices
 * hold, the counters) lives in the tracker, under the tracker's lock.
 */
#ifndef E4SIM_SIM_H
#define E4SIM_SIM_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <e4/e4.h>

#include "../e4/cli.h"
#include "../e4/identity.h"

#define SIM_KEY_ID_LEN 8 /* first bytes of SHA3-256(key) */
#define SIM_ERR_KINDS 64 /* error counters, indexed by -e4_err */
#define SIM_CONNECTIONS_MAX 256

/* ---- options (main.c) ---- */

typedef struct sim_opts {
    /* run */
    const char *devices, *broker, *seed, *username, *password;
    uint32_t connections, keepalive, timeout, batch;
    uint32_t max_topics, max_pubkeys, replay;
    int json, quiet, verbose, no_stdin;
    int no_receipts;
    uint32_t state_interval; /* seconds between periodic STATEs, 0: none */
    uint32_t state_rate;     /* STATEs per second at most, 0: no limit */
    e4_suite suite;          /* the devices': base, fips-sk (SK), fips-pk, pq-pk (PK) */
    /* generate */
    int generating; /* --generate given */
    uint32_t generate;
    const char *prefix, *out;
    int pk_mode;
    const char *c2_pk_arg; /* --c2-pubkey HEX or @FILE, in --suite's length */
} sim_opts;

/* ---- digests (digest.c) ---- */

/* Key id: the first 8 bytes of SHA3-256(key), as the key server names keys. */
int sim_key_id(uint8_t out[SIM_KEY_ID_LEN], const uint8_t key[E4_KEY_LEN]);
/* SHA3-256 of a || b (b may be NULL). 0 on success. */
int sim_sha3(uint8_t out[32], const void *a, size_t alen, const void *b, size_t blen);

/* ---- string -> index map (strmap.c) ---- */

struct strmap_slot;
typedef struct strmap {
    struct strmap_slot *slots;
    size_t cap;
} strmap;

/* Room for n keys (fixed). 0, or -1 without memory. */
int strmap_init(strmap *m, size_t n);
void strmap_free(strmap *m);
/* Keys are not copied: they must outlive the map. 0 when inserted; 1 when
 * the key is already there (*existing = its value); -1 when full. */
int strmap_put(strmap *m, const char *key, uint32_t value, uint32_t *existing);
/* 1 and *value when found, else 0. */
int strmap_get(const strmap *m, const char *key, uint32_t *value);

/* ---- the devices (fleet.c, devline.c) ---- */

/* A (topic, key) a device holds; the key itself stays in its state. */
typedef struct held_key {
    uint8_t topic_hash[E4_TOPIC_HASH_LEN];
    uint8_t key_id[SIM_KEY_ID_LEN];
} held_key;

typedef struct sim_device {
    char *name;
    char control_topic[E4_DEFAULT_CONTROL_TOPIC_LEN];
    void *mem;       /* the state's memory (e4_state_size bytes) */
    e4_state *state; /* its connection's thread only */
    uint32_t line;   /* in the devices file */
    uint32_t conn;   /* the connection that serves it */
    held_key *held;  /* tracker lock */
    uint32_t nheld;
    receipt_schedule schedule; /* its connection's lock */
} sim_device;

/* One line of the devices file, checked. */
typedef struct device_spec {
    char name[E4_NAME_MAX + 1];
    uint8_t id[E4_ID_LEN];
    int pk;
    uint8_t key[E4_KEY_LEN];             /* SK */
    uint8_t sign_key[IDENTITY_SIGN_MAX]; /* PK: the suite's set (identity.h) */
    uint8_t c2_pk[IDENTITY_C2_PK_MAX];   /* PK: C2's set */
} device_spec;

/* Parse one line (not NUL-terminated). 0, or -1 with the reason in err. */
int devline_parse(const char *line, size_t len, e4_suite suite, device_spec *spec, char *err,
                  size_t errlen);
/* Wipe the keys of a spec. */
void devline_wipe(device_spec *spec);

typedef struct fleet {
    sim_device *dev;
    size_t n, npk;
    strmap by_name, by_topic;
    uint8_t digest[32]; /* SHA3-256 of the file */
    e4_suite suite;     /* the devices' suite (--suite) */
} fleet;

/* Load every device of path, or none: a bad line is an error (reported on
 * stderr with its line number). Devices are given to the nconns
 * connections in contiguous blocks, in file order (sim_conn_first), so
 * that a range of devices can go offline with its connections. 0, or 1 on
 * failure. */
int fleet_load(fleet *f, const char *path, const e4_limits *sk, const e4_limits *pk, e4_suite suite,
               uint32_t nconns);
/* Wipe every state and free. */
void fleet_free(fleet *f);
/* The device of a control topic / a name, or NULL. */
sim_device *fleet_by_topic(fleet *f, const char *topic);
sim_device *fleet_by_name(fleet *f, const char *name);

/* ---- devices and connections (ranges.c) ---- */

/* The first device (index in file order) of connection k, when n devices
 * are shared by nconns connections in contiguous blocks; k = nconns gives
 * n. Device i is on connection i * nconns / n. */
uint32_t sim_conn_first(size_t n, uint32_t nconns, uint32_t k);
/* The connections [*k0, *k1) that serve exactly devices [from, from +
 * count): 0, or -1 when the range is empty, beyond n or does not fall on
 * connection boundaries. */
int sim_range_conns(size_t n, uint32_t nconns, uint32_t from, uint32_t count, uint32_t *k0,
                    uint32_t *k1);

/* ---- which keys the devices hold, counters (tracker.c) ---- */

struct key_count;
typedef struct tracker {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC; broadcast on every change */
    struct key_count *slots;
    size_t cap, used;
    uint64_t commands, errors, ignored;
    uint64_t err_kind[SIM_ERR_KINDS];
    uint64_t receipts[3]; /* sim_receipt_count */
} tracker;

/* Receipts counted by the tracker. */
enum sim_receipt_count { SIM_SENT_APPLIED, SIM_SENT_STATE, SIM_RECEIPT_FAILED };

typedef struct tracker_stats {
    uint64_t commands, errors, ignored;
    uint64_t err_kind[SIM_ERR_KINDS];
} tracker_stats;

int tracker_init(tracker *t);
void tracker_free(tracker *t);
/* A command was applied to d (from d's connection thread): re-read the keys
 * d holds and update the counts. */
void tracker_command(tracker *t, sim_device *d);
void tracker_error(tracker *t, e4_err err);
/* A message for no device of this connection. */
void tracker_ignored(tracker *t);
uint32_t tracker_count(tracker *t, const uint8_t topic_hash[E4_TOPIC_HASH_LEN],
                       const uint8_t key_id[SIM_KEY_ID_LEN]);
/* Until at least want devices hold the key or deadline (CLOCK_MONOTONIC
 * milliseconds) passes, or *stop becomes non-zero; returns the count. */
uint32_t tracker_wait(tracker *t, const uint8_t topic_hash[E4_TOPIC_HASH_LEN],
                      const uint8_t key_id[SIM_KEY_ID_LEN], uint32_t want, uint64_t deadline,
                      volatile const sig_atomic_t *stop);
/* 1 and key_id when d holds a key for the topic, else 0. */
int tracker_holds(tracker *t, const sim_device *d, const uint8_t topic_hash[E4_TOPIC_HASH_LEN],
                  uint8_t key_id[SIM_KEY_ID_LEN]);
void tracker_snapshot(tracker *t, tracker_stats *s);
void tracker_receipt(tracker *t, enum sim_receipt_count what);
void tracker_receipts(tracker *t, uint64_t out[3]);
/* Short name of an error kind ("not_authentic"...). */
const char *tracker_kind_name(int kind);

/* ---- MQTT connections (conn.c, dispatch.c) ---- */

struct mosquitto;
struct sim;

typedef struct sim_conn {
    struct sim *sim;
    uint32_t index;
    struct mosquitto *mosq;
    char client_id[24];
    char **topics;     /* control topics of its devices */
    sim_device **devs; /* the devices, in the same order */
    size_t ntopics;
    /* Its devices' states and receipt schedules, and online: taken by the
     * network thread around each message and subscription, by the receipt
     * thread around each STATE. */
    pthread_mutex_t lock;
    int online;      /* connected (receipts may be sent) */
    int offline;     /* taken offline by the "offline" command (main thread) */
    uint64_t rounds; /* subscription rounds completed (sim lock) */
    int *mids;       /* SUBSCRIBE batches of the current connection */
    size_t nmids, acked;
    int send_failed; /* a batch of this round could not be sent */
    int connected_once;
    int subscribed; /* every batch acknowledged once */
} sim_conn;

typedef struct sim {
    const sim_opts *opts;
    fleet fleet;
    tracker tracker;
    sim_conn *conns;
    uint32_t nconns;
    pthread_mutex_t lock; /* readiness */
    pthread_cond_t cond;
    uint32_t ready_conns;
    int stopping;
    int failed; /* a connection or a subscription was refused */
    char failure[160];
    pthread_t receipt_thread;
    int receipt_thread_started;
} sim;

/* Create, connect and start every connection. 0, or 1 (reported). */
int conns_start(sim *s, const char *host, int port);
/* Until every connection has its subscriptions acknowledged. 0 when ready. */
int conns_wait_ready(sim *s, uint32_t timeout_s, volatile const sig_atomic_t *stop);
void conns_stop(sim *s);
/* The client id of connection k: "e4sim-K-" and 12 hex digits of
 * SHA3-256(seed or the devices file's digest, and the connection count). */
void conn_client_id(const sim *s, uint32_t k, char out[24]);
/* A message received by connection c (its network thread). */
void dispatch_message(sim_conn *c, const char *topic, const void *payload, int len);
/* Take connections [k0, k1) offline (disconnect; the broker keeps their
 * sessions and queues their messages) or back online (reconnect, then wait
 * until their subscriptions are acknowledged, at most timeout_s). The
 * number of connections whose state changed, or -1 (reported). */
int conns_offline(sim *s, uint32_t k0, uint32_t k1);
int conns_online(sim *s, uint32_t k0, uint32_t k1, uint32_t timeout_s);

/* ---- receipts (receipts.c) ---- */

/* The thread that sends STATE receipts when due (nothing with
 * --no-receipts). 0, or 1 (reported). */
int receipts_start(sim *s);
void receipts_stop(sim *s);
/* Publish a receipt of d on its receipt topic, QoS 1 (any thread). */
void receipts_publish(sim_conn *c, const sim_device *d, const uint8_t *r, size_t len,
                      enum sim_receipt_count what);

/* ---- stdin and results (input.c, commands.c, output.c) ---- */

/* Set by SIGINT/SIGTERM. */
int input_setup_signals(void);
/* Read lines until end of input, "quit" or a signal; each goes to
 * command_line. */
void input_loop(sim *s, int use_stdin);
/* One command; 1 to stop. */
int command_line(sim *s, char *line);

uint64_t sim_now_ms(void); /* CLOCK_MONOTONIC */

void out_ready(const sim *s, size_t n, uint64_t ms);
void out_ok(const sim *s, const char *topic, const char *key_id, uint32_t count, uint64_t ms);
void out_timeout(const sim *s, const char *topic, const char *key_id, uint32_t count);
void out_count(const sim *s, uint32_t count);
void out_stats(const sim *s, const tracker_stats *st);
void out_holds(const sim *s, const char *name, const char *topic, const char *key_id);
/* "offline FROM COUNT connections=K" / "online ..." */
void out_range(const sim *s, const char *event, uint32_t from, uint32_t count, int conns);
void out_receipts(const sim *s, const uint64_t counts[3]);
void out_error(const sim *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* ---- subcommands ---- */
int sim_run(const sim_opts *o);
int sim_generate(const sim_opts *o);

#endif
