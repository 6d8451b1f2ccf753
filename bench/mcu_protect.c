/*
 * The host side of bench/mcu_size.sh: the same 64-byte e4_protect as the
 * test firmware's measurement (tests/mcu/firmware.c: 16-topic SK client,
 * topic "sensors/room1"), REPS times, for valgrind --tool=callgrind to count
 * the instructions of e4_protect on the host. Built against libe4 with the
 * portable backend, -Os, no hosted layer.
 */
#include <e4/e4.h>
#include <stdint.h>
#include <stdio.h>

#define REPS 100

static uint64_t mem[E4_STATE_SIZE(16, 0, 0) / 8];

int main(void)
{
    static const uint8_t id[16] = {0xe4, 1, 2, 3}, key[32] = {0x42, 0xe4};
    uint8_t msg[64] = {0}, out[64 + E4_SK_OVERHEAD];
    const e4_limits l = {16, 0, 0};
    e4_state *s;
    size_t n = 0;
    if (e4_state_init_sk(&s, mem, sizeof mem, &l, id, key) != E4_OK ||
        e4_state_set_topic_key(s, "sensors/room1", key, 1700000000) != E4_OK)
        return 1;
    for (int i = 0; i < REPS; i++)
        if (e4_protect(s, "sensors/room1", msg, sizeof msg, out, sizeof out, &n, 1700000000))
            return 1;
    printf("%d protects of 64 bytes -> %zu bytes\n", REPS, n);
    return 0;
}
