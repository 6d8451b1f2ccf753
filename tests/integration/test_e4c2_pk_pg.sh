#!/usr/bin/env bash
# e4c2 in public-key mode on PostgreSQL (see pk_flow.sh).
C2_BACKEND=pg
source "$(dirname "$0")/pk_flow.sh"
