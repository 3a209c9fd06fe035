#!/usr/bin/env bash
# The four RSC services, each as an API process (uvicorn) and a worker process (outbox relay,
# Kafka consumers, Temporal worker), and the portal (web UI, one process), started from the workspace venv.
#   services.sh start|stop|status|health
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERVICES=(intake appraisal monitoring notifications)
declare -A PORT=([intake]="${RSC_INTAKE_HTTP_PORT:-8101}" [appraisal]="${RSC_APPRAISAL_HTTP_PORT:-8102}"
                 [monitoring]="${RSC_MONITORING_HTTP_PORT:-8103}" [notifications]="${RSC_NOTIFICATIONS_HTTP_PORT:-8104}")
BIN="$RSC_ROOT/.venv/bin"
# The local SMTP sink (aiosmtpd) notifications sends e-mail to: every message is kept as an .eml file
# in $RSC_DATA/mail, listed in index.jsonl there (see README "Reading local e-mail").
RSC_SMTP_PORT="${RSC_SMTP_PORT:-18025}"
# The portal: http://127.0.0.1:8100 (the realm's portal client accepts any port on 127.0.0.1/localhost).
RSC_PORTAL_PORT="${RSC_PORTAL_PORT:-8100}"
# intake-api runs this many uvicorn worker processes on its port (one supervisor process, whose pid
# is in run/intake-api.pid, and its workers, all in one process group that `stop` ends): Python
# runs on one core per process, and a call deadline needs more than one core for submissions.
# Default 2 for a 2-core machine; 1 gives the single process of the other APIs. Kubernetes keeps
# one process per pod and scales with replicas (deploy/k8s), so it does not set this.
export RSC_INTAKE_API_WORKERS="${RSC_INTAKE_API_WORKERS:-2}"
# The appraisal worker (screening, casework workflows) runs as this many processes: one Python process
# reached about 0.8 cores and 10-11 proposals/s in the casework surge benchmark. Like replicas on
# Kubernetes, each is a full worker (consumers of the same group, pollers of the same task queue).
RSC_APPRAISAL_WORKER_PROCESSES="${RSC_APPRAISAL_WORKER_PROCESSES:-2}"

# Names of a service's worker processes: <service>-worker, then <service>-worker-2 ...
worker_names() {
  local n=1 i
  [[ $1 == appraisal ]] && n=$RSC_APPRAISAL_WORKER_PROCESSES
  echo "$1-worker"
  for ((i = 2; i <= n; i++)); do echo "$1-worker-$i"; done
}

# The services read RSC_<SERVICE>_* settings; point them at the ports of this stack.
export_settings() {
  local s=$1 up=${1^^}
  export "RSC_${up}_HTTP_PORT=${PORT[$s]}"
  export "RSC_${up}_DATABASE_URL=${RSC_PG_URL_BASE:-postgresql://rsc:rsc@127.0.0.1:$RSC_PG_PORT}/rsc_$s"
  export "RSC_${up}_KAFKA__BOOTSTRAP_SERVERS=127.0.0.1:$RSC_KAFKA_PORT"
  export "RSC_${up}_TEMPORAL__ADDRESS=127.0.0.1:$RSC_TEMPORAL_PORT"
  export "RSC_${up}_AUTH__KEYCLOAK_URL=http://127.0.0.1:$RSC_KEYCLOAK_PORT"
  export "RSC_${up}_AUTH__CLIENT_ID=rsc-$s"
  export "RSC_${up}_ATTACHMENTS__DIR=$RSC_DATA/attachments"
  export "RSC_${up}_SMTP_PORT=$RSC_SMTP_PORT"
  local secret_var="RSC_${up}_AUTH__CLIENT_SECRET"
  export "$secret_var=${!secret_var:-rsc-$s-dev-secret}"
}

ready() { curl -fsS "http://127.0.0.1:${PORT[$1]}/readyz" >/dev/null; }
portal_ready() { curl -fsS "http://127.0.0.1:$RSC_PORTAL_PORT/readyz" >/dev/null; }

# The portal calls the APIs of this stack and signs users in at its Keycloak.
export_portal_settings() {
  export RSC_PORTAL_HTTP_PORT="$RSC_PORTAL_PORT" RSC_PORTAL_PUBLIC_URL="http://127.0.0.1:$RSC_PORTAL_PORT"
  export RSC_PORTAL_KEYCLOAK_URL="http://127.0.0.1:$RSC_KEYCLOAK_PORT"
  local s
  for s in "${SERVICES[@]}"; do export "RSC_PORTAL_${s^^}_URL=http://127.0.0.1:${PORT[$s]}"; done
}

