#!/usr/bin/env bash
# Local Keycloak (identity provider of RSC) on 127.0.0.1, from Maven Central, no Docker.
#
#   deploy/local/keycloak.sh install|start|stop|status|health|reset
#
# - install: Keycloak $KC_VERSION (org.keycloak:keycloak-quarkus-dist, tar.gz) via Maven (~/.m2 is the
#   download cache), extracted once to $RSC_CACHE/keycloak-$KC_VERSION, which is never written to after.
# - start:   start-dev on http://127.0.0.1:$RSC_KEYCLOAK_PORT (management/health on $RSC_KEYCLOAK_MGMT_PORT),
#   imports realm `rsc` from deploy/local/keycloak/*.json, waits (bounded) for /health/ready.
#   Bootstrap admin of the master realm: $RSC_KEYCLOAK_ADMIN_USER / $RSC_KEYCLOAK_ADMIN_PASSWORD
#   (default admin/admin). Issuer: http://127.0.0.1:$RSC_KEYCLOAK_PORT/realms/rsc.
# - stop, status, health (exit 0 when ready, 1 otherwise), reset (stop + wipe $RSC_DATA/keycloak).
#
# Where the state lives, and why the distribution is copied:
#   Keycloak derives *all* of its writable paths from its home directory: the dev-file H2 database
#   (<kc-home>/data/h2), the --import-realm folder (<kc-home>/data/import), transaction logs and temp files and the
#   re-augmented Quarkus build (lib/quarkus/, rewritten by start-dev/build whenever build options change).
#   kc.sh fixes kc.home.dir to the directory of the script, the data dir is hard-wired to "<kc-home>/data",
#   and the only relocation knob (the hidden kc.db-url-path) moves the H2 file but not import/, tmp/ or
#   lib/quarkus. So each data dir gets its own copy of the distribution: $RSC_DATA/keycloak/server
#   (~190 MB, copied in a second or two). The cache stays pristine, `reset` wipes everything by
#   deleting $RSC_DATA/keycloak, and the next start makes a fresh copy.
#
# Start times and the build step (measured on the 2-core machine, Temurin 25, Keycloak 26.7.3, with
# other servers running):
#   cold, fresh install: ~90 s = Quarkus augmentation ~35 s (start-dev's implicit build; kc.sh exits
#     with 10 and relaunches) + DB schema creation ~12 s + realm import ~10 s + boot;
#   after `reset` (augmentation reused, schema + import): ~43 s;
#   warm (same data dir, realm already imported, "Import skipped"): ~21-39 s depending on load.
# start-dev records its build options in lib/quarkus and re-augments only when they change, so warm
# starts never augment and a separate `kc.sh build` would gain nothing. What does help is keeping the
# augmented lib/quarkus across `reset`: after a start that augmented it is saved to
# $RSC_CACHE/keycloak-$KC_VERSION-augmented (beside, not inside, the pristine distribution) and
# restored into the next fresh copy. That is safe because Keycloak re-augments by itself whenever the
# recorded build options differ from the current ones (checked: adding --metrics-enabled triggers it).
source "$(dirname "$0")/lib.sh"

KC_VERSION="${RSC_KEYCLOAK_VERSION:-26.7.3}"
KC_DIST="$RSC_CACHE/keycloak-$KC_VERSION"
KC_STATE="$RSC_DATA/keycloak"
KC_HOME="$KC_STATE/server"
# Snapshot of the augmented lib/quarkus of a successful start (kept by `reset`, see kc_snapshot_build).
KC_AUGMENTED="$RSC_CACHE/keycloak-$KC_VERSION-augmented"
KC_REALM_DIR="$RSC_ROOT/deploy/local/keycloak"
KC_NAME=keycloak
KC_START_TIMEOUT="${RSC_KEYCLOAK_START_TIMEOUT:-180}"
KC_ADMIN_USER="${RSC_KEYCLOAK_ADMIN_USER:-admin}"
KC_ADMIN_PASSWORD="${RSC_KEYCLOAK_ADMIN_PASSWORD:-admin}"
KC_HEAP="${RSC_KEYCLOAK_HEAP:--Xms64m -Xmx512m}"
KC_URL="http://127.0.0.1:$RSC_KEYCLOAK_PORT"
KC_READY_URL="http://127.0.0.1:$RSC_KEYCLOAK_MGMT_PORT/health/ready"

