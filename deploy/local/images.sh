#!/usr/bin/env bash
# Container images of the services, built here without a container daemon and without pulling from an
# image registry: buildah (Debian) builds the unchanged services/<service>/Dockerfile, with chroot isolation
# and overlay (else vfs) storage under $RSC_STATE/containers.
#
#   images.sh base             the base image localhost/rsc-python-base:3.11-bookworm (see below), once
#   images.sh build [SVC...]   the images ghcr.io/rsc-project/rsc-<svc>:$RSC_IMAGE_TAG (default: all five)
#   images.sh run IMAGE [--env K=V ...] -- CMD...
#                              run CMD in a throw-away container of IMAGE (host network, image's user)
#   images.sh inspect IMAGE    buildah's description of the image (JSON; the OCI config under OCIv1.config)
#   images.sh push SVC DEST    copy an image out, e.g. `push intake oci-archive:/tmp/rsc-intake.tar` or
#                              `push intake docker://registry.example.org/rsc-intake:0.1.0`
#   images.sh clean            remove the image storage
#
# The base image. The Dockerfiles build FROM ${PYTHON_IMAGE} (default python:3.11.13-slim-bookworm on Docker
# Hub), which is not reachable here. Where it is, build with it (`docker build`/`buildah bud` as in each
# Dockerfile's header). Here the same contract is met from Debian's packages: a debootstrap'd bookworm
# (minbase) with Debian's python3.11 (3.11.2) and its headers (the official image has them) linked as
# /usr/local/bin/python3.11 like the official image, pip
# installed from Debian's pip wheel (so the Dockerfile's build stage can `pip install uv` and its runtime
# stage can uninstall pip), Debian's EXTERNALLY-MANAGED marker removed (as in the official image), and the
# build host's CA bundle (this machine's registry access goes through a TLS-intercepting proxy; the bundle
# lets pip and uv inside the build reach PyPI). It is passed as --build-arg PYTHON_IMAGE. Images built on it
# are for verification here; publish images built on the pinned official base.
#
# Needs: buildah and debootstrap (Debian; `make bootstrap` installs them), root (chroot, no daemon).
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

BASE_IMAGE="localhost/rsc-python-base:3.11-bookworm"
TAG="${RSC_IMAGE_TAG:-0.1.0}"
ALL=(intake appraisal monitoring notifications portal)
STORE="$RSC_STATE/containers"
ROOTFS_CACHE="$RSC_CACHE/rsc-python-base-rootfs.tar"
DEBIAN_MIRROR="${RSC_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
export BUILDAH_ISOLATION=chroot

# overlay where the kernel has it (layers are not copied; the vfs fallback copies the whole tree per step).
DRIVER="${RSC_IMAGE_STORAGE_DRIVER:-$(grep -qw overlay /proc/filesystems 2>/dev/null && echo overlay || echo vfs)}"
bah() { buildah --root "$STORE/$DRIVER/storage" --runroot "$STORE/$DRIVER/run" --storage-driver "$DRIVER" "$@"; }
image_of() { echo "ghcr.io/rsc-project/rsc-$1:$TAG"; }
has_image() { bah inspect --type image "$1" >/dev/null 2>&1; }

need() {
  [[ $EUID -eq 0 ]] || die "images.sh needs root (buildah chroot isolation, debootstrap)"
  need_cmd buildah "buildah is needed (apt-get install buildah; make bootstrap installs it)"
  need_cmd debootstrap "debootstrap is needed (apt-get install debootstrap; make bootstrap installs it)"
}

