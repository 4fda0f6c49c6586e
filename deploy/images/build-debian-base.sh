#!/usr/bin/env bash
# deploy/images/build-debian-base.sh: builds the local Debian base image
# localhost/ci-connector/debian-base:bookworm WITHOUT any registry, for the third-party
# images (rtpengine/Dockerfile, build argument BASE_IMAGE) whose default base is the
# official debian:bookworm-slim.
#
# debootstrap --variant=minbase bookworm from Debian's mirror (essential packages and
# apt), trimmed as the official slim image is (no manuals, documentation but the
# copyright files, or translations; dpkg keeps them out of later installs too), with
# the official image's apt sources (bookworm, bookworm-updates, bookworm-security),
# upgraded from them (security fixes since the point release), so that a Dockerfile's
# `apt-get install` gets security updates too.
#
# Cached: the image carries a label with the digest of its inputs (this script, the
# suite, the mirrors, debootstrap's version); when the image in local storage has that
# label, nothing is done. The packages are the mirror's of the day it was built:
# --force builds it again (e.g. for a security update of a base package).
#
#   bash deploy/images/build-debian-base.sh [--force]
set -euo pipefail
shopt -s inherit_errexit
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

parse_force_option "$@"

INPUTS_LABEL=io.ci-connector.base.inputs
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
SECURITY_MIRROR=http://deb.debian.org/debian-security
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

inputs_digest() {
  {
    sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1
    printf '%s %s %s\n' "$SUITE" "$MIRROR" "$SECURITY_MIRROR"
    dpkg-query -W -f '${Package} ${Version}\n' debootstrap
  } | sha256sum | cut -d' ' -f1
}

# What the slim image leaves out, for the packages installed later as well.
slim_dpkg_config() {
  cat <<'EOF'
# ci-connector debian-base: no manuals, documentation (but the copyright files) or
# translations in the image, as in the official slim images.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
}

make_rootfs() { # rootfs log
  local r=$1 logf=$2
  rm -rf "$r"
  if ! debootstrap --variant=minbase --keyring="$KEYRING" "$SUITE" "$r" "$MIRROR" >"$logf" 2>&1; then
    tail -n 20 "$logf" | sed 's/^/    /' >&2
    die "debootstrap could not make a $SUITE root file system from $MIRROR (log: $logf)"
  fi

  slim_dpkg_config >"$r/etc/dpkg/dpkg.cfg.d/ci-connector-slim"
  find "$r/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$r"/usr/share/{man,groff,info,lintian}/*
  find "$r/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +

  # The official image's sources: updates and security fixes too.
  rm -f "$r/etc/apt/sources.list"
  cat >"$r/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: $KEYRING

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: $KEYRING
EOF

  # debootstrap takes the suite only: the updates and security fixes since its point
  # release come from the other two (the official image has them too). In a mount
  # namespace of its own, so /proc is unmounted whatever happens.
  cp /etc/resolv.conf "$r/etc/resolv.conf"
  # shellcheck disable=SC2016 # $1 is the inner shell's
  if ! unshare --mount --propagation private -- sh -c 'mount -t proc proc "$1/proc" && exec chroot "$1" sh -c "
      apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get upgrade -y -q && apt-get clean"' sh "$r" >>"$logf" 2>&1; then
    tail -n 20 "$logf" | sed 's/^/    /' >&2
    die "apt-get upgrade in the $SUITE root file system failed (log: $logf)"
  fi

  # Left by debootstrap, or the host's: the package lists and archives, logs, the
  # host's name and resolver (the build and run tools provide their own), devices.
  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb \
    "$r"/var/cache/debconf/*-old "$r"/var/lib/dpkg/*-old "$r"/var/log/*.log "$r"/var/log/apt/* \
    "$r"/debootstrap "$r"/tmp/* "$r"/var/tmp/*
  : >"$r/etc/resolv.conf"
  : >"$r/etc/hostname"
  find "$r/dev" -mindepth 1 -delete
  : >"$r/etc/machine-id"
}

main() {
  local t0 digest rootfs debian_version old_id
  t0=$(now_ms)
  ensure_tools
  digest="$(inputs_digest)"
  if image_current "$DEBIAN_BASE_IMAGE" "$INPUTS_LABEL" "$digest"; then
    log "debian base: $DEBIAN_BASE_IMAGE is up to date (inputs ${digest:0:12})"
    return 0
  fi
  ((EUID == 0)) || die "debootstrap needs root: run build-debian-base.sh as root"
  mkdir -p "$IMAGES_WORK"
  exec 7>"$IMAGES_WORK/.debian-base.lock"
  flock -w 600 7 || die "another build holds $IMAGES_WORK/.debian-base.lock"
  rootfs="$IMAGES_WORK/debian-rootfs"
  log "debian base: building $DEBIAN_BASE_IMAGE (debootstrap --variant=minbase $SUITE, inputs ${digest:0:12})"
  make_rootfs "$rootfs" "$IMAGES_WORK/debootstrap.log"
  debian_version="$(cat "$rootfs/etc/debian_version")"
  old_id="$(podman image inspect --format '{{.Id}}' "$DEBIAN_BASE_IMAGE" 2>/dev/null || true)"
  # podman import keeps the owners and modes of the files (shadow group, setuid bits)
  # that a copy into a scratch container would reset.
  if ! tar --numeric-owner --xattrs -C "$rootfs" -cf - . | podman import --quiet \
    --message "debootstrap --variant=minbase $SUITE ($debian_version), ci-connector build-debian-base.sh" \
    --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL $INPUTS_LABEL=$digest" \
    --change "LABEL org.opencontainers.image.title=ci-connector-debian-base" \
    --change "LABEL org.opencontainers.image.description=\"Debian $SUITE minbase (debootstrap), slim, built without a registry\"" \
    --change "LABEL org.opencontainers.image.version=$debian_version" \
    - "$DEBIAN_BASE_IMAGE" >/dev/null; then
    die "podman could not import the root file system $rootfs as $DEBIAN_BASE_IMAGE"
  fi
  rm -rf "$rootfs"
  # The image this one replaces, once untagged and unused, is only litter.
  if [[ -n "$old_id" ]] && [[ -z "$(podman image inspect --format '{{join .RepoTags ","}}' "$old_id" 2>/dev/null)" ]]; then
    podman rmi "$old_id" >/dev/null 2>&1 || true
  fi
  log "debian base: built $DEBIAN_BASE_IMAGE (Debian $debian_version) in $(since "$t0") s, $(podman image inspect --format '{{.Size}}' "$DEBIAN_BASE_IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
}

main "$@"
