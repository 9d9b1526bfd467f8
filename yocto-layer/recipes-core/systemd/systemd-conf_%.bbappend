# systemd pets the SoC's hardware watchdog (bcm2835-wdt): if PID 1 or the kernel hangs, the board resets.
# Only for the paypoint-os distribution (override): adding this layer to another build changes nothing
# (yocto-check-layer's signature test).
FILESEXTRAPATHS:prepend:paypoint-os := "${THISDIR}/${PN}:"
SRC_URI:append:paypoint-os = " file://10-paypoint-watchdog.conf"

do_install:append:paypoint-os() {
    install -d ${D}${systemd_unitdir}/system.conf.d
    install -m 0644 ${WORKDIR}/10-paypoint-watchdog.conf ${D}${systemd_unitdir}/system.conf.d/
}

FILES:${PN}:append:paypoint-os = " ${systemd_unitdir}/system.conf.d/10-paypoint-watchdog.conf"
