/*
 * Fuzz e4_unprotect on a fixed state of the fips-sk suite: the SK target
 * (fuzz_e4_unprotect_sk.c, its input format and invariants) with
 * e4_state_init_fips_sk, so messages, commands, key transition and replay
 * run through AES-256-GCM and the suite header. Seeds: fips-sk messages
 * protected at NOW for each topic (fuzz/corpus/fuzz_e4_unprotect_fips_sk).
 */
#define E4_FUZZ_FIPS_SK 1
#include "fuzz_e4_unprotect_sk.c"
