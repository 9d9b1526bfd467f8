# shellcheck shell=bash disable=SC2034  # sourced: its variables are used by the scripts that source it
# Shared steps of the VM test (test/vm: vm-test.sh, make-disks.sh) and the update test (test/update:
# update-test.sh, make-ab-disks.sh), sourced by them (never run). Both machines have the same disks
# (laid out like yocto-layer/wic/paypoint-rpi.wks) and the same root: the cached base of build-rootfs.sh
# with the application installed by the image's own step (test/image/install-app.sh).
#   root.img  GPT  p1 boot (FAT)  p2 rootA (ext4, read-only)  p3 rootB  p4 config (ext4, /etc/paypoint)
#   data.img  GPT  p1 data (ext4, /var/lib/paypoint), on its own disk (opened with cache=none)
# No loop devices: mkfs writes each file system at its offset.

VMLIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VMLIB_REPO=$(cd "$VMLIB_DIR/../.." && pwd)

# ---- the runners (vm-test.sh, update-test.sh) ----

# vmlib_fail LABEL LINE...: the run's only TAP line, not ok, and its summary; exits 1. VMLIB_NAME names
# the summary ("vm test: 0 passed, 1 failed"), which .ci/run adds up.
vmlib_fail() {
  echo "not ok 1 - $1"
  shift
  for l in "$@"; do echo "  # $l"; done
  echo "1..1"
  echo "$VMLIB_NAME: 0 passed, 1 failed"
  exit 1
}

# vmlib_start NAME ARTIFACTS DEPS-TARGET TOOL...: the tools present and root, then a fresh work directory
# in $work, removed at exit; its logs kept in test-artifacts/ARTIFACTS/ when the run failed.
vmlib_start() {
  VMLIB_NAME=$1 VMLIB_ARTIFACTS=$2
  local deps=$3 cmd
  shift 3
  VMLIB_STARTED=$SECONDS
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null || vmlib_fail "tools present" "$cmd is not installed (make $deps)"
  done
  [ "$(id -u)" = 0 ] || vmlib_fail "runs as root" "the $VMLIB_NAME needs root (mmdebstrap, overlay mount)"
  work=$(mktemp -d "/var/tmp/paypoint-${VMLIB_NAME// /-}.XXXXXX")
  trap vmlib_cleanup EXIT
}

vmlib_cleanup() {
  local rc=$?
  mountpoint -q "$work/root" && umount -l "$work/root"
  if [ "$rc" -ne 0 ]; then
    mkdir -p "$VMLIB_REPO/test-artifacts/$VMLIB_ARTIFACTS"
    cp "$work"/*.log "$VMLIB_REPO/test-artifacts/$VMLIB_ARTIFACTS/" 2>/dev/null
    echo "# logs kept in test-artifacts/$VMLIB_ARTIFACTS/"
  fi
  rm -rf --one-file-system "$work"
  echo "# $VMLIB_NAME took $((SECONDS - VMLIB_STARTED)) s"
}

# vmlib_unit_toml NAME: the head of the daemon's configuration on the config partition: SOAP and the
# status page on every address of the guest (qemu forwards them from the host's loopback only).
vmlib_unit_toml() {
  cat <<TOML
# Written by the $VMLIB_NAME (test/vm/lib.sh)
[api]
port = 8080
bind = "0.0.0.0"

[status]
port = 8081
bind = "0.0.0.0"

[unit]
name = "$1"
TOML
}

# ---- the disks (make-disks.sh, make-ab-disks.sh) ----

MiB=$((1024 * 1024))
# Offsets and sizes in MiB (the .wks sizes, smaller where a VM needs less; rootB as big as rootA).
BOOT_OFF=1 BOOT_SIZE=64
ROOTA_OFF=65 ROOTA_SIZE=1536
ROOTB_OFF=1601 ROOTB_SIZE=1536
CONFIG_OFF=3137 CONFIG_SIZE=32
ROOT_DISK=3170
DATA_OFF=1

# vmlib_root WORK: the cached base (build-rootfs.sh; PAYPOINT_VM_CACHE and PAYPOINT_VM_EXTRA_PACKAGES
# choose the variant) under an overlay at WORK/root, unmounted at exit, with the application installed.
# Sets base, kver, root.
vmlib_root() {
  local w=$1 kdirs
  base=$("$VMLIB_DIR/build-rootfs.sh")
  kdirs=("$base"/lib/modules/*/)
  kver=$(basename "${kdirs[0]}")
  mkdir -p "$w/upper" "$w/ovl-work" "$w/root" "$w/config"
  mount -t overlay overlay -o "lowerdir=$base,upperdir=$w/upper,workdir=$w/ovl-work" "$w/root"
  # shellcheck disable=SC2064  # the path is fixed now
  trap "umount '$w/root' 2>/dev/null || umount -l '$w/root'" EXIT
  root=$w/root
  "$VMLIB_REPO/test/image/install-app.sh" "$root" >&2
}

