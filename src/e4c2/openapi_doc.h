/*
 * openapi_doc: docs/e4c2-openapi.json, embedded at build time
 * (embed_file.cmake writes openapi_doc.c in the build directory).
 */
#ifndef E4C2_OPENAPI_DOC_H
#define E4C2_OPENAPI_DOC_H

#include <stddef.h>

extern const char e4c2_openapi_json[];     /* NUL-terminated */
extern const size_t e4c2_openapi_json_len; /* without the NUL */

#endif