# The base rootfs, cached as a tarball (about a minute to make, 275 MB).
make_rootfs() {
  local dir="$1"
  if [[ -s $ROOTFS_CACHE ]]; then mkdir -p "$dir" && tar -C "$dir" -xf "$ROOTFS_CACHE"; return 0; fi
  log "debootstrap bookworm (minbase + python3.11) from $DEBIAN_MIRROR ..."
  debootstrap --variant=minbase \
      --include=python3.11,python3.11-dev,python3.11-venv,python3-distutils,python3-pip-whl,python3-setuptools-whl,ca-certificates \
      bookworm "$dir" "$DEBIAN_MIRROR" >"$RSC_LOGS/images-debootstrap.log" 2>&1 \
    || die "debootstrap failed; see $RSC_LOGS/images-debootstrap.log"
  rm -f "$dir/usr/lib/python3.11/EXTERNALLY-MANAGED"   # before pip: it refuses to install next to it
  local wheel
  wheel="$(cd "$dir/usr/share/python-wheels" && ls pip-*.whl)"
  chroot "$dir" python3.11 "/usr/share/python-wheels/$wheel/pip" install --no-index --no-cache-dir \
      "/usr/share/python-wheels/$wheel" >>"$RSC_LOGS/images-debootstrap.log" 2>&1 || die "installing pip in the base failed"
  ln -sf /usr/bin/python3.11 "$dir/usr/local/bin/python3.11"
  ln -sf python3.11 "$dir/usr/local/bin/python3"
  ln -sf python3.11 "$dir/usr/local/bin/python"
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/debootstrap
  tar -C "$dir" -cf "$ROOTFS_CACHE" .
}

cmd_base() {
  need
  if has_image "$BASE_IMAGE"; then log "base image $BASE_IMAGE present"; return 0; fi
  local tmp ctr
  tmp="$(mktemp -d)"
  trap "rm -rf '$tmp'" EXIT
  make_rootfs "$tmp/rootfs"
  cp /etc/ssl/certs/ca-certificates.crt "$tmp/rootfs/etc/ssl/certs/ca-certificates.crt"
  ctr="$(bah from --quiet scratch)"
  bah copy --quiet "$ctr" "$tmp/rootfs" / >/dev/null
  bah config --env PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin --env LANG=C.UTF-8 \
      --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt --env PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
      --cmd python3 "$ctr"
  bah commit --quiet --rm "$ctr" "$BASE_IMAGE" >/dev/null
  log "base image $BASE_IMAGE built"
}

cmd_build() {
  need
  cmd_base
  local s t0
  for s in "${@:-${ALL[@]}}"; do
    [[ -f $RSC_ROOT/services/$s/Dockerfile ]] || die "no services/$s/Dockerfile"
    t0=$SECONDS
    bah bud --quiet --layers --build-arg "PYTHON_IMAGE=$BASE_IMAGE" -f "$RSC_ROOT/services/$s/Dockerfile" \
        -t "$(image_of "$s")" "$RSC_ROOT" >"$RSC_LOGS/images-$s.log" 2>&1 \
      || { tail -n 30 "$RSC_LOGS/images-$s.log" >&2; die "building the $s image failed; see $RSC_LOGS/images-$s.log"; }
    log "$(image_of "$s") built in $((SECONDS - t0)) s"
  done
}

cmd_run() { # IMAGE [--env K=V ...] -- CMD...
  need
  local image=${1:?usage: images.sh run IMAGE [--env K=V ...] -- CMD...}; shift
  local -a opts=()
  while [[ $# -gt 0 && $1 != -- ]]; do opts+=("$1"); shift; done
  [[ ${1:-} == -- ]] && shift
  local ctr rc=0
  ctr="$(bah from --quiet --pull=never "$image")"
  bah run "${opts[@]}" "$ctr" -- "$@" || rc=$?
  bah rm "$ctr" >/dev/null
  return $rc
}

cmd_inspect() { bah inspect --type image "${1:?usage: images.sh inspect IMAGE}"; }
cmd_push() { bah push --quiet "$(image_of "${1:?usage: images.sh push SVC DEST}")" "${2:?usage: images.sh push SVC DEST}"; }
cmd_clean() { bah rm --all >/dev/null 2>&1 || true; rm -rf "$STORE"; log "image storage removed ($STORE)"; }

case "${1:-}" in
  base|build|run|inspect|push|clean) c=$1; shift; "cmd_$c" "$@" ;;
  *) die "usage: $0 {base|build [SVC...]|run IMAGE [--env K=V ...] -- CMD...|inspect IMAGE|push SVC DEST|clean}" ;;
esac
