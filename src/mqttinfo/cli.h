/* mqttinfo: helpers shared by the sub-commands' option parsing. */
#ifndef MQTTINFO_CLI_H
#define MQTTINFO_CLI_H

#include "mi.h"

void mi_options_defaults(mi_options *o);
/* Seconds (may be fractional) -> milliseconds. 0 or -1. */
int mi_parse_timeout(const char *s, int *ms);

#endif
