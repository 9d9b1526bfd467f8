#!/bin/bash
# VM test: the virtual machine's two disks, laid out like the image (yocto-layer/wic/paypoint-rpi.wks),
# with the application installed by the image's install step (test/image/install-app.sh):
#   root.img  GPT  p1 boot (FAT: kernel, initramfs)  p2 rootA (ext4, mounted read-only)
#                  p3 rootB (empty, room for the second root)  p4 config (ext4, /etc/paypoint)
#   data.img  GPT  p1 data (ext4, /var/lib/paypoint): on its own disk, so that it alone is opened with
#                  cache=none (or through the NBD write-cache model) for the power cuts.
# The VM boots the kernel and initramfs directly (qemu -kernel: the boot loader's part); copies are on
# the boot partition as on the card. Partitions are named by label (fstab), as with wic --use-label.
#
# Usage: make-disks.sh WORK   -> WORK/{root.img,data.img,vmlinuz,initrd.img,disks.env}
# No loop devices or mounts of the images: mke2fs -d writes each file system at its offset.
set -euo pipefail

work=${1:?usage: make-disks.sh WORK}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
MiB=$((1024 * 1024))
# Offsets and sizes in MiB (the .wks sizes, smaller where a VM needs less; rootB as big as rootA).
BOOT_OFF=1 BOOT_SIZE=64
ROOTA_OFF=65 ROOTA_SIZE=1536
ROOTB_OFF=1601 ROOTB_SIZE=1536
CONFIG_OFF=3137 CONFIG_SIZE=32
ROOT_DISK=3170
DATA_OFF=1 DATA_SIZE=256
DATA_DISK=258

