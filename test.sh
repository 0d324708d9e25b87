#!/usr/bin/env bash
# Runs every test: installs what the tests need (Debian's postgresql, chromium, nodejs, npm and haproxy, and the test OpenID
# provider's pinned npm packages) when missing, starts a private
# PostgreSQL cluster on 127.0.0.1, checks the migrations against the model, runs dotnet test, stops the cluster, and
# ends with the line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

. scripts/private-postgres.sh
install_missing postgresql chromium nodejs npm haproxy
# The third-party OpenID provider of the sign-in tests (oidc-provider, pinned by its package-lock.json).
if [ ! -d App.Tests/OidcProvider/node_modules/oidc-provider ]; then
  log "installing the test OpenID provider's npm packages"
  (cd App.Tests/OidcProvider && npm ci --no-audit --no-fund >/dev/null)
fi
start_private_postgres

log "building"
dotnet tool restore >/dev/null
dotnet build AdminPortal.sln -c Debug -nologo -v quiet -clp:ErrorsOnly

passed=0
failed=0
mkdir -p "$root/TestResults"

# The CLI's own check that every model change has a migration, for each provider's context.
for context in SqlitePortalDbContext PostgresPortalDbContext; do
  if dotnet ef migrations has-pending-model-changes --context "$context" --no-build >"$root/TestResults/ef-$context.log" 2>&1; then
    log "has-pending-model-changes $context: clean"
    passed=$((passed + 1))
  else
    log "has-pending-model-changes $context: FAILED"; cat "$root/TestResults/ef-$context.log"
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

# The names of the failed tests, just above the summary, so the tail of a CI log says what failed.
# With python3 each name has the first lines of its message under it (a bare name says little about a flake).
if [ -f "$trx" ] && command -v python3 >/dev/null 2>&1; then
  python3 - "$trx" <<'PY' || true
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
failed = [r for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns) if r.get("outcome") in ("Failed", "Error", "Timeout", "Aborted")]
for result in failed[:50]:
    print("FAILED: " + result.get("testName", "?"))
    message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=ns).strip().splitlines()
    for line in message[:4]:
        print("    " + line[:300])
PY
elif [ -f "$trx" ]; then
  grep -o '<UnitTestResult [^>]*outcome="\(Failed\|Error\|Timeout\|Aborted\)"[^>]*>' "$trx" \
    | grep -o 'testName="[^"]*"' | sed 's/^testName="/FAILED: /; s/"$//' | head -50 || true
fi
log "screenshots: $root/TestResults/screenshots"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
