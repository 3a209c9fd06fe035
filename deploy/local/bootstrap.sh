#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine: uv (from PyPI), the locked Python
# workspace, and the Debian packages (PostgreSQL 15, curl, unzip, ICU headers and a C++ compiler
# for PyICU, Chromium for the portal's browser tests) when they are missing.
# Java (17+ for Kafka, Temurin 25 for Keycloak) and Maven must come with the machine.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
UV_VERSION="0.13.9"

if ! command -v uv >/dev/null 2>&1 || [[ $(uv --version | awk '{print $2}') != "$UV_VERSION" ]]; then
  log "installing uv $UV_VERSION from PyPI"
  python3 -m pip install -q --disable-pip-version-check "uv==$UV_VERSION" || die "pip install uv==$UV_VERSION failed"
fi

missing=()
[[ -x /usr/lib/postgresql/15/bin/postgres ]] || missing+=(postgresql-15)
command -v curl >/dev/null || missing+=(curl)
command -v unzip >/dev/null || missing+=(unzip)
# PyICU (transliteration for entity matching, via followthemoney/normality) builds from source.
dpkg -s libicu-dev >/dev/null 2>&1 || missing+=(libicu-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v g++ >/dev/null || missing+=(g++)
# The portal's browser tests drive Debian's Chromium through Playwright (no browser download).
command -v chromium >/dev/null || missing+=(chromium)
# The services' container images are built and tested without a daemon or registry (deploy/local/images.sh).
command -v buildah >/dev/null || missing+=(buildah)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ((${#missing[@]})); then
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
      || die "apt-get install ${missing[*]} failed"
  else
    die "missing Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})"
  fi
fi
need_cmd java "install a JDK 17+ (Kafka)"
need_cmd mvn "install Maven (downloads Kafka and Keycloak from Maven Central)"
temurin_home >/dev/null

cd "$RSC_ROOT"
# --native-tls: use the system CA store, like pip on this machine.
uv sync --frozen --native-tls -q || die "uv sync --frozen failed (is uv.lock up to date? run 'uv lock')"
# Offline validation of deploy/k8s in `make test`: kustomize built from the Go module proxy, the
# operators' CRDs from the Go module proxy and Maven Central (cached under $RSC_CACHE, instant later).
need_cmd go "install Go 1.26+ (kustomize and the CloudNativePG CRDs come from the Go module proxy)"
bash "$RSC_ROOT/deploy/local/kustomize.sh" install
bash "$RSC_ROOT/deploy/local/crds.sh" install
