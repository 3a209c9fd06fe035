#!/usr/bin/env bash
# The operators' CustomResourceDefinitions, from package registries, for the offline validation of
# deploy/k8s in `make test` (tests/deploy/test_validation.py validates every custom resource against
# its CRD's openAPIV3Schema).
#
#   crds.sh install   fetch once into $RSC_CACHE/crds/<operator>-<version>/; later runs are offline and instant
#   crds.sh paths     print the CRD files, one a line; fails (naming the fix) when they are not installed
#
# Sources (pinned; every file checked against the sha256 recorded below):
#  - CloudNativePG $CNPG_VERSION (postgresql.cnpg.io/v1): its Go module github.com/cloudnative-pg/cloudnative-pg
#    from the Go module proxy (`go mod download`, checked by Go against the checksum database too);
#    the CRDs are the module's config/crd/bases/*.yaml, copied as they are.
#  - Strimzi $STRIMZI_VERSION (kafka.strimzi.io/v1beta2): Maven Central publishes no CRD YAML, so they are
#    generated the way Strimzi's own build makes its install files: io.strimzi:crd-generator run on the
#    model classes of io.strimzi:api (arguments as in api's pom.xml). 0.45 is the newest Strimzi whose
#    crd-generator is on Maven Central and whose api serves v1beta2 (1.x serves kafka.strimzi.io/v1 only).
#    The jars are checked by sha256; the generated YAML is checked for its kinds and served versions.
#  - Keycloak operator (k8s.keycloak.org/v2alpha1): NOT on any registry reachable here
#    (org.keycloak:keycloak-operator is not published to Maven Central), so there is no CRD to fetch;
#    tests/deploy/validation.py holds a hand-written schema of its top-level fields instead.
#
# Needs Go (CloudNativePG), Maven and Java 17+ (Strimzi) for the first install.
# Env: GOPROXY (default https://proxy.golang.org,direct).
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CRDS_HOME="$RSC_CACHE/crds"

CNPG_MODULE="github.com/cloudnative-pg/cloudnative-pg"
CNPG_VERSION="v1.30.0"
CNPG_DIR="$CRDS_HOME/cnpg-$CNPG_VERSION"
CNPG_MODULE_SUM="h1:fnhVq44xXx97MNiuvJsPrX1vSjYbgdyBK5MSGfdHdp0="   # go.sum line of the module zip
declare -A CNPG_SHA256=(
  [postgresql.cnpg.io_backups.yaml]=694bafce2eda4603629657c2141a89189c15250c74215002a6987538d3d78ff5
  [postgresql.cnpg.io_clusterimagecatalogs.yaml]=a409d4e9418110672d14c263793d0458dd328f794caac668671c08c257e762ae
  [postgresql.cnpg.io_clusters.yaml]=ae47f4a00f6e998faef57e480f9a3960cd48ea16a79270861fc7442601507472
  [postgresql.cnpg.io_databaseroles.yaml]=bbe900fb057c5ea29bb3f41537b941eee80f528f22733e54a5b2704c4bd9516d
  [postgresql.cnpg.io_databases.yaml]=53f7dfca6d23eb70246f41f1e7db596f8782341cd4fffb6ad990107cc8a588e7
  [postgresql.cnpg.io_failoverquorums.yaml]=c97e5376830385bf47f2d669269e40812ae9251668dbf630d25f94361a82413f
  [postgresql.cnpg.io_imagecatalogs.yaml]=dce0b11005f65a4728144c155a78183169eeb63d42c57b6af6270b4fbdf2b8aa
  [postgresql.cnpg.io_poolers.yaml]=9e0dad05355f72dceb154a12b43ebe8a410d470133ad228bf711c1fdee221124
  [postgresql.cnpg.io_publications.yaml]=481121c9f7232402726364a7331f8684ce540c45805574e20a11b6dfb36fd2df
  [postgresql.cnpg.io_scheduledbackups.yaml]=1dffb969a92ed6b09abe59d9c848ff97c6646c7824e75f8e0b8379df8473a145
  [postgresql.cnpg.io_subscriptions.yaml]=d6ed0223df8a7898ff10b9ca6c2d2543144cade69f351adaff349da6b97458f5
)

