/* schema: versioned migrations of the C2 database, applied at start. */
#ifndef E4C2_SCHEMA_H
#define E4C2_SCHEMA_H

#include "db.h"
#include "store.h"

#define SCHEMA_VERSION 1

/* Bring the schema to SCHEMA_VERSION, each step in its own transaction.
 * A database newer than this program is refused. */
int schema_migrate(db *d, c2_error *e);
/* 0 when the database has no schema yet (before `e4c2 init`). */
int schema_version(db *d);

#endif
