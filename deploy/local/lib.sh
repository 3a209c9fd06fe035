#!/usr/bin/env bash
# Shared helpers for the local stack scripts (sourced, not executed).
# Every server runs on 127.0.0.1 from registry downloads; state lives under $RSC_STATE
# (ignored by git): cache/ (downloads, kept by `make reset`), data/, logs/, run/ (pid files).
set -euo pipefail

RSC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RSC_STATE="${RSC_STATE:-$RSC_ROOT/.local}"
RSC_CACHE="${RSC_CACHE:-$RSC_STATE/cache}"
RSC_DATA="$RSC_STATE/data"
RSC_LOGS="$RSC_STATE/logs"
RSC_RUN="$RSC_STATE/run"
mkdir -p "$RSC_CACHE" "$RSC_DATA" "$RSC_LOGS" "$RSC_RUN"

# Ports (override by environment; documented in README.md).
export RSC_PG_PORT="${RSC_PG_PORT:-15432}"
export RSC_KAFKA_PORT="${RSC_KAFKA_PORT:-19092}"
export RSC_KAFKA_CONTROLLER_PORT="${RSC_KAFKA_CONTROLLER_PORT:-19093}"
export RSC_KAFKA_SASL_PORT="${RSC_KAFKA_SASL_PORT:-19094}"   # SCRAM-SHA-512 + ACLs, as in production
export RSC_TEMPORAL_PORT="${RSC_TEMPORAL_PORT:-17233}"
export RSC_TEMPORAL_UI_PORT="${RSC_TEMPORAL_UI_PORT:-18233}"
export RSC_KEYCLOAK_PORT="${RSC_KEYCLOAK_PORT:-18080}"
export RSC_KEYCLOAK_MGMT_PORT="${RSC_KEYCLOAK_MGMT_PORT:-19000}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

# pid file helpers: a server is "running" when its pid file names a live process.
pid_of() { local f="$RSC_RUN/$1.pid"; [[ -f $f ]] && cat "$f" || true; }
is_running() { local p; p="$(pid_of "$1")"; [[ -n $p ]] && kill -0 "$p" 2>/dev/null; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
require_free_port() {
  # $1 port, $2 what needs it; fails with a message naming the cause.
  if port_in_use "$1"; then
    die "port $1 (needed by $2) is already in use by another process; free it or set the port variable (see README 'Ports')"
  fi
}

# wait_for NAME TIMEOUT_SECONDS COMMAND...: polls COMMAND once a second; on timeout
# prints the tail of the server's log and fails.
wait_for() {
  local name=$1 timeout=$2; shift 2
  local start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS - start >= timeout )); then
      log "$name not healthy after ${timeout}s; last lines of $RSC_LOGS/$name.log:"
      tail -n 30 "$RSC_LOGS/$name.log" >&2 || true
      die "$name did not become healthy within ${timeout}s"
    fi
    if [[ -n ${WAIT_PID:-} ]] && ! kill -0 "$WAIT_PID" 2>/dev/null; then
      log "$name exited during start-up; last lines of $RSC_LOGS/$name.log:"
      tail -n 30 "$RSC_LOGS/$name.log" >&2 || true
      die "$name exited during start-up"
    fi
    sleep 1
  done
}

# start_bg NAME COMMAND...: runs COMMAND detached, logs to logs/NAME.log, records its pid.
start_bg() {
  local name=$1; shift
  (
    # Close inherited descriptors above stderr (a caller's pipe would otherwise stay open for
    # the daemon's whole life and its reader would never see end-of-file).
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec setsid nohup "$@" >>"$RSC_LOGS/$name.log" 2>&1 </dev/null
  ) &
  echo $! >"$RSC_RUN/$name.pid"
  WAIT_PID=$!
}

# start_supervised NAME CMD...: like start_bg, but the command is started again 2 s after it exits,
# as Kubernetes restarts a worker's container. A worker exits on purpose when one of its loops dies
# (e.g. it started while Kafka was down); stop_bg TERMs the whole group, loop included.
start_supervised() {
  local name=$1; shift
  start_bg "$name" bash -c 'while :; do "$@"; echo "[supervisor] exited with $?; restarting in 2 s" >&2; sleep 2; done' \
    supervise "$@"
}

