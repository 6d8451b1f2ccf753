#!/usr/bin/env bash
# Rotation policies on PostgreSQL (see policy_flow.sh).
C2_BACKEND=pg
source "$(dirname "$0")/policy_flow.sh"
