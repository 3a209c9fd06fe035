#!/usr/bin/env bash
# kustomize, built from its Go module (sigs.k8s.io/kustomize/kustomize/v5) through the Go module proxy,
# for the offline validation of deploy/k8s in `make test` (tests/deploy/test_validation.py).
#
#   kustomize.sh install   go install the pinned version once into $RSC_CACHE/kustomize-<version>/;
#                          later runs are offline and instant (Go's module cache, ~/go/pkg/mod, keeps the sources)
#   kustomize.sh path      print the binary's path; fails (naming the fix) when it is not installed
#   kustomize.sh version   print the installed binary's version
#
# Needs Go (`go` on PATH, the version the module's go.mod asks for or newer) for the first install.
# Env: RSC_KUSTOMIZE_VERSION (default below; other versions are not checked by the tests),
#      GOPROXY (default https://proxy.golang.org,direct, Go's own default).
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# v5.8.2 is the newest that builds with Go 1.26 (v5.8.3's go.mod asks for Go 1.27).
KUSTOMIZE_VERSION="${RSC_KUSTOMIZE_VERSION:-v5.8.2}"
KUSTOMIZE_MODULE="sigs.k8s.io/kustomize/kustomize/v5"
KUSTOMIZE_HOME="$RSC_CACHE/kustomize-$KUSTOMIZE_VERSION"
KUSTOMIZE_BIN="$KUSTOMIZE_HOME/kustomize"

installed() { [[ -x $KUSTOMIZE_BIN ]] && "$KUSTOMIZE_BIN" version >/dev/null 2>&1; }

cmd_install() {
  if installed; then log "kustomize $KUSTOMIZE_VERSION already installed at $KUSTOMIZE_BIN"; return 0; fi
  need_cmd go "Go is needed once to build kustomize $KUSTOMIZE_VERSION from the Go module proxy (install Go 1.26+, e.g. apt-get install golang-go)"
  log "building kustomize $KUSTOMIZE_VERSION from the Go module proxy (go install $KUSTOMIZE_MODULE@$KUSTOMIZE_VERSION) ..."
  local tmp="$KUSTOMIZE_HOME.tmp.$$" out="$RSC_LOGS/kustomize-install.log"
  rm -rf "$tmp"; mkdir -p "$tmp"
  # Outside any module (a go.mod or go.work in a parent folder must not steer the build); the local
  # toolchain only: a go.mod asking for a newer Go fails here with Go's own message instead of
  # downloading a toolchain.
  if ! (cd "$tmp" && GOBIN="$tmp" GOFLAGS=-mod=mod GOWORK=off GOTOOLCHAIN=local GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}" \
        go install "$KUSTOMIZE_MODULE@$KUSTOMIZE_VERSION") >"$out" 2>&1; then
    rm -rf "$tmp"
    die "go install $KUSTOMIZE_MODULE@$KUSTOMIZE_VERSION failed: $(grep -m1 -iE 'error|go:' "$out" | cut -c1-300) (full output: $out)"
  fi
  "$tmp/kustomize" version >/dev/null 2>&1 || { rm -rf "$tmp"; die "the kustomize built from $KUSTOMIZE_MODULE@$KUSTOMIZE_VERSION does not run"; }
  rm -rf "$KUSTOMIZE_HOME"; mv "$tmp" "$KUSTOMIZE_HOME"   # publish atomically
  log "kustomize $KUSTOMIZE_VERSION installed at $KUSTOMIZE_BIN ($(du -sh "$KUSTOMIZE_BIN" | cut -f1))"
}

cmd_path() {
  installed || die "kustomize $KUSTOMIZE_VERSION is not installed at $KUSTOMIZE_BIN: run 'make bootstrap' (or 'bash deploy/local/kustomize.sh install')"
  echo "$KUSTOMIZE_BIN"
}

case "${1:-}" in
  install) cmd_install ;;
  path) cmd_path ;;
  version) "$(cmd_path)" version ;;
  *) die "usage: $0 install|path|version" ;;
esac
