#!/bin/bash
# VM test (make test-vm, make test-powercut; test/vm/README.md): the appliance on a real Linux kernel.
# Builds (or reuses) the cached base root file system with Debian's kernel, installs the application
# with the image's install step (test/image/install-app.sh) into disks laid out like the image
# (make-disks.sh), boots them in qemu-system-x86_64 (TCG) and runs the checks of run.ts from the host.
# Prints TAP, then "vm test: N passed, N failed" (.ci/run adds these counts).
#
# Usage: vm-test.sh [run.ts options: --checks LIST --cuts N --nbd-cuts N --seed S]
# Needs root (overlay mount of the base), qemu-system-x86, mmdebstrap, e2fsprogs, fdisk, dosfstools,
# mtools (make deps-vm). The work directory is removed unless a check failed (then test-artifacts/vm/).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
started=$SECONDS

summary_fail() {
  echo "not ok 1 - $1"
  shift
  for l in "$@"; do echo "  # $l"; done
  echo "1..1"
  echo "vm test: 0 passed, 1 failed"
  exit 1
}

for cmd in qemu-system-x86_64 mmdebstrap mkfs.ext4 sfdisk mkfs.vfat mcopy python3 node; do
  command -v "$cmd" >/dev/null || summary_fail "tools present" "$cmd is not installed (make deps-vm)"
done
[ "$(id -u)" = 0 ] || summary_fail "runs as root" "the VM test needs root (mmdebstrap, overlay mount)"

work=$(mktemp -d /var/tmp/paypoint-vm-test.XXXXXX)
cleanup() {
  local rc=$?
  mountpoint -q "$work/root" && umount -l "$work/root"
  if [ "$rc" -ne 0 ]; then
    mkdir -p "$repo/test-artifacts/vm"
    cp "$work"/*.log "$repo/test-artifacts/vm/" 2>/dev/null
    echo "# logs kept in test-artifacts/vm/"
  fi
  rm -rf --one-file-system "$work"
  echo "# vm test took $((SECONDS - started)) s"
}
trap cleanup EXIT

# The daemon's configuration on the config partition: SOAP and the status page on every address of the
# guest (qemu forwards them from the host's loopback only); simulated devices (the default).
cat >"$work/paypoint.toml" <<'TOML'
# Written by test/vm/vm-test.sh
[api]
port = 8080
bind = "0.0.0.0"

[status]
port = 8081
bind = "0.0.0.0"

[unit]
name = "vm test"
TOML

t0=$SECONDS
if ! out=$("$here/make-disks.sh" "$work" 2>&1); then
  summary_fail "disks made (base root file system, application installed by test/image/install-app.sh)" "$out"
fi
echo "# disks made in $((SECONDS - t0)) s (base root file system cached in ${PAYPOINT_VM_CACHE:-/var/cache/paypoint-vm-test})"
cd "$repo" || exit 1
node --import tsx "$here/run.ts" --work "$work" "$@"
