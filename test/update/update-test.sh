#!/bin/bash
# Update test (make test-update; test/update/README.md): A/B updates with RAUC on a real kernel. Builds
# the A/B virtual machine's disks (make-ab-disks.sh: GRUB on the disk, rauc in the root), the bundles on
# the host with Debian's rauc (make-bundles.sh), boots it in qemu and runs the checks of run.ts.
# Prints TAP, then "update test: N passed, N failed" (.ci/run adds these counts).
#
# Usage: update-test.sh [--checks refused,good,powercut,hawkbit,never-ready]
# (the default: all but hawkbit; boot always runs; make test-update CHECKS=LIST passes --checks)
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=test/vm/lib.sh
. "$repo/test/vm/lib.sh"
vmlib_start "update test" update deps-update qemu-system-x86_64 mmdebstrap mkfs.ext4 sfdisk mkfs.vfat mcopy rauc mksquashfs \
  grub-mkimage grub-editenv debugfs openssl node

# The unit's configuration: ports on every guest address (forwarded from the host's loopback only), the
# admin secret that bundle sticks must carry (run.ts), a short mark-good limit, a long session timeout.
hash=$(printf '%s' 'vm-update-secret' | sha256sum | cut -d' ' -f1)
{
  vmlib_unit_toml "update test"
  cat <<TOML
admin_secret_sha256 = "$hash"

[update]
mark_good_timeout_s = 60

# The hawkbit check keeps a session open across a whole installation under TCG (minutes): no inactivity
# timeout meanwhile.
[pos]
session_timeout_s = 1800
TOML
} >"$work/paypoint.toml"

t0=$SECONDS
out=$("$here/make-ab-disks.sh" "$work" 2>&1) || vmlib_fail "A/B disks made (base root file system with rauc, GRUB, the application)" "$out"
echo "# A/B disks made in $((SECONDS - t0)) s"
t0=$SECONDS
out=$("$here/make-bundles.sh" "$work" 2>&1) || vmlib_fail "bundles made with rauc bundle" "$out"
echo "# bundles made in $((SECONDS - t0)) s"
cd "$repo" || exit 1
nice node --import tsx "$here/run.ts" --work "$work" "$@"
