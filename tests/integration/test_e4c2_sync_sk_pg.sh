#!/usr/bin/env bash
# Receipts and state sync, SK mode on PostgreSQL (see sync_flow.sh).
C2_MODE=sk C2_BACKEND=pg
source "$(dirname "$0")/sync_flow.sh"
