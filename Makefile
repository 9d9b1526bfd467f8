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
# make test-vm / test-powercut (test/vm/README.md): qemu (TCG) boots Debian's kernel on disks laid out like
# the image; the VM's kernel itself comes from its cached root file system (mmdebstrap, linux-image-amd64),
# and test/vm/deps-kernel.sh installs that kernel's headers and source (gpio-sim is built out of tree).
# sfdisk (fdisk), mkfs.ext4 (e2fsprogs), mkfs.vfat/mcopy (above) make the disks without loop devices.
VM_APT_PACKAGES := qemu-system-x86 qemu-utils fdisk e2fsprogs mmdebstrap dosfstools mtools socat
DATA_DIR ?= /var/lib/paypoint
CUTS ?= 100

.PHONY: deps deps-node deps-apt deps-npm deps-vm deps-yocto build install run test test-image test-vm \
	test-powercut test-kill test-update deps-update test-unit bench bench-soak lint clean check-yocto yocto-layers recipe-data

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

# BitBake's host tools (Yocto scarthgap manual, "Required Packages for the Build Host", Debian list) for
# `make check-yocto`, which parses the layer; not needed by `make test`. BitBake wants a UTF-8 locale.
# openssl: check-yocto verifies that the bundle signer chains to the RAUC keyring.
YOCTO_APT_PACKAGES := gawk wget git diffstat unzip texinfo gcc build-essential chrpath socat cpio \
	python3 python3-pip python3-pexpect xz-utils debianutils iputils-ping python3-git python3-jinja2 \
	python3-subunit zstd lz4 file locales openssl
deps-yocto:
	@$(MAKE) --no-print-directory deps-apt APT_PACKAGES="$(YOCTO_APT_PACKAGES)"
	@locale -a 2>/dev/null | grep -qi '^en_US\.utf-\?8$$' || { \
	  sed -i 's/^# *\(en_US.UTF-8 UTF-8\)/\1/' /etc/locale.gen && locale-gen; }

node_modules/.deps-stamp: package.json package-lock.json .npmrc
	npm ci --no-fund --no-audit
	# npm ci restores tap's default plugin build (with @tapjs/typescript, which breaks on TypeScript 7:
	# docs/design.md, "tap and TypeScript 7"); rebuild it from package.json's tap config (plugins only, nothing is downloaded).
	npx tap build
	touch $@

deps-npm: node_modules/.deps-stamp

