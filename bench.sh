#!/usr/bin/env bash
# Benchmarks: prints each figure against a baseline measured in the same run.
# Usage: ./bench.sh [users|reports|dashboard|providers] [rows, default 1000000]   (on a private PostgreSQL cluster)
#        ./bench.sh circuits [N circuits, default 20] [generated users, default 30000] [page turns, default 30]
#        (the portal in Release on its embedded SQLite, driven by N Chromium circuits; see docs/performance.md)
set -euo pipefail
cd "$(dirname "$0")"
. scripts/private-postgres.sh
if [ "${1:-users}" = circuits ]; then
    install_missing chromium
    dotnet build AdminPortal.csproj -c Release -nologo -v quiet -clp:ErrorsOnly
    exec dotnet run --project App.Benchmarks -c Release -- circuits "${2:-20}" "${3:-30000}" "${4:-30}"
fi
install_missing postgresql
start_private_postgres
dotnet run --project App.Benchmarks -c Release -- "${1:-users}" "${2:-1000000}"
