#!/bin/bash
# Appliance boot test (yocto-layer/README.md): the cached base root file system. A minimal Debian 12 built with
# mmdebstrap, holding only what the units need at run time: systemd (PID 1, journald, sysusers,
# tmpfiles), dbus (timedatectl, used by the daemon's clock check), fuse + fusefat (the import mounts a
# FAT image file through fusefat: this build machine's kernel has no vfat) and libcurl4 (node-libcurl's
# addon links it). Node and the application are NOT in the base: install-app.sh adds them on every run.
#
# Usage: build-rootfs.sh   -> prints the path of the base directory (built once, then reused).
# The cache key is a hash of what goes into the base (suite, mirror, packages, dpkg filters, the
# customize function below) and of mmdebstrap's version: changing any of them builds a new base, and
# the older bases are removed. Editing comments does not.
set -euo pipefail

CACHE_DIR=${PAYPOINT_IMAGE_CACHE:-/var/cache/paypoint-image-test}
SUITE=bookworm
MIRROR=${PAYPOINT_IMAGE_MIRROR:-http://deb.debian.org/debian}
PACKAGES=systemd,dbus,fuse,fusefat,libcurl4
# No manuals, documentation or translations in the base (copyright files stay).
DPKG_OPTS=(
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
)

# First boot must not ask anything: a fixed machine ID, hostname, locale and time zone; no consoles
# (the test talks to the container through nsenter). No apt lists or packages kept.
customize() {
  local root=$1 unit
  echo 5e1f0a7c2b9d4e6f8a1b3c5d7e9f0a2b >"$root/etc/machine-id"
  echo paypoint-test >"$root/etc/hostname"
  echo LANG=C.UTF-8 >"$root/etc/locale.conf"
  ln -sf /usr/share/zoneinfo/Etc/UTC "$root/etc/localtime"
  for unit in systemd-firstboot.service console-getty.service getty@.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/*
}

key=$( { echo "$SUITE $MIRROR $PACKAGES ${DPKG_OPTS[*]}"; declare -f customize; mmdebstrap --version; } | sha256sum | cut -c1-16)
base="$CACHE_DIR/base-$key"

if [ -f "$base/.complete" ]; then
  echo "$base"
  exit 0
fi

mkdir -p "$CACHE_DIR"
tmp="$CACHE_DIR/.building-$key-$$"
# --one-file-system: never follow into anything mmdebstrap may have left mounted there.
rm -rf --one-file-system "$tmp"
trap 'rm -rf --one-file-system "$tmp"' EXIT
echo "building the base root file system ($SUITE, $PACKAGES) in $tmp" >&2
mmdebstrap --mode=root --variant=minbase --quiet --include="$PACKAGES" "${DPKG_OPTS[@]}" \
  "$SUITE" "$tmp" "$MIRROR" >&2
customize "$tmp"
touch "$tmp/.complete"
# Only one base is kept: the others were built from an older package list.
for old in "$CACHE_DIR"/base-*; do
  [ "$old" = "$base" ] || [ ! -d "$old" ] || rm -rf --one-file-system "$old"
done
mv "$tmp" "$base"
trap - EXIT
echo "$base"
