/* meta: named settings of a C2 database (mode, KDF parameters, check value). */
#ifndef E4C2_META_H
#define E4C2_META_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "store.h"

int meta_put_text(db *d, const char *k, const char *v, c2_error *e);
int meta_put_blob(db *d, const char *k, const uint8_t *v, size_t len, c2_error *e);
int meta_put_int(db *d, const char *k, int64_t v, c2_error *e);
/* 0, or -1 with e set (C2_NOT_FOUND when the setting is absent). */
int meta_get_text(db *d, const char *k, char *out, size_t cap, c2_error *e);
int meta_get_blob(db *d, const char *k, uint8_t *out, size_t cap, size_t *len, c2_error *e);
int meta_get_int(db *d, const char *k, int64_t *out, c2_error *e);

#endif
