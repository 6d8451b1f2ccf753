/*
 * keyring: the master key that seals every key e4c2 stores.
 *
 * The master key comes from a passphrase (Argon2id, random salt and cost
 * kept in the database) or from a key file (32 raw bytes or 64 hex digits).
 * A check value sealed at `e4c2 init` proves at start-up that the key is the
 * right one, so a wrong passphrase is a clear error, never garbage later.
 *
 * seal(): XChaCha20-Poly1305 with a random nonce; the associated data is the
 * place the value lives ("clients.key", the row's identity), so a sealed
 * value copied into another row or column does not open.
 */
#ifndef E4C2_KEYRING_H
#define E4C2_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "store.h"

#define SEAL_OVERHEAD 40    /* nonce(24) || ciphertext || tag(16) */
#define SEAL_MAX_PLAIN 4096 /* a pq-pk SetPubKey (2,001 bytes) fits */

typedef struct keyring keyring;

/* Where the master key comes from; exactly one of the two. */
typedef struct keyring_source {
    const char *passphrase; /* NUL-terminated; wiped by the caller */
    const char *key_file;
    uint64_t kdf_ops;     /* init only: Argon2id passes (0 = 3) */
    uint64_t kdf_mem_kib; /* init only: memory (0 = 65536 KiB) */
} keyring_source;

/* At `e4c2 init`: write the KDF parameters and the check value to meta. */
keyring *keyring_create(db *d, const keyring_source *src, c2_error *e);
/* At start-up: derive the key and verify it against the check value. */
keyring *keyring_unlock(db *d, const keyring_source *src, c2_error *e);
void keyring_free(keyring *kr); /* wipes */

/* out needs len + SEAL_OVERHEAD bytes. where: "table.column"; row: the
 * row's identity bytes. Returns 0, or -1 when len > SEAL_MAX_PLAIN. */
int seal(const keyring *kr, uint8_t *out, const char *where, const void *row, size_t row_len,
         const uint8_t *plain, size_t len);
/* Open into out (out_cap bytes); *len set. Returns 0, or -1 when the value
 * does not open here (wrong key, row, column, damaged) or would not fit:
 * a value from the database is never trusted to have the expected size. */
int unseal(const keyring *kr, uint8_t *out, size_t out_cap, size_t *len, const char *where,
           const void *row, size_t row_len, const uint8_t *sealed, size_t sealed_len);

#endif
