/*
 * e4: the command-line tool. Shared helpers of the subcommands.
 */
#ifndef E4_CLI_H
#define E4_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <e4/e4.h>

#define EXIT_USAGE 2

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* ---- messages (cli.c) ---- */

/* The name used in messages, e.g. "e4 keygen" (argv[0] of a subcommand). */
extern const char *cli_prog;
/* "e4 SUB: message\n" on stderr. */
void cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);
/* The same plus "Try 'e4 SUB --help'..."; returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) CLI_PRINTF(1, 2);
/* For getopt's '?': the message is already printed. Returns EXIT_USAGE. */
int cli_try_help(void);
/* After a getopt loop that stopped at its first error (*rc set) or at the
 * end: 1 when the command is done (*rc its exit status, an operand left
 * over being a usage error), 0 to go on. */
int cli_end_of_options(int argc, char **argv, int *rc);
/* Print "e4 VERSION (libe4 VERSION)" to stdout. Returns 0. */
int cli_version(void);

/* ---- hex (hex.c) ---- */

/* out needs 2 * len + 1 bytes; lower-case, NUL-terminated. */
void hex_encode(char *out, const uint8_t *in, size_t len);
/* Write len bytes as hex and a newline. */
void hex_print_line(FILE *f, const uint8_t *in, size_t len);
/* Exactly len bytes from a string of 2*len hex digits; 0 on success. */
int hex_decode_exact(uint8_t *out, size_t len, const char *hex);
/* Decode hex text ignoring ASCII whitespace; *out is malloc'ed (at least one
 * byte). 0 on success, -1 on bad hex, -2 without memory. */
int hex_decode_text(const char *text, size_t text_len, uint8_t **out, size_t *out_len);

/* ---- arguments (args.c) ---- */

/* A key/hex option of exactly len bytes. Prints the reason and returns
 * EXIT_USAGE on failure, 0 on success. */
int arg_hex(const char *option, const char *value, uint8_t *out, size_t len);
/* arg_hex for a secret key: an all-zero key is refused. */
int arg_key(const char *option, const char *value, uint8_t *out, size_t len);
/* A timestamp: arg_u64 below 2^63. */
int arg_time(const char *option, const char *value, uint64_t *out);
/* Where a secret comes from: the option's value, a file (first line, "-" is
 * stdin) or an environment variable, in that order; NULL members are unused. */
struct secret_src {
    const char *value, *file, *env;
};
/* Set by commands whose stdin carries their input: a secret file "-" is
 * then refused. */
extern int cli_stdin_is_data;
/* The secret's text, malloc'ed (*text NULL when none was given). 0 or an
 * exit status after printing the reason (never the secret). */
int arg_secret(const char *value, const char *file, const char *env, char **text);
/* arg_key from a secret_src; *have set when a key was read. */
int arg_secret_key(const char *option, const struct secret_src *src, uint8_t *out, size_t len,
                   int *have);
/* Keep key memory out of core dumps (PR_SET_DUMPABLE 0). */
void cli_protect_secrets(void);
/* Unsigned decimal (full string, no sign). 0 on success. */
int arg_u64(const char *option, const char *value, uint64_t *out);
int arg_u32(const char *option, const char *value, uint32_t max, uint32_t *out);
/* e4_hash_topic / e4_hash_id after checking the protocol's limits (topic
 * 1..512 bytes; name 1..255 bytes of UTF-8). */
e4_err cli_hash_topic(uint8_t hash[E4_TOPIC_HASH_LEN], const char *topic);
e4_err cli_hash_name(uint8_t id[E4_ID_LEN], const char *name);
/* An id: 32 hex digits, or a name hashed with e4_hash_id. Prints and returns
 * EXIT_USAGE on failure. */
int arg_id(const char *option, const char *value, uint8_t id[E4_ID_LEN]);
/* Split "LEFT:HEX" at the last colon into a malloc'ed left part and a
 * pointer to the right part. 0 on success, -1 without a colon. */
