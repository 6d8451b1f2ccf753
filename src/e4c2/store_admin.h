/* store_admin: what `e4c2 init` and `e4c2 token` do to a database. */
#ifndef E4C2_STORE_ADMIN_H
#define E4C2_STORE_ADMIN_H

#include "db.h"
#include "keyring.h"
#include "store.h"

/* PK modes: C2's first key set in the suite (generation 1). */
c2_err store_c2_create(db *d, const keyring *kr, e4_suite suite, c2_error *e);

#endif
