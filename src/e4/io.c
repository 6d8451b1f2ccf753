/* Reading and writing whole buffers on file descriptors. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int io_read_all(int fd, uint8_t **buf, size_t *len)
{
    size_t cap = 4096, n = 0;
    uint8_t *b = malloc(cap);
    if (!b)
        return -1;
    for (;;) {
        ssize_t r;
        if (n == cap) {
            uint8_t *nb;
            if (cap > SIZE_MAX / 2) {
                free(b);
                errno = ENOMEM;
                return -1;
            }
            nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                return -1;
            }
            b = nb;
            cap *= 2;
        }
        r = read(fd, b + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            free(b);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *buf = b;
    *len = n;
    return 0;
}

int io_write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int io_write_output(int hex, const uint8_t *out, size_t len)
{
    if (hex) {
        hex_print_line(stdout, out, len);
        if (fflush(stdout) == 0)
            return 0;
    } else if (io_write_all(STDOUT_FILENO, out, len) == 0) {
        return 0;
    }
    cli_error("cannot write stdout: %s", strerror(errno));
    return 1;
}
