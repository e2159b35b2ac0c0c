# The MiniBit tracker image. Built from the repository root after `make build` (`make images`
# does both):
#   docker build -f docker/tracker.Dockerfile -t minibit/tracker .
# JRE_IMAGE is any image with a Java 17+ runtime on the PATH, bash and useradd; `make images`
# passes one built locally (docker/base-image.sh) when no registry is reachable.
ARG JRE_IMAGE=eclipse-temurin:17-jre

# The tracker's class-data archive, made on the image's own JRE: the tracker is trained by a
# small swarm on loopback (scripts/daemon-cds.sh), whose peer and CLI jars stay in this stage.
# The jar lies where the image has it: the archive records its path, size and time.
FROM ${JRE_IMAGE} AS training
COPY tracker-svc/target/minibit-tracker.jar peer-svc/target/minibit-peer.jar \
     cli/target/minibit.jar /opt/minibit/lib/
COPY scripts/daemon-cds.sh /opt/minibit/bin/
RUN /opt/minibit/bin/daemon-cds.sh /opt/minibit/lib/minibit-tracker.jar \
      /opt/minibit/lib/minibit-peer.jar /opt/minibit/lib/minibit.jar \
 && test -s /opt/minibit/lib/minibit-tracker.jsa

FROM ${JRE_IMAGE}
# Set by docker/images.sh: the project's version and the commit the jars were built from.
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="minibit-tracker" \
      org.opencontainers.image.description="MiniBit tracker: peer-to-peer file distribution over gRPC" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"

# A fixed, non-root uid, so a host directory mounted as the data volume can be chown'ed to it.
RUN groupadd --system --gid 10001 minibit \
 && useradd --system --uid 10001 --gid minibit --home-dir /var/lib/minibit --no-create-home \
      --shell /usr/sbin/nologin minibit \
 && mkdir -p /var/lib/minibit \
 && chown minibit:minibit /var/lib/minibit

COPY LICENSE /opt/minibit/
COPY docker/healthcheck.sh /opt/minibit/bin/healthcheck
COPY bin/launch.sh bin/minibit-tracker /opt/minibit/bin/
COPY tracker-svc/target/minibit-tracker.jar /opt/minibit/lib/
# bin/minibit-tracker uses the archive beside the jar, also when JAVA_OPTS is replaced (the k8s
# manifests set their own): the tracker's start costs about a third less CPU. -Xshare:on fails the
# build if this JVM cannot use it.
COPY --from=training /opt/minibit/lib/minibit-tracker.jsa /opt/minibit/lib/
RUN java -Xshare:on -XX:SharedArchiveFile=/opt/minibit/lib/minibit-tracker.jsa \
      -jar /opt/minibit/lib/minibit-tracker.jar --help >/dev/null

# Configuration is flags or their MINIBIT_* twins; these are the image's defaults.
# /metrics on every interface of the container's network, for a Prometheus.
ENV MINIBIT_PORT=6969 \
    MINIBIT_HTTP_HOST=0.0.0.0 \
    MINIBIT_HTTP_PORT=9969 \
    MINIBIT_DATA_DIR=/var/lib/minibit \
    JAVA_OPTS="-XX:+UseSerialGC -Xss512k -XX:MaxRAMPercentage=50"
# The catalog of published manifests: keep it on a volume and it survives a new container.
VOLUME /var/lib/minibit
# gRPC (Tracker, Health, reflection); HTTP /metrics.
EXPOSE 6969 9969

USER minibit
WORKDIR /var/lib/minibit
# No JVM per check: a bash script asks the HTTP /healthz, which says whether the gRPC server
# serves (SERVING, 200) or is stopping (503).
HEALTHCHECK --interval=15s --timeout=10s --start-period=30s --retries=3 \
  CMD ["/opt/minibit/bin/healthcheck"]
ENTRYPOINT ["/opt/minibit/bin/minibit-tracker"]
