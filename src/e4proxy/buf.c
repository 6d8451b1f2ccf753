/* Byte buffers of the connections: allocated when needed, released when
 * empty, so an idle connection holds none. */
#include "proxy.h"

#include <stdlib.h>
#include <string.h>

/* Bytes held by all buffers now, and the most ever (metrics). */
static void account(size_t old_cap, size_t new_cap)
{
    uint64_t now;
    if (new_cap >= old_cap)
        now = METRIC_ADD(buffer_bytes, new_cap - old_cap) + (new_cap - old_cap);
    else
        now = METRIC_SUB(buffer_bytes, old_cap - new_cap) - (old_cap - new_cap);
    if (now > __atomic_load_n(&proxy_metrics.buffer_bytes_peak, __ATOMIC_RELAXED))
        __atomic_store_n(&proxy_metrics.buffer_bytes_peak, now, __ATOMIC_RELAXED);
}

uint8_t *pbuf_reserve(pbuf *b, size_t n)
{
    if (b->cap - b->len < n) {
        size_t ncap = b->cap ? b->cap : 4096;
        uint8_t *nd;
        while (ncap - b->len < n)
            ncap *= 2;
        nd = realloc(b->data, ncap);
        if (!nd)
            return NULL;
        account(b->cap, ncap);
        b->data = nd;
        b->cap = ncap;
    }
    return b->data + b->len;
}

int pbuf_append(pbuf *b, const void *p, size_t n)
{
    uint8_t *dst = pbuf_reserve(b, n);
    if (!dst)
        return -1;
    memcpy(dst, p, n);
    b->len += n;
    return 0;
}

void pbuf_consume(pbuf *b, size_t n)
{
    if (n >= b->len) {
        pbuf_free(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

void pbuf_free(pbuf *b)
{
    account(b->cap, 0);
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