kc_ready() { curl -fsS --max-time 3 "$KC_READY_URL" >/dev/null 2>&1; }

kc_install() {
  local java_home
  java_home="$(temurin_home)"
  [[ -x $java_home/bin/java ]] || die "Temurin 25 at $java_home has no bin/java (reinstall temurin-25-jdk)"
  if [[ -x $KC_DIST/bin/kc.sh ]]; then
    log "keycloak $KC_VERSION already installed at $KC_DIST"
    return 0
  fi
  need_cmd mvn "Maven is needed to download Keycloak from Maven Central (apt-get install maven)"
  need_cmd tar "tar is needed to unpack Keycloak"
  local tmp artifact="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:tar.gz"
  tmp="$(mktemp -d "$RSC_CACHE/.keycloak-install.XXXXXX")"
  log "downloading $artifact with Maven (cached in ~/.m2)"
  # Run from the temporary dir so that no pom.xml in the caller's directory is picked up.
  if ! (cd "$tmp" && mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
          -Dartifact="$artifact" -DoutputDirectory="$tmp/dl") >"$tmp/mvn.log" 2>&1; then
    tail -n 20 "$tmp/mvn.log" >&2 || true
    rm -rf "$tmp"
    die "download of $artifact from Maven Central failed (see Maven output above)"
  fi
  local tgz="$tmp/dl/keycloak-quarkus-dist-$KC_VERSION.tar.gz"
  [[ -s $tgz ]] || { rm -rf "$tmp"; die "Maven reported success but $tgz is missing"; }
  tar -xzf "$tgz" -C "$tmp" || { rm -rf "$tmp"; die "could not unpack $tgz"; }
  [[ -x $tmp/keycloak-$KC_VERSION/bin/kc.sh ]] || { rm -rf "$tmp"; die "unexpected archive layout: no keycloak-$KC_VERSION/bin/kc.sh"; }
  # Move into place only when complete, so a half-unpacked tree is never taken as installed.
  mv "$tmp/keycloak-$KC_VERSION" "$KC_DIST"
  rm -rf "$tmp"   # the tarball itself stays in ~/.m2
  log "keycloak $KC_VERSION installed at $KC_DIST"
}

