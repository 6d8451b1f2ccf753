#!/usr/bin/env bash
# Rotation policies on SQLite (see policy_flow.sh).
C2_BACKEND=sqlite
source "$(dirname "$0")/policy_flow.sh"
