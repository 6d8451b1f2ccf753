/* The e4c2 commands; each returns the exit status (0, 1 failure, 2 usage). */
#ifndef E4C2_COMMANDS_H
#define E4C2_COMMANDS_H

#include "config.h"
#include "db.h"
#include "keyring.h"

int cmd_init(const c2_config *cfg);
int cmd_run(const c2_config *cfg);
int cmd_token(const c2_config *cfg, int argc, char **argv);

/* Shared by the commands (cmd_common.c). */
const char *config_db_url(const c2_config *cfg);
db *open_database(const c2_config *cfg);
/* The master key source from the settings; the passphrase is read from its
 * file or E4C2_PASSPHRASE into buf. 0, or 2 with a message. */
int master_key_source(const c2_config *cfg, keyring_source *src, char *buf, size_t cap);

#endif