int arg_split_last_colon(const char *value, char **left, const char **right);
/* A broker address: HOST, HOST:PORT, [IPV6], [IPV6]:PORT (a bare IPv6
 * address has no port); *host is malloc'ed, *port defaults to default_port.
 * Prints the reason (naming option) and returns non-zero on failure. */
int arg_broker(const char *option, const char *value, int default_port, char **host, int *port);
/* The password from --password-file FILE ("-" is stdin): first line,
 * malloc'ed. NULL (with a message) on error. */
char *arg_read_password_file(const char *path);
/* 1 when every byte is zero. */
int is_all_zero(const uint8_t *p, size_t len);

/* ---- cipher suites (suite.c): the one list the tools know ---- */

struct cli_suite {
    const char *name; /* "base", "fips-sk", "fips-pk", "pq-pk" */
    e4_suite suite;
    size_t overhead; /* bytes a message adds to its payload (0: base) */
    const char *summary;
};
const struct cli_suite *cli_suite_by_name(const char *name);
/* The suite's entry (base for an unknown value). */
const struct cli_suite *cli_suite_of(e4_suite suite);
/* --suite NAME: prints the reason and returns EXIT_USAGE when unknown. */
int arg_suite(const char *option, const char *value, const struct cli_suite **out);
/* One line per suite: name, primitives, overhead; for --help. */
void cli_print_suites(FILE *f, const char *indent);

/* ---- input/output (io.c) ---- */

/* All of fd into a malloc'ed buffer (at least one byte allocated). */
int io_read_all(int fd, uint8_t **buf, size_t *len);
int io_write_all(int fd, const void *buf, size_t len);
/* A result on stdout: binary, or hex and a newline. 0, or 1 after printing
 * the reason. */
int io_write_output(int hex, const uint8_t *out, size_t len);

/* ---- escaping for line-oriented output (escape.c) ---- */

/* Text: printable bytes as they are; backslash and control characters as
 * \\, \n, \t, \r, \xNN; with escape_space also spaces as \x20. */
void escape_text(FILE *f, const uint8_t *s, size_t len, int escape_space);
/* A JSON string literal (with quotes). Invalid UTF-8 becomes U+FFFD. */
void escape_json(FILE *f, const uint8_t *s, size_t len);

/* ---- when to send STATE receipts (receipt_schedule.c) ---- */

/* One device's schedule, in monotonic milliseconds; zero-initialise. The
 * caller sends nothing while offline and serialises the calls. */
typedef struct receipt_schedule {
    uint64_t burst_first_ms, burst_last_ms, last_state_ms;
    uint8_t state_wanted, burst, have_state;
} receipt_schedule;
/* The control topic subscription was acknowledged (after a (re)connection). */
void rs_subscribed(receipt_schedule *r);
/* A message arrived on the control topic (applied or rejected). */
void rs_activity(receipt_schedule *r, uint64_t now_ms);
/* When the next STATE is due (UINT64_MAX: not before new events);
 * interval_s 0: no periodic STATE. */
uint64_t rs_due(const receipt_schedule *r, uint32_t interval_s);
/* A STATE was sent at now_ms. */
void rs_sent(receipt_schedule *r, uint64_t now_ms);

/* ---- subcommands ---- */
int cmd_keygen(int argc, char **argv);
int cmd_hash_topic(int argc, char **argv);
int cmd_id(int argc, char **argv);
int cmd_protect(int argc, char **argv);
int cmd_unprotect(int argc, char **argv);
int cmd_command(int argc, char **argv);
int cmd_client(int argc, char **argv);

/* SIGINT/SIGTERM set cli_stop_signal and make the returned descriptor
 * readable (poll it beside stdin). Returns the descriptor, or -1. */
#include <signal.h>
extern volatile sig_atomic_t cli_stop_signal;
int cli_stop_signals_init(void);
void cli_stop_signals_close(void);

#endif
