# Omnify BFF. `make run` serves the product; `make test` runs every check.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
BIN      := bin/omnify
GOFILES   = $(shell git ls-files --cached --others --exclude-standard '*.go')

# The web app (web/): its npm packages, its sources and what the build writes.
NPM       ?= npm
NPM_CI    := $(NPM) ci --no-audit --no-fund --loglevel=error
WEB_DEPS  := web/node_modules/.package-lock.json
WEB_SRC    = $(shell find web/src web/public -type f 2>/dev/null) $(wildcard schema/*.graphqls) \
             web/index.html web/playground.html web/vite.config.ts web/codegen.ts web/tsconfig.json web/package.json
WEB_BUILT := web/dist/index.html
CHROMIUM  ?= /usr/bin/chromium

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

.PHONY: run
run: build ## Build (the web app too) and start omnify on the embedded database (http://localhost:8080).
	./$(BIN) serve

.PHONY: build
build: web ## Build the web app into web/dist, then the binary (which embeds it) into bin/omnify.
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/omnify

.PHONY: web
web: $(WEB_BUILT) ## Build the web app and the playground into web/dist (npm ci first when needed).

$(WEB_DEPS): web/package.json web/package-lock.json
	cd web && $(NPM_CI)
	@touch $@

$(WEB_BUILT): $(WEB_DEPS) $(WEB_SRC)
	cd web && $(NPM) run --silent codegen
	cd web && $(NPM) run --silent build

.PHONY: web-dev
web-dev: $(WEB_DEPS) ## Vite's dev server on :5173 with hot reload, proxying /graphql (and its WebSocket) to the Go server on :8080 (make run).
	cd web && $(NPM) run dev

.PHONY: generate
generate: $(WEB_DEPS) ## Regenerate GraphQL code from schema/*.graphqls: gqlgen's Go code and the web app's typed operations.
	$(GO) tool gqlgen generate
	cd web && $(NPM) run --silent codegen

.PHONY: lint
lint: ## gofmt and go vet.
	@unformatted=$$(gofmt -l $(GOFILES)); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

.PHONY: check-generated
check-generated: ## Fail when generated code is stale.
	$(GO) tool gqlgen generate
	@if [ -n "$$(git status --porcelain -- graph gqlgen.yml)" ]; then \
		echo "generated code is stale; run 'make generate' and commit:"; \
		git status --porcelain -- graph; git --no-pager diff --stat -- graph; exit 1; fi

.PHONY: check-web-generated
check-web-generated: $(WEB_DEPS) ## Fail when the web app's typed operations (web/src/gql) are stale.
	cd web && $(NPM) run --silent codegen
	@if [ -n "$$(git status --porcelain -- web/src/gql)" ]; then \
		echo "web/src/gql is stale; run 'make generate' and commit:"; \
		git status --porcelain -- web/src/gql; exit 1; fi

.PHONY: test
test: lint check-generated check-web-generated test-web test-go test-e2e test-browser ## Every check: format, vet, generated code, web type check, unit tests and bundle size, Go tests with -race, end-to-end and browser tests.

.PHONY: test-web
test-web: web ## The web app: TypeScript check, Vitest unit tests, and the main bundle's size (under 250 KiB gzipped).
	cd web && npx tsc --noEmit
	cd web && npx vitest run
	cd web && node scripts/check-bundle-size.mjs

.PHONY: chromium
chromium: ## Install Debian's Chromium for the browser tests when it is missing.
	@if [ ! -x "$(CHROMIUM)" ]; then \
		sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$sudo apt-get update && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core; \
	fi

.PHONY: test-browser
test-browser: build chromium ## Browser tests (web/e2e): Chromium drives the app and the playground against the built binary.
	cd web && CHROMIUM_PATH=$(CHROMIUM) OMNIFY_BIN=$(CURDIR)/$(BIN) node --test --test-concurrency=1 e2e/

.PHONY: test-go
test-go: ## Go tests with the race detector.
	@# Each test package starts this database server as a process of its
	@# own, built without the race detector; build it once first.
	$(GO) build -o /dev/null ./internal/mongodb/mongotest/testdb
	@# A failing test's report can sit far above the end of a long log (the
	@# server's request lines follow it), so the failures are repeated last.
	@log=$$(mktemp); status=0; \
	$(GO) test -race -count=1 -timeout 20m ./... 2>&1 | tee "$$log" || status=$$?; \
	if [ "$$status" -ne 0 ]; then \
		echo; echo "=== the failures again, with what each test logged (server log lines left out) ==="; \
		grep -v 'level=INFO' "$$log" | grep -E -A20 -- '^\s*--- FAIL|^panic: |test timed out|WARNING: DATA RACE' | head -200; \
		echo "=== failed ==="; grep -E -- '^\s*--- FAIL|^FAIL|^panic: |test timed out|WARNING: DATA RACE' "$$log" | head -40; \
	fi; rm -f "$$log"; exit "$$status"

.PHONY: test-e2e
test-e2e: build ## Protocol tests from independent clients (GraphQL over HTTP audit, graphql-ws).
	cd test/e2e && npm ci --no-audit --no-fund --loglevel=error
	cd test/e2e && OMNIFY_BIN=$(CURDIR)/$(BIN) node --test --test-concurrency=1

# BENCH picks benchmarks by name, e.g. `make bench BENCH=Attack` for the hostile requests only.
BENCH ?= .

.PHONY: bench
bench: ## Go benchmarks: start-up, request handling, one per hostile request (BENCH=Attack).
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -benchtime 20x -count=1 ./...

# Subscribers under load (README, "Subscribers under load"). Every socket uses
# one sign-up's session, so the server started for the run lifts
# OMNIFY_WS_MAX_SOCKETS_PER_CLIENT; each side holds one file per socket, so the
# open-file limit is raised to its hard limit first.
LOAD_SUBSCRIBERS ?= 2000
LOAD_EVENTS      ?= 20
LOAD_FLAGS       ?=

LOAD_DURATION    ?= 10s
LOAD_CLIENTS     ?= 1,8,32

.PHONY: load load-subscribers load-queries
load: load-queries load-subscribers ## Both load runs below, on fresh servers.

load-subscribers: build ## Subscriber load: LOAD_SUBSCRIBERS (2000) idle subscriptions, LOAD_EVENTS (20) events fanned out, memory per subscriber.
	$(GO) build -o bin/omnify-load ./cmd/omnify-load
	ulimit -n $$(ulimit -Hn); ./bin/omnify-load -serve ./$(BIN) -n $(LOAD_SUBSCRIBERS) -events $(LOAD_EVENTS) $(LOAD_FLAGS)

load-queries: build ## Query load: 90 days of synced data, then the dashboard, serverInfo and me at LOAD_CLIENTS (1,8,32) clients for LOAD_DURATION (10s) each.
	$(GO) build -o bin/omnify-load ./cmd/omnify-load
	./bin/omnify-load -serve ./$(BIN) -queries -duration $(LOAD_DURATION) -query-clients $(LOAD_CLIENTS) $(LOAD_FLAGS)

SOAK_DURATION ?= 10m

.PHONY: soak
soak: ## Soak test: organizations syncing through platform faults under dashboard load (SOAK_DURATION, default 10m).
	$(GO) build -o /dev/null ./internal/mongodb/mongotest/testdb
	SOAK_DURATION=$(SOAK_DURATION) $(GO) test -race -count=1 -run '^TestSoak$$' -v -timeout 60m ./internal/app/

.PHONY: clean
clean: ## Remove build outputs (not ./data).
	rm -rf bin web/e2e/screenshots
	find web/dist -mindepth 1 ! -name .gitkeep -delete 2>/dev/null || true
