#!/bin/bash
# Update test: the bundles, made on the host with Debian's `rauc bundle` (rauc 1.8, plain format) from
# the slot image of make-ab-disks.sh, signed with the development signer (yocto-layer/files/rauc):
#   good.raucb              the update (version 2.0.0-vmtest; its root carries /etc/paypoint-update-test)
#   never-ready.raucb       a root whose daemon never gets ready (a drop-in replaces its ExecStart with
#                           a sleep: Type=notify never sees READY=1); version 3.0.0-never-ready
#   bad-signature.raucb     signed by a certificate the unit's keyring does not know (made here)
#   wrong-compatible.raucb  signed correctly, compatible "some-other-box"
#   truncated.raucb         good.raucb cut in half
# Usage: make-bundles.sh WORK
set -euo pipefail
work=${1:?usage: make-bundles.sh WORK}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
keys=$here/../../yocto-layer/files/rauc
COMPATIBLE=paypoint-vm-x86_64
b=$work/bundles
rm -rf "$b" && mkdir -p "$b"

bundle() { # NAME COMPATIBLE VERSION IMAGE CERT KEY
  local d=$b/$1.d
  mkdir -p "$d"
  ln "$4" "$d/rootfs.ext4" 2>/dev/null || cp "$4" "$d/rootfs.ext4"
  printf '[update]\ncompatible=%s\nversion=%s\n\n[image.rootfs]\nfilename=rootfs.ext4\n' "$2" "$3" >"$d/manifest.raucm"
  # lz4: the fastest compressor of the guest kernel's squashfs (gzip took 12 min for the 1 GiB root here).
  rauc bundle --mksquashfs-args="-comp lz4" --cert="$5" --key="$6" "$d" "$b/$1.raucb" >/dev/null
  rm -rf "$d"
}
dev_cert=$keys/development-1.cert.pem
dev_key=$keys/development-1.key.pem

bundle good "$COMPATIBLE" 2.0.0-vmtest "$work/rootfs-good.ext4" "$dev_cert" "$dev_key"

cp --sparse=always "$work/rootfs-good.ext4" "$b/never.ext4"
printf '[Service]\nExecStart=\nExecStart=/bin/sleep infinity\n' >"$b/never-ready.conf"
echo update-test-never-ready >"$b/marker"
debugfs -w -f - "$b/never.ext4" >/dev/null 2>&1 <<EOF2
mkdir /etc/systemd/system/paypoint.service.d
write $b/never-ready.conf /etc/systemd/system/paypoint.service.d/never-ready.conf
rm /etc/paypoint-update-test
write $b/marker /etc/paypoint-update-test
EOF2
bundle never-ready "$COMPATIBLE" 3.0.0-never-ready "$b/never.ext4" "$dev_cert" "$dev_key"
rm -f "$b/never.ext4"

# The refused ones carry a small image: they must never get as far as writing it.
mke2fs -q -F -t ext4 "$b/small.ext4" 4M
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$b/stranger.key.pem" -out "$b/stranger.cert.pem" \
  -days 2 -subj "/CN=not the vendor" -addext extendedKeyUsage=codeSigning 2>/dev/null
bundle bad-signature "$COMPATIBLE" 9.9.9 "$b/small.ext4" "$b/stranger.cert.pem" "$b/stranger.key.pem"
bundle wrong-compatible some-other-box 9.9.9 "$b/small.ext4" "$dev_cert" "$dev_key"
size=$(stat -c %s "$b/good.raucb")
head -c $((size / 2)) "$b/good.raucb" >"$b/truncated.raucb"
rm -f "$b/small.ext4"
ls -l "$b" >&2