STRIMZI_VERSION="0.45.0"
STRIMZI_DIR="$CRDS_HOME/strimzi-$STRIMZI_VERSION"
declare -A STRIMZI_SHA256=(
  [api-$STRIMZI_VERSION.jar]=7112a02ebf29d38b2eb2ad8da90353d2a3922aea2fe2bddc2abe4e5956fdfe9a
  [crd-generator-$STRIMZI_VERSION.jar]=f03aab1b83d29bbd340ce484a4bb651faac7685c685865a30351a636da6008ea
  [crd-annotations-$STRIMZI_VERSION.jar]=a0f4e6cf97f07a64665397b5202e12ef1a5fd76d36f5c089eb085759b1cf2cce
)
STRIMZI_MODEL=io.strimzi.api.kafka.model
# file=class, per CrdGenerator call; --api-versions as in io.strimzi:api:$STRIMZI_VERSION's pom.xml
STRIMZI_CO=(
  "kafka.yaml=$STRIMZI_MODEL.kafka.Kafka"
  "kafkanodepool.yaml=$STRIMZI_MODEL.nodepool.KafkaNodePool"
  "kafkaconnect.yaml=$STRIMZI_MODEL.connect.KafkaConnect"
  "kafkaconnector.yaml=$STRIMZI_MODEL.connector.KafkaConnector"
  "kafkamirrormaker.yaml=$STRIMZI_MODEL.mirrormaker.KafkaMirrorMaker"
  "kafkamirrormaker2.yaml=$STRIMZI_MODEL.mirrormaker2.KafkaMirrorMaker2"
  "kafkabridge.yaml=$STRIMZI_MODEL.bridge.KafkaBridge"
  "kafkarebalance.yaml=$STRIMZI_MODEL.rebalance.KafkaRebalance"
  "strimzipodset.yaml=$STRIMZI_MODEL.podset.StrimziPodSet"
)
STRIMZI_EO=(
  "kafkatopic.yaml=$STRIMZI_MODEL.topic.KafkaTopic"
  "kafkauser.yaml=$STRIMZI_MODEL.user.KafkaUser"
)

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

check_sha256() { # FILE EXPECTED WHAT
  local got; got="$(sha256_of "$1")"
  [[ $got == "$2" ]] || die "$3: sha256 of $(basename "$1") is $got, expected $2 (recorded in $0)"
}

java_bin() { if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then echo "$JAVA_HOME/bin/java"; else command -v java || true; fi; }

install_cnpg() {
  if [[ -f $CNPG_DIR/.complete ]]; then log "CloudNativePG $CNPG_VERSION CRDs already in $CNPG_DIR"; return 0; fi
  need_cmd go "Go is needed once to download the CloudNativePG $CNPG_VERSION CRDs from the Go module proxy (install Go 1.26+)"
  log "downloading the CloudNativePG CRDs: go mod download $CNPG_MODULE@$CNPG_VERSION (Go module proxy) ..."
  local tmp="$CNPG_DIR.tmp.$$" out="$RSC_LOGS/crds-cnpg.log" json dir sum f
  rm -rf "$tmp"; mkdir -p "$tmp"
  if ! json="$(cd "$tmp" && GOFLAGS=-mod=mod GOWORK=off GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}" \
        go mod download -json "$CNPG_MODULE@$CNPG_VERSION" 2>"$out")"; then
    rm -rf "$tmp"
    die "go mod download $CNPG_MODULE@$CNPG_VERSION failed: $(grep -m1 -E '"Error"' <<<"$json" | cut -c1-300)$(head -c 300 "$out") (log: $out)"
  fi
  dir="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])' <<<"$json")"
  sum="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["Sum"])' <<<"$json")"
  [[ $sum == "$CNPG_MODULE_SUM" ]] || { rm -rf "$tmp"; die "CloudNativePG module sum is $sum, expected $CNPG_MODULE_SUM"; }
  for f in "${!CNPG_SHA256[@]}"; do
    [[ -f $dir/config/crd/bases/$f ]] || { rm -rf "$tmp"; die "CloudNativePG $CNPG_VERSION has no config/crd/bases/$f"; }
    cp "$dir/config/crd/bases/$f" "$tmp/$f"; chmod u+w "$tmp/$f"   # the module cache is read-only
    check_sha256 "$tmp/$f" "${CNPG_SHA256[$f]}" "CloudNativePG $CNPG_VERSION"
  done
  touch "$tmp/.complete"
  rm -rf "$CNPG_DIR"; mv "$tmp" "$CNPG_DIR"   # publish atomically
  log "CloudNativePG $CNPG_VERSION: ${#CNPG_SHA256[@]} CRDs in $CNPG_DIR"
}

