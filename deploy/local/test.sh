#!/usr/bin/env bash
# `make test`: runs the whole suite against the real servers. Servers that are not running are
# started first (in the same state folder as `make up`) and stopped afterwards; the tests use
# their own throw-away databases, topics and task queues, never the development data.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
D="$(dirname "${BASH_SOURCE[0]}")"
SERVERS=(postgres kafka temporal keycloak)
STARTED=()

cleanup() {
  for s in "${STARTED[@]}"; do bash "$D/$s.sh" stop || true; done
}
trap cleanup EXIT

t0=$SECONDS
to_start=()
for s in "${SERVERS[@]}"; do bash "$D/$s.sh" health >/dev/null 2>&1 || to_start+=("$s"); done
if ((${#to_start[@]})); then
  log "starting for the tests: ${to_start[*]}"
  start_servers "${to_start[@]}"
fi
log "servers ready in $((SECONDS - t0)) s; running pytest"
cd "$RSC_ROOT"
t1=$SECONDS
rc=0
"$RSC_ROOT/.venv/bin/python" -m pytest "$@" || rc=$?
log "pytest finished in $((SECONDS - t1)) s (exit $rc)"
exit $rc
