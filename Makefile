# MiniBit: `make demo` shows it working, `make test` proves it.
MVN ?= mvn -B -ntp
JARS := tracker-svc/target/minibit-tracker.jar peer-svc/target/minibit-peer.jar cli/target/minibit.jar
CLI_CDS := cli/target/minibit.jsa

.PHONY: build test unit demo bench clean deps

## build: compile everything and package the three runnable jars (no tests)
build:
	$(MVN) -q package -DskipTests
	$(MAKE) --no-print-directory $(CLI_CDS)

## test: unit, in-process gRPC and multi-process tests (real JVMs on loopback, headless Chromium)
test: deps
	$(MVN) verify

## deps: what the tests need beyond Maven: Debian's chromium for the swarm page test
deps:
	@test -x /usr/bin/chromium || { \
	  echo "installing chromium (headless browser for the swarm page test)"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

## unit: only the fast tests (no real processes)
unit:
	$(MVN) test

## demo: a tracker and 3 peers on loopback; a 64 MiB file shared by one, fetched by the others
demo: $(JARS) $(CLI_CDS)
	scripts/demo.sh

$(JARS):
	$(MVN) -q package -DskipTests

# The CLI starts for every command: a class-data archive makes its start cheaper.
$(CLI_CDS): cli/target/minibit.jar
	scripts/cli-cds.sh $<

## bench: pair, swarm (N=8,16) and memory benchmarks on emulated hosts; needs root (BENCH_ARGS)
BENCH_ARGS ?= all
bench: build
	bench/run.sh $(BENCH_ARGS)

## images: the tracker and peer images (minibit/tracker, minibit/peer) on a JRE base built here
## (JRE_IMAGE=eclipse-temurin:17-jre to use a registry's); installs and starts Docker if missing
.PHONY: images base-image e2e
images: build
	docker/images.sh

## base-image: only the local JRE base (debootstrap + docker import; skipped when it exists)
base-image:
	docker/engine.sh
	docker/base-image.sh

## e2e: the images end to end: docker run --network host on netns hosts, docker-compose (root)
e2e: images
	e2e/run.sh

## clean: remove build output
clean:
	$(MVN) -q clean

help:
	@grep -E '^## ' Makefile | sed 's/^## //'
