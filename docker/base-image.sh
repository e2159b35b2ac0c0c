#!/usr/bin/env bash
# Builds the JRE base image of the MiniBit images locally, for machines that reach no container
# registry: a minimal Debian bookworm with openjdk-17-jre-headless (debootstrap), imported with
# `docker import`. Does nothing when the image exists already. Needs root and a Docker engine.
#
# Usage: docker/base-image.sh [IMAGE]   (default: $MINIBIT_BASE_IMAGE or minibit/jre-base:17)
# DEBIAN_MIRROR picks the mirror (default: the first one apt on this machine uses).
set -euo pipefail

IMAGE="${1:-${MINIBIT_BASE_IMAGE:-minibit/jre-base:17}}"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base image $IMAGE exists; not rebuilt (docker rmi $IMAGE to force)"
  exit 0
fi

# The mirror apt already reaches here, so the build needs no network this machine lacks.
apt_mirror() {
  local uri
  uri="$(grep -hoE '^(URIs:|deb) +https?://[^ ]+' /etc/apt/sources.list.d/*.sources \
    /etc/apt/sources.list 2>/dev/null | grep -v security | awk '{ print $2; exit }' || true)"
  echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR="${DEBIAN_MIRROR:-$(apt_mirror)}"

command -v debootstrap >/dev/null || apt-get install -y -q debootstrap >/dev/null

ROOTFS="$(mktemp -d /var/tmp/minibit-rootfs.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT

echo "building base image $IMAGE: debootstrap bookworm + openjdk-17-jre-headless from $MIRROR"
start=$SECONDS
debootstrap --variant=minbase --include=openjdk-17-jre-headless bookworm "$ROOTFS" "$MIRROR" \
  >"$ROOTFS.log" 2>&1 || { tail -n 30 "$ROOTFS.log" >&2; rm -f "$ROOTFS.log"; exit 1; }
rm -f "$ROOTFS.log"
# What a runtime image does not need: package lists and caches, documentation, manual pages.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
  "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/locale/*

java_home="$(dirname "$(dirname "$(readlink -f "$ROOTFS/usr/bin/java")")")"
java_home="${java_home#"$ROOTFS"}"
tar -C "$ROOTFS" --numeric-owner -c . | docker import \
  --change "ENV JAVA_HOME=$java_home" \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  - "$IMAGE" >/dev/null
echo "base image $IMAGE built in $((SECONDS - start)) s ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
