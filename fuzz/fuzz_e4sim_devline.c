/*
 * Fuzz e4sim's devices-file line parser (src/e4sim/devline.c) in every
 * suite: the first byte picks the suite the line is read for, the rest is
 * the line. Invariants: an accepted line has a valid name, a public-key line
 * only in a suite with public keys, a non-zero key; a refused line has a
 * reason and its keys are wiped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/e4sim/sim.h"

#include "check.h"

static const e4_suite suites[] = {E4_SUITE_BASE, E4_SUITE_FIPS_SK, E4_SUITE_FIPS_PK,
                                  E4_SUITE_PQ_PK};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static device_spec spec;
    uint8_t id[E4_ID_LEN];
    char err[200];
    e4_suite suite;

    if (size < 1)
        return 0;
    suite = suites[data[0] % 4];
    if (devline_parse((const char *)data + 1, size - 1, suite, &spec, err, sizeof err) != 0) {
        CHECK(err[0] != '\0');
        CHECK(is_all_zero(spec.key, sizeof spec.key));
        CHECK(is_all_zero(spec.sign_key, sizeof spec.sign_key));
        return 0;
    }
    CHECK(cli_hash_name(id, spec.name) == E4_OK);
    CHECK(!spec.pk || idkeys_sign_len(suite) > 0);
    CHECK(spec.pk || !is_all_zero(spec.key, sizeof spec.key));
    devline_wipe(&spec);
    return 0;
}
