/*
 * log: JSON lines on stderr, one object per event:
 *   {"ts":"2026-12-06T01:02:03Z","level":"info","msg":"...","KEY":"VALUE"}
 * Callers never pass a key, a passphrase or a token; values are escaped.
 */
#ifndef E4C2_LOG_H
#define E4C2_LOG_H

void log_info(const char *msg, const char *key, const char *value);
void log_warn(const char *msg, const char *key, const char *value);
void log_error(const char *msg, const char *key, const char *value);
/* Below this level nothing is written: "debug", "info", "warn", "error". */
int log_set_level(const char *level);

#endif
