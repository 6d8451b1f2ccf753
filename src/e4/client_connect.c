/* A TCP connection attempt with a deadline, made before libmosquitto's own:
 * mosquitto_connect blocks in connect() for minutes against a listener whose
 * backlog is full (the kernel drops the SYNs and retries), whatever
 * --timeout says. */
#include "device.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One address: 0 connected, ETIMEDOUT at the deadline, else an errno. */
static int try_addr(const struct addrinfo *ai, int64_t end)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    int err = 0;
    socklen_t len = sizeof err;

    if (fd < 0)
        return errno;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        err = errno;
        while (err == EINPROGRESS || err == EINTR) {
            struct pollfd p = {fd, POLLOUT, 0};
            int64_t left = end - mono_ms();
            int n;
            if (left <= 0 || cli_stop_signal) {
                err = ETIMEDOUT;
                break;
            }
            n = poll(&p, 1, left > 100 ? 100 : (int)left);
            if (n > 0)
                err = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) ? errno : err;
            else
                err = n < 0 ? errno : EINPROGRESS;
        }
    }
    close(fd);
    return err;
}

int client_tcp_probe(const char *host, int port, uint32_t timeout_s, char *why, size_t why_len)
{
    struct addrinfo hints, *res = NULL, *ai;
    char service[8];
    int64_t end = mono_ms() + (int64_t)timeout_s * 1000;
    int rc, err = ETIMEDOUT;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(service, sizeof service, "%d", port);
    rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        snprintf(why, why_len, "%s", gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai && mono_ms() < end; ai = ai->ai_next)
        if ((err = try_addr(ai, end)) == 0)
            break;
    freeaddrinfo(res);
    if (err == 0)
        return 0;
    if (err == ETIMEDOUT)
        snprintf(why, why_len, "no connection after %u s (--timeout)", (unsigned)timeout_s);
    else
        snprintf(why, why_len, "%s", strerror(err));
    return -1;
}