strimzi_generate() { # API_VERSIONS OUT_DIR LIBS PAIRS...
  local versions=$1 outdir=$2 libs=$3 pair; shift 3
  local args=()
  for pair in "$@"; do args+=("${pair#*=}=$outdir/${pair%%=*}"); done
  # Arguments as in io.strimzi:api's pom.xml (the install files of Strimzi's release).
  "$(java_bin)" -cp "$libs/*" io.strimzi.crdgenerator.CrdGenerator --label app:strimzi \
    --label strimzi.io/crd-install:true --target-kube 1.16+ --crd-api-version v1 \
    --api-versions "$versions" --storage-version v1beta2 --yaml "${args[@]}"
}

install_strimzi() {
  if [[ -f $STRIMZI_DIR/.complete ]]; then log "Strimzi $STRIMZI_VERSION CRDs already in $STRIMZI_DIR"; return 0; fi
  need_cmd mvn "Maven is needed once to download Strimzi $STRIMZI_VERSION (io.strimzi:api, crd-generator) from Maven Central"
  [[ -n $(java_bin) ]] || die "java not found: generating the Strimzi CRDs needs Java 17+ on PATH or in JAVA_HOME"
  log "downloading io.strimzi:api and io.strimzi:crd-generator $STRIMZI_VERSION from Maven Central (via ~/.m2) ..."
  local tmp="$STRIMZI_DIR.tmp.$$" out="$RSC_LOGS/crds-strimzi.log" jar pair kind
  rm -rf "$tmp"; mkdir -p "$tmp/build"
  cat >"$tmp/build/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by deploy/local/crds.sh: only dependency:copy-dependencies runs on it. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.rsc</groupId><artifactId>strimzi-crds</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.strimzi</groupId><artifactId>api</artifactId><version>$STRIMZI_VERSION</version></dependency>
    <dependency><groupId>io.strimzi</groupId><artifactId>crd-generator</artifactId><version>$STRIMZI_VERSION</version></dependency>
  </dependencies>
</project>
EOF
  # -U: retry artifacts whose earlier failure (e.g. no network) Maven cached in ~/.m2
  if ! mvn -B -q -U -Dstyle.color=never -f "$tmp/build/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
        -DoutputDirectory="$tmp/build/libs" >"$out" 2>&1; then
    rm -rf "$tmp"
    die "Strimzi $STRIMZI_VERSION download from Maven Central failed: $(sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -m1 'ERROR' | cut -c1-300) (full output: $out)"
  fi
  for jar in "${!STRIMZI_SHA256[@]}"; do
    [[ -f $tmp/build/libs/$jar ]] || { rm -rf "$tmp"; die "Strimzi download: $jar missing"; }
    check_sha256 "$tmp/build/libs/$jar" "${STRIMZI_SHA256[$jar]}" "Strimzi $STRIMZI_VERSION"
  done
  log "generating the Strimzi $STRIMZI_VERSION CRDs with io.strimzi.crdgenerator.CrdGenerator ..."
  if ! { strimzi_generate v1beta2 "$tmp" "$tmp/build/libs" "${STRIMZI_CO[@]}" \
         && strimzi_generate v1alpha1,v1beta1,v1beta2 "$tmp" "$tmp/build/libs" "${STRIMZI_EO[@]}"; } >>"$out" 2>&1; then
    rm -rf "$tmp"
    die "Strimzi CRD generation failed: $(grep -v SLF4J "$out" | grep -m1 -iE 'exception|error' | cut -c1-300) (full output: $out)"
  fi
  for pair in "${STRIMZI_CO[@]}" "${STRIMZI_EO[@]}"; do
    kind="${pair##*.}"
    grep -q "^    kind: $kind\$" "$tmp/${pair%%=*}" && grep -q '^  - name: v1beta2$' "$tmp/${pair%%=*}" \
      || { rm -rf "$tmp"; die "generated ${pair%%=*} is not the $kind CRD serving v1beta2"; }
  done
  rm -rf "$tmp/build"; touch "$tmp/.complete"
  rm -rf "$STRIMZI_DIR"; mv "$tmp" "$STRIMZI_DIR"   # publish atomically
  log "Strimzi $STRIMZI_VERSION: $((${#STRIMZI_CO[@]} + ${#STRIMZI_EO[@]})) CRDs in $STRIMZI_DIR"
}

cmd_paths() {
  local d
  for d in "$CNPG_DIR" "$STRIMZI_DIR"; do
    [[ -f $d/.complete ]] || die "CRDs missing in $d: run 'make bootstrap' (or 'bash deploy/local/crds.sh install')"
  done
  ls -1 "$CNPG_DIR"/*.yaml "$STRIMZI_DIR"/*.yaml
}

case "${1:-}" in
  install) install_cnpg; install_strimzi ;;
  paths) cmd_paths ;;
  *) die "usage: $0 install|paths" ;;
esac
