#!/usr/bin/env bash
# Traffic monitoring, PK mode on PostgreSQL (see monitor_flow.sh).
C2_MODE=pk C2_BACKEND=pg
source "$(dirname "$0")/monitor_flow.sh"
