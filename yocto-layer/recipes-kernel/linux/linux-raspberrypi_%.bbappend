# Kernel options the PayPoint daemon depends on (files/paypoint.cfg explains each one).
FILESEXTRAPATHS:prepend := "${THISDIR}/files:"
SRC_URI += "file://paypoint.cfg"
