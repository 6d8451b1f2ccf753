/*
 * config: e4c2's settings from a file (--config), the environment (E4C2_*)
 * and flags, in that order of precedence (flags win). One table lists every
 * setting (config.c); getopt options, environment names, the file's keys and
 * --help are derived from it.
 */
#ifndef E4C2_CONFIG_H
#define E4C2_CONFIG_H

#include <stddef.h>

typedef struct c2_config {
    char *db; /* "sqlite:e4c2.db" by default */
    char *passphrase_file;
    char *key_file;
    char *log_level;
    /* init */
    char *mode; /* sk | pk */
    char *kdf_ops, *kdf_mem;
    /* run */
    char *broker; /* mqtt://HOST:PORT or mqtts://HOST:PORT */
    char *broker_cafile, *broker_username, *broker_password_file;
    char *listen; /* 127.0.0.1:8640 */
    char *tls_cert, *tls_key;
    char *ui_dir; /* the web console's files (default: http_ui_default_dir) */
    char *lease, *pool, *max_inflight, *publishers;
    char *receipts, *state_interval, *clock_skew;
    char *policies, *monitor, *monitor_flush;
    /* token */
    int read_only;
    int json;
    char *config; /* the file these came from */
} c2_config;

/* Which commands a setting applies to. */
enum { CFG_INIT = 1, CFG_RUN = 2, CFG_TOKEN = 4, CFG_ALL = 7 };

/* Apply "key = value" lines (# comments, blank lines). Unknown keys and
 * malformed lines are errors naming the line. 0 or -1 with err set. */
int config_parse_text(c2_config *cfg, const char *text, size_t len, char *err, size_t err_len);
int config_load_file(c2_config *cfg, const char *path, char *err, size_t err_len);
void config_load_env(c2_config *cfg);
/* Flags; *first_arg is the index of the first operand. Returns 0, or 2 on
 * a usage error (message printed). */
int config_parse_flags(c2_config *cfg, int command, int argc, char **argv, int *first_arg);
void config_print_help(int command);
void config_free(c2_config *cfg);

#endif
