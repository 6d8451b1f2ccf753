/* mqttinfo: output of results (JSON, terminal text) and survey statistics. */
#ifndef MQTTINFO_REPORT_H
#define MQTTINFO_REPORT_H

#include "mi.h"

#include <stdio.h>

/* The result as one JSON object (caller frees). NULL on failure. */
char *mi_result_json(const mi_result *r, bool pretty);
/* The readable report; colour escapes only when color is true. */
void mi_result_text(FILE *out, const mi_result *r, bool color);

#endif
