#!/usr/bin/env bash
# e4c2 in public-key mode on SQLite (see pk_flow.sh).
C2_BACKEND=sqlite
source "$(dirname "$0")/pk_flow.sh"
