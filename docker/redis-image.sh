#!/usr/bin/env bash
# Builds the Redis image the trackers' store runs on in docker-compose.yml and the end-to-end
# suite, locally, for machines that reach no container registry: a minimal Debian bookworm with
# Debian's redis-server (debootstrap), imported with `docker import`, run as the package's redis
# user with its data in the volume /data. Does nothing when the image exists already. Needs root
# and a Docker engine. (k8s/ uses the public redis:7.0 instead, which the nodes pull.)
#
# Usage: docker/redis-image.sh [IMAGE]   (default: $REDIS_IMAGE or minibit/redis:latest)
# DEBIAN_MIRROR picks the mirror (default: the first one apt on this machine uses).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=debian-rootfs.sh
source "$(dirname "$(readlink -f "$0")")/debian-rootfs.sh"

IMAGE="${1:-${REDIS_IMAGE:-minibit/redis:latest}}"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "redis image $IMAGE exists; not rebuilt (docker rmi $IMAGE to force)"
  exit 0
fi

ROOTFS="$(mktemp -d /var/tmp/minibit-rootfs.XXXXXX)"
trap 'rm -rf "$ROOTFS"' EXIT

start=$SECONDS
debian_rootfs "$ROOTFS" redis-server
# Its data directory, owned by the user it runs as: a named volume mounted there starts as a
# copy of it, owner included.
chroot "$ROOTFS" install -d -o redis -g redis -m 0750 /data
version="$(chroot "$ROOTFS" redis-server --version | sed -n 's/.* v=\([0-9.]*\) .*/\1/p')"
[ -n "$version" ] || { echo "redis-image: redis-server --version said nothing usable" >&2; exit 1; }

# Protected mode off: without a config file Redis answers only loopback clients, and the
# trackers are in other containers. Keep it on a network of its own (compose's, a host's).
repo="${IMAGE%:*}"
tar -C "$ROOTFS" --numeric-owner -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'USER redis' \
  --change 'WORKDIR /data' \
  --change 'VOLUME /data' \
  --change 'EXPOSE 6379' \
  --change 'CMD ["redis-server", "--protected-mode", "no", "--dir", "/data"]' \
  - "$IMAGE" >/dev/null
docker tag "$IMAGE" "$repo:$version"
echo "redis image $IMAGE ($repo:$version, Debian's redis-server) built in $((SECONDS - start)) s" \
  "($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
