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
MiB=$((1024 * 1024))
BOOT_OFF=1 BOOT_SIZE=64
ROOTA_OFF=65 ROOTA_SIZE=1536
ROOTB_OFF=1601 ROOTB_SIZE=1536
CONFIG_OFF=3137 CONFIG_SIZE=32
ROOT_DISK=3170
DATA_OFF=1 DATA_SIZE=1024
DATA_DISK=1026

export PAYPOINT_VM_CACHE=${PAYPOINT_VM_CACHE:-/var/cache/paypoint-vm-test}/update
export PAYPOINT_VM_EXTRA_PACKAGES=rauc,rauc-service,grub-common,squashfs-tools
base=$("$vm/build-rootfs.sh")
kdirs=("$base"/lib/modules/*/)
kver=$(basename "${kdirs[0]}")

mkdir -p "$work/upper" "$work/ovl-work" "$work/root" "$work/config"
mount -t overlay overlay -o "lowerdir=$base,upperdir=$work/upper,workdir=$work/ovl-work" "$work/root"
trap 'umount "$work/root" 2>/dev/null || umount -l "$work/root"' EXIT
root=$work/root
"$repo/test/image/install-app.sh" "$root" >&2
for u in "$vm"/guest/paypoint-vm-shell* "$vm"/guest/paypoint-vm-sim*; do install -m 0644 "$u" "$root/etc/systemd/system/"; done
install -d "$root/etc/systemd/system/sockets.target.wants"
for s in "$vm"/guest/*.socket; do ln -sf "../$(basename "$s")" "$root/etc/systemd/system/sockets.target.wants/$(basename "$s")"; done
# RAUC: the test's system.conf and the development keyring; mark-good after every boot, and the watch that
# reboots into an update installed through RAUC by another client (the recipe's SYSTEMD_SERVICE).
install -D -m 0644 "$here/system.conf" "$root/etc/rauc/system.conf"
install -D -m 0644 "$repo/yocto-layer/files/rauc/ca.cert.pem" "$root/etc/rauc/ca.cert.pem"
systemctl --root="$root" --quiet enable paypoint-update-mark-good.service paypoint-update-watch.service
# The kernel each slot boots, where grub.cfg looks for it.
cp "$base/boot/vmlinuz-$kver" "$root/vmlinuz"
cp "$base/boot/initrd.img-$kver" "$root/initrd.img"
cat >"$root/etc/fstab" <<'FSTAB'
/dev/root          /                  ext4   ro,noatime                                  0 0
LABEL=BOOT         /boot              vfat   rw,noatime,nosuid,nodev,noexec,sync         0 0
LABEL=data         /var/lib/paypoint  ext4   defaults,noatime,nosuid,nodev,noexec        0 2
LABEL=config       /etc/paypoint      ext4   defaults,noatime,nosuid,nodev,noexec        0 2
tmpfs              /tmp               tmpfs  mode=1777,nosuid,nodev                      0 0
tmpfs              /var/tmp           tmpfs  mode=1777,nosuid,nodev                      0 0
tmpfs              /var/log           tmpfs  mode=0755,nosuid,nodev                      0 0
tmpfs              /var/lib/systemd   tmpfs  mode=0755,nosuid,nodev                      0 0
FSTAB
printf '[Match]\nName=en* eth*\n[Network]\nAddress=10.0.2.15/24\nGateway=10.0.2.2\n' >"$root/etc/systemd/network/50-user-net.network"
if [ -d "$work/dropins" ]; then cp -a "$work/dropins/." "$root/etc/systemd/system/"; fi

install -d -m 0750 "$work/config"
[ -f "$work/paypoint.toml" ] && install -m 0640 "$work/paypoint.toml" "$work/config/paypoint.toml"
gid=$(awk -F: '$1 == "paypoint" { print $3 }' "$root/etc/group")
chown -R "0:$gid" "$work/config"

rm -f "$work/root.img" "$work/data.img"
truncate -s $((ROOT_DISK * MiB)) "$work/root.img"
sfdisk --quiet "$work/root.img" <<EOF2
label: gpt
start=$((BOOT_OFF * 2048)), size=$((BOOT_SIZE * 2048)), type=uefi, name=boot
start=$((ROOTA_OFF * 2048)), size=$((ROOTA_SIZE * 2048)), type=linux, name=rootA
start=$((ROOTB_OFF * 2048)), size=$((ROOTB_SIZE * 2048)), type=linux, name=rootB
start=$((CONFIG_OFF * 2048)), size=$((CONFIG_SIZE * 2048)), type=linux, name=config
EOF2
mkfs.vfat -F 16 -n BOOT --offset $((BOOT_OFF * 2048)) "$work/root.img" $((BOOT_SIZE * 1024)) >/dev/null
mkdir -p "$work/bootfs/grub"
install -m 0644 "$here/grub.cfg" "$work/bootfs/grub/grub.cfg"
grub-editenv "$work/bootfs/grub/grubenv" create
grub-editenv "$work/bootfs/grub/grubenv" set ORDER="A B" A_OK=1 A_TRY=0 B_OK=0 B_TRY=0
mcopy -s -i "$work/root.img@@$((BOOT_OFF * MiB))" "$work/bootfs/grub" ::/
"$here/grub-bios.sh" "$work/root.img" '(hd0,gpt1)/grub'
mkfs.ext4 -q -F -L rootA -E offset=$((ROOTA_OFF * MiB)) -d "$root" "$work/root.img" $((ROOTA_SIZE * 1024))k
mkfs.ext4 -q -F -L config -E offset=$((CONFIG_OFF * MiB)) -d "$work/config" "$work/root.img" $((CONFIG_SIZE * 1024))k

# The update's slot image: the same root, marked so the test can tell which one runs; sized to its content.
echo "update-test-good" >"$root/etc/paypoint-update-test"
kb=$(du -sk --one-file-system "$root" | cut -f1)
mkfs.ext4 -q -F -L root -d "$root" "$work/rootfs-good.ext4" $((kb * 5 / 4 + 65536))k
rm -f "$root/etc/paypoint-update-test"

truncate -s $((DATA_DISK * MiB)) "$work/data.img"
sfdisk --quiet "$work/data.img" <<EOF2
label: gpt
start=$((DATA_OFF * 2048)), size=$((DATA_SIZE * 2048)), type=linux, name=data
EOF2
mkfs.ext4 -q -F -L data -E offset=$((DATA_OFF * MiB)) "$work/data.img" $((DATA_SIZE * 1024))k