migrate_and_seed() {
  # Each service owns its database: migrate them side by side.
  local -A pids=()
  for s in "${SERVICES[@]}"; do
    ( export_settings "$s"; "$BIN/rsc-$s" migrate >>"$RSC_LOGS/$s-migrate.log" 2>&1 ) &
    pids[$s]=$!
  done
  for s in "${SERVICES[@]}"; do
    wait "${pids[$s]}" || { tail -n 20 "$RSC_LOGS/$s-migrate.log" >&2; die "migrations of $s failed"; }
  done
  log "migrations at head for ${SERVICES[*]}"
  # intake: demo organisations, programme and call; appraisal: default policy, example country
  # profiles and the fictitious demo entity lists (both idempotent).
  for s in intake appraisal; do
    ( export_settings "$s"; "$BIN/rsc-$s" seed >>"$RSC_LOGS/$s-seed.log" 2>&1 ) \
      || { tail -n 20 "$RSC_LOGS/$s-seed.log" >&2; die "seeding $s failed"; }
  done
  log "demo data seeded"
}

start() {
  [[ -x $BIN/rsc-intake ]] || die "workspace not installed: run 'make bootstrap'"
  migrate_and_seed
  if ! is_running smtp-sink; then
    require_free_port "$RSC_SMTP_PORT" "SMTP sink"
    start_bg smtp-sink "$BIN/python" -m rsc_notifications.smtp_sink --dir "$RSC_DATA/mail" --port "$RSC_SMTP_PORT"
  fi
  for s in "${SERVICES[@]}"; do
    export_settings "$s"
    if ! is_running "$s-api"; then
      require_free_port "${PORT[$s]}" "$s API"
      start_bg "$s-api" "$BIN/rsc-$s" api
    fi
    for w in $(worker_names "$s"); do
      is_running "$w" && continue
      start_supervised "$w" "$BIN/rsc-$s" worker
      # lib.sh: intake's worker (outbox relay of the submissions) keeps the normal priority
      case $s in
        appraisal) background_priority "$w" "$RSC_SCREENING_NICE" ;;
        monitoring | notifications) background_priority "$w" "$RSC_DEFERRED_NICE" ;;
      esac
    done
  done
  if ! is_running portal; then
    require_free_port "$RSC_PORTAL_PORT" "portal"
    ( export_portal_settings; start_bg portal "$BIN/rsc-portal" api )
  fi
  for s in "${SERVICES[@]}"; do
    # 120 s: with several uvicorn workers each process imports and builds the app itself, and on a
    # 2-core machine starting the whole stack at once that alone can take more than a minute.
    WAIT_PID="$(pid_of "$s-api")" wait_for "$s-api" 120 ready "$s"
    for w in $(worker_names "$s"); do
      is_running "$w" || { tail -n 20 "$RSC_LOGS/$w.log" >&2; die "$w exited"; }
    done
  done
  WAIT_PID="$(pid_of portal)" wait_for portal 60 portal_ready
  log "services ready; portal at http://127.0.0.1:$RSC_PORTAL_PORT"
}

stop() {
  stop_bg portal
  stop_bg smtp-sink
  for s in "${SERVICES[@]}"; do
    stop_bg "$s-api"
    for w in $(worker_names "$s"); do stop_bg "$w"; done
  done
}

status() {
  local pr="not ready"; portal_ready 2>/dev/null && pr="ready"
  status_line portal "http://127.0.0.1:$RSC_PORTAL_PORT  ($pr)"
  status_line smtp-sink "127.0.0.1:$RSC_SMTP_PORT (e-mail kept in $RSC_DATA/mail)"
  for s in "${SERVICES[@]}"; do
    local r="not ready"; ready "$s" 2>/dev/null && r="ready"
    status_line "$s-api" "http://127.0.0.1:${PORT[$s]}/docs  ($r$(workers_note "$s-api"))"
    for w in $(worker_names "$s"); do status_line "$w" ""; done
  done
}

# ", N worker processes" for an API that runs uvicorn workers (spawned by its supervisor).
workers_note() {
  local p n
  p="$(pid_of "$1")"
  [[ -n $p ]] && kill -0 "$p" 2>/dev/null || return 0
  n="$(pgrep -c -P "$p" -f "multiprocessing.spawn" 2>/dev/null || true)"
  if [[ ${n:-0} -gt 0 ]]; then printf ', %s worker processes' "$n"; fi
}

health() { for s in "${SERVICES[@]}"; do ready "$s" || return 1; done; portal_ready; }

"${1:-status}"
