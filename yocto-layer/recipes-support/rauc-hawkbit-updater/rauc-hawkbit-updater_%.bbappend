# rauc-hawkbit-updater (meta-rauc) on a PayPoint unit, paypoint-os only: off unless configured. Its unit
# is enabled (the root is read-only, nothing could enable it later), and files/paypoint.conf keeps it
# from starting until the daemon has written /run/paypoint-hawkbit/rauc-hawkbit-updater.conf, which it then
# reads instead of the example under /etc/rauc-hawkbit-updater (removed: it is not ours).
FILESEXTRAPATHS:prepend:paypoint-os := "${THISDIR}/files:"
SRC_URI:append:paypoint-os = " file://paypoint.conf"

do_install:append:paypoint-os() {
    install -d ${D}${systemd_system_unitdir}/rauc-hawkbit-updater.service.d
    install -m 0644 ${WORKDIR}/paypoint.conf ${D}${systemd_system_unitdir}/rauc-hawkbit-updater.service.d/paypoint.conf
    rm -rf ${D}${sysconfdir}/${BPN}
}
FILES:${PN}:append:paypoint-os = " ${systemd_system_unitdir}/rauc-hawkbit-updater.service.d"