# CPU priorities (nice values, 0-19, 0 = normal) of the stack's background work. On one machine
# everything shares the cores, and at a call deadline the applicants' requests come first: the APIs,
# PostgreSQL, Kafka, Keycloak and intake's worker (its outbox relay publishes the submissions) keep
# the normal priority. Next comes screening (the Temporal server and the appraisal workers), then
# what can wait longest (the monitoring and notifications workers: audit entries, report counts and
# e-mail). Under a surge each tier takes the CPU the tiers before it leave and catches up afterwards
# (its input waits durably in Kafka); on an idle machine the values change nothing. Kubernetes gives
# each Deployment its own CPU requests instead (deploy/k8s), so it does not use these.
RSC_SCREENING_NICE="${RSC_SCREENING_NICE:-10}"
RSC_DEFERRED_NICE="${RSC_DEFERRED_NICE:-19}"

# background_priority NAME NICE: lower the CPU priority of a process group started by start_bg. Two
# knobs, because Linux's autogroup scheduling (on by default on desktop and many server kernels)
# shares the CPU between sessions first and applies a process's nice value only inside its own
# session, and start_bg gives every daemon a session of its own (setsid): so the session's autogroup
# gets the nice value too (/proc/PID/autogroup), and the processes get it for kernels without
# autogroups. Children started later (a supervised worker's restarts) inherit both.
background_priority() {
  local p n=$2
  p="$(pid_of "$1")"
  [[ -n $p && $n != 0 ]] || return 0
  # start_bg returns before its child has called setsid, and setsid starts a new autogroup: wait for it
  for _ in $(seq 1 50); do
    [[ "$(ps -o sid= -p "$p" 2>/dev/null | tr -d ' ')" == "$p" ]] && break
    sleep 0.1
  done
  # --priority: an absolute value (newer util-linux reads -n as relative under POSIXLY_CORRECT)
  renice --priority "$n" -g "$p" >/dev/null 2>&1 || log "could not lower the priority of $1 (nice $n)"
  [[ -w /proc/$p/autogroup ]] || return 0
  # Linux accepts one autogroup change per 100 ms from an unprivileged user: retry until it reads back
  for _ in $(seq 1 20); do
    echo "$n" >"/proc/$p/autogroup" 2>/dev/null || true
    [[ "$(cat "/proc/$p/autogroup" 2>/dev/null)" == *" nice $n" ]] && return 0
    sleep 0.1
  done
  log "could not set the autogroup priority of $1 (nice $n): it shares the CPU like the rest of the stack"
}

# stop_bg NAME: TERM the process group (start_bg made the recorded pid its leader, so this reaches
# every process it started, e.g. uvicorn's worker processes), wait up to 30 s for the whole group,
# then KILL what is left. The group is stopped even if its leader already died (orphaned workers
# would otherwise keep the port).
stop_bg() {
  local name=$1 p
  p="$(pid_of "$name")"
  if [[ -n $p ]] && { kill -0 "$p" 2>/dev/null || kill -0 -- "-$p" 2>/dev/null; }; then
    kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true
    for _ in $(seq 1 30); do
      kill -0 -- "-$p" 2>/dev/null || kill -0 "$p" 2>/dev/null || break
      sleep 1
    done
    kill -KILL -- "-$p" 2>/dev/null || true
    log "$name stopped"
  fi
  rm -f "$RSC_RUN/$name.pid"
}

status_line() { # NAME URL-or-port description
  if is_running "$1"; then printf '  %-22s running (pid %s)  %s\n' "$1" "$(pid_of "$1")" "$2"
  else printf '  %-22s stopped              %s\n' "$1" "$2"; fi
}

need_cmd() { command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"; }

temurin_home() {
  local d
  d="$(ls -d /usr/lib/jvm/temurin-25* 2>/dev/null | head -1 || true)"
  [[ -n $d ]] || die "Temurin 25 JDK not found under /usr/lib/jvm (run 'make bootstrap' or install temurin-25-jdk)"
  echo "$d"
}

# start_servers NAME...: runs deploy/local/NAME.sh start for each, side by side (Keycloak takes
# longest), then shows each one's messages prefixed with its name. Output goes through files, not
# pipes: a pipe would be inherited by the daemons and never reach end-of-file.
# Sets STARTED (names started OK); fails naming the servers that did not start.
start_servers() {
  local -A pids=()
  local s failed=()
  STARTED=()
  for s in "$@"; do
    bash "$RSC_ROOT/deploy/local/$s.sh" start >"$RSC_LOGS/$s-start.out" 2>&1 </dev/null &
    pids[$s]=$!
  done
  for s in "$@"; do
    if wait "${pids[$s]}"; then STARTED+=("$s"); else failed+=("$s"); fi
    sed "s/^/[$s] /" "$RSC_LOGS/$s-start.out" >&2
  done
  ((${#failed[@]} == 0)) || die "could not start: ${failed[*]} (see messages above and $RSC_LOGS/)"
}
