#!/bin/bash
# VM test (make test-vm): the cached base root file system of the virtual machine. A minimal Debian 12
# built with mmdebstrap, like the boot test's base (test/image/build-rootfs.sh), plus what a real machine
# needs that a container does not: Debian's kernel (linux-image-amd64; qemu boots its vmlinuz and a small
# initramfs holding only the virtio disk and ext4 modules), udev, kmod, e2fsprogs (fsck of the data
# partition at boot), and systemd-networkd for qemu's user-mode network.
# Node and the application are NOT in the base: test/image/install-app.sh adds them on every run.
#
# Usage: build-rootfs.sh   -> prints the path of the base directory (built once, then reused).
# The cache key hashes suite, mirror, packages and the customize function (and mmdebstrap's version).
set -euo pipefail

CACHE_DIR=${PAYPOINT_VM_CACHE:-/var/cache/paypoint-vm-test}
SUITE=bookworm
MIRROR=${PAYPOINT_VM_MIRROR:-http://deb.debian.org/debian}
PACKAGES=systemd,systemd-sysv,udev,dbus,kmod,e2fsprogs,util-linux,linux-image-amd64,initramfs-tools,fuse,fusefat,libcurl4,i2c-tools
# A variant with more packages (the update test: rauc, rauc-service, grub-common): its own cache key; give
# it its own PAYPOINT_VM_CACHE too, or it replaces the default base there.
PACKAGES+=${PAYPOINT_VM_EXTRA_PACKAGES:+,$PAYPOINT_VM_EXTRA_PACKAGES}
DPKG_OPTS=(
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
)

# First boot asks nothing (fixed machine ID, hostname, locale, time zone); systemd-networkd runs. The
# fstab and the network's addresses are the disks' own (lib.sh: vmlib_fstab, vmlib_network), written by
# make-disks.sh and test/update/make-ab-disks.sh over the base. The initramfs holds only the modules
# needed to find the root (MODULES=list).
customize() {
  local root=$1 unit
  echo 5e1f0a7c2b9d4e6f8a1b3c5d7e9f0a2c >"$root/etc/machine-id"
  echo paypoint-vm >"$root/etc/hostname"
  echo LANG=C.UTF-8 >"$root/etc/locale.conf"
  ln -sf /usr/share/zoneinfo/Etc/UTC "$root/etc/localtime"
  for unit in systemd-firstboot.service getty@.service serial-getty@.service e2scrub_all.timer \
              e2scrub_reap.service systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer \
              fstrim.timer man-db.timer; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  mkdir -p "$root/etc/systemd/network"
  ln -sf /usr/lib/systemd/system/systemd-networkd.service \
    "$root/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
  ln -sf /usr/lib/systemd/system/systemd-networkd.socket \
    "$root/etc/systemd/system/sockets.target.wants/systemd-networkd.socket" 2>/dev/null || true
  printf 'MODULES=list\nCOMPRESS=gzip\n' >"$root/etc/initramfs-tools/conf.d/paypoint-vm.conf"
  printf 'virtio_pci\nvirtio_blk\next4\ncrc32c_generic\n' >>"$root/etc/initramfs-tools/modules"
  chroot "$root" update-initramfs -u -k all >/dev/null
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/*
}

# mmdebstrap calls this script back inside its customize step (proc, sys and dev are mounted there, which
# update-initramfs needs).
if [ "${1:-}" = --customize ]; then
  customize "$2"
  exit 0
fi

key=$( { echo "$SUITE $MIRROR $PACKAGES ${DPKG_OPTS[*]}"; declare -f customize; mmdebstrap --version; } | sha256sum | cut -c1-16)
base="$CACHE_DIR/base-$key"

if [ -f "$base/.complete" ]; then
  echo "$base"
  exit 0
fi

mkdir -p "$CACHE_DIR"
tmp="$CACHE_DIR/.building-$key-$$"
rm -rf --one-file-system "$tmp"
trap 'rm -rf --one-file-system "$tmp"' EXIT
echo "building the VM base root file system ($SUITE, $PACKAGES) in $tmp" >&2
mmdebstrap --mode=root --variant=minbase --quiet --include="$PACKAGES" "${DPKG_OPTS[@]}" \
  --customize-hook="'$(readlink -f "$0")' --customize \"\$1\"" \
  "$SUITE" "$tmp" "$MIRROR" >&2
touch "$tmp/.complete"
for old in "$CACHE_DIR"/base-*; do
  [ "$old" = "$base" ] || [ ! -d "$old" ] || rm -rf --one-file-system "$old"
done
mv "$tmp" "$base"
trap - EXIT
echo "$base"
