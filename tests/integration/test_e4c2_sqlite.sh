#!/usr/bin/env bash
# e4c2 end to end on SQLite (see e4c2_flow.sh).
C2_BACKEND=sqlite
source "$(dirname "$0")/e4c2_flow.sh"
