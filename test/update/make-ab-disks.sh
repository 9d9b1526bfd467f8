#!/bin/bash
# Update test: the A/B virtual machine's disks. Like test/vm/make-disks.sh (same base root file system
# with rauc, rauc-service, grub-common (grub-editenv) and squashfs-tools (rauc info reads the manifest with unsquashfs) added, same install step test/image/install-app.sh, same
# test-only guest units), but booted by a real boot loader on the disk that RAUC drives: GRUB (BIOS)
# written by grub-bios.sh, grub.cfg and its environment block on the boot partition.
#   root.img  GPT  p1 BOOT (FAT: grub/grub.cfg, grub/grubenv)  p2 rootA (ext4, read-only)  p3 rootB
#                  (empty until an update)  p4 config (ext4, /etc/paypoint)
#   data.img  GPT  p1 data (ext4, /var/lib/paypoint; room for a bundle's copy)
# Also WORK/rootfs-good.ext4: slot image of the same root with a marker of the update (for bundles).
#
# Usage: make-ab-disks.sh WORK
set -euo pipefail
work=${1:?usage: make-ab-disks.sh WORK}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
vm=$repo/test/vm
# shellcheck source=test/vm/lib.sh
. "$vm/lib.sh"
DATA_SIZE=1024

export PAYPOINT_VM_CACHE=${PAYPOINT_VM_CACHE:-/var/cache/paypoint-vm-test}/update
export PAYPOINT_VM_EXTRA_PACKAGES=rauc,rauc-service,grub-common,squashfs-tools
vmlib_root "$work"
vmlib_guest_units "$vm"/guest/paypoint-vm-shell* "$vm"/guest/paypoint-vm-sim*
# RAUC: the test's system.conf and the development keyring; mark-good after every boot, and the watch that
# reboots into an update installed through RAUC by another client (the recipe's SYSTEMD_SERVICE).
install -D -m 0644 "$here/system.conf" "$root/etc/rauc/system.conf"
install -D -m 0644 "$repo/yocto-layer/files/rauc/ca.cert.pem" "$root/etc/rauc/ca.cert.pem"
systemctl --root="$root" --quiet enable paypoint-update-mark-good.service paypoint-update-watch.service
# The kernel each slot boots, where grub.cfg looks for it.
cp "$base/boot/vmlinuz-$kver" "$root/vmlinuz"
cp "$base/boot/initrd.img-$kver" "$root/initrd.img"
# The root named by the kernel command line GRUB writes (root=/dev/vdaN of the slot it chose); the boot
# partition read-write: RAUC writes GRUB's environment block there.
vmlib_fstab /dev/root 'rw,noatime,nosuid,nodev,noexec,sync         0 0' ''
# The FAT driver and its character sets loaded by systemd-modules-load (libkmod) before the mounts: left to
# the kernel's own request when /boot is mounted, under a loaded host the request failed once ("FAT-fs
# (vda1): IO charset ascii not found", /boot not mounted, emergency mode). Likely cause, unconfirmed (its
# warning is below the console's loglevel): kernel/kmod.c gives up a module request after 5 s while its 50
# concurrent modprobes are busy, as udev's module loads at boot keep them on a slow TCG guest.
printf 'vfat\nnls_cp437\nnls_ascii\n' >"$root/etc/modules-load.d/paypoint-vm-boot.conf"
vmlib_network
vmlib_config "$work"

vmlib_root_disk "$work"
mkdir -p "$work/bootfs/grub"
install -m 0644 "$here/grub.cfg" "$work/bootfs/grub/grub.cfg"
grub-editenv "$work/bootfs/grub/grubenv" create
grub-editenv "$work/bootfs/grub/grubenv" set ORDER="A B" A_OK=1 A_TRY=0 B_OK=0 B_TRY=0
mcopy -s -i "$work/root.img@@$((BOOT_OFF * MiB))" "$work/bootfs/grub" ::/
"$here/grub-bios.sh" "$work/root.img" '(hd0,gpt1)/grub'
vmlib_root_fs "$work"

# The update's slot image: the same root, marked so the test can tell which one runs; sized to its content.
echo "update-test-good" >"$root/etc/paypoint-update-test"
kb=$(du -sk --one-file-system "$root" | cut -f1)
mkfs.ext4 -q -F -L root -d "$root" "$work/rootfs-good.ext4" $((kb * 5 / 4 + 65536))k
rm -f "$root/etc/paypoint-update-test"

vmlib_data_disk "$work" "$DATA_SIZE"
