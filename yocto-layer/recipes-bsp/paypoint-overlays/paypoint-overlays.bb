SUMMARY = "PayPoint device-tree overlays (status LED) from the project's board/overlays"
SECTION = "bsp"
# Our own overlay sources; the project is proprietary (package.json: "license": "UNLICENSED").
LICENSE = "CLOSED"
LIC_FILES_CHKSUM = "file://package.json;beginline=5;endline=5;md5=64a20d2a090a60fc1ed79fd329c92b56"

require recipes-paypoint/paypoint/paypoint-source.inc

inherit devicetree
# devicetree.bbclass sets S to the work directory; the project tree is unpacked in git/.
S = "${WORKDIR}/git"

COMPATIBLE_MACHINE = "^rpi$"
# Compiled as the kernel compiles overlays (dtc -@, kernel include paths); CI compiles the same files with
# the host's dtc (test/board/overlays.test.ts).
DT_FILES_PATH = "${S}/board/overlays"
