#!/usr/bin/env bash
# Runs every test: installs what the tests need (Debian's postgresql and chromium) when missing, starts a private
# PostgreSQL cluster on 127.0.0.1, checks the migrations against the model, runs dotnet test, stops the cluster, and
# ends with the line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

log() { printf '== %s\n' "$*"; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

find_initdb() { ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1; }

missing=()
[ -n "$(find_initdb)" ] || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" fonts-dejavu-core >/dev/null
fi

# A private cluster: initdb refuses to run as root, so the cluster belongs to the postgres user (or to us when we
# are not root). It listens on 127.0.0.1 only, on a free port, and lives in a temporary folder.
pgbin=$(dirname "$(find_initdb)")
pgdir=$(mktemp -d /tmp/adminportal-pg.XXXXXX)
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$pgdir"
  as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
  as_pg() { (cd / && "$@"); }
fi
port=55432
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done

stop_cluster() {
  as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pgdir"
}
trap stop_cluster EXIT

log "starting PostgreSQL on 127.0.0.1:$port"
as_pg "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust --no-sync -E UTF8 >"$pgdir/initdb.log"
as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w start \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $pgdir -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
export ADMINPORTAL_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"

log "building"
dotnet tool restore >/dev/null
dotnet build AdminPortal.sln -c Debug -nologo -v quiet -clp:ErrorsOnly

passed=0
failed=0

# The CLI's own check that every model change has a migration, for each provider's context.
for context in SqlitePortalDbContext PostgresPortalDbContext; do
  if dotnet ef migrations has-pending-model-changes --context "$context" --no-build >"$pgdir/ef-$context.log" 2>&1; then
    log "has-pending-model-changes $context: clean"
    passed=$((passed + 1))
  else
    log "has-pending-model-changes $context: FAILED"; cat "$pgdir/ef-$context.log"
    failed=$((failed + 1))
  fi
done

log "running dotnet test"
rm -rf "$root/TestResults/results.trx"
set +e
dotnet test App.Tests/AdminPortal.Tests.csproj --no-build -nologo \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" --results-directory "$root/TestResults"
set -e

trx="$root/TestResults/results.trx"
if [ -f "$trx" ]; then
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  executed=$(get executed)
  [ "$executed" -gt 0 ] || failed=$((failed + 1))
else
  log "no test results: the test run did not start"
  failed=$((failed + 1))
fi

log "screenshots: $root/TestResults/screenshots"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
