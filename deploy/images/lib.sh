# shellcheck shell=bash source-path=SCRIPTDIR
# deploy/images/lib.sh: sourced by build-base.sh and build-all.sh. Paths, logging,
# and the one-time install of the container tools from Debian (no Docker engine,
# no registry: buildah builds, podman runs with runc; see ../shared/LOCAL-INFRA.md).

IMAGES_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$IMAGES_DIR/../.." && pwd -P)"
WORK="${CI_CONNECTOR_WORK:-$REPO_ROOT/.local}"
[[ "$WORK" == /* ]] || WORK="$PWD/$WORK"
IMAGES_WORK="$WORK/images"

# podman's default runtime (crun) fails on these machines: runc, with capped ulimits.
export CONTAINERS_CONF="${CONTAINERS_CONF:-$IMAGES_DIR/containers.conf}"

# shellcheck disable=SC2034 # used by the scripts that source this file
BASE_IMAGE="localhost/ci-connector/node-base:24"
# The local Debian base of the third-party images (rtpengine): build-debian-base.sh.
# shellcheck disable=SC2034
DEBIAN_BASE_IMAGE="localhost/ci-connector/debian-base:bookworm"
# What the images need from Debian: the build and run tools, what the local node
# base image is made of (tini, busybox for RUN steps, the CA bundle), and debootstrap
# for the Debian base.
IMAGE_APT_PACKAGES=(buildah podman runc tini busybox-static ca-certificates debootstrap debian-archive-keyring)

log() { printf 'images: %s\n' "$*" >&2; }
die() {
  printf 'images: error: %s\n' "$1" >&2
  exit "${2:-1}"
}
now_ms() { date +%s%3N; }
# seconds since a now_ms timestamp, one decimal
since() {
  local d=$(($(now_ms) - $1))
  printf '%d.%d' $((d / 1000)) $((d % 1000 / 100))
}

as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "installing packages needs root (or sudo): $*"
  fi
}

pkg_installed() {
  local out
  out="$(dpkg -s "$1" 2>/dev/null)" || return 1
  grep -q '^Status: install ok installed' <<<"$out"
}

# Installs the missing Debian packages once; a lock keeps parallel callers apart.
ensure_tools() {
  local missing=() p t0
  for p in "${IMAGE_APT_PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  mkdir -p "$IMAGES_WORK"
  exec 8>"$IMAGES_WORK/.apt.lock"
  flock -w 600 8 || die "another build holds $IMAGES_WORK/.apt.lock"
  missing=()
  for p in "${IMAGE_APT_PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
  if ((${#missing[@]})); then
    t0=$(now_ms)
    log "install: apt packages missing: ${missing[*]}"
    local rc=0
    as_root apt-get update -q >/dev/null || rc=$?
    if ((rc == 0)); then
      # podman pulls in no service here (no systemd), and --no-install-recommends keeps it small
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
    fi
    ((rc == 0)) || die "apt-get failed (exit $rc) installing: ${missing[*]}"
    log "install: done in $(since "$t0") s"
  fi
  exec 8>&-
}

# The workspace's Node 24 (scripts/node-env.sh) on PATH, quietly.
ensure_node() {
  # shellcheck source=../../scripts/node-env.sh
  source "$REPO_ROOT/scripts/node-env.sh" >/dev/null || die "could not bring in Node 24 (scripts/node-env.sh)"
  # shellcheck disable=SC2034,SC2154 # node-env.sh sets npm_config_nodedir; build-base.sh reads NODE_DIR
  NODE_DIR="$npm_config_nodedir"
}

# The release version every image is tagged with: the root package.json's.
repo_version() {
  sed -n 's/^  "version": "\([^"]*\)",$/\1/p' "$REPO_ROOT/package.json" | head -n1
}

image_exists() { podman image exists "$1" 2>/dev/null; }

image_label() { # image label
  podman image inspect --format "{{ index .Labels \"$2\" }}" "$1" 2>/dev/null || true
}

# image_current <image> <label> <digest>: the image exists, was built from these inputs
# (its <label> holds <digest>), and no --force asked for a rebuild ($force empty).
image_current() {
  [[ -z "${force:-}" ]] && image_exists "$1" && [[ "$(image_label "$1" "$2")" == "$3" ]]
}

# The base scripts' only option: --force (or --help: the script's header comment).
parse_force_option() { # "$@" of the script; sets force
  force=
  case "${1:-}" in
    "") ;;
    --force) force=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown option: $1 (only --force)" 2 ;;
  esac
}
