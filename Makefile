# PayPoint kiosk firmware. `make run` on a fresh Debian 12 as root: installs, builds, starts the daemon
# with simulated hardware on the built-in default configuration. `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := build

APT_PACKAGES := build-essential python3 pkg-config libcurl4-openssl-dev socat strace \
	python3-zeep python3-spyne python3-lxml php-cli php-soap libxml2-utils
DATA_DIR ?= /var/lib/paypoint

.PHONY: deps deps-apt deps-npm build run test test-unit bench lint clean

# Debian packages (idempotent: only what is missing is installed) then npm packages (from the lock file).
deps: deps-apt deps-npm

deps-apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root to install $$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

node_modules/.deps-stamp: package.json package-lock.json .npmrc
	npm ci --no-fund --no-audit
	touch $@

deps-npm: node_modules/.deps-stamp

# build does not reinstall packages (deps does): it only needs node_modules to exist.
build:
	@test -d node_modules || { echo 'run make deps first' >&2; exit 1; }
	npx tsc -p tsconfig.json
	rm -rf dist/services/soap/wsdl && mkdir -p dist/services/soap && cp -r src/services/soap/wsdl dist/services/soap/wsdl

run: deps build
	mkdir -p $(DATA_DIR)
	./bin/paypoint serve --data-dir $(DATA_DIR)

lint:
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p test/tsconfig.json --noEmit

test: deps build
	npx tap

bench: deps build
	node --import tsx bench/run-all.ts

clean:
	rm -rf dist .tap
