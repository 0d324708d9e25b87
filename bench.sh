#!/usr/bin/env bash
# Benchmarks on a private PostgreSQL cluster: prints each figure against a baseline measured in the same run.
# Usage: ./bench.sh [users|dashboard|providers] [rows, default 1000000]
set -euo pipefail
cd "$(dirname "$0")"
. scripts/private-postgres.sh
install_missing postgresql
start_private_postgres
dotnet run --project App.Benchmarks -c Release -- "${1:-users}" "${2:-1000000}"
