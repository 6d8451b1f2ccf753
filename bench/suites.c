/*
 * The cipher suites' messages at 64 bytes, protect and unprotect, with the
 * stateless functions of libe4, in one run: fips-sk next to base SK, and
 * fips-pk and pq-pk next to base PK, with the ratios.
 *
 *   suites_bench [--quick]
 */
#include <e4/e4.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOW 1800000000ull
#define N 64
static double min_seconds = 1.0;

typedef struct ctx {
    uint8_t key[32], id[16], plain[N];
    uint8_t ed_sk[64], ed_pk[32], p256_sk[32], p256_pk[33], mldsa_seed[32],
        mldsa_pk[E4_MLDSA65_PK_LEN];
    uint8_t msg[N + E4_PQ_PK_OVERHEAD], out[N + E4_PQ_PK_OVERHEAD];
    size_t len;
} ctx;

static double clock_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef e4_err (*op_fn)(ctx *c);

/* Best of 5 short runs. */
static double rate(op_fn op, ctx *c)
{
    double best = 0;
    for (int r = 0; r < 5; r++) {
        long n = 0;
        double t0 = clock_now(), t;
        do {
            if (op(c) != E4_OK) {
                fprintf(stderr, "benchmark operation failed\n");
                exit(1);
            }
            n++;
            t = clock_now() - t0;
        } while (t < min_seconds / 5);
        best = (double)n / t > best ? (double)n / t : best;
    }
    return best;
}

static e4_err sk_protect(ctx *c)
{
    return e4_sk_protect(c->key, NOW, c->plain, N, c->msg);
}
static e4_err sk_open(ctx *c)
{
    return e4_sk_unprotect(c->key, c->msg, N + E4_SK_OVERHEAD, c->out, &c->len, NOW, 0);
}
static e4_err fsk_protect(ctx *c)
{
    return e4_fips_sk_protect(c->key, NOW, NULL, c->plain, N, c->msg);
}
static e4_err fsk_open(ctx *c)
{
    return e4_fips_sk_unprotect(c->key, c->msg, N + E4_FIPS_SK_OVERHEAD, c->out, &c->len, NOW, 0);
}
static e4_err pk_protect(ctx *c)
{
    return e4_pk_protect(c->key, c->id, c->ed_sk, NOW, c->plain, N, c->msg);
}
static e4_err pk_open(ctx *c)
{
    return e4_pk_unprotect(c->key, c->ed_pk, c->msg, N + E4_PK_OVERHEAD, c->out, &c->len, NOW, 0);
}
static e4_err fpk_protect(ctx *c)
{
    return e4_fips_pk_protect(c->key, c->id, c->p256_sk, NOW, NULL, c->plain, N, c->msg);
}
static e4_err fpk_open(ctx *c)
{
    return e4_fips_pk_unprotect(c->key, c->p256_pk, c->msg, N + E4_FIPS_PK_OVERHEAD, c->out,
                                &c->len, NOW, 0);
}
static e4_err pq_protect(ctx *c)
{
    return e4_pq_pk_protect(c->key, c->id, c->ed_sk, c->mldsa_seed, NOW, c->plain, N, c->msg);
}
static e4_err pq_open(ctx *c)
{
    return e4_pq_pk_unprotect(c->key, c->ed_pk, c->mldsa_pk, c->msg, N + E4_PQ_PK_OVERHEAD, c->out,
                              &c->len, NOW, 0);
}

typedef struct row {
    const char *name;
    op_fn protect, open;
    size_t overhead;
    int base; /* index of the row this one is compared with */
} row;

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--quick"))
        min_seconds = 0.2;
    else if (argc > 1) {
        printf("usage: suites_bench [--quick]\n");
        return strcmp(argv[1], "--help") ? 2 : 0;
    }
    static ctx c;
    e4_random_key(c.key);
    e4_random_id(c.id);
    e4_random_key(c.mldsa_seed);
    memset(c.plain, 0x2a, N);
    if (e4_ed25519_keypair(c.ed_sk, c.ed_pk) || e4_p256_keypair(c.p256_sk, c.p256_pk) ||
        e4_mldsa65_public(c.mldsa_pk, c.mldsa_seed))
        return 1;
    const row rows[] = {
        {"base SK (AES-SIV)", sk_protect, sk_open, E4_SK_OVERHEAD, 0},
        {"fips-sk (AES-GCM)", fsk_protect, fsk_open, E4_FIPS_SK_OVERHEAD, 0},
        {"base PK (Ed25519)", pk_protect, pk_open, E4_PK_OVERHEAD, 2},
        {"fips-pk (ECDSA P-256)", fpk_protect, fpk_open, E4_FIPS_PK_OVERHEAD, 2},
        {"pq-pk (Ed25519 + ML-DSA-65)", pq_protect, pq_open, E4_PQ_PK_OVERHEAD, 2},
    };
    double p[5], o[5];
    for (int i = 0; i < 5; i++) {
        p[i] = rate(rows[i].protect, &c); /* leaves a message for open */
        o[i] = rate(rows[i].open, &c);
    }
    printf("libe4 suites, %d-byte payload, stateless functions (messages/s, best of 5 runs)\n\n",
           N);
    printf("%-28s | %8s | %10s %7s | %10s %7s\n", "suite", "overhead", "protect", "ratio",
           "unprotect", "ratio");
    for (int i = 0; i < 5; i++)
        printf("%-28s | %8zu | %10.0f %6.2fx | %10.0f %6.2fx\n", rows[i].name, rows[i].overhead,
               p[i], p[i] / p[rows[i].base], o[i], o[i] / o[rows[i].base]);
    printf("\nratio: against base SK (fips-sk) or base PK (fips-pk, pq-pk) in this run\n");
    return 0;
}
