/* Byte buffers of the connections: allocated when needed, released when
 * empty, so an idle connection holds none. */
#include "proxy.h"

#include <stdlib.h>
#include <string.h>

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
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
