# Sourced by test.sh and bench.sh: installs what is missing, and runs a private PostgreSQL cluster on 127.0.0.1.
# initdb refuses to run as root, so as root the cluster belongs to the postgres user; it listens on 127.0.0.1 only,
# on a free port, and lives in a temporary folder that stop_private_postgres removes.

log() { printf '== %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else echo "need root (or sudo) to install Debian packages: $*" >&2; return 1
  fi
}

find_initdb() { ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1; }

# install_missing PACKAGE... : Debian packages, installed only when their program is absent.
install_missing() {
  local missing=() package
  for package in "$@"; do
    case "$package" in
      postgresql) [ -n "$(find_initdb)" ] || missing+=(postgresql) ;;
      chromium) [ -x /usr/bin/chromium ] || missing+=(chromium fonts-dejavu-core) ;;
      nodejs) command -v node >/dev/null || missing+=(nodejs) ;;
      npm) command -v npm >/dev/null || missing+=(npm) ;;
      haproxy) command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy) ;;
    esac
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# start_private_postgres: sets ADMINPORTAL_TEST_POSTGRES, and a trap that stops the cluster on exit.
start_private_postgres() {
  pgbin=$(dirname "$(find_initdb)")
  pgdir=$(mktemp -d /tmp/adminportal-pg.XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$pgdir"
    as_pg() { (cd / && runuser -u postgres -- "$@"); }
  else
    as_pg() { (cd / && "$@"); }
  fi
  local port=55432
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done

  trap stop_private_postgres EXIT
  log "starting PostgreSQL on 127.0.0.1:$port"
  # --no-locale: a LANG that names an ungenerated locale would make initdb fail on a fresh machine.
  if ! as_pg "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust --no-sync -E UTF8 --no-locale >"$pgdir/initdb.log" 2>&1; then
    cat "$pgdir/initdb.log" >&2; return 1
  fi
  if ! as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $pgdir -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null; then
    cat "$pgdir/server.log" >&2; return 1
  fi
  export ADMINPORTAL_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
}

stop_private_postgres() {
  as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pgdir"
}
