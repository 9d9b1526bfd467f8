# PayPoint kiosk firmware. `make run` on a fresh Debian 12 as root: installs, builds, starts the daemon
# with simulated hardware on the built-in default configuration. `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := build

APT_PACKAGES := build-essential python3 pkg-config libcurl4-openssl-dev socat strace \
	python3-zeep python3-spyne python3-lxml php-cli php-soap libxml2-utils \
	shellcheck device-tree-compiler
# Issue 6 (appliance): the status page in headless Chromium, FAT stick images (fusefat, mtools,
# mkfs.vfat), systemd-analyze verify of systemd/, dtc for board/overlays.
APT_PACKAGES += chromium fusefat mtools dosfstools systemd device-tree-compiler
# Issue 7 (make test-image): a Debian root file system built with mmdebstrap, booted in systemd-nspawn
# (systemd-container); curl talks to its SOAP port and status page.
APT_PACKAGES += mmdebstrap systemd-container curl
# make test-vm / test-powercut (test/vm/README.md): qemu (TCG) boots Debian's kernel on disks laid out like
# the image; the VM's kernel itself comes from its cached root file system (mmdebstrap, linux-image-amd64),
# and test/vm/deps-kernel.sh installs that kernel's headers and source (gpio-sim is built out of tree).
# sfdisk (fdisk), mkfs.ext4 (e2fsprogs), mkfs.vfat/mcopy (above) make the disks without loop devices.
VM_APT_PACKAGES := qemu-system-x86 qemu-utils fdisk e2fsprogs mmdebstrap dosfstools mtools socat
DATA_DIR ?= /var/lib/paypoint
CUTS ?= 100

.PHONY: deps deps-node deps-apt deps-vm deps-npm build run test test-image test-vm test-powercut test-unit bench lint clean

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
	# facts.md); rebuild it from package.json's tap config (plugins only, nothing is downloaded).
	npx tap build
	touch $@

deps-npm: node_modules/.deps-stamp

# What the VM test needs besides deps (only for make test-vm / test-powercut): deps-apt's own recipe on
# the VM's package list.
deps-vm: deps
	@$(MAKE) --no-print-directory deps-apt APT_PACKAGES="$(VM_APT_PACKAGES)"
	@test/vm/deps-kernel.sh

# build does not reinstall packages (deps does): it only needs node_modules to exist.
build:
	@test -d node_modules || { echo 'run make deps first' >&2; exit 1; }
	npx tsc -p tsconfig.json
	rm -rf dist/services/soap/wsdl && mkdir -p dist/services/soap && cp -r src/services/soap/wsdl dist/services/soap/wsdl
	rm -rf dist/services/reports/wsdl && mkdir -p dist/services/reports && cp -r src/services/reports/wsdl dist/services/reports/wsdl

run: deps build
	mkdir -p $(DATA_DIR)
	./bin/paypoint serve --data-dir $(DATA_DIR)

lint:
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p test/tsconfig.json --noEmit

test: deps build
	npx tap

# Appliance boot test (issue 7, item 4; test/image/README.md): boots a minimal Debian 12 holding the daemon,
# its units and udev rules, installed as the image installs them, in systemd-nspawn, and checks readiness,
# SOAP, the status page, the watchdog and the USB-stick import. Needs root. The base root file system is
# cached in /var/cache/paypoint-image-test (PAYPOINT_IMAGE_CACHE); the application layer (compiled by the
# test itself, not taken from dist/) is new every run. Ends with "image test: N passed, N failed"
# (.ci/run adds it to tap's counts).
test-image: deps
	test/image/boot-test.sh

# The appliance on a real Linux kernel (test/vm/README.md): qemu-system-x86_64 (TCG) boots Debian's kernel
# with systemd and udev on disks laid out like the image, the application installed by
# test/image/install-app.sh; checks from the host (boot, power cuts with cache=none and with a volatile
# write-cache disk). Needs root. Kernel and base root file system cached in /var/cache/paypoint-vm-test
# (PAYPOINT_VM_CACHE). Ends with "vm test: N passed, N failed" (.ci/run adds it to the total).
test-vm: deps-vm
	nice test/vm/vm-test.sh

# Long power-cut runs outside CI: make test-powercut CUTS=100 [SEED=...] (prints the seed and per-cut counts).
test-powercut: deps-vm
	nice test/vm/vm-test.sh --checks powercut --cuts $(CUTS) $(if $(SEED),--seed $(SEED))

bench: deps build
	node --import tsx bench/run-all.ts

clean:
	rm -rf dist .tap
