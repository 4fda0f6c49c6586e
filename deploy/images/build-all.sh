#!/usr/bin/env bash
# deploy/images/build-all.sh: builds the image of every app (or of those named) with
# buildah, without any registry: ci-connector/<app>:<version> (version = the root
# package.json's) on the local base image (build-base.sh), from the context
# build-context.mjs writes out of the app's build (dist/<app>).
#
#   bash deploy/images/build-all.sh [options] [<app>...]
#
# Options:
#   --base <image>    build on this base instead of the local one, e.g. the default of
#                     the Dockerfiles, node:24-bookworm-slim (then a registry is needed)
#   --skip-app-build  do not run `nx run-many -t build` first (the apps are built already)
#   --force           build even the images whose inputs did not change
#
# An image is reused when the one in local storage carries the digest of its inputs
# (the context, the Dockerfile, the base image's id, the version and revision) in its
# label io.ci-connector.image.inputs. Installs buildah, podman and runc from Debian
# when missing. Prints, per image, built or reused, the seconds and its size.
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

INPUTS_LABEL=io.ci-connector.image.inputs

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

all_apps() {
  node -e 'console.log(Object.keys(require(process.argv[1]).apps).join("\n"))' "$IMAGES_DIR/images.json"
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
  if [[ -z "$force" ]] && image_exists "$image" && [[ "$(image_label "$image" "$INPUTS_LABEL")" == "$inputs" ]]; then
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

main() {
  local base='' skip_build='' apps=() t_all t0 version rev app
  force=
  while (($#)); do
    case "$1" in
      --base)
        base=${2:?--base needs an image}
        shift
        ;;
      --skip-app-build) skip_build=1 ;;
      --force) force=1 ;;
      -h | --help)
        usage
        exit 0
        ;;
      -*) die "unknown option: $1 (see --help)" 2 ;;
      *) apps+=("$1") ;;
    esac
    shift
  done
  t_all=$(now_ms)
  mkdir -p "$IMAGES_WORK"
  ensure_tools
  ensure_node
  local known
  known="$(all_apps)"
  ((${#apps[@]})) || mapfile -t apps <<<"$known"
  for app in "${apps[@]}"; do
    grep -qx -- "$app" <<<"$known" || die "no image for \"$app\": deploy/images/images.json lists $(paste -sd' ' <<<"$known")" 2
  done
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

  RESULTS=()
  for app in "${apps[@]}"; do build_one "$app" "$base" "$version" "$rev"; done
  log "images (base $base):"
  printf 'images:   %s\n' "${RESULTS[@]}" >&2
  log "done in $(since "$t_all") s"
}

main "$@"
