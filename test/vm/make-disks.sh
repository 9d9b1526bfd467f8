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
# shellcheck source=test/vm/lib.sh
. "$here/lib.sh"
DATA_SIZE=256

vmlib_root "$work"
vmlib_guest_units "$here"/guest/*.socket "$here"/guest/*.service
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
# The read-only root; boot is FAT as on the card, not mounted.
# The data and config partitions may be waited for longer than systemd's 90 s default: on a busy host a
# TCG guest's udev can announce them late, and a missed wait ends the boot in emergency mode (seen twice
# at a load average of 20+ on this 2-core machine; which unit failed was not recorded then).
vmlib_fstab LABEL=rootA 'ro,noatime,noauto                           0 0' ',x-systemd.device-timeout=10min'
vmlib_network
# The reports check's second network (its own qemu user net, cut with set_link): its NIC by MAC, no gateway.
printf '[Match]\nMACAddress=52:54:00:12:35:99\n[Network]\nAddress=10.0.3.15/24\n' \
  >"$root/etc/systemd/network/10-vm-reports-net.network"
vmlib_config "$work"

vmlib_root_disk "$work"
mcopy -i "$work/root.img@@$((BOOT_OFF * MiB))" "$base/boot/vmlinuz-$kver" "$base/boot/initrd.img-$kver" ::/
vmlib_root_fs "$work"
vmlib_data_disk "$work" "$DATA_SIZE"

cp --sparse=always "$work/data.img" "$work/data-empty.img"
cp "$base/boot/vmlinuz-$kver" "$work/vmlinuz"
cp "$base/boot/initrd.img-$kver" "$work/initrd.img"
echo "DATA_OFFSET=$((DATA_OFF * MiB))" >"$work/disks.env"
echo "KERNEL_VERSION=$kver" >>"$work/disks.env"