# Per-data-dir copy of the distribution (see header) plus the realm files to import.
kc_prepare_home() {
  if [[ ! -x $KC_HOME/bin/kc.sh || "$(cat "$KC_HOME/version.txt" 2>/dev/null)" != "$(cat "$KC_DIST/version.txt")" ]]; then
    if [[ -d $KC_HOME/data/h2 ]]; then
      die "$KC_HOME holds data of another Keycloak version; run '$0 reset' to start from scratch"
    fi
    log "copying the Keycloak distribution to $KC_HOME"
    rm -rf "$KC_HOME" "$KC_HOME.tmp"
    mkdir -p "$KC_STATE"
    cp -a "$KC_DIST" "$KC_HOME.tmp"
    if [[ -f $KC_AUGMENTED/build-system.properties ]]; then
      # Reuse the augmentation of an earlier start (saves ~30-40 s). Safe: start-dev compares the
      # build options persisted in lib/quarkus with the current ones and re-augments if they differ.
      cp -a "$KC_AUGMENTED/." "$KC_HOME.tmp/lib/quarkus/"
    fi
    mv "$KC_HOME.tmp" "$KC_HOME"
  fi
  mkdir -p "$KC_HOME/data/import"
  local f base
  shopt -s nullglob
  for f in "$KC_REALM_DIR"/*.json; do
    base="$(basename "$f")"
    if [[ -d $KC_HOME/data/h2 && -f $KC_HOME/data/import/$base ]]; then
      # Already imported: --import-realm skips existing realms, so an edited realm file only takes
      # effect after a reset. data/import keeps the imported version; warn on every start until reset.
      cmp -s "$f" "$KC_HOME/data/import/$base" ||
        log "WARNING: $base changed since it was imported; Keycloak keeps the imported realm (run '$0 reset' to re-import)"
    else
      cp "$f" "$KC_HOME/data/import/$base"
    fi
  done
  shopt -u nullglob
}

kc_start() {
  need_cmd curl "curl is needed for the health check"
  if is_running "$KC_NAME"; then
    if kc_ready; then
      log "keycloak already running (pid $(pid_of "$KC_NAME")) and ready at $KC_URL"
      return 0
    fi
    log "keycloak running (pid $(pid_of "$KC_NAME")) but not ready yet; waiting"
    WAIT_PID="$(pid_of "$KC_NAME")"
    wait_for "$KC_NAME" "$KC_START_TIMEOUT" kc_ready
    log "keycloak ready at $KC_URL"
    return 0
  fi
  rm -f "$RSC_RUN/$KC_NAME.pid"
  kc_install
  require_free_port "$RSC_KEYCLOAK_PORT" "keycloak (RSC_KEYCLOAK_PORT)"
  require_free_port "$RSC_KEYCLOAK_MGMT_PORT" "keycloak management/health (RSC_KEYCLOAK_MGMT_PORT)"
  kc_prepare_home
  local java_home t0=$SECONDS
  java_home="$(temurin_home)"
  log "starting keycloak $KC_VERSION (log: $RSC_LOGS/$KC_NAME.log)"
  printf '\n===== %s keycloak start =====\n' "$(date -Is)" >>"$RSC_LOGS/$KC_NAME.log"
  start_bg "$KC_NAME" env \
    JAVA_HOME="$java_home" JAVA="$java_home/bin/java" \
    JAVA_OPTS_KC_HEAP="$KC_HEAP" \
    KC_BOOTSTRAP_ADMIN_USERNAME="$KC_ADMIN_USER" KC_BOOTSTRAP_ADMIN_PASSWORD="$KC_ADMIN_PASSWORD" \
    "$KC_HOME/bin/kc.sh" start-dev \
      --http-host=127.0.0.1 \
      --http-port="$RSC_KEYCLOAK_PORT" \
      --http-management-port="$RSC_KEYCLOAK_MGMT_PORT" \
      --health-enabled=true \
      --hostname="$KC_URL" \
      --import-realm
  if ! (wait_for "$KC_NAME" "$KC_START_TIMEOUT" kc_ready); then
    stop_bg "$KC_NAME"   # do not leave a half-started server holding the ports
    die "keycloak failed to start (see $RSC_LOGS/$KC_NAME.log)"
  fi
  kc_snapshot_build
  log "keycloak ready at $KC_URL after $((SECONDS - t0)) s (admin console $KC_URL/admin, realm rsc)"
}

# After a start that (re-)augmented, keep a copy of lib/quarkus beside the cached distribution (which
# itself is never modified) so that a start after `reset` skips the augmentation.
kc_snapshot_build() {
  if [[ -d $KC_AUGMENTED ]] && diff -rq "$KC_HOME/lib/quarkus" "$KC_AUGMENTED" >/dev/null 2>&1; then
    return 0
  fi
  rm -rf "$KC_AUGMENTED.tmp"
  cp -a "$KC_HOME/lib/quarkus" "$KC_AUGMENTED.tmp"
  rm -rf "$KC_AUGMENTED"
  mv "$KC_AUGMENTED.tmp" "$KC_AUGMENTED"
  log "saved the augmented Keycloak build to $KC_AUGMENTED (reused after reset)"
}

kc_stop() {
  if is_running "$KC_NAME"; then
    stop_bg "$KC_NAME"
  else
    rm -f "$RSC_RUN/$KC_NAME.pid"
    log "keycloak not running"
  fi
}

kc_status() {
  status_line "$KC_NAME" "$KC_URL (realm rsc; health $KC_READY_URL)"
  if is_running "$KC_NAME"; then
    if kc_ready; then echo "  keycloak ready"; else echo "  keycloak not ready"; fi
  fi
}

kc_health() {
  if kc_ready; then echo "keycloak: ready ($KC_READY_URL)"; return 0; fi
  echo "keycloak: not ready ($KC_READY_URL)"; return 1
}

kc_reset() {
  kc_stop
  rm -rf "$KC_STATE"
  log "keycloak data wiped ($KC_STATE); distribution cache kept ($KC_DIST)"
}

case "${1:-}" in
  install) kc_install ;;
  start) kc_start ;;
  stop) kc_stop ;;
  status) kc_status ;;
  health) kc_health ;;
  reset) kc_reset ;;
  *) echo "usage: $0 install|start|stop|status|health|reset" >&2; exit 2 ;;
esac
