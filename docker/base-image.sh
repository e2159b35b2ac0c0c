#!/usr/bin/env bash
# Builds the JRE base image of the MiniBit images locally, for machines that reach no container
# registry: a minimal Debian bookworm with openjdk-17-jre-headless (debootstrap), imported with
# `docker import`. Does nothing when the image exists already. Needs root and a Docker engine.
#
# Usage: docker/base-image.sh [IMAGE]   (default: $MINIBIT_BASE_IMAGE or minibit/jre-base:17)
# DEBIAN_MIRROR picks the mirror (default: the first one apt on this machine uses).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=debian-rootfs.sh
source "$(dirname "$(readlink -f "$0")")/debian-rootfs.sh"

IMAGE="${1:-${MINIBIT_BASE_IMAGE:-minibit/jre-base:17}}"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base image $IMAGE exists; not rebuilt (docker rmi $IMAGE to force)"
  exit 0
fi

ROOTFS="$(mktemp -d /var/tmp/minibit-rootfs.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT

echo "building base image $IMAGE"
start=$SECONDS
debian_rootfs "$ROOTFS" openjdk-17-jre-headless

java_home="$(dirname "$(dirname "$(readlink -f "$ROOTFS/usr/bin/java")")")"
java_home="${java_home#"$ROOTFS"}"
tar -C "$ROOTFS" --numeric-owner -c . | docker import \
  --change "ENV JAVA_HOME=$java_home" \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  - "$IMAGE" >/dev/null
echo "base image $IMAGE built in $((SECONDS - start)) s ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
