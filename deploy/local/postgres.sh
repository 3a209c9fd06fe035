#!/usr/bin/env bash
# PostgreSQL 15 from Debian's packages, as a private cluster under .local/data/postgres on
# 127.0.0.1:$RSC_PG_PORT. One database per service (rsc_intake, ...); the login role `rsc`
# may create databases because the test suite creates throw-away databases of its own.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PGBIN="${RSC_PG_BIN:-/usr/lib/postgresql/15/bin}"
PGDATA_DIR="$RSC_DATA/postgres"
PGLOG="$RSC_LOGS/postgres.log"
# As root the server runs as the `postgres` user, who may not be able to reach a checkout under a
# private folder (a CI clone in a 0700 temp dir, say). Then the cluster lives in postgres's home,
# in a folder named after this checkout's state dir, and .local/ holds links to it.
if [[ $EUID -eq 0 ]] && ! runuser -u postgres -- test -x "$RSC_DATA" 2>/dev/null; then
  _home="/var/lib/postgresql/rsc-$(printf '%s' "$RSC_STATE" | cksum | cut -d' ' -f1)"
  mkdir -p "$_home" && chown postgres: "$_home"
  PGDATA_DIR="$_home/data"
  PGLOG="$_home/postgres.log"
  ln -sfn "$PGLOG" "$RSC_LOGS/postgres.log"
fi
PG_USER="${RSC_PG_USER:-rsc}"
PG_PASSWORD="${RSC_PG_PASSWORD:-rsc}"
SERVICE_DBS=(rsc_intake rsc_appraisal rsc_monitoring rsc_notifications)

# postgres refuses to run as root: run the server binaries as the `postgres` system user then.
as_pg() {
  if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install() {
  if [[ ! -x $PGBIN/postgres ]]; then
    if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
      log "installing PostgreSQL 15 from Debian"
      apt-get install -y -q postgresql-15 >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q postgresql-15 >/dev/null; } \
        || die "apt-get install postgresql-15 failed"
    else
      die "PostgreSQL 15 server not found at $PGBIN (install the Debian package postgresql-15 or set RSC_PG_BIN)"
    fi
  fi
}

health() { "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$RSC_PG_PORT"; }

psql_admin() { PGPASSWORD="$PG_PASSWORD" "$PGBIN/psql" -v ON_ERROR_STOP=1 -qAt -h 127.0.0.1 -p "$RSC_PG_PORT" -U "$PG_USER" -d postgres "$@"; }

start() {
  install
  if is_running postgres && health; then log "postgres already running on 127.0.0.1:$RSC_PG_PORT"; return; fi
  require_free_port "$RSC_PG_PORT" postgres
  if [[ ! -f $PGDATA_DIR/PG_VERSION ]]; then
    log "initialising cluster in $PGDATA_DIR"
    mkdir -p "$PGDATA_DIR"
    local pwfile; pwfile="$(mktemp)"; echo "$PG_PASSWORD" >"$pwfile"
    [[ $EUID -eq 0 ]] && chown -R postgres: "$PGDATA_DIR" "$pwfile"
    as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U "$PG_USER" --pwfile="$pwfile" --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
  fi
  touch "$PGLOG"
  [[ $EUID -eq 0 ]] && chown postgres: "$PGLOG"
  # Unix socket in the data dir: no need for /var/run/postgresql.
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGLOG" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $RSC_PG_PORT -c unix_socket_directories=$PGDATA_DIR -c max_connections=300 -c fsync=${RSC_PG_FSYNC:-on}" \
    start >/dev/null || { tail -n 20 "$PGLOG" >&2; die "postgres failed to start"; }
  head -1 "$PGDATA_DIR/postmaster.pid" >"$RSC_RUN/postgres.pid"
  wait_for postgres 60 health
  for db in "${SERVICE_DBS[@]}"; do
    if [[ -z $(psql_admin -c "select 1 from pg_database where datname='$db'") ]]; then
      psql_admin -c "create database $db owner $PG_USER" && log "created database $db"
    fi
  done
  log "postgres ready on 127.0.0.1:$RSC_PG_PORT (user $PG_USER)"
}

stop() {
  if [[ -f $PGDATA_DIR/postmaster.pid ]]; then
    as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
    log "postgres stopped"
  fi
  rm -f "$RSC_RUN/postgres.pid"
}

status() { status_line postgres "postgresql://$PG_USER@127.0.0.1:$RSC_PG_PORT"; }
reset() { stop; rm -rf "$PGDATA_DIR"; log "postgres data wiped"; }

"${1:-status}"
