SUMMARY = "PayPoint kiosk firmware image for the reference unit (Raspberry Pi 4)"
DESCRIPTION = "Read-only systemd image with the PayPoint daemon, flashed to the unit's SD card: \
boot, root A, room for root B, data and configuration partitions (wic/paypoint-rpi.wks)."
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
"

IMAGE_FSTYPES = "wic.bz2 wic.bmap"
WKS_FILE = "paypoint-rpi.wks"

# The status LED overlay from board/overlays (recipes-bsp/paypoint-overlays): the Pi firmware loads
# overlays/<name>.dtbo for dtoverlay=<name> in config.txt (board/config.txt).
IMAGE_BOOT_FILES:append = " devicetree/paypoint-led-overlay.dtbo;overlays/paypoint-led.dtbo"
do_image_wic[depends] += "paypoint-overlays:do_deploy"

# A kiosk has no console user: no root login at all (no debug-tweaks, empty-root-password refused).
IMAGE_FEATURES:remove = "debug-tweaks empty-root-password allow-empty-password"
