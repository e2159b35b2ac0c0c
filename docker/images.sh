#!/usr/bin/env bash
# Builds the tracker and peer images from the runnable jars (`make build` first; `make images`
# does both). The JRE base is $JRE_IMAGE when set (e.g. eclipse-temurin:17-jre, from a registry);
# otherwise one built on this machine by docker/base-image.sh, since no registry may be reachable.
# Then the Redis the trackers share in docker-compose.yml and the end-to-end suite, Debian's
# redis-server (docker/redis-image.sh; skipped when it exists).
#
# Environment: JRE_IMAGE, BASE_IMAGE (the local base's name), TRACKER_IMAGE, PEER_IMAGE,
# REDIS_IMAGE.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

TRACKER_IMAGE="${TRACKER_IMAGE:-minibit/tracker:latest}"
PEER_IMAGE="${PEER_IMAGE:-minibit/peer:latest}"
REDIS_IMAGE="${REDIS_IMAGE:-minibit/redis:latest}"
# Each image is also tagged with the project's version and the commit it was built from (with
# "-dirty" when the tree had changes), and carries both as OCI labels.
VERSION="$(sed -n 's/^version=//p' core/target/classes/io/minibit/core/version.properties \
  2>/dev/null)"
VERSION="${VERSION:-dev}"
REVISION="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
if [ "$REVISION" != unknown ] && [ -n "$(git status --porcelain 2>/dev/null)" ]; then
  REVISION="$REVISION-dirty"
fi

for jar in tracker-svc/target/minibit-tracker.jar peer-svc/target/minibit-peer.jar \
  cli/target/minibit.jar; do
  [ -f "$jar" ] || { echo "images: $jar is missing; run 'make build' first" >&2; exit 1; }
done

docker/engine.sh
if [ -z "${JRE_IMAGE:-}" ]; then
  JRE_IMAGE="${BASE_IMAGE:-minibit/jre-base:17}"
  docker/base-image.sh "$JRE_IMAGE"
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
build() {
  local image="$1" dockerfile="$2" start=$SECONDS
  # The classic builder: Debian's engine has no BuildKit plugin, and these files need none.
  # Its deprecation notice is noise on success; on failure the whole output is shown.
  local repo="${image%:*}"
  if ! DOCKER_BUILDKIT=0 docker build --build-arg "JRE_IMAGE=$JRE_IMAGE" \
    --build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION" -f "$dockerfile" \
    -t "$image" -t "$repo:$VERSION" -t "$repo:$REVISION" . >"$log" 2>&1; then
    cat "$log" >&2
    echo "images: building $image failed" >&2
    exit 1
  fi
  echo "built $image ($repo:$VERSION, $repo:$REVISION) on $JRE_IMAGE in $((SECONDS - start)) s"
}
build "$TRACKER_IMAGE" docker/tracker.Dockerfile
build "$PEER_IMAGE" docker/peer.Dockerfile
docker/redis-image.sh "$REDIS_IMAGE"