base=$("$here/build-rootfs.sh")
kdirs=("$base"/lib/modules/*/)
kver=$(basename "${kdirs[0]}")

mkdir -p "$work/upper" "$work/ovl-work" "$work/root" "$work/config"
mount -t overlay overlay -o "lowerdir=$base,upperdir=$work/upper,workdir=$work/ovl-work" "$work/root"
trap 'umount "$work/root" 2>/dev/null || umount -l "$work/root"' EXIT
root=$work/root

"$repo/test/image/install-app.sh" "$root" >&2

# Test-only units (never in the image): a shell and the simulation control for the host, on ports
# forwarded from the host's loopback only.
for u in "$here"/guest/*.socket "$here"/guest/*.service; do install -m 0644 "$u" "$root/etc/systemd/system/"; done
install -d "$root/etc/systemd/system/sockets.target.wants"
for s in "$here"/guest/*.socket; do
  ln -sf "../$(basename "$s")" "$root/etc/systemd/system/sockets.target.wants/$(basename "$s")"
done
# gpio-sim for this kernel (cached module), its chip set up before the daemon starts, and the pulse
# player that drives its lines with the board's timings (a static binary: the guest has no compiler).
ko=$("$here/build-gpio-sim.sh" "$kver")
install -D -m 0644 "$ko" "$root/lib/modules/$kver/extra/gpio-sim-vm.ko"
chroot "$root" depmod -a "$kver"
gcc -O2 -Wall -static -o "$root/usr/local/bin/pulse-player" "$here/guest/pulse-player.c"
for f in "$here"/guest/vm-*-profile.json; do install -D -m 0644 "$f" "$root/usr/local/share/paypoint-vm/$(basename "$f")"; done
ln -sf ../paypoint-vm-gpio-sim.service "$root/etc/systemd/system/multi-user.target.wants/paypoint-vm-gpio-sim.service"
# A TCG guest on a busy host runs many times slower than a board: systemd's 90 s default start timeout
# failed systemd-networkd and the gpio-sim unit at a load average of 26 (their names on the console with
# systemd.show_status=error), and without the network the host cannot reach the guest. VM only.
install -d "$root/usr/lib/systemd/system.conf.d"
printf '[Manager]\nDefaultTimeoutStartSec=10min\n' >"$root/usr/lib/systemd/system.conf.d/50-paypoint-vm-slow.conf"
# The daemon's own 2 min start limit too (its store load and start took longer there).
install -d "$root/etc/systemd/system/paypoint.service.d"
printf '[Service]\nTimeoutStartSec=10min\n' >"$root/etc/systemd/system/paypoint.service.d/50-vm-slow.conf"
# systemd pets the hardware watchdog as on the image (the image's own system.conf.d file).
install -D -m 0644 "$repo/yocto-layer/recipes-core/systemd/systemd-conf/10-paypoint-watchdog.conf" \
  "$root/usr/lib/systemd/system.conf.d/10-paypoint-watchdog.conf"
# The read-only root: fstab by label, tmpfs where systemd writes at run time. Boot is FAT as on the card.
# The data and config partitions may be waited for longer than systemd's 90 s default: on a busy host a
# TCG guest's udev can announce them late, and a missed wait ends the boot in emergency mode (seen twice
# at a load average of 20+ on this 2-core machine; which unit failed was not recorded then).
cat >"$root/etc/fstab" <<'FSTAB'
LABEL=rootA        /                  ext4   ro,noatime                                  0 0
LABEL=BOOT         /boot              vfat   ro,noatime,noauto                           0 0
LABEL=data         /var/lib/paypoint  ext4   defaults,noatime,nosuid,nodev,noexec,x-systemd.device-timeout=10min 0 2
LABEL=config       /etc/paypoint      ext4   defaults,noatime,nosuid,nodev,noexec,x-systemd.device-timeout=10min 0 2
tmpfs              /tmp               tmpfs  mode=1777,nosuid,nodev                      0 0
tmpfs              /var/tmp           tmpfs  mode=1777,nosuid,nodev                      0 0
tmpfs              /var/log           tmpfs  mode=0755,nosuid,nodev                      0 0
tmpfs              /var/lib/systemd   tmpfs  mode=0755,nosuid,nodev                      0 0
FSTAB
# qemu's user-mode network has fixed addresses: a static configuration starts faster than DHCP.
printf '[Match]\nName=en* eth*\n[Network]\nAddress=10.0.2.15/24\nGateway=10.0.2.2\n' \
  >"$root/etc/systemd/network/50-user-net.network"
# The reports check's second network (its own qemu user net, cut with set_link): its NIC by MAC, no gateway.
printf '[Match]\nMACAddress=52:54:00:12:35:99\n[Network]\nAddress=10.0.3.15/24\n' \
  >"$root/etc/systemd/network/10-vm-reports-net.network"
# Extra unit settings for a test (watchdog, ...) come from the caller in WORK/dropins/UNIT.d/*.conf.
if [ -d "$work/dropins" ]; then cp -a "$work/dropins/." "$root/etc/systemd/system/"; fi

# The config partition's content: what the image's config partition holds at first boot.
install -d -m 0750 "$work/config"
if [ -f "$work/paypoint.toml" ]; then
  install -m 0640 "$work/paypoint.toml" "$work/config/paypoint.toml"
fi
gid=$(awk -F: '$1 == "paypoint" { print $3 }' "$root/etc/group")
chown -R "0:$gid" "$work/config"

rm -f "$work/root.img" "$work/data.img"
truncate -s $((ROOT_DISK * MiB)) "$work/root.img"
sfdisk --quiet "$work/root.img" <<EOF
label: gpt
start=$((BOOT_OFF * 2048)), size=$((BOOT_SIZE * 2048)), type=uefi, name=boot
start=$((ROOTA_OFF * 2048)), size=$((ROOTA_SIZE * 2048)), type=linux, name=rootA
start=$((ROOTB_OFF * 2048)), size=$((ROOTB_SIZE * 2048)), type=linux, name=rootB
start=$((CONFIG_OFF * 2048)), size=$((CONFIG_SIZE * 2048)), type=linux, name=config
EOF
mkfs.vfat -F 16 -n BOOT --offset $((BOOT_OFF * 2048)) "$work/root.img" $((BOOT_SIZE * 1024)) >/dev/null
mcopy -i "$work/root.img@@$((BOOT_OFF * MiB))" "$base/boot/vmlinuz-$kver" "$base/boot/initrd.img-$kver" ::/
mkfs.ext4 -q -F -L rootA -E offset=$((ROOTA_OFF * MiB)) -d "$root" "$work/root.img" $((ROOTA_SIZE * 1024))k
mkfs.ext4 -q -F -L config -E offset=$((CONFIG_OFF * MiB)) -d "$work/config" "$work/root.img" $((CONFIG_SIZE * 1024))k

truncate -s $((DATA_DISK * MiB)) "$work/data.img"
sfdisk --quiet "$work/data.img" <<EOF
label: gpt
start=$((DATA_OFF * 2048)), size=$((DATA_SIZE * 2048)), type=linux, name=data
EOF
mkfs.ext4 -q -F -L data -E offset=$((DATA_OFF * MiB)) "$work/data.img" $((DATA_SIZE * 1024))k

cp --sparse=always "$work/data.img" "$work/data-empty.img"
cp "$base/boot/vmlinuz-$kver" "$work/vmlinuz"
cp "$base/boot/initrd.img-$kver" "$work/initrd.img"
echo "DATA_OFFSET=$((DATA_OFF * MiB))" >"$work/disks.env"
echo "KERNEL_VERSION=$kver" >>"$work/disks.env"
