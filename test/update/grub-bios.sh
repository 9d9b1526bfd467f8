#!/bin/bash
# Update test: GRUB (BIOS, i386-pc: Debian's grub-pc-bin) written onto a GPT disk image without loop
# devices or grub-install, the way grub-bios-setup does it: core.img (GRUB's kernel with the modules to
# read GPT, FAT and ext4, its environment block and the Linux loader; prefix on the boot partition) is
# put into the free sectors between the GPT entries and the first partition, and boot.img into the
# protective MBR's boot code, with the two pointers patched: boot.img's kernel sector (offset 0x5c) is
# core.img's first sector, and core.img's first sector (diskboot) ends with the block list of the rest
# (start, length in sectors; offset 0x1f4, 0x1fc). The MBR's disk signature and partition table stay.
#
# Usage: grub-bios.sh DISK.img PREFIX      (PREFIX e.g. '(hd0,gpt1)/grub')
set -euo pipefail
disk=${1:?usage: grub-bios.sh DISK PREFIX}
prefix=${2:?usage: grub-bios.sh DISK PREFIX}
lib=/usr/lib/grub/i386-pc
CORE_LBA=40
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grub-mkimage -O i386-pc -o "$tmp/core.img" -p "$prefix" \
  biosdisk part_gpt fat ext2 normal configfile loadenv test echo linux search search_label cat sleep serial terminal
size=$(stat -c %s "$tmp/core.img")
sectors=$(((size + 511) / 512))
# The first partition must start after core.img.
first=$(sfdisk --json "$disk" | python3 -c 'import json,sys; print(min(p["start"] for p in json.load(sys.stdin)["partitiontable"]["partitions"]))')
[ $((CORE_LBA + sectors)) -le "$first" ] || { echo "grub-bios.sh: core.img ($sectors sectors) does not fit before sector $first" >&2; exit 1; }
le() { # VALUE BYTES -> little-endian bytes as printf escapes
  local v=$1 n=$2 i out=''
  for ((i = 0; i < n; i++)); do out+=$(printf '\\x%02x' $(((v >> (8 * i)) & 255))); done
  printf '%s' "$out"
}
# core.img: its first sector's block list names the remaining sectors.
printf %b "$(le $((CORE_LBA + 1)) 8)$(le $((sectors - 1)) 2)" | dd of="$tmp/core.img" bs=1 seek=$((0x1f4)) conv=notrunc status=none
dd if="$tmp/core.img" of="$disk" bs=512 seek=$CORE_LBA conv=notrunc status=none
# boot.img's code (the first 440 bytes; the disk signature and partition table stay), then its pointers.
cp "$lib/boot.img" "$tmp/boot.img"
printf %b "$(le $CORE_LBA 8)" | dd of="$tmp/boot.img" bs=1 seek=$((0x5c)) conv=notrunc status=none
printf '\xff' | dd of="$tmp/boot.img" bs=1 seek=$((0x64)) conv=notrunc status=none
dd if="$tmp/boot.img" of="$disk" bs=440 count=1 conv=notrunc status=none
