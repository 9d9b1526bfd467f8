# Kernel options the PayPoint daemon depends on (files/paypoint.cfg explains each one), for the
# paypoint-os distribution only (override): adding this layer to another build changes nothing. The
# search path is conditional too: kernel-yocto checksums every fragment found in FILESPATH, listed in
# SRC_URI or not.
FILESEXTRAPATHS:prepend:paypoint-os := "${THISDIR}/files:"
SRC_URI:append:paypoint-os = " file://paypoint.cfg"
