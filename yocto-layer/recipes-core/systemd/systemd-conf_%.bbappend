# systemd pets the SoC's hardware watchdog (bcm2835-wdt): if PID 1 or the kernel hangs, the board resets.
FILESEXTRAPATHS:prepend := "${THISDIR}/${PN}:"
SRC_URI += "file://10-paypoint-watchdog.conf"

do_install:append() {
    install -d ${D}${systemd_unitdir}/system.conf.d
    install -m 0644 ${WORKDIR}/10-paypoint-watchdog.conf ${D}${systemd_unitdir}/system.conf.d/
}

FILES:${PN} += "${systemd_unitdir}/system.conf.d/10-paypoint-watchdog.conf"