# Native addons and packages that load files relative to themselves stay in node_modules.
# --minify-whitespace --charset=ascii: V8 keeps the bundle's source text in memory for the life of the
# process, one byte a character only if every character is ASCII (comments included, which only
# minifying drops): 6.5 MiB as written before, 2.2 MiB so (bench/README.md, "Where memory goes").
# Stacks are read through dist/paypoint.js.map.
# --alias axios, axios-ntlm: node-soap loads them but the Register client never uses them (its own libcurl
# client): ~5 MiB of a field unit's memory (src/services/reports/soap-axios-absent.ts).
BUNDLE_FLAGS := --bundle --platform=node --format=esm --target=node20 --sourcemap --minify-whitespace --charset=ascii --log-level=warning \
	--external:serialport --external:@serialport/* --external:onoff --external:i2c-bus --external:unix-dgram \
	--external:node-libcurl \
	--alias:axios=./src/services/reports/soap-axios-absent.ts --alias:axios-ntlm=./src/services/reports/soap-axios-absent.ts \
	"--banner:js=import { createRequire as __ppCreateRequire } from 'node:module'; const require = __ppCreateRequire(import.meta.url);"

# The one compile step of `make build` (into dist/) and `make install` (into the installed package), in
# $(1): TypeScript to JavaScript, every wsdl/ directory of src/ next to its JavaScript, then the daemon as
# one file (dist/paypoint.js, source map beside it, its WSDL files in dist/wsdl/; beside it the GPIO
# helper process's entry, dist/onoff-helper.js, src/transports/gpio/onoff-helper.ts), which bin/paypoint
# runs: one file to read instead of ~430 modules, which is what a cold start on an SD card waits for
# (bench/README.md, "Cold start"). Native addons stay in node_modules. .build-stamp, written last, tells
# test/build-if-stale.ts (tap's "before") that dist/ is current.
TSC ?= npx tsc
ESBUILD ?= npx esbuild
define compile
	$(TSC) -p tsconfig.json --outDir $(abspath $(1))
	cd src && find . -type d -name wsdl | while read -r w; do \
	  rm -rf "$(abspath $(1))/$$w" && mkdir -p "$(abspath $(1))/$$(dirname "$$w")" && cp -r "$$w" "$(abspath $(1))/$$w"; done
	rm -rf $(abspath $(1))/wsdl && mkdir -p $(abspath $(1))/wsdl && cp src/services/soap/wsdl/* src/services/reports/wsdl/* $(abspath $(1))/wsdl/
	$(ESBUILD) src/cli/main.ts $(BUNDLE_FLAGS) --outfile=$(abspath $(1))/paypoint.js
	$(ESBUILD) src/transports/gpio/onoff-helper.ts $(BUNDLE_FLAGS) --outfile=$(abspath $(1))/onoff-helper.js
	touch $(abspath $(1))/.build-stamp
endef

# What the VM test needs besides deps (only for make test-vm / test-powercut): deps-apt's own recipe on
# the VM's package list.
deps-vm: deps
	@$(MAKE) --no-print-directory deps-apt APT_PACKAGES="$(VM_APT_PACKAGES)"
	@test/vm/deps-kernel.sh

# build does not reinstall packages (deps does): it only needs node_modules to exist.
build:
	@test -d node_modules || { echo 'run make deps first' >&2; exit 1; }
	$(call compile,dist)

# The one install step of the firmware, used by the image recipe (yocto-layer, paypoint_git.bb), the
# appliance boot test and the VM test (test/image/install-app.sh ROOT): the package in
# $(PREFIX)/lib/node_modules/paypoint (dist compiled here, bin, board, systemd, package.json), npm's bin
# link, the units, udev rules (systemd/ and board/udev/), sysusers.d and tmpfiles.d files, the appliance
# guide the units name (docs/appliance.md), and the mount points of the data and configuration
# partitions. Not node_modules: the recipe cross-builds them (npm.bbclass), install-app.sh copies the
# host's production packages. Needs the compilers (TSC, ESBUILD) only.
PREFIX ?= /usr
PKGDIR = $(DESTDIR)$(PREFIX)/lib/node_modules/paypoint
LIBDIR = $(DESTDIR)$(PREFIX)/lib
DOCDIR = $(DESTDIR)$(PREFIX)/share/doc/paypoint
install:
	rm -rf $(PKGDIR)/dist $(PKGDIR)/bin $(PKGDIR)/board $(PKGDIR)/systemd
	install -d $(PKGDIR) $(DESTDIR)$(PREFIX)/bin $(LIBDIR)/systemd/system $(LIBDIR)/udev/rules.d \
	  $(LIBDIR)/sysusers.d $(LIBDIR)/tmpfiles.d $(DOCDIR) $(DESTDIR)/var/lib/paypoint $(DESTDIR)/etc/paypoint
	$(call compile,$(PKGDIR)/dist)
	cp -r bin board systemd package.json $(PKGDIR)/
	ln -sfn ../lib/node_modules/paypoint/bin/paypoint $(DESTDIR)$(PREFIX)/bin/paypoint
	install -m 0644 $(wildcard systemd/*.service systemd/*.socket systemd/*.timer systemd/*.path \
	  systemd/*.mount systemd/*.target) $(LIBDIR)/systemd/system/
	install -m 0644 $(wildcard systemd/*.rules board/udev/*.rules) $(LIBDIR)/udev/rules.d/
	for c in systemd/*.sysusers.conf; do install -m 0644 "$$c" $(LIBDIR)/sysusers.d/$$(basename "$$c" .sysusers.conf).conf; done
	for c in systemd/*.tmpfiles.conf; do install -m 0644 "$$c" $(LIBDIR)/tmpfiles.d/$$(basename "$$c" .tmpfiles.conf).conf; done
	install -m 0644 docs/appliance.md $(DOCDIR)/appliance.md

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

# The Yocto layer under real BitBake (yocto-layer/README.md, "Checking the layer"): needs the layers of
# yocto-layer/kas/paypoint-rpi4.yml checked out at their pinned commits in LAYERS (make yocto-layers
# LAYERS=DIR makes them from local git mirrors, MIRRORS=/work/.mirror by default). Not part of `make test`
# (a fresh machine has no copy of those layers). Ends with "yocto check: N passed, N failed".
LAYERS ?=
MIRRORS ?= /work/.mirror
check-yocto:
	tools/yocto/check-yocto.sh $(LAYERS)

yocto-layers:
	@test -n "$(LAYERS)" || { echo 'usage: make yocto-layers LAYERS=DIR [MIRRORS=DIR]' >&2; exit 1; }
	tools/yocto/checkout-layers.sh $(LAYERS) $(MIRRORS)

# The recipe data generated from package-lock.json (npm-shrinkwrap.json, paypoint-licenses.inc): rewrite
# them after a dependency change. The layer lint (make test) fails while they are out of date.
recipe-data: deps
	node --import tsx tools/yocto/npm-recipe-data.ts --write

# The appliance on a real Linux kernel (test/vm/README.md): qemu-system-x86_64 (TCG) boots Debian's kernel
# with systemd and udev on disks laid out like the image, the application installed by
# test/image/install-app.sh; checks from the host (boot, power cuts with cache=none and with a volatile
# write-cache disk). Needs root. Kernel and base root file system cached in /var/cache/paypoint-vm-test
# (PAYPOINT_VM_CACHE). Ends with "vm test: N passed, N failed" (.ci/run adds it to the total).
test-vm: deps-vm
	nice test/vm/vm-test.sh

# A/B updates with RAUC on a real kernel (test/update/README.md): the VM of test-vm, booted through GRUB on
# its disk, with Debian's rauc 1.8 in the guest; bundles made on the host with rauc bundle. Needs root.
# Ends with "update test: N passed, N failed" (.ci/run adds it to the total).
UPDATE_APT_PACKAGES := rauc squashfs-tools grub-pc-bin grub-common e2fsprogs openssl
deps-update: deps-vm
	@$(MAKE) --no-print-directory deps-apt APT_PACKAGES="$(UPDATE_APT_PACKAGES)"

test-update: deps-update
	nice test/update/update-test.sh $(if $(CHECKS),--checks $(CHECKS))

# Long power-cut runs outside CI: make test-powercut CUTS=100 [SEED=...] (prints the seed and per-cut counts).
test-powercut: deps-vm
	nice test/vm/vm-test.sh --checks powercut --cuts $(CUTS) $(if $(SEED),--seed $(SEED))

# The SIGKILL test of the real daemon alone, with KILLS kills (test/integration/power-cut.test.ts; make
# test runs it with its default count): prints the seed, the counts, and how often the cash identity was checked.
KILLS ?= 200
test-kill: deps build
	POWER_CUT_KILLS=$(KILLS) $(if $(SEED),POWER_CUT_SEED=$(SEED)) npx tap --timeout=3600 test/integration/power-cut.test.ts

bench: deps build
	node --import tsx bench/run-all.ts

# The memory soak: 1,000,000 mixed requests, RSS sampled every 50,000 (bench/README.md).
bench-soak: deps build
	BENCH=soak node --import tsx bench/run-all.ts

clean:
	rm -rf dist .tap
