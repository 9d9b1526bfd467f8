#!/bin/bash
# VM test: gpio-sim for the VM's kernel, built out of tree (Debian's kernels do not build it: no
# CONFIG_GPIO_SIM, no CONFIG_IRQ_SIM). One module from three files of the kernel's own source
# (linux-source-6.1 of the same version as the VM's kernel): drivers/gpio/gpio-sim.c,
# drivers/gpio/gpiolib.h and kernel/irq/irq_sim.c, built with kbuild against linux-headers-KVER.
# irq_sim.c calls handle_simple_irq(irq_to_desc(irq)); irq_to_desc is not exported to modules, so that
# call becomes generic_handle_irq(irq), which looks the descriptor up and calls the same handler.
#
# Usage: build-gpio-sim.sh KVER   -> prints the path of gpio-sim-vm.ko (built once, then cached).
set -euo pipefail

kver=${1:?usage: build-gpio-sim.sh KVER}
CACHE_DIR=${PAYPOINT_VM_CACHE:-/var/cache/paypoint-vm-test}
headers=/usr/src/linux-headers-$kver
tarballs=(/usr/src/linux-source-6.1.tar.*)
tarball=${tarballs[0]}
[ -d "$headers" ] || { echo "build-gpio-sim.sh: $headers missing (make deps-vm)" >&2; exit 1; }
[ -e "$tarball" ] || { echo "build-gpio-sim.sh: /usr/src/linux-source-6.1.tar.* missing (make deps-vm)" >&2; exit 1; }

src_version=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( { echo "$kver $src_version"; sed -n '/^# BUILD/,$p' "$0"; } | sha256sum | cut -c1-16)
out="$CACHE_DIR/gpio-sim-$kver-$key"
if [ -f "$out/gpio-sim-vm.ko" ]; then
  echo "$out/gpio-sim-vm.ko"
  exit 0
fi
# BUILD (everything below is part of the cache key)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -C "$tmp" -xf "$tarball" --strip-components=1 --wildcards \
  '*/drivers/gpio/gpio-sim.c' '*/drivers/gpio/gpiolib.h' '*/kernel/irq/irq_sim.c'
mkdir -p "$tmp/m"
cp "$tmp/drivers/gpio/gpio-sim.c" "$tmp/drivers/gpio/gpiolib.h" "$tmp/kernel/irq/irq_sim.c" "$tmp/m/"
grep -q 'handle_simple_irq(irq_to_desc(irqnum))' "$tmp/m/irq_sim.c" ||
  { echo "build-gpio-sim.sh: irq_sim.c does not have the expected handle_simple_irq call" >&2; exit 1; }
sed -i 's/handle_simple_irq(irq_to_desc(irqnum))/generic_handle_irq(irqnum)/' "$tmp/m/irq_sim.c"
printf 'obj-m := gpio-sim-vm.o\ngpio-sim-vm-y := gpio-sim.o irq_sim.o\n' >"$tmp/m/Kbuild"
make -s -C "$headers" M="$tmp/m" modules >&2
mkdir -p "$out"
cp "$tmp/m/gpio-sim-vm.ko" "$out/"
for old in "$CACHE_DIR"/gpio-sim-*; do [ "$old" = "$out" ] || rm -rf "$old"; done
echo "$out/gpio-sim-vm.ko"
