#!/usr/bin/env bash
# deploy/images/build-all.sh: builds the image of every app and of rtpengine (or of
# those named) with buildah, without any registry:
# - ci-connector/<app>:<version> (version = the root package.json's) on the local node
#   base image (build-base.sh), from the context build-context.mjs writes out of the
#   app's build (dist/<app>);
# - the third-party images of images.json (rtpengine): ci-connector/rtpengine:<upstream
#   version of the Debian package> from deploy/images/rtpengine/ on the local Debian
#   base (build-debian-base.sh; its RUN installs the package from Debian's mirror).
#
#   bash deploy/images/build-all.sh [options] [<app>|rtpengine ...]
#
# Options:
#   --base <image>         build the apps on this base instead of the local one, e.g. the
#                          Dockerfiles' default node:24-bookworm-slim (a registry is needed)
#   --debian-base <image>  the same for rtpengine, e.g. its default debian:bookworm-slim
#   --skip-app-build       do not run `nx run-many -t build` first (the apps are built already)
#   --force                build even the images whose inputs did not change
#
# An image is reused when the one in local storage carries the digest of its inputs
# (the context, the Dockerfile, the base image's id, the version and revision) in its
# label io.ci-connector.image.inputs. Installs buildah, podman, runc and debootstrap
# from Debian when missing. Prints, per image, built or reused, the seconds and its size.
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

INPUTS_LABEL=io.ci-connector.image.inputs

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

all_apps() {
  node -e 'console.log(Object.keys(require(process.argv[1]).apps).join("\n"))' "$IMAGES_DIR/images.json"
}

all_third_party() {
  node -e 'console.log(Object.keys(require(process.argv[1]).thirdParty).join("\n"))' "$IMAGES_DIR/images.json"
}

# A field of a third-party image's entry in images.json.
third_party_field() { # name field
  node -e 'const v = require(process.argv[1]).thirdParty[process.argv[2]][process.argv[3]]; if (typeof v !== "string") process.exit(1); console.log(v)' \
    "$IMAGES_DIR/images.json" "$1" "$2"
}

# The commit the images are built from (OCI revision label), "-dirty" when the tree differs.
revision() {
  local rev
  rev="$(git -C "$REPO_ROOT" rev-parse HEAD 2>/dev/null)" || {
    echo unknown
    return 0
  }
  if [[ -n "$(git -C "$REPO_ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]]; then rev="$rev-dirty"; fi
  printf '%s' "$rev"
}

# The commit a folder was last changed in, "-dirty" when it differs from it (untracked
# files too: they are in the image). HEAD when it was never committed.
context_revision() { # dir
  local rev
  rev="$(git -C "$REPO_ROOT" log -1 --format=%H -- "$1" 2>/dev/null)" || rev=
  [[ -n "$rev" ]] || rev="$(git -C "$REPO_ROOT" rev-parse HEAD 2>/dev/null)" || {
    echo unknown
    return 0
  }
  if [[ -n "$(git -C "$REPO_ROOT" status --porcelain --untracked-files=all -- "$1" 2>/dev/null)" ]]; then rev="$rev-dirty"; fi
  printf '%s' "$rev"
}

