#!/usr/bin/env bash
# The whole local platform: real servers from package registries + the four services.
#   stack.sh up|down|status|logs [NAME]|reset
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
D="$(dirname "${BASH_SOURCE[0]}")"
SERVERS=(postgres kafka temporal keycloak)

up() {
  local t0=$SECONDS
  start_servers "${SERVERS[@]}"
  "$RSC_ROOT/.venv/bin/python" -m rsc_common.events --bootstrap-servers "127.0.0.1:$RSC_KAFKA_PORT" >&2 \
    || die "creating Kafka topics failed"
  bash "$D/services.sh" start
  log "platform up in $((SECONDS - t0)) s"
  summary
}

down() {
  bash "$D/services.sh" stop
  for s in keycloak temporal kafka postgres; do bash "$D/$s.sh" stop; done
}

status() {
  echo "Servers:"; for s in "${SERVERS[@]}"; do bash "$D/$s.sh" status; done
  echo "Services:"; bash "$D/services.sh" status
}

logs() {
  if [[ -n ${1:-} ]]; then tail -n 100 -F "$RSC_LOGS/$1.log"; return; fi
  for f in "$RSC_LOGS"/*.log; do echo "==> $f"; tail -n 15 "$f"; done
}

reset() {
  down
  for s in "${SERVERS[@]}"; do bash "$D/$s.sh" reset; done
  rm -rf "$RSC_LOGS"/* "$RSC_RUN"/*
  log "all data wiped (downloads kept in $RSC_CACHE)"
}

summary() {
  cat <<TXT

Research Security Casework is running on 127.0.0.1:
  Intake API          http://127.0.0.1:${RSC_INTAKE_HTTP_PORT:-8101}/docs
  Appraisal API       http://127.0.0.1:${RSC_APPRAISAL_HTTP_PORT:-8102}/docs
  Monitoring API      http://127.0.0.1:${RSC_MONITORING_HTTP_PORT:-8103}/docs
  Notifications API   http://127.0.0.1:${RSC_NOTIFICATIONS_HTTP_PORT:-8104}/docs
  Keycloak            http://127.0.0.1:$RSC_KEYCLOAK_PORT/admin   (admin / admin; realm rsc)
  Temporal Web UI     http://127.0.0.1:$RSC_TEMPORAL_UI_PORT        (gRPC 127.0.0.1:$RSC_TEMPORAL_PORT)
  Kafka               127.0.0.1:$RSC_KAFKA_PORT (SASL/SCRAM with ACLs: 127.0.0.1:$RSC_KAFKA_SASL_PORT)
  PostgreSQL          postgresql://rsc:rsc@127.0.0.1:$RSC_PG_PORT/rsc_<service>
Demo logins (password = user name): applicant-a, applicant-b, officer, officer-2, adviser,
  auditor, reporter, rsc-admin, no-role.  Token for scripts:
  curl -s -d grant_type=password -d client_id=rsc-cli -d username=officer -d password=officer \\
    http://127.0.0.1:$RSC_KEYCLOAK_PORT/realms/rsc/protocol/openid-connect/token
Logs: $RSC_LOGS  (make logs, make logs S=kafka)
TXT
}

cmd="${1:-status}"; shift || true
"$cmd" "$@"
