/* The cipher suites as the command-line tools name them: THE list. */
#include "cli.h"

#include <string.h>

static const struct cli_suite suites[] = {
    {"base", E4_SUITE_BASE, 0, "the reference's SK and PK formats (default)"},
    {"fips-sk", E4_SUITE_FIPS_SK, E4_FIPS_SK_OVERHEAD, "AES-256-GCM under shared keys"},
    {"fips-pk", E4_SUITE_FIPS_PK, E4_FIPS_PK_OVERHEAD, "AES-256-GCM, ECDSA P-256, ECDH P-256"},
    {"pq-pk", E4_SUITE_PQ_PK, E4_PQ_PK_OVERHEAD,
     "AES-SIV, Ed25519 and ML-DSA-65, X-Wing (hybrid post-quantum)"},
};
#define NSUITES (sizeof suites / sizeof suites[0])

const struct cli_suite *cli_suite_by_name(const char *name)
{
    size_t i;
    for (i = 0; i < NSUITES; i++)
        if (!strcmp(name, suites[i].name))
            return &suites[i];
    return NULL;
}

const struct cli_suite *cli_suite_of(e4_suite suite)
{
    size_t i;
    for (i = 0; i < NSUITES; i++)
        if (suites[i].suite == suite)
            return &suites[i];
    return &suites[0];
}

int arg_suite(const char *option, const char *value, const struct cli_suite **out)
{
    *out = cli_suite_by_name(value);
    if (*out)
        return 0;
    return cli_usage_error("%s: expected base, fips-sk, fips-pk or pq-pk, got '%.40s'", option,
                           value);
}

void cli_print_suites(FILE *f, const char *indent)
{
    size_t i;
    for (i = 0; i < NSUITES; i++) {
        if (suites[i].suite == E4_SUITE_BASE)
            fprintf(f, "%s%-8s %s; overhead 24 (SK), 104 (PK)\n", indent, suites[i].name,
                    suites[i].summary);
        else if (suites[i].overhead >= 1000) /* as the docs write it: 3,415 */
            fprintf(f, "%s%-8s %s; overhead %zu,%03zu\n", indent, suites[i].name, suites[i].summary,
                    suites[i].overhead / 1000, suites[i].overhead % 1000);
        else
            fprintf(f, "%s%-8s %s; overhead %zu\n", indent, suites[i].name, suites[i].summary,
                    suites[i].overhead);
    }
}
