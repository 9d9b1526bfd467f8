#!/bin/bash
# Appliance boot test (issue 7, item 4): installs the application layer into a root file system the way
# the image recipe does (yocto-layer/recipes-paypoint/paypoint/paypoint_git.bb, do_install:append and
# npm.bbclass), so the boot test exercises the same paths, units and users as a field unit:
#   /usr/lib/node_modules/paypoint/{dist,bin,board,systemd,node_modules,package.json}
#   /usr/bin/paypoint -> ../lib/node_modules/paypoint/bin/paypoint   (npm's bin link)
#   /usr/lib/systemd/system/*.service   /usr/lib/udev/rules.d/*.rules (systemd/ and board/udev/)
#   /usr/lib/sysusers.d/paypoint.conf   /usr/lib/tmpfiles.d/paypoint.conf
#   /var/lib/paypoint, /etc/paypoint; users from sysusers; paypoint.service enabled.
# Differences from the image, all because this is the build host's architecture: Node is the host's
# own binary (Debian 12's nodejs is 18, too old), and node_modules are the host's production packages
# with the addons built here (the recipe cross-builds them from source; serialport's prebuilt linux-x64
# binary is kept here because nothing built it from source on this host).
#
# Usage: install-app.sh ROOT   (node_modules must be installed: make deps)
set -euo pipefail

root=${1:?usage: install-app.sh ROOT}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pkg="$root/usr/lib/node_modules/paypoint"


# Node: the host's binary and nothing else (its shared libraries are checked below, inside ROOT).
install -D -m 0755 "$(readlink -f "$(command -v node)")" "$root/usr/bin/node"

# The package: what the recipe keeps (dist bin board systemd node_modules package.json).
rm -rf "$pkg"
install -d "$pkg"
cp -a "$repo/bin" "$repo/board" "$repo/systemd" "$repo/package.json" "$pkg/"
# dist/ compiled here, not copied from the shared tree's dist/ (a concurrent `make build` empties parts
# of it): the same steps as `make build`, TypeScript then every WSDL directory next to its JavaScript.
(cd "$repo" && npx tsc -p tsconfig.json --outDir "$pkg/dist")
while IFS= read -r w; do
  rel=${w#"$repo/src/"}
  install -d "$pkg/dist/$(dirname "$rel")"
  cp -a "$w" "$pkg/dist/$rel"
done < <(find "$repo/src" -type d -name wsdl)
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
install -d "$root/usr/bin"
ln -sfn ../lib/node_modules/paypoint/bin/paypoint "$root/usr/bin/paypoint"

# Units, udev rules, sysusers.d and tmpfiles.d: the same globs and names as the recipe's do_install.
unitdir="$root/usr/lib/systemd/system"
rulesdir="$root/usr/lib/udev/rules.d"
install -d "$unitdir" "$rulesdir" "$root/usr/lib/sysusers.d" "$root/usr/lib/tmpfiles.d"
for u in "$repo"/systemd/*.service "$repo"/systemd/*.socket "$repo"/systemd/*.timer "$repo"/systemd/*.path \
         "$repo"/systemd/*.mount "$repo"/systemd/*.target; do
  [ -e "$u" ] && install -m 0644 "$u" "$unitdir/"
done
for r in "$repo"/systemd/*.rules "$repo"/board/udev/*.rules; do
  [ -e "$r" ] && install -m 0644 "$r" "$rulesdir/"
done
for c in "$repo"/systemd/*.sysusers.conf; do
  [ -e "$c" ] && install -m 0644 "$c" "$root/usr/lib/sysusers.d/$(basename "$c" .sysusers.conf).conf"
done
for c in "$repo"/systemd/*.tmpfiles.conf; do
  [ -e "$c" ] && install -m 0644 "$c" "$root/usr/lib/tmpfiles.d/$(basename "$c" .tmpfiles.conf).conf"
done
install -d "$root/var/lib/paypoint" "$root/etc/paypoint"

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
