/* mqttinfo: output of results (JSON, terminal text) and survey statistics. */
#ifndef MQTTINFO_REPORT_H
#define MQTTINFO_REPORT_H

#include "mi.h"

#include <jansson.h>
#include <stdio.h>

/* The result as one JSON object (caller frees). NULL on failure. */
char *mi_result_json(const mi_result *r, bool pretty);
/* A check's answer in the JSON results, both ways: true, false, or null
 * for "could not tell" (reading: anything but true or false, missing
 * included, is MI_NULL). */
json_t *mi_tri_json(mi_tri t);
mi_tri mi_tri_of_json(const json_t *v);
/* The readable report; colour escapes only when color is true. */
void mi_result_text(FILE *out, const mi_result *r, bool color);

#endif
