# The MiniBit peer image: the peer daemon, and the `minibit` CLI beside it, so that
# `docker exec <container> minibit get NAME` asks this container's daemon. Built from the
# repository root after `make build` (`make images` does both):
#   docker build -f docker/peer.Dockerfile -t minibit/peer .
# JRE_IMAGE is any image with a Java 17+ runtime on the PATH, bash and useradd; `make images`
# passes one built locally (docker/base-image.sh) when no registry is reachable.
ARG JRE_IMAGE=eclipse-temurin:17-jre

# The class-data archives of the daemon and of the CLI, made on the image's own JRE: the CLI's
# by commands to a daemon and a tracker (scripts/cli-cds.sh), the daemon's by a small swarm on
# loopback in which it downloads and uploads (scripts/daemon-cds.sh), whose trackers stay in this
# stage.
# The jars lie where the image has them: an archive records its jar's path, size and time.
FROM ${JRE_IMAGE} AS training
COPY tracker-svc/target/minibit-tracker.jar peer-svc/target/minibit-peer.jar \
     cli/target/minibit.jar /opt/minibit/lib/
COPY scripts/cli-cds.sh scripts/daemon-cds.sh /opt/minibit/bin/
RUN /opt/minibit/bin/cli-cds.sh /opt/minibit/lib/minibit.jar /opt/minibit/lib/minibit-peer.jar \
      /opt/minibit/lib/minibit-tracker.jar \
 && /opt/minibit/bin/daemon-cds.sh /opt/minibit/lib/minibit-tracker.jar \
      /opt/minibit/lib/minibit-peer.jar /opt/minibit/lib/minibit.jar \
 && test -s /opt/minibit/lib/minibit.jsa \
 && test -s /opt/minibit/lib/minibit-peer.jsa

FROM ${JRE_IMAGE}
# Set by docker/images.sh: the project's version and the commit the jars were built from.
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="minibit-peer" \
      org.opencontainers.image.description="MiniBit peer: peer-to-peer file distribution over gRPC" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"

# A fixed, non-root uid, so a host directory mounted as the data volume can be chown'ed to it.
RUN groupadd --system --gid 10001 minibit \
 && useradd --system --uid 10001 --gid minibit --home-dir /var/lib/minibit --no-create-home \
      --shell /usr/sbin/nologin minibit \
 && mkdir -p /var/lib/minibit /run/minibit \
 && chown minibit:minibit /var/lib/minibit /run/minibit \
 && chmod 0750 /run/minibit

COPY LICENSE /opt/minibit/
COPY docker/healthcheck.sh /opt/minibit/bin/healthcheck
COPY bin/launch.sh bin/minibit-peer bin/minibit bin/compiler-directives.json /opt/minibit/bin/
COPY peer-svc/target/minibit-peer.jar cli/target/minibit.jar /opt/minibit/lib/
# `minibit` on the PATH for docker exec. It keeps its launcher's quick-start JVM options:
# JAVA_OPTS in this image is the daemon's.
RUN printf '#!/bin/sh\nexec env -u JAVA_OPTS /opt/minibit/bin/minibit "$@"\n' \
      >/usr/local/bin/minibit \
 && chmod 755 /usr/local/bin/minibit
# The launchers use an archive beside its jar, also when JAVA_OPTS is replaced (the k8s manifests
# set their own): the daemon's start costs about a third less CPU and its first download about a
# fifth less; a CLI command a third to a half less. -Xshare:on fails the build if this JVM cannot
# use them.
COPY --from=training /opt/minibit/lib/minibit-peer.jsa /opt/minibit/lib/minibit.jsa \
     /opt/minibit/lib/
RUN java -Xshare:on -XX:SharedArchiveFile=/opt/minibit/lib/minibit-peer.jsa \
      -jar /opt/minibit/lib/minibit-peer.jar --help >/dev/null \
 && java -Xshare:on -XX:SharedArchiveFile=/opt/minibit/lib/minibit.jsa \
      -jar /opt/minibit/lib/minibit.jar --version >/dev/null

# Configuration is flags or their MINIBIT_* twins; these are the image's defaults.
# The control API is a Unix socket in the container's own /run (the CLI of `docker exec` finds it
# through MINIBIT_PEER): no TCP port, so with --network host no other process of the machine
# can drive the peer. The swarm page and /metrics are read-only, and on every interface of the
# container's network, for a Prometheus.
ENV MINIBIT_PORT=6881 \
    MINIBIT_CONTROL_SOCKET=/run/minibit/control.sock \
    MINIBIT_PEER=unix:/run/minibit/control.sock \
    MINIBIT_HTTP_HOST=0.0.0.0 \
    MINIBIT_HTTP_PORT=9881 \
    MINIBIT_DATA_DIR=/var/lib/minibit \
    JAVA_OPTS="-Xss512k -XX:MaxRAMPercentage=50"
# Shared and downloaded files, with the state of unfinished downloads: a new container on the
# same volume resumes them.
VOLUME /var/lib/minibit
# gRPC for other peers (Peer, Health, reflection); HTTP live page and /metrics. The control API
# is the socket above: the CLI reaches it with `docker exec`.
EXPOSE 6881 9881

USER minibit
WORKDIR /var/lib/minibit
# No JVM per check: a bash script asks the HTTP /healthz, which says whether the gRPC server
# serves (SERVING, 200) or is stopping (503).
HEALTHCHECK --interval=15s --timeout=10s --start-period=30s --retries=3 \
  CMD ["/opt/minibit/bin/healthcheck"]
ENTRYPOINT ["/opt/minibit/bin/minibit-peer"]
