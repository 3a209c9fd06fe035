#!/usr/bin/env bash
# Local Apache Kafka 4.x broker (KRaft, one combined broker+controller node) on 127.0.0.1,
# assembled from Maven Central jars (no tarball, no Docker).
#
#   kafka.sh install   download the jars once (Maven's ~/.m2 is the download cache) into
#                      $RSC_CACHE/kafka-<version>/libs; later runs are offline and instant
#   kafka.sh start     install, format storage once, start, wait (<= 90 s) until healthy; idempotent
#   kafka.sh stop      controlled shutdown (SIGTERM, KILL after 30 s)
#   kafka.sh status    one status line
#   kafka.sh health    exit 0 when the broker answers, 1 otherwise
#   kafka.sh reset     stop and delete $RSC_DATA/kafka (topics, offsets, cluster id); keeps the cache
#   kafka.sh scram-user NAME PASSWORD
#                      create or update the SCRAM-SHA-512 credential of user NAME (for the SASL listener)
#
# Listeners: PLAINTEXT on $RSC_KAFKA_PORT for the local stack and the tests (its ANONYMOUS principal is a
# super user), and SASL_PLAINTEXT with SCRAM-SHA-512 on $RSC_KAFKA_SASL_PORT, where the StandardAuthorizer
# enforces ACLs: the production set-up (Strimzi KafkaUsers with least-privilege ACLs, deploy/k8s/platform)
# is exercised on the real broker by tests/common/integration/test_kafka_sasl_acls.py.
#
# Needs Java 17+ (`java` on PATH, or $JAVA_HOME) and Maven (`mvn`) for the first install.
# Env: RSC_KAFKA_VERSION (default 4.3.1), RSC_KAFKA_JAVA_OPTS (extra JVM flags),
#      RSC_KAFKA_HEALTH_PYTHON (default .venv/bin/python), ports from lib.sh.
# Topics are NOT auto-created (auto.create.topics.enable=false): the services create their own.
# Pitfalls handled here:
#  - Kafka's POM carries no logging binding (the release tarball adds it), so the pom adds
#    log4j-slf4j-impl (slf4j 1.7, not -slf4j2-impl) + log4j-core, and we use a .properties config.
#  - StorageTool has no --override, so server.properties is generated with an absolute log.dirs.
#  - Static voters (controller.quorum.voters) => format WITHOUT --standalone.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

KAFKA_VERSION="${RSC_KAFKA_VERSION:-4.3.1}"          # passed to the pom as -Dkafka.version
KAFKA_HOME="$RSC_CACHE/kafka-$KAFKA_VERSION"
KAFKA_LIBS="$KAFKA_HOME/libs"
KAFKA_JAR="$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar"
KAFKA_POM="$RSC_ROOT/deploy/local/kafka/pom.xml"
KAFKA_LOG4J="$RSC_ROOT/deploy/local/kafka/log4j2.properties"
KAFKA_DATA="$RSC_DATA/kafka"                        # server.properties, cluster.id, kraft-logs/
KAFKA_LOGDIRS="$KAFKA_DATA/kraft-logs"              # Kafka's log.dirs (topic data + metadata log)
KAFKA_LOG="$RSC_LOGS/kafka.log"
KAFKA_BOOTSTRAP="127.0.0.1:$RSC_KAFKA_PORT"
# Python used for the metadata health check when it has kafka-python; else port + log line.
KAFKA_HEALTH_PYTHON="${RSC_KAFKA_HEALTH_PYTHON:-$RSC_ROOT/.venv/bin/python}"
START_MARK='---- kafka.sh start'                    # written to the log before each start

java_bin() { if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then echo "$JAVA_HOME/bin/java"; else command -v java || true; fi; }

check_java() {
  local j v major
  j="$(java_bin)"
  [[ -n $j ]] || die "java not found: Kafka $KAFKA_VERSION needs a Java 17+ JDK/JRE on PATH or in JAVA_HOME (e.g. apt-get install openjdk-17-jre-headless)"
  v="$("$j" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')"
  major="${v%%.*}"; [[ $major == 1 ]] && major="$(cut -d. -f2 <<<"$v")"
  [[ $major =~ ^[0-9]+$ ]] && (( major >= 17 )) || die "java at $j is version '${v:-unknown}'; Kafka $KAFKA_VERSION needs Java 17+ (set JAVA_HOME)"
}

