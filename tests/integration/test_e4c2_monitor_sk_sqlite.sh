#!/usr/bin/env bash
# Traffic monitoring, SK mode on SQLite (see monitor_flow.sh).
C2_MODE=sk C2_BACKEND=sqlite
source "$(dirname "$0")/monitor_flow.sh"
