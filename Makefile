# PayPoint kiosk firmware. `make run` on a fresh Debian 12 as root: installs, builds, starts the daemon
# with simulated hardware on the built-in default configuration. `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := build

APT_PACKAGES := build-essential python3 pkg-config libcurl4-openssl-dev socat strace \
	python3-zeep python3-spyne python3-lxml php-cli php-soap libxml2-utils \
	shellcheck device-tree-compiler
# The appliance (docs/appliance.md): the status page in headless Chromium, FAT stick images (fusefat, mtools,
# mkfs.vfat), systemd-analyze verify of systemd/, dtc for board/overlays.
APT_PACKAGES += chromium fusefat mtools dosfstools systemd device-tree-compiler
# The image boot test (make test-image): a Debian root file system built with mmdebstrap, booted in systemd-nspawn
# (systemd-container); curl talks to its SOAP port and status page.
APT_PACKAGES += mmdebstrap systemd-container curl
DATA_DIR ?= /var/lib/paypoint

.PHONY: deps deps-node deps-apt deps-npm build run test test-image test-unit bench bench-soak lint clean

# Debian packages (idempotent: only what is missing is installed) then npm packages (from the lock file).
deps: deps-node deps-apt deps-npm

# Node.js >= 20 with npm must be there already (Debian 12's own nodejs is 18; the machine image brings 20).
deps-node:
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null || { echo "make deps: Node.js >= 20 is required (found: $$(node --version 2>/dev/null || echo none))" >&2; exit 1; }

deps-apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root to install $$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

node_modules/.deps-stamp: package.json package-lock.json .npmrc
	npm ci --no-fund --no-audit
	# npm ci restores tap's default plugin build (with @tapjs/typescript, which breaks on TypeScript 7:
	# docs/design.md, "tap and TypeScript 7"); rebuild it from package.json's tap config (plugins only, nothing is downloaded).
	npx tap build
	touch $@

deps-npm: node_modules/.deps-stamp

# Native addons and packages that load files relative to themselves stay in node_modules.
BUNDLE_FLAGS := --bundle --platform=node --format=esm --target=node20 --sourcemap --log-level=warning \
	--external:serialport --external:@serialport/* --external:onoff --external:i2c-bus --external:unix-dgram \
	--external:node-libcurl \
	"--banner:js=import { createRequire as __ppCreateRequire } from 'node:module'; const require = __ppCreateRequire(import.meta.url);"

# build also writes the daemon as one file (dist/paypoint.js, source map beside it), what bin/paypoint
# runs: one file to read instead of ~430 modules, which is what a cold start on an SD card waits for
# (bench/README.md, "Cold start"). Native addons stay outside; its WSDL files sit beside it in dist/wsdl/.
# dist/.build-stamp, written last, tells test/build-if-stale.ts (tap's "before") that dist/ is current.
# build does not reinstall packages (deps does): it only needs node_modules to exist.
build:
	@test -d node_modules || { echo 'run make deps first' >&2; exit 1; }
	npx tsc -p tsconfig.json
	rm -rf dist/services/soap/wsdl && mkdir -p dist/services/soap && cp -r src/services/soap/wsdl dist/services/soap/wsdl
	rm -rf dist/services/reports/wsdl && mkdir -p dist/services/reports && cp -r src/services/reports/wsdl dist/services/reports/wsdl
	rm -rf dist/wsdl && mkdir -p dist/wsdl && cp src/services/soap/wsdl/* src/services/reports/wsdl/* dist/wsdl/
	npx esbuild src/cli/main.ts $(BUNDLE_FLAGS) --outfile=dist/paypoint.js
	touch dist/.build-stamp

run: deps build
	mkdir -p $(DATA_DIR)
	./bin/paypoint serve --data-dir $(DATA_DIR)

lint:
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p test/tsconfig.json --noEmit

test: deps build
	npx tap

# Appliance boot test (yocto-layer/README.md; test/image/README.md): boots a minimal Debian 12 holding the daemon,
# its units and udev rules, installed as the image installs them, in systemd-nspawn, and checks readiness,
# SOAP, the status page, the watchdog and the USB-stick import. Needs root. The base root file system is
# cached in /var/cache/paypoint-image-test (PAYPOINT_IMAGE_CACHE); the application layer (compiled by the
# test itself, not taken from dist/) is new every run. Ends with "image test: N passed, N failed"
# (.ci/run adds it to tap's counts).
test-image: deps
	test/image/boot-test.sh

bench: deps build
	node --import tsx bench/run-all.ts

# The memory soak: 1,000,000 mixed requests, RSS sampled every 50,000 (bench/README.md).
bench-soak: deps build
	BENCH=soak node --import tsx bench/run-all.ts

clean:
	rm -rf dist .tap