jar_has() { # JAR ENTRY
  if command -v unzip >/dev/null 2>&1; then unzip -l "$1" 2>/dev/null | grep " $2\$" >/dev/null   # no -q: SIGPIPE + pipefail
  else python3 -c 'import sys,zipfile; sys.exit(sys.argv[2] not in zipfile.ZipFile(sys.argv[1]).namelist())' "$1" "$2"; fi
}

cmd_install() {
  check_java
  if [[ -f $KAFKA_JAR ]]; then log "kafka $KAFKA_VERSION already installed in $KAFKA_LIBS"; return 0; fi
  # -U: retry artifacts whose earlier failure (e.g. no network) Maven cached in ~/.m2
  need_cmd mvn "Maven is needed once to download Kafka $KAFKA_VERSION from Maven Central (apt-get install maven)"
  log "downloading Kafka $KAFKA_VERSION jars from Maven Central (via ~/.m2) ..."
  local tmp="$KAFKA_HOME.tmp.$$" out="$RSC_LOGS/kafka-install.log"
  rm -rf "$tmp"; mkdir -p "$tmp"
  if ! mvn -B -q -U -Dstyle.color=never -f "$KAFKA_POM" -Dkafka.version="$KAFKA_VERSION" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp/libs" >"$out" 2>&1; then
    rm -rf "$tmp"
    die "Kafka download from Maven Central failed: $(sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -m1 'ERROR' | cut -c1-300) (full output: $out)"
  fi
  jar_has "$tmp/libs/kafka_2.13-$KAFKA_VERSION.jar" kafka/Kafka.class \
    || { rm -rf "$tmp"; die "Kafka download from Maven Central failed: kafka/Kafka.class missing in kafka_2.13-$KAFKA_VERSION.jar"; }
  mkdir -p "$KAFKA_HOME"; rm -rf "$KAFKA_LIBS"; mv "$tmp/libs" "$KAFKA_LIBS"; rm -rf "$tmp"   # publish atomically
  log "kafka $KAFKA_VERSION installed: $(ls "$KAFKA_LIBS" | wc -l) jars, $(du -sh "$KAFKA_LIBS" | cut -f1)"
}

java_opts() { # heap bounded for dev machines; GC flags as in Kafka's kafka-run-class.sh
  echo "-Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
-XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true \
-Dlog4j2.configurationFile=$KAFKA_LOG4J -Dkafka.logs.dir=$RSC_LOGS ${RSC_KAFKA_JAVA_OPTS:-}"
}

write_config() {
  mkdir -p "$KAFKA_LOGDIRS"
  if [[ ! -s $KAFKA_DATA/cluster.id ]]; then    # stable across restarts; reset deletes it
    python3 -c 'import base64,uuid;print(base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode())' \
      >"$KAFKA_DATA/cluster.id" 2>/dev/null \
      || "$(java_bin)" -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid >"$KAFKA_DATA/cluster.id"
  fi
  cat >"$KAFKA_DATA/server.properties" <<EOF
# Generated by deploy/local/kafka.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$RSC_KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$RSC_KAFKA_PORT,CONTROLLER://127.0.0.1:$RSC_KAFKA_CONTROLLER_PORT,SASL_PLAINTEXT://127.0.0.1:$RSC_KAFKA_SASL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$RSC_KAFKA_PORT,SASL_PLAINTEXT://127.0.0.1:$RSC_KAFKA_SASL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
# ACLs are enforced for SASL users; the loopback PLAINTEXT listener (ANONYMOUS) and the controller stay unrestricted.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:ANONYMOUS
log.dirs=$KAFKA_LOGDIRS
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
}

format_storage() { # once: skipped when meta.properties exists (--ignore-formatted as a safety net)
  [[ -f $KAFKA_LOGDIRS/meta.properties ]] && return 0
  log "formatting Kafka storage in $KAFKA_LOGDIRS (cluster id $(cat "$KAFKA_DATA/cluster.id"))"
  # shellcheck disable=SC2046
  "$(java_bin)" $(java_opts) -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format \
      --cluster-id="$(cat "$KAFKA_DATA/cluster.id")" -c "$KAFKA_DATA/server.properties" --ignore-formatted \
      >>"$KAFKA_LOG" 2>&1 || die "kafka storage format failed; see $KAFKA_LOG"
}

