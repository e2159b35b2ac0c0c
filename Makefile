# MiniBit: `make demo` shows it working, `make test` proves it.
MVN ?= mvn -B -ntp
JARS := tracker-svc/target/minibit-tracker.jar peer-svc/target/minibit-peer.jar cli/target/minibit.jar

.PHONY: build test unit fuzz demo bench clean

## build: compile everything and package the three runnable jars (no tests)
build:
	$(MVN) -q package -DskipTests

## test: unit, in-process gRPC and multi-process tests (real JVMs on loopback)
test:
	$(MVN) verify

## unit: only the fast tests (no real processes)
unit:
	$(MVN) test

## fuzz: the request fuzzer alone, for FUZZ_SECONDS (300); FUZZ_SEED=n replays a run
FUZZ_SECONDS ?= 300
fuzz:
	$(MVN) verify -pl it -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dit.test=FuzzIT -Dfailsafe.failIfNoSpecifiedTests=false \
	  -Dminibit.fuzz.seconds=$(FUZZ_SECONDS) $(if $(FUZZ_SEED),-Dminibit.fuzz.seed=$(FUZZ_SEED))

## demo: a tracker and 3 peers on loopback; a 64 MiB file shared by one, fetched by the others
demo: $(JARS)
	scripts/demo.sh

$(JARS):
	$(MVN) -q package -DskipTests

## bench: pair, swarm (N=8,16) and memory benchmarks on emulated hosts; needs root (BENCH_ARGS)
BENCH_ARGS ?= all
bench: build
	bench/run.sh $(BENCH_ARGS)

## clean: remove build output
clean:
	$(MVN) -q clean

help:
	@grep -E '^## ' Makefile | sed 's/^## //'
