# RAUC on a PayPoint unit (paypoint-os only): the custom bootloader backend for the Pi firmware's tryboot
# (files/paypoint-rauc-tryboot, named by system.conf), which reads and writes the FAT boot partitions with
# mtools (no FAT partition is mounted).
FILESEXTRAPATHS:prepend:paypoint-os := "${THISDIR}/files:"
SRC_URI:append:paypoint-os = " file://paypoint-rauc-tryboot"

do_install:append:paypoint-os() {
    install -d ${D}${nonarch_libdir}/rauc
    install -m 0755 ${WORKDIR}/paypoint-rauc-tryboot ${D}${nonarch_libdir}/rauc/paypoint-rauc-tryboot
}
FILES:${PN}:append:paypoint-os = " ${nonarch_libdir}/rauc/paypoint-rauc-tryboot"
RDEPENDS:${PN}:append:paypoint-os = " mtools"
