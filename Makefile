# sockgate: the full test run is `make test`; it installs what it needs on a fresh machine.
SHELL := /bin/bash
GO    ?= go
NPM   ?= npm

INTEROP_DIR := interop

.PHONY: test test-go redis-deps interop-deps web-deps run-deps cluster vet fmt-check generate-check fuzz run bench bench-quick

test: fmt-check vet generate-check redis-deps interop-deps web-deps test-go

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Regenerates every generated file (go generate ./...) and fails when that changes the
# tree: a committed file out of date, or a generated file never committed.
generate-check:
	@before=$$(git status --porcelain=v1 -uall; git diff); \
	$(GO) generate ./... || exit 1; \
	after=$$(git status --porcelain=v1 -uall; git diff); \
	if [ "$$before" != "$$after" ]; then \
	  echo "go generate ./... changed the tree: run it and commit the result"; git status --short; exit 1; \
	fi

# bench/zishang is a Go module of its own (the main module must not depend on it).
vet:
	$(GO) vet ./...
	cd bench/zishang && $(GO) vet ./...

# The Redis adapter tests start real redis-server processes (and a Redis Cluster with
# redis-cli); installed with apt-get when missing, which needs root.
redis-deps:
	@command -v redis-server >/dev/null && command -v redis-cli >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; \
	  else echo "redis-server is required (apt-get install redis-server, as root)"; exit 1; fi; }

# npm packages live in the repository's own folder, from its lock file.
interop-deps:
	@command -v node >/dev/null || { echo "node is required for the socket.io-client interop tests"; exit 1; }
	cd $(INTEROP_DIR) && $(NPM) ci --no-audit --no-fund --loglevel=error
	cd cmd/sockgate/testdata/tsc && $(NPM) ci --no-audit --no-fund --loglevel=error

# The chat page's browser test needs Chromium (the Debian package, installed here when
# missing and running as root) and the page's test tools, playwright-core and typescript,
# from examples/chat/web's lock file.
WEB_DIR := examples/chat/web
web-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "/usr/bin/chromium is required for the browser test: apt-get install chromium (as root)"; exit 1; fi; \
	fi
	cd $(WEB_DIR) && $(NPM) ci --no-audit --no-fund --loglevel=error

# SOCKGATE_INTEROP=1 makes the interop tests fail, not skip, when a real part is missing.
test-go:
	SOCKGATE_INTEROP=1 $(GO) test -race -count=1 -timeout 12m ./...

# Fuzz every Fuzz target of the module for FUZZTIME each (the seeds also run in make test).
FUZZTIME ?= 20s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; $(GO) test $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME); \
	  done; \
	done

# Three chat nodes on :3001-:3003 joined through a redis-server started for the run, one
# client on each: a message sent through each node reaches all three (bounded to 60 s;
# everything started is stopped).
cluster: redis-deps
	$(GO) run ./examples/chat/clusterdemo

# The reference chat application on :3000 (PORT overrides); see examples/chat. It prints
# the URL to open once it listens. The page loads the socket.io-client browser bundle,
# which npm installs into interop/ from its lock file on the first run.
CLIENT_BUNDLE := $(INTEROP_DIR)/node_modules/socket.io-client/dist/socket.io.min.js
run: run-deps
	$(GO) run ./examples/chat

run-deps:
	@if [ ! -f $(CLIENT_BUNDLE) ]; then \
	  command -v $(NPM) >/dev/null || { echo "the chat page needs the socket.io-client bundle: install Node.js 20 with npm, then make run again"; exit 1; }; \
	  echo "installing the page's socket.io-client bundle (npm ci in $(INTEROP_DIR)/)"; \
	  cd $(INTEROP_DIR) && $(NPM) ci --no-audit --no-fund --loglevel=error; \
	fi

# Benchmarks against Node socket.io 4.8, zishang520/socket.io v3 (bench/zishang, its own
# Go module) and the limit server; `make bench` writes
# docs/BENCHMARKS.md (over 15 minutes), `make bench-quick` a one-repetition smoke run in
# bench/out/. Servers run on core 0, the generator on core 1. PROFILE=1 also writes CPU
# and heap profiles of the sockgate server per scenario into bench/out/profiles;
# BENCH_FLAGS passes more runner flags (see `bench/out/bin/sockbench run -h`).
BENCH_BIN := bench/out/bin

bench:
	cd bench/node && $(NPM) ci --no-audit --no-fund --loglevel=error
	$(GO) build -o $(BENCH_BIN)/ ./bench/cmd/sockbench ./bench/servers/sockgate ./bench/servers/limit
	cd bench/zishang && $(GO) build -o ../../$(BENCH_BIN)/zishang .
	taskset -c 1 $(BENCH_BIN)/sockbench run $(if $(PROFILE),-profile bench/out/profiles) $(BENCH_FLAGS)

# A broadcast to 5,000 sessions over three nodes joined through Redis: sockgate with
# adapter/redis beside Node socket.io with @socket.io/redis-adapter, and each on one node
# (bench/cmd/clusterbench; a few minutes). CLUSTER_FLAGS passes more flags.
bench-cluster: redis-deps
	cd bench/node && $(NPM) ci --no-audit --no-fund --loglevel=error
	$(GO) build -o $(BENCH_BIN)/ ./bench/cmd/clusterbench ./bench/servers/sockgate
	$(BENCH_BIN)/clusterbench -bin $(BENCH_BIN) -node bench/node $(CLUSTER_FLAGS)

bench-quick:
	cd bench/node && $(NPM) ci --no-audit --no-fund --loglevel=error
	$(GO) build -o $(BENCH_BIN)/ ./bench/cmd/sockbench ./bench/servers/sockgate ./bench/servers/limit
	cd bench/zishang && $(GO) build -o ../../$(BENCH_BIN)/zishang .
	taskset -c 1 $(BENCH_BIN)/sockbench run -quick $(if $(PROFILE),-profile bench/out/profiles) $(BENCH_FLAGS)
	@echo "report: bench/out/BENCHMARKS-quick.md"