image_size_mb() { podman image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.0f", $1 / 1e6 }'; }

build_one() { # app base version revision
  local app=$1 base=$2 version=$3 rev=$4 t0 image ctx dockerfile inputs old_id new_id logf pull=()
  t0=$(now_ms)
  image="localhost/ci-connector/$app:$version"
  ctx="$IMAGES_WORK/$app"
  dockerfile="$REPO_ROOT/apps/$app/Dockerfile"
  [[ -f "$dockerfile" ]] || die "$app has no Dockerfile (apps/$app/Dockerfile)"
  inputs="$({
    cat "$ctx.digest"
    sha256sum "$dockerfile" | cut -d' ' -f1
    podman image inspect --format '{{.Id}}' "$base"
    printf '%s %s\n' "$version" "$rev"
  } | sha256sum | cut -d' ' -f1)"
  if image_current "$image" "$INPUTS_LABEL" "$inputs"; then
    RESULTS+=("$(printf '%-22s %-7s %6s s %5s MB' "$app" reused "$(since "$t0")" "$(image_size_mb "$image")")")
    return 0
  fi
  old_id="$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
  # A base in local storage (localhost/...) is never looked up in a registry.
  [[ "$base" != localhost/* ]] || pull=(--pull=never)
  logf="$IMAGES_WORK/$app.build.log"
  if ! buildah bud --isolation chroot --format docker --layers=false "${pull[@]}" \
    --build-arg "BASE_IMAGE=$base" --build-arg "VERSION=$version" --build-arg "REVISION=$rev" \
    --label "$INPUTS_LABEL=$inputs" \
    -t "ci-connector/$app:$version" -f "$dockerfile" "$ctx" >"$logf" 2>&1; then
    tail -n 30 "$logf" | sed 's/^/    /' >&2
    die "buildah could not build $image (log: $logf)"
  fi
  new_id="$(podman image inspect --format '{{.Id}}' "$image")"
  # The image this one replaces, once untagged, is only litter.
  if [[ -n "$old_id" && "$old_id" != "$new_id" ]] && [[ -z "$(podman image inspect --format '{{join .RepoTags ","}}' "$old_id" 2>/dev/null)" ]]; then
    podman rmi "$old_id" >/dev/null 2>&1 || true
  fi
  RESULTS+=("$(printf '%-22s %-7s %6s s %5s MB' "$app" built "$(since "$t0")" "$(image_size_mb "$image")")")
}

# A third-party image (images.json "thirdParty"): its folder is the context, the
# Dockerfile's ARG <versionArg> default the Debian package version it pins.
build_third_party() { # name base
  local name=$1 base=$2 t0 ctx dockerfile version_arg pkg_version tag image rev inputs old_id new_id logf pull=()
  t0=$(now_ms)
  ctx="$REPO_ROOT/$(third_party_field "$name" context)" || die "images.json: thirdParty.$name has no context"
  version_arg="$(third_party_field "$name" versionArg)" || die "images.json: thirdParty.$name has no versionArg"
  dockerfile="$ctx/Dockerfile"
  [[ -f "$dockerfile" ]] || die "$name has no Dockerfile ($dockerfile)"
  pkg_version="$(sed -n "s/^ARG $version_arg=\(.*\)$/\1/p" "$dockerfile" | head -n1)"
  [[ -n "$pkg_version" ]] || die "$dockerfile has no \"ARG $version_arg=<Debian package version>\""
  tag="${pkg_version%%-*}"
  image="localhost/ci-connector/$name:$tag"
  rev="$(context_revision "$ctx")"
  inputs="$({
    (cd "$ctx" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    podman image inspect --format '{{.Id}}' "$base"
    printf '%s %s\n' "$pkg_version" "$rev"
  } | sha256sum | cut -d' ' -f1)"
  if image_current "$image" "$INPUTS_LABEL" "$inputs"; then
    RESULTS+=("$(printf '%-22s %-7s %6s s %5s MB' "$name" reused "$(since "$t0")" "$(image_size_mb "$image")")")
    return 0
  fi
  old_id="$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
  [[ "$base" != localhost/* ]] || pull=(--pull=never)
  logf="$IMAGES_WORK/$name.build.log"
  # Its RUN installs from Debian's mirror: chroot isolation shares the host's network
  # and gives the build the host's resolv.conf.
  if ! buildah bud --isolation chroot --format docker --layers=false "${pull[@]}" \
    --build-arg "BASE_IMAGE=$base" --build-arg "REVISION=$rev" \
    --label "$INPUTS_LABEL=$inputs" \
    -t "ci-connector/$name:$tag" -f "$dockerfile" "$ctx" >"$logf" 2>&1; then
    tail -n 30 "$logf" | sed 's/^/    /' >&2
    die "buildah could not build $image (log: $logf)"
  fi
  new_id="$(podman image inspect --format '{{.Id}}' "$image")"
  if [[ -n "$old_id" && "$old_id" != "$new_id" ]] && [[ -z "$(podman image inspect --format '{{join .RepoTags ","}}' "$old_id" 2>/dev/null)" ]]; then
    podman rmi "$old_id" >/dev/null 2>&1 || true
  fi
  RESULTS+=("$(printf '%-22s %-7s %6s s %5s MB' "$name" built "$(since "$t0")" "$(image_size_mb "$image")")")
}


build_apps() { # base skip_build app...
  local base=$1 skip_build=$2 version rev t0 app
  shift 2
  local apps=("$@")
  version="$(repo_version)"
  [[ -n "$version" ]] || die "no version in $REPO_ROOT/package.json"
  rev="$(revision)"

  if [[ -z "$base" ]]; then
    bash "$IMAGES_DIR/build-base.sh"
    base=$BASE_IMAGE
  elif ! image_exists "$base"; then
    t0=$(now_ms)
    log "pulling the base $base"
    podman pull --quiet "$base" >/dev/null || die "cannot pull $base (no registry reachable? leave --base out to build on the local base)"
    log "pulled $base in $(since "$t0") s"
  fi

  if [[ -z "$skip_build" ]]; then
    t0=$(now_ms)
    (cd "$REPO_ROOT" && nx run-many -t build -p "$(
      IFS=,
      echo "${apps[*]}"
    )" --outputStyle=static >"$IMAGES_WORK/nx-build.log" 2>&1) ||
      {
        tail -n 30 "$IMAGES_WORK/nx-build.log" >&2
        die "nx could not build the apps (log: $IMAGES_WORK/nx-build.log)"
      }
    log "apps built in $(since "$t0") s (nx, cached when unchanged)"
  fi

  # One build at a time writes the contexts and the images.
  exec 6>"$IMAGES_WORK/.build.lock"
  flock -w 900 6 || die "another build holds $IMAGES_WORK/.build.lock"
  t0=$(now_ms)
  node "$IMAGES_DIR/build-context.mjs" "${apps[@]}" | sed 's/^build-context: /images: context: /' >&2
  log "contexts written in $(since "$t0") s"

  for app in "${apps[@]}"; do build_one "$app" "$base" "$version" "$rev"; done
  exec 6>&-
  log "app images on the base $base"
}

build_others() { # debian_base name...
  local base=$1 t0 name
  shift
  if [[ -z "$base" ]]; then
    bash "$IMAGES_DIR/build-debian-base.sh"
    base=$DEBIAN_BASE_IMAGE
  elif ! image_exists "$base"; then
    t0=$(now_ms)
    log "pulling the base $base"
    podman pull --quiet "$base" >/dev/null || die "cannot pull $base (no registry reachable? leave --debian-base out to build on the local base)"
    log "pulled $base in $(since "$t0") s"
  fi
  exec 6>"$IMAGES_WORK/.build.lock"
  flock -w 900 6 || die "another build holds $IMAGES_WORK/.build.lock"
  for name in "$@"; do build_third_party "$name" "$base"; done
  exec 6>&-
  log "third-party images on the base $base"
}

main() {
  local base='' debian_base='' skip_build='' names=() apps=() others=() t_all name
  force=
  while (($#)); do
    case "$1" in
      --base)
        base=${2:?--base needs an image}
        shift
        ;;
      --debian-base)
        debian_base=${2:?--debian-base needs an image}
        shift
        ;;
      --skip-app-build) skip_build=1 ;;
      --force) force=1 ;;
      -h | --help)
        usage
        exit 0
        ;;
      -*) die "unknown option: $1 (see --help)" 2 ;;
      *) names+=("$1") ;;
    esac
    shift
  done
  t_all=$(now_ms)
  mkdir -p "$IMAGES_WORK"
  ensure_tools
  ensure_node
  local known_apps known_others
  known_apps="$(all_apps)"
  known_others="$(all_third_party)"
  if ((${#names[@]} == 0)); then
    mapfile -t apps <<<"$known_apps"
    mapfile -t others <<<"$known_others"
  fi
  for name in "${names[@]}"; do
    if grep -qx -- "$name" <<<"$known_apps"; then
      apps+=("$name")
    elif grep -qx -- "$name" <<<"$known_others"; then
      others+=("$name")
    else
      die "no image for \"$name\": deploy/images/images.json lists $(paste -sd' ' <<<"$known_apps"$'\n'"$known_others")" 2
    fi
  done
  RESULTS=()
  ((${#apps[@]} == 0)) || build_apps "$base" "$skip_build" "${apps[@]}"
  ((${#others[@]} == 0)) || build_others "$debian_base" "${others[@]}"
  log "built or reused:"
  printf 'images:   %s\n' "${RESULTS[@]}" >&2
  log "done in $(since "$t_all") s"
}

main "$@"
