# The two commands: `make run` and `make test`. Everything else is a helper.
.PHONY: run test bench build release clean

LISTEN ?= 127.0.0.1:8080

## run: install what is missing, build in release mode, serve on $(LISTEN) with the embedded SQLite store
run:
	@scripts/install-deps.sh run
	@swift build -c release --product keyward
	@.build/release/keyward serve --listen $(LISTEN)

## test: install and start the test peers (PostgreSQL, Python venv), run every suite, stop the peers
test:
	@scripts/test.sh

## bench: resolve throughput beside nginx and OpenBao, in one run; writes docs/benchmarks.md
bench:
	@bench/run.sh

build:
	@swift build

release:
	@swift build -c release --product keyward

clean:
	@rm -rf .build .venv
