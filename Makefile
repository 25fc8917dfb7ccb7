# tracectl — see README.md. Every target works on a fresh machine with Go.
GO       ?= go
BIN      := bin/tracectl
PKGS     := ./...
FUZZTIME ?= 5s
# Go minimises each new interesting input for up to 60 s by default, and
# counts no executions meanwhile: a 20 s run of the ingest target ran 11,322
# inputs and then only minimised; with 10 tries it ran 91,596.
FUZZMIN  ?= 10x
# The repository's own traces (real samples live in ../shared/samples beside
# the checkout and are never copied here): every target works without them.
DEMO     := testdata/demo/agent.json
REPORT_SAMPLES := $(DEMO) testdata/insight/failing_agent.json testdata/insight/deep30.json \
	testdata/spanjson/mlflow2_full_trace.json \
	testdata/otlp/two_traces.json \
	testdata/spanjson/several_traces.jsonl
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build demo test e2e browser lint bench fuzz fuzz-smoke completions fmt-check tidy-check clean

all: build

VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/tracectl

demo: build
	./$(BIN) show $(DEMO)

# The whole test suite: formatting, vet, race-enabled tests (golden files and
# the completions drift check included) and a short fuzz smoke of every target.
test: fmt-check
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 $(PKGS)
	$(MAKE) fuzz-smoke FUZZTIME=$(FUZZTIME)

# Slow end-to-end checks: tracectl send through a real OpenTelemetry
# Collector built from the Go module proxy (skipped when it cannot be built).
e2e:
	TRACECTL_E2E_OTELCOL=1 $(GO) test -count=1 -timeout=30m -run='^TestSendThroughOpenTelemetryCollector$$' -v ./cmd/tracectl/

# The HTML report in headless Chromium (Debian: apt-get install -y chromium;
# CHROMIUM=/path overrides): the DOM, no injected script, no request, the
# time to open a 50 MB input; -update rewrites testdata/report/screenshot.png.
# It also leaves bin/report.html, the report of the repository's own traces
# (REPORT_SAMPLES), for CI to keep as an artifact.
browser: build
	./$(BIN) report -q -o bin/report.html $(REPORT_SAMPLES)
	TRACECTL_BROWSER=1 $(GO) test -count=1 -timeout=20m -run='^TestBrowserReport$$' -v ./cmd/tracectl/ $(BROWSER_FLAGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# Runs each Fuzz* target for FUZZTIME (go test -fuzz takes one target at a time).
# Go's fuzzing engine sometimes ends a timed run with "context deadline
# exceeded" when a worker answers late on a loaded machine; that is not a
# finding (a finding writes "Failing input written to ..."), so such a run
# is repeated once; any other failure fails at once.
fuzz-smoke:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do \
		dir=$$(dirname $$f); \
		for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$f | sed 's/^func //'); do \
			echo "fuzz $$dir $$t ($(FUZZTIME))"; \
			if ! out=$$($(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMIN) $$dir 2>&1); then \
				echo "$$out"; \
				if echo "$$out" | grep -q 'context deadline exceeded' && ! echo "$$out" | grep -q 'Failing input written'; then \
					echo "fuzz $$dir $$t: the engine's deadline, not a finding: once more"; \
					$(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMIN) $$dir; \
				else \
					exit 1; \
				fi; \
			else \
				echo "$$out" | tail -n 2; \
			fi; \
		done; \
	done

fuzz:
	$(MAKE) fuzz-smoke FUZZTIME=2m

lint: fmt-check tidy-check
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

tidy-check:
	$(GO) mod tidy
	git diff --exit-code go.mod go.sum

# Benchmarks generate their own large inputs (TRACECTL_BENCH_SPANS, default
# 1,000,000 spans ≈ 500 MB) and compare against jq where it is installed.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -timeout=60m $(PKGS)

# Regenerates completions/ from the command tree; the completions test in
# cmd/tracectl fails when the committed files drift from the commands.
completions: build
	@mkdir -p completions
	./$(BIN) completion bash > completions/tracectl.bash
	./$(BIN) completion zsh > completions/_tracectl
	./$(BIN) completion fish > completions/tracectl.fish
	./$(BIN) completion powershell > completions/tracectl.ps1

clean:
	rm -rf bin