# Health: our process is alive, the broker port accepts connections, and either a metadata
# request (kafka-python describe_cluster, cluster id must match ours) succeeds or - without a
# Python that has kafka-python - the log shows "Kafka Server started" since the last start.
kafka_health() {
  is_running kafka && port_in_use "$RSC_KAFKA_PORT" || return 1
  if [[ -x $KAFKA_HEALTH_PYTHON ]] && "$KAFKA_HEALTH_PYTHON" -c 'import kafka' 2>/dev/null; then
    "$KAFKA_HEALTH_PYTHON" - "$KAFKA_BOOTSTRAP" "$(cat "$KAFKA_DATA/cluster.id" 2>/dev/null)" <<'PY' >/dev/null 2>&1
import sys
from kafka import KafkaAdminClient
a = KafkaAdminClient(bootstrap_servers=sys.argv[1], bootstrap_timeout_ms=5000, request_timeout_ms=5000)
try:
    c = a.describe_cluster()
    sys.exit(0 if c.get("brokers") and (not sys.argv[2] or c.get("cluster_id") == sys.argv[2]) else 1)
finally:
    a.close()
PY
  else
    awk -v m="$START_MARK" 'index($0, m) == 1 {ok = 0} /Kafka Server started/ {ok = 1} END {exit !ok}' "$KAFKA_LOG" 2>/dev/null
  fi
}

cmd_start() {
  if is_running kafka; then
    if kafka_health; then log "kafka already running and healthy (pid $(pid_of kafka)) on $KAFKA_BOOTSTRAP"; return 0; fi
    log "kafka process $(pid_of kafka) exists but is not healthy yet; waiting"
    WAIT_PID="$(pid_of kafka)" wait_for kafka 90 kafka_health
    log "kafka healthy on $KAFKA_BOOTSTRAP"; return 0
  fi
  rm -f "$RSC_RUN/kafka.pid"     # stale (crashed/failed start): never signal a recycled pid later
  cmd_install
  require_free_port "$RSC_KAFKA_PORT" "the kafka broker, RSC_KAFKA_PORT"
  require_free_port "$RSC_KAFKA_CONTROLLER_PORT" "the kafka controller, RSC_KAFKA_CONTROLLER_PORT"
  require_free_port "$RSC_KAFKA_SASL_PORT" "the kafka SASL listener, RSC_KAFKA_SASL_PORT"
  write_config
  format_storage
  echo "$START_MARK $(date '+%F %T') kafka $KAFKA_VERSION ----" >>"$KAFKA_LOG"
  local t0=$SECONDS
  # shellcheck disable=SC2046
  start_bg kafka "$(java_bin)" $(java_opts) -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DATA/server.properties"
  wait_for kafka 90 kafka_health
  log "kafka $KAFKA_VERSION healthy on $KAFKA_BOOTSTRAP (pid $(pid_of kafka), $((SECONDS - t0)) s; log $KAFKA_LOG)"
}

cmd_stop() { stop_bg kafka; }
cmd_status() { status_line kafka "$KAFKA_BOOTSTRAP (controller 127.0.0.1:$RSC_KAFKA_CONTROLLER_PORT, SASL 127.0.0.1:$RSC_KAFKA_SASL_PORT)"; }
cmd_health() { if kafka_health; then echo "kafka healthy"; else echo "kafka not healthy" >&2; exit 1; fi; }
cmd_scram_user() { # NAME PASSWORD: idempotent (an existing credential is replaced)
  local name=${1:?usage: kafka.sh scram-user NAME PASSWORD} password=${2:?usage: kafka.sh scram-user NAME PASSWORD}
  kafka_health || die "kafka is not running: start it first"
  "$(java_bin)" -Xmx256m -cp "$KAFKA_LIBS/*" kafka.admin.ConfigCommand --bootstrap-server "$KAFKA_BOOTSTRAP" \
      --alter --entity-type users --entity-name "$name" \
      --add-config "SCRAM-SHA-512=[iterations=4096,password=$password]" >>"$KAFKA_LOG" 2>&1 \
    || die "creating the SCRAM credential of $name failed; see $KAFKA_LOG"
  log "SCRAM-SHA-512 credential of $name set (SASL listener 127.0.0.1:$RSC_KAFKA_SASL_PORT)"
}
cmd_reset() { cmd_stop; rm -rf "$KAFKA_DATA"; log "kafka data removed ($KAFKA_DATA); cache kept ($KAFKA_HOME)"; }

case "${1:-}" in
  install|start|stop|status|health|reset) "cmd_$1" ;;
  scram-user) shift; cmd_scram_user "$@" ;;
  *) die "usage: $0 {install|start|stop|status|health|reset|scram-user NAME PASSWORD}" ;;
esac
