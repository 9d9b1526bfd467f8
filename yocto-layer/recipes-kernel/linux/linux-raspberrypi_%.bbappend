# Kernel options the PayPoint daemon depends on (files/paypoint.cfg explains each one), for the
# paypoint-os distribution only (override): adding this layer to another build changes nothing.
FILESEXTRAPATHS:prepend := "${THISDIR}/files:"
SRC_URI:append:paypoint-os = " file://paypoint.cfg"
