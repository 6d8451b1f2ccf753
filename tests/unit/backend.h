/*
 * The unit tests run against both crypto backends (E4_CRYPTO, see
 * scripts/test.sh). The portable backend has no random source of its own (a
 * device brings its TRNG) and no public-key mode. Including this header
 * installs /dev/urandom as the source when the backend has no public-key
 * mode, and gives the tests TB_REQUIRE_PK() (skip a PK-only cmocka test)
 * and tb_pk() (leave out the PK half of a mixed check). Include after
 * <cmocka.h>.
 */
#ifndef E4_TESTS_BACKEND_H
#define E4_TESTS_BACKEND_H

#include <stdio.h>

#include <e4/e4.h>

#include "crypto.h" /* libe4's backend interface: e4c_has_pk() */

static int tb_urandom(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(buf, 1, len, f) : 0;
    if (f)
        fclose(f);
    return got == len ? 0 : -1;
}

__attribute__((constructor)) static void tb_setup(void)
{
    if (!e4c_has_pk())
        e4_set_random(tb_urandom, NULL);
}

static inline int tb_pk(void)
{
    return e4c_has_pk();
}

#define TB_REQUIRE_PK()    \
    do {                   \
        if (!e4c_has_pk()) \
            skip();        \
    } while (0)

/* The FIPS suites need AES-GCM, which the portable backend lacks. */
#define TB_REQUIRE_GCM()    \
    do {                    \
        if (!e4c_has_gcm()) \
            skip();         \
    } while (0)

#endif
