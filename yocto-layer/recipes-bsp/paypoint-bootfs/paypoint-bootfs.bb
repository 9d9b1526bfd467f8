SUMMARY = "Raspberry Pi boot partitions of the PayPoint A/B layout, as FAT images"
DESCRIPTION = "paypoint-bootfs.vfat: one slot's boot partition (firmware, kernel, DTBs, overlays, \
config.txt, cmdline.txt), written by wic into bootA and bootB and carried by the RAUC bundle for the \
boot slot. paypoint-autoboot.vfat: the first partition, holding only autoboot.txt."
SECTION = "bsp"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

# The Pi firmware's files and its autoboot.txt: Raspberry Pi only.
COMPATIBLE_MACHINE = "^rpi$"
INHIBIT_DEFAULT_DEPS = "1"
DEPENDS = "dosfstools-native mtools-native"

inherit deploy nopackages

SRC_URI = "file://autoboot.txt"
S = "${WORKDIR}"

# What goes on a boot partition: meta-raspberrypi's IMAGE_BOOT_FILES (firmware, kernel, DTBs and their
# overlays), the same list wic's bootimg-partition copies, plus the status LED overlay compiled from
# board/overlays (the firmware loads overlays/<name>.dtbo for dtoverlay=<name> in config.txt).
IMAGE_BOOT_FILES:append = " devicetree/paypoint-led-overlay.dtbo;overlays/paypoint-led.dtbo"

# Sizes in KiB: must equal the --fixed-size of the partitions in wic/paypoint-rpi.wks (RAUC copies the
# image into the slot, which must be at least as large).
PAYPOINT_BOOTFS_SIZE_KB = "131072"
PAYPOINT_AUTOBOOT_SIZE_KB = "16384"

do_configure[noexec] = "1"
do_compile[noexec] = "1"

do_deploy() {
    img=${DEPLOYDIR}/paypoint-bootfs.vfat
    rm -f "$img"
    mkfs.vfat -n PPBOOT -C "$img" ${PAYPOINT_BOOTFS_SIZE_KB}
    # Entries are SOURCE or SOURCE;DESTINATION, SOURCE relative to DEPLOY_DIR_IMAGE, maybe a glob (as wic's
    # bootimg-partition reads them). Globbing is off while the list is split, on for each SOURCE.
    boot_files='${IMAGE_BOOT_FILES}'
    set -f
    for entry in $boot_files; do
        src=${entry%%;*}
        dst=""
        case "$entry" in *\;*) dst=${entry#*;} ;; esac
        found=0
        set +f
        files=$(ls -d ${DEPLOY_DIR_IMAGE}/$src 2>/dev/null || true)
        set -f
        for f in $files; do
            [ -f "$f" ] || continue
            found=1
            name=${dst:-$(basename "$f")}
            dir=$(dirname "$name")
            if [ "$dir" != "." ]; then
                mdir -i "$img" "::$dir" >/dev/null 2>&1 || mmd -i "$img" "::$dir"
            fi
            mcopy -i "$img" -o "$f" "::$name"
        done
        [ "$found" = 1 ] || bbfatal "boot file '$src' (IMAGE_BOOT_FILES) is not in ${DEPLOY_DIR_IMAGE}"
    done
    set +f

    auto=${DEPLOYDIR}/paypoint-autoboot.vfat
    rm -f "$auto"
    mkfs.vfat -n PPAUTOBOOT -C "$auto" ${PAYPOINT_AUTOBOOT_SIZE_KB}
    mcopy -i "$auto" ${WORKDIR}/autoboot.txt ::autoboot.txt
}
# Everything IMAGE_BOOT_FILES names is deployed by these (meta-raspberrypi's own wic dependencies, plus
# config.txt and cmdline.txt, which rpi-bootfiles' deploy does not wait for, and our overlay).
do_deploy[depends] += " \
    virtual/kernel:do_deploy \
    rpi-bootfiles:do_deploy \
    rpi-config:do_deploy \
    rpi-cmdline:do_deploy \
    paypoint-overlays:do_deploy \
"
addtask deploy after do_install before do_build