# vmlib_guest_units UNIT-FILE...: test-only units (never in the image): installed, and their sockets
# enabled (a root shell and the simulation control for the host, on ports forwarded from its loopback).
vmlib_guest_units() {
  local u s
  for u in "$@"; do install -m 0644 "$u" "$root/etc/systemd/system/"; done
  install -d "$root/etc/systemd/system/sockets.target.wants"
  for s in "$VMLIB_DIR"/guest/*.socket; do
    ln -sf "../$(basename "$s")" "$root/etc/systemd/system/sockets.target.wants/$(basename "$s")"
  done
}

# vmlib_fstab ROOT-DEVICE BOOT-OPTIONS EXTRA-OPTIONS: the read-only root's fstab, by label like the image
# (.wks --use-label), tmpfs where systemd writes at run time; EXTRA-OPTIONS go to data and config.
vmlib_fstab() {
  {
    printf '%-18s %-18s %-6s %s\n' "$1" / ext4 'ro,noatime                                  0 0'
    printf '%-18s %-18s %-6s %s\n' LABEL=BOOT /boot vfat "$2"
    printf '%-18s %-18s %-6s %s\n' LABEL=data /var/lib/paypoint ext4 "defaults,noatime,nosuid,nodev,noexec$3 0 2"
    printf '%-18s %-18s %-6s %s\n' LABEL=config /etc/paypoint ext4 "defaults,noatime,nosuid,nodev,noexec$3 0 2"
    cat <<'FSTAB'
tmpfs              /tmp               tmpfs  mode=1777,nosuid,nodev                      0 0
tmpfs              /var/tmp           tmpfs  mode=1777,nosuid,nodev                      0 0
tmpfs              /var/log           tmpfs  mode=0755,nosuid,nodev                      0 0
tmpfs              /var/lib/systemd   tmpfs  mode=0755,nosuid,nodev                      0 0
FSTAB
  } >"$root/etc/fstab"
}

# vmlib_network: qemu's user-mode network has fixed addresses: a static configuration starts faster than DHCP.
vmlib_network() {
  printf '[Match]\nName=en* eth*\n[Network]\nAddress=10.0.2.15/24\nGateway=10.0.2.2\n' \
    >"$root/etc/systemd/network/50-user-net.network"
}

# vmlib_config WORK: extra unit settings for a check (WORK/dropins/UNIT.d/*.conf), and the config
# partition's content: what the image's config partition holds at first boot (WORK/paypoint.toml).
vmlib_config() {
  local w=$1 gid
  if [ -d "$w/dropins" ]; then cp -a "$w/dropins/." "$root/etc/systemd/system/"; fi
  install -d -m 0750 "$w/config"
  if [ -f "$w/paypoint.toml" ]; then install -m 0640 "$w/paypoint.toml" "$w/config/paypoint.toml"; fi
  gid=$(awk -F: '$1 == "paypoint" { print $3 }' "$root/etc/group")
  chown -R "0:$gid" "$w/config"
}

# vmlib_root_disk WORK: root.img partitioned, its boot partition an empty FAT (the caller fills it).
vmlib_root_disk() {
  local w=$1
  rm -f "$w/root.img"
  truncate -s $((ROOT_DISK * MiB)) "$w/root.img"
  sfdisk --quiet "$w/root.img" <<EOF
label: gpt
start=$((BOOT_OFF * 2048)), size=$((BOOT_SIZE * 2048)), type=uefi, name=boot
start=$((ROOTA_OFF * 2048)), size=$((ROOTA_SIZE * 2048)), type=linux, name=rootA
start=$((ROOTB_OFF * 2048)), size=$((ROOTB_SIZE * 2048)), type=linux, name=rootB
start=$((CONFIG_OFF * 2048)), size=$((CONFIG_SIZE * 2048)), type=linux, name=config
EOF
  mkfs.vfat -F 16 -n BOOT --offset $((BOOT_OFF * 2048)) "$w/root.img" $((BOOT_SIZE * 1024)) >/dev/null
}

# vmlib_root_fs WORK: rootA from the overlay and the config partition from WORK/config.
vmlib_root_fs() {
  local w=$1
  mkfs.ext4 -q -F -L rootA -E offset=$((ROOTA_OFF * MiB)) -d "$root" "$w/root.img" $((ROOTA_SIZE * 1024))k
  mkfs.ext4 -q -F -L config -E offset=$((CONFIG_OFF * MiB)) -d "$w/config" "$w/root.img" $((CONFIG_SIZE * 1024))k
}

# vmlib_data_disk WORK SIZE-MIB: data.img with its one ext4 partition.
vmlib_data_disk() {
  local w=$1 size=$2
  rm -f "$w/data.img"
  truncate -s $(((DATA_OFF + size + 1) * MiB)) "$w/data.img"
  sfdisk --quiet "$w/data.img" <<EOF
label: gpt
start=$((DATA_OFF * 2048)), size=$((size * 2048)), type=linux, name=data
EOF
  mkfs.ext4 -q -F -L data -E offset=$((DATA_OFF * MiB)) "$w/data.img" $((size * 1024))k
}
