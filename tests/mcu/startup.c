/*
 * Bare-metal start for the test firmware on QEMU's mps2-an386: the vector
 * table, reset (zero .bss, run main, exit), a fault handler, ARM semihosting
 * (print and exit with a status: QEMU's -semihosting), and a few
 * measurement helpers (stack painting, the SysTick counter). No newlib
 * start files: the firmware owns its stack, which it measures.
 */
#include "mcu.h"

#include <string.h>

extern uint32_t __bss_start__[], __bss_end__[], __stack_top__[], __stack_bottom__[];
int main(void);

/* ARM semihosting: BKPT 0xAB, operation in r0, argument in r1. */
static uint32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

#define SYS_WRITE0 0x04
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

void mcu_puts(const char *s)
{
    semihost(SYS_WRITE0, s);
}

/* SYS_EXIT_EXTENDED passes the status to QEMU, which exits with it. */
void mcu_exit(int status)
{
    uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
    semihost(SYS_EXIT_EXTENDED, block);
    for (;;)
        ;
}

static void fault(void)
{
    mcu_puts("FAULT: hard fault (a trap, a bad access or a stack overflow)\n");
    mcu_exit(3);
}

void e4_mcu_reset(void);
void e4_mcu_reset(void)
{
    for (uint32_t *p = __bss_start__; p < __bss_end__; p++)
        *p = 0;
    mcu_exit(main());
}

/* Initial stack pointer, reset, NMI, HardFault, MemManage, BusFault,
 * UsageFault (the rest is unused: no interrupts are enabled). */
__attribute__((section(".vectors"), used)) static const void *const vectors[] = {
    __stack_top__,       (const void *)e4_mcu_reset, (const void *)fault, (const void *)fault,
    (const void *)fault, (const void *)fault,        (const void *)fault,
};

/* ---- printing ---------------------------------------------------------- */

void mcu_print_u(const char *label, unsigned long v, const char *unit)
{
    char buf[24], *p = buf + sizeof buf;
    *--p = 0;
    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10) && p > buf);
    mcu_puts(label);
    mcu_puts(p);
    mcu_puts(unit);
}

/* ---- stack high-water mark ---------------------------------------------- */

#define PAINT 0xa5a5a5a5u

static uint32_t *current_sp(void)
{
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

/* Paints the free stack below this frame, runs fn, and returns how many
 * bytes below the caller's stack pointer fn (and this helper's small frame)
 * wrote: the deepest word no longer holding the paint. */
size_t mcu_stack_used(void (*fn)(void))
{
    uint32_t *sp = current_sp(), *p = __stack_bottom__;
    uint32_t *limit = sp - 16; /* leave this frame alone */
    for (uint32_t *q = p; q < limit; q++)
        *q = PAINT;
    fn();
    while (p < limit && *p == PAINT)
        p++;
    return (size_t)((uint8_t *)sp - (uint8_t *)p);
}

/* ---- SysTick ------------------------------------------------------------ */

#define SYST_CSR (*(volatile uint32_t *)0xe000e010u)
#define SYST_RVR (*(volatile uint32_t *)0xe000e014u)
#define SYST_CVR (*(volatile uint32_t *)0xe000e018u)

void mcu_ticks_start(void)
{
    SYST_CSR = 0;
    SYST_RVR = 0x00ffffffu;
    SYST_CVR = 0;
    SYST_CSR = 5; /* enabled, processor clock, no interrupt */
}

/* SysTick counts down from 2^24 - 1 (its first reload comes at the first
 * tick): callers take differences modulo 2^24 (mcu_ticks_since) and stay
 * below one wrap. */
uint32_t mcu_ticks(void)
{
    return 0x00ffffffu - SYST_CVR;
}

uint32_t mcu_ticks_since(uint32_t t0)
{
    return (mcu_ticks() - t0) & 0x00ffffffu;
}

/* A loop of exactly 2n instructions (SUBS, BNE), to learn how many
 * instructions one tick is under qemu -icount. */
void mcu_spin(uint32_t n)
{
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
}
