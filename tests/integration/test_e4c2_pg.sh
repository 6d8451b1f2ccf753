#!/usr/bin/env bash
# e4c2 end to end on PostgreSQL (see e4c2_flow.sh).
C2_BACKEND=pg
source "$(dirname "$0")/e4c2_flow.sh"
