/* The test firmware's board support (startup.c). */
#ifndef E4_MCU_H
#define E4_MCU_H

#include <stddef.h>
#include <stdint.h>

void mcu_puts(const char *s);
void mcu_print_u(const char *label, unsigned long v, const char *unit);
void mcu_exit(int status) __attribute__((noreturn));
size_t mcu_stack_used(void (*fn)(void));
void mcu_ticks_start(void);
uint32_t mcu_ticks(void);
uint32_t mcu_ticks_since(uint32_t t0);
void mcu_spin(uint32_t n);

#endif
