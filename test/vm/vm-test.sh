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
# shellcheck source=test/vm/lib.sh
. "$here/lib.sh"
vmlib_start "vm test" vm deps-vm qemu-system-x86_64 mmdebstrap mkfs.ext4 sfdisk mkfs.vfat mcopy python3 node

# The daemon's configuration on the config partition; simulated devices (the default).
vmlib_unit_toml "vm test" >"$work/paypoint.toml"

t0=$SECONDS
if ! out=$("$here/make-disks.sh" "$work" 2>&1); then
  vmlib_fail "disks made (base root file system, application installed by test/image/install-app.sh)" "$out"
fi
echo "# disks made in $((SECONDS - t0)) s (base root file system cached in ${PAYPOINT_VM_CACHE:-/var/cache/paypoint-vm-test})"
cd "$repo" || exit 1
node --import tsx "$here/run.ts" --work "$work" "$@"
