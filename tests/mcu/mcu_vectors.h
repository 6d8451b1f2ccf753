/*
 * The SK reference vectors as operations for the test firmware, generated
 * into C arrays at build time by gen_vectors.py (one entry of the vector
 * file becomes a few operations on one SK client).
 */
#ifndef E4_MCU_VECTORS_H
#define E4_MCU_VECTORS_H

#include <e4/e4.h>
#include <stddef.h>
#include <stdint.h>

typedef enum mv_kind {
    MV_HASH,          /* SHA3-256(a) starts with c */
    MV_TOPIC_HASH,    /* e4_hash_topic(a) == c */
    MV_SIV,           /* seal(key a, ad d, b) == c; open; a flipped bit fails */
    MV_SK_PROTECT,    /* e4_sk_protect(key a, ts now, b) == c */
    MV_SK_UNPROTECT,  /* e4_sk_unprotect(key a, b, now) == want, plaintext c */
    MV_DECRYPT,       /* the reference's Decrypt: SIV open of b under a, no clock */
    MV_NEW_CLIENT,    /* a fresh SK client: id a, key b */
    MV_SET_TOPIC,     /* e4_state_set_topic_key(topic a, key b, now) */
    MV_PROTECT,       /* e4_protect(topic a, b, now) == want, output c; opens with key d */
    MV_UNPROTECT,     /* e4_unprotect(topic a, b, now) == want, plaintext c */
    MV_PROBE_COMMAND, /* ResetTopics under key a to the control topic == want */
    MV_TOPIC_COUNT    /* the client holds `now` topic keys */
} mv_kind;

typedef struct mv_op {
    uint8_t kind;  /* mv_kind */
    int8_t want;   /* e4_err */
    uint8_t has_c; /* c is an expected value to compare */
    uint64_t now;
    const char *name;
    const uint8_t *a;
    uint32_t a_len;
    const uint8_t *b;
    uint32_t b_len;
    const uint8_t *c;
    uint32_t c_len;
    const uint8_t *d;
    uint32_t d_len;
} mv_op;

extern const mv_op mv_ops[];
extern const unsigned mv_op_count;

#endif
