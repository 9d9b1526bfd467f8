SUMMARY = "PayPoint firmware update bundle (RAUC)"
DESCRIPTION = "The signed .raucb a unit installs from a USB stick or a hawkBit server: the root file \
system of paypoint-image and the boot partition for the slot it goes into."
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

inherit bundle

# The image's slots and boot files are the Raspberry Pi's.
COMPATIBLE_MACHINE = "^rpi$"

# Must equal the compatible= of the unit's system.conf (recipes-core/rauc/rauc-conf.bbappend): both come
# from PAYPOINT_RAUC_COMPATIBLE.
RAUC_BUNDLE_COMPATIBLE = "${PAYPOINT_RAUC_COMPATIBLE}"
RAUC_BUNDLE_VERSION = "${DISTRO_VERSION}"
RAUC_BUNDLE_DESCRIPTION = "${DISTRO_NAME} ${DISTRO_VERSION}"
# verity: signed, and checked block by block while it is installed (system.conf refuses plain bundles).
RAUC_BUNDLE_FORMAT = "verity"

RAUC_BUNDLE_SLOTS = "rootfs boot"
RAUC_SLOT_rootfs = "paypoint-image"
RAUC_SLOT_rootfs[fstype] = "ext4"
# The FAT image wic also writes into bootA and bootB (recipes-bsp/paypoint-bootfs).
RAUC_SLOT_boot = "paypoint-bootfs"
RAUC_SLOT_boot[type] = "file"
RAUC_SLOT_boot[file] = "paypoint-bootfs.vfat"
RAUC_SLOT_boot[rename] = "paypoint-bootfs.vfat"

# The signer: the project's DEVELOPMENT key and certificate by default (yocto-layer/files/rauc, public,
# NOT FOR FIELD UNITS). A vendor sets both in its local.conf or distribution, to files (or PKCS#11 URIs)
# outside this repository.
RAUC_KEY_FILE ?= "${PAYPOINT_RAUC_KEYS}/development-1.key.pem"
RAUC_CERT_FILE ?= "${PAYPOINT_RAUC_KEYS}/development-1.cert.pem"
