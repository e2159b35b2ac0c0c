# MiniBit: `make demo` shows it working, `make test` proves it.
MVN ?= mvn -B -ntp
JARS := tracker-svc/target/minibit-tracker.jar peer-svc/target/minibit-peer.jar cli/target/minibit.jar
CLI_CDS := cli/target/minibit.jsa
DAEMON_CDS := tracker-svc/target/minibit-tracker.jsa peer-svc/target/minibit-peer.jsa

.PHONY: build test unit fuzz demo bench clean deps

## build: compile everything and package the three runnable jars (no tests), with their
## class-data archives
build:
	$(MVN) -q package -DskipTests
	$(MAKE) --no-print-directory archives

## test: unit, in-process gRPC and multi-process tests (real JVMs on loopback, headless Chromium)
test: deps
	$(MVN) verify

## deps: what the tests need beyond Maven: Debian's chromium (the swarm page test), openssl
## (the TLS tests make their certificates with it), strace (the durability test reads the
## system calls) and redis-server (the tracker's Redis store is tested against a real one, on a
## free port of its own); installed only if missing
deps:
	@missing=""; \
	  test -x /usr/bin/chromium || missing="$$missing chromium"; \
	  command -v openssl >/dev/null || missing="$$missing openssl"; \
	  command -v strace >/dev/null || missing="$$missing strace"; \
	  command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	  if [ -n "$$missing" ]; then \
	    echo "installing$$missing (needed by the tests)"; \
	    SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	  fi

## unit: only the fast tests (no real processes)
unit:
	$(MVN) test

## fuzz: the request fuzzer alone, for FUZZ_SECONDS (300); FUZZ_SEED=n replays a run
FUZZ_SECONDS ?= 300
fuzz:
	$(MVN) verify -pl it -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dit.test=FuzzIT -Dfailsafe.failIfNoSpecifiedTests=false \
	  -Dminibit.fuzz.seconds=$(FUZZ_SECONDS) $(if $(FUZZ_SEED),-Dminibit.fuzz.seed=$(FUZZ_SEED))

## lint-proto: buf lint (the STANDARD rules of buf.yaml) over the .proto contracts, with buf
## from npm (BUF_VERSION); installs Debian's npm if missing. api's ProtoLintTest checks the same
## rules in every build, without npm.
BUF_VERSION ?= 1.75.0
.PHONY: lint-proto
lint-proto:
	@command -v npx >/dev/null || { \
	  echo "installing npm (lint-proto runs buf from the npm registry)"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq npm; }
	npx --yes @bufbuild/buf@$(BUF_VERSION) lint

## demo: a tracker and 3 peers on loopback; a 64 MiB file shared by one, fetched by the others
demo: $(JARS) $(CLI_CDS) $(DAEMON_CDS)
	scripts/demo.sh

$(JARS):
	$(MVN) -q package -DskipTests

# The jars' class-data archives, each remade when its jars change.
.PHONY: archives
archives: $(CLI_CDS) $(DAEMON_CDS)
	@:

# The CLI starts for every command: a class-data archive makes its start cheaper.
$(CLI_CDS): cli/target/minibit.jar peer-svc/target/minibit-peer.jar \
    tracker-svc/target/minibit-tracker.jar
	scripts/cli-cds.sh $^

# The daemons too, trained by a small swarm on loopback so that the archives hold the classes of
# a download and an upload, not only of a start. The CLI's archive, made first, speeds the
# training's commands.
$(DAEMON_CDS) &: tracker-svc/target/minibit-tracker.jar peer-svc/target/minibit-peer.jar \
    cli/target/minibit.jar | $(CLI_CDS)
	scripts/daemon-cds.sh $^

## bench: pair, swarm (N=8,16) and memory benchmarks on emulated hosts; needs root (BENCH_ARGS)
BENCH_ARGS ?= all
bench: build
	bench/run.sh $(BENCH_ARGS)

## bench-tracker: announce load, 20,000 peers: one tracker in memory (200 swarms, and one), one
## and two trackers on a Redis (Debian's redis-server, installed if missing)
.PHONY: bench-tracker
bench-tracker: build
	bench/tracker-load.sh

## images: the tracker and peer images (minibit/tracker, minibit/peer) on a JRE base built here
## (JRE_IMAGE=eclipse-temurin:17-jre to use a registry's), and the Redis the trackers share in
## docker-compose.yml (minibit/redis, Debian's redis-server); installs and starts Docker if missing
.PHONY: images base-image redis-image e2e
images: build
	docker/images.sh

## base-image: only the local JRE base (debootstrap + docker import; skipped when it exists)
base-image:
	docker/engine.sh
	docker/base-image.sh

## redis-image: only minibit/redis (debootstrap with redis-server + docker import; skipped when
## it exists)
redis-image:
	docker/engine.sh
	docker/redis-image.sh

## e2e: the images end to end: docker run --network host on netns hosts, docker-compose (root)
e2e: images
	e2e/run.sh

## clean: remove build output
clean:
	$(MVN) -q clean

help:
	@grep -E '^## ' Makefile | sed 's/^## //'
