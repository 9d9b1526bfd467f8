# The Raspberry Pi settings of the reference unit (UART for the bill validator / card terminal, I2C for
# the I/O expander, the status LED overlay) come from the project's board/config.txt, appended to the
# config.txt that meta-raspberrypi's rpi-config generates. The file is fetched from the project tree
# (PAYPOINT_TREE, conf/layer.conf), so BitBake rebuilds the boot files when it changes. Only for the
# paypoint-os distribution (override): adding this layer to another build changes nothing.
FILESEXTRAPATHS:prepend:paypoint-os := "${PAYPOINT_TREE}/board:"
SRC_URI:append:paypoint-os = " file://config.txt;subdir=paypoint-board"

do_deploy:append:paypoint-os() {
    {
        echo ""
        echo "# --- PayPoint board settings (board/config.txt) ---"
        cat ${WORKDIR}/paypoint-board/config.txt
    } >> ${DEPLOYDIR}/${BOOTFILES_DIR_NAME}/config.txt
}
