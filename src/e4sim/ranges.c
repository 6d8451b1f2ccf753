/* Devices and connections: connection k serves a contiguous block of the
 * devices file, so that "offline FROM COUNT" can take exactly the
 * connections of a range away (their sessions, with everything queued for
 * them, stay at the broker). */
#include "sim.h"

uint32_t sim_conn_first(size_t n, uint32_t nconns, uint32_t k)
{
    /* the least i with i * nconns / n >= k, i.e. ceil(k * n / nconns) */
    return (uint32_t)(((uint64_t)k * n + nconns - 1) / nconns);
}

int sim_range_conns(size_t n, uint32_t nconns, uint32_t from, uint32_t count, uint32_t *k0,
                    uint32_t *k1)
{
    uint32_t k;
    if (count == 0 || from > n || count > n - from)
        return -1;
    for (k = 0; k < nconns && sim_conn_first(n, nconns, k) < from; k++)
        ;
    if (sim_conn_first(n, nconns, k) != from)
        return -1;
    *k0 = k;
    for (; k < nconns && sim_conn_first(n, nconns, k + 1) < from + count; k++)
        ;
    if (k == nconns || sim_conn_first(n, nconns, k + 1) != from + count)
        return -1;
    *k1 = k + 1;
    return 0;
}
