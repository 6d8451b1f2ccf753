#include "notify.h"

#include <pthread.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static uint64_t generation;

void notify_changed(void)
{
    pthread_mutex_lock(&lock);
    generation++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
}

uint64_t notify_generation(void)
{
    uint64_t g;
    pthread_mutex_lock(&lock);
    g = generation;
    pthread_mutex_unlock(&lock);
    return g;
}

uint64_t notify_wait(uint64_t seen, int timeout_ms)
{
    struct timespec until;
    uint64_t g;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&lock);
    while (generation == seen)
        if (pthread_cond_timedwait(&cond, &lock, &until) != 0)
            break;
    g = generation;
    pthread_mutex_unlock(&lock);
    return g;
}
