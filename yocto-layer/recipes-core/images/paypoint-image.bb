SUMMARY = "PayPoint kiosk firmware image for the reference unit (Raspberry Pi 4)"
DESCRIPTION = "Read-only systemd image with the PayPoint daemon, flashed to the unit's SD card: \
the A/B layout for RAUC updates (autoboot, boot A/B, root A/B), data and configuration partitions \
(wic/paypoint-rpi.wks)."
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

inherit core-image

# The SD-card layout, the Pi firmware's boot files and the LED overlay are the Raspberry Pi's: the image
# is not offered for other machines (a `bitbake world` elsewhere skips it instead of failing).
COMPATIBLE_MACHINE = "^rpi$"

IMAGE_FEATURES += "read-only-rootfs"

# paypoint-doc: the appliance guide that the units name (Documentation=file:/usr/share/doc/paypoint/...).
IMAGE_INSTALL += " \
    paypoint \
    paypoint-doc \
    kernel-modules \
    dosfstools \
    util-linux-mount \
    rauc \
    rauc-conf \
    rauc-hawkbit-updater \
"
# RAUC's own rauc-mark-good.service marks every boot good unconditionally; a unit marks its slot good
# only when the daemon is healthy (the project's units, installed by paypoint's make install).
BAD_RECOMMENDATIONS += "rauc-mark-good"

# wic: the SD card; ext4: the root file system the update bundle carries (recipes-core/bundles).
IMAGE_FSTYPES = "wic.bz2 wic.bmap ext4"
WKS_FILE = "paypoint-rpi.wks"
# The root must fit its slot (rootA/rootB, 1536 MiB in the .wks): fail the build, not the update.
IMAGE_ROOTFS_MAXSIZE = "1572864"

# The boot partitions are FAT images made by paypoint-bootfs (firmware, kernel, config.txt, cmdline.txt,
# the status LED overlay from board/overlays) and copied by wic's rawcopy.
do_image_wic[depends] += "paypoint-bootfs:do_deploy"

# A kiosk has no console user: no root login at all (no debug-tweaks, empty-root-password refused).
IMAGE_FEATURES:remove = "debug-tweaks empty-root-password allow-empty-password"
