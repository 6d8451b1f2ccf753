#!/usr/bin/env bash
# Receipts and state sync, PK mode on PostgreSQL (see sync_flow.sh).
C2_MODE=pk C2_BACKEND=pg
source "$(dirname "$0")/sync_flow.sh"
