#!/bin/bash
# Installs the application into a root file system with the project's one install step,
# `make install DESTDIR=ROOT` (the image recipe's do_install runs the same target), then adds what the
# image gets from elsewhere:
#   Node: the host's own binary (the image has meta-oe's nodejs; Debian 12's nodejs is 18, too old);
#   node_modules: the host's production packages with the addons built here (the recipe cross-builds
#     them from source with npm.bbclass; serialport's prebuilt linux-x64 binary is kept here because
#     nothing built it from source on this host);
#   the users of sysusers.d (the recipe's useradd class) and paypoint.service enabled (SYSTEMD_SERVICE).
# Used by the appliance boot test and the VM test.
#
# Usage: install-app.sh ROOT   (node_modules must be installed: make deps)
set -euo pipefail

root=${1:?usage: install-app.sh ROOT}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pkg="$root/usr/lib/node_modules/paypoint"

# Node: the host's binary and nothing else (its shared libraries are checked below, inside ROOT).
install -D -m 0755 "$(readlink -f "$(command -v node)")" "$root/usr/bin/node"

# The package, its bin link, units, udev rules, sysusers/tmpfiles and mount points: the install step.
# (dist/ is compiled into ROOT by it, never copied from the shared tree's dist/.)
rm -rf "$pkg"
make -s -C "$repo" install DESTDIR="$root" >/dev/null
# Production dependencies only (npm's own view of the tree, as `npm install --omit=dev` would leave it).
# Sorted, a parent directory comes before the packages nested in it, which its copy already holds.
mapfile -t deps < <(cd "$repo" && { npm ls --omit=dev --all --parseable 2>/dev/null || true; } |
  sed -n "s|^$repo/||p" | grep '^node_modules/' | sort -u |
  awk '{ if (kept != "" && index($0, kept "/") == 1) next; kept = $0; print }')
[ "${#deps[@]}" -gt 10 ] || { echo "install-app.sh: npm ls found only ${#deps[@]} production packages" >&2; exit 1; }
for d in "${deps[@]}"; do
  install -d "$pkg/$(dirname "$d")"
  cp -a "$repo/$d" "$pkg/$(dirname "$d")/"
done
# Users at build time, as the recipe's useradd class does (the image's root is read-only at boot).
systemd-sysusers --root="$root" >/dev/null
# SYSTEMD_SERVICE / SYSTEMD_AUTO_ENABLE = enable.
systemctl --root="$root" --quiet enable paypoint.service

# Every shared library of Node and of the native addons must resolve inside ROOT, not on the host.
# Only the addons Node loads on x86-64 glibc (other prebuilt platforms are never loaded).
missing=""
while IFS= read -r f; do
  case "$f" in
    */obj.target/*) continue ;;
    */build/Release/*.node | */lib/binding/*.node | */prebuilds/linux-x64/*glibc.node) ;;
    *) continue ;;
  esac
  missing+=$(chroot "$root" ldd "${f#"$root"}" | sed -n "s|^|${f#"$root"}: |; /not found/p")
done < <(echo "$root/usr/bin/node"; find "$pkg/node_modules" -name '*.node')
if [ -n "$missing" ]; then
  echo "install-app.sh: libraries missing in the root file system:" >&2
  echo "$missing" >&2
  exit 1
fi
