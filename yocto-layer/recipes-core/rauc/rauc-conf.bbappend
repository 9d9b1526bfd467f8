# The unit's RAUC configuration (files/system.conf) and the keyring bundles must chain to, for the
# paypoint-os distribution only (override): adding this layer to another build changes nothing.
# The keyring is ${PAYPOINT_RAUC_KEYS}/${RAUC_KEYRING_FILE}: the project's DEVELOPMENT CA unless a vendor
# sets PAYPOINT_RAUC_KEYS to its own directory (conf/distro/paypoint-os.conf).
FILESEXTRAPATHS:prepend:paypoint-os := "${THISDIR}/files:"
FILESEXTRAPATHS:prepend:paypoint-os = "${PAYPOINT_RAUC_KEYS}:"
RAUC_KEYRING_FILE:paypoint-os = "ca.cert.pem"

do_install:append:paypoint-os() {
    sed -i 's/@PAYPOINT_RAUC_COMPATIBLE@/${PAYPOINT_RAUC_COMPATIBLE}/' ${D}${sysconfdir}/rauc/system.conf
    if grep -q '@PAYPOINT_RAUC_COMPATIBLE@' ${D}${sysconfdir}/rauc/system.conf; then
        bbfatal "system.conf: the compatible string was not set"
    fi
}
# No do_install[vardeps] line for PAYPOINT_RAUC_COMPATIBLE: BitBake finds the ${...} reference in the
# body above by itself, under paypoint-os only, while the flag would apply to every distribution and change
# rauc-conf's signature there (yocto-layer/README.md, "yocto-check-layer").
