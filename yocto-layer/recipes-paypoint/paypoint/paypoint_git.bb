SUMMARY = "PayPoint kiosk firmware: the payment daemon, its systemd units and udev rules"
DESCRIPTION = "The Node.js daemon that serves 1C's Pay/PayPoll over SOAP and drives the coin acceptor, \
bill validator, hoppers and card terminal, built from the project tree with its native addons \
(onoff/epoll, i2c-bus, serialport, node-libcurl, unix-dgram) cross-compiled for the target."
HOMEPAGE = "https://paypoint.invalid/"
SECTION = "apps"

# LICENSE and LIC_FILES_CHKSUM for the daemon (CLOSED) and every npm package shipped with it, generated
# from package-lock.json by test/yocto/npm-recipe-data.ts (the layer lint checks it is up to date).
require paypoint-licenses.inc
require paypoint-source.inc

# How the JavaScript and the native addons are built (see README.md, "The firmware recipe"):
# - npmsw:// reads npm-shrinkwrap.json (generated from the project's package-lock.json with the registry
#   URL of every package, which npm 11 leaves out of the lock file) and fetches each package tarball with
#   its sha512 integrity as the checksum. dev=1 also fetches the few build tools marked dev in that file
#   (the TypeScript compiler and type declarations); they are never installed on the target.
# - do_compile_ts runs the project's own pinned tsc before npm.bbclass packs the package.
# - npm.bbclass then runs `npm install` offline for the target architecture (NPM_ARCH, from TARGET_ARCH)
#   with --build-from-source, so node-gyp compiles every addon with the cross toolchain against the
#   headers of nodejs-native; prebuilt binaries shipped in packages are not used.
# destsuffix=git: the packages unpack into ${S}/node_modules, next to the sources (S = ${WORKDIR}/git).
SRC_URI += "npmsw://${THISDIR}/${BPN}/npm-shrinkwrap.json;dev=1;destsuffix=git"

inherit npm systemd useradd

# node-libcurl links libcurl; its binding.gyp asks curl-config (staged by curl's binconfig) for the flags.
DEPENDS += "curl openssl"
RDEPENDS:${PN} += "nodejs"

# Step 0: TypeScript to JavaScript, the same two steps as `make build` (tsc, then the WSDL next to the
# JavaScript). It must run before npm_do_configure packs ${S}. The compiler is typescript 7, a native
# binary for the build host (x86-64 or arm64 build machines), found through nodejs-native.
do_compile_ts() {
    cd ${S}
    node node_modules/typescript/bin/tsc -p tsconfig.json
    rm -rf dist/services/soap/wsdl
    mkdir -p dist/services/soap
    cp -r src/services/soap/wsdl dist/services/soap/wsdl
    # The same asset copies as `make build` (the processing server's WSDL for the Register client).
    rm -rf dist/services/reports/wsdl
    mkdir -p dist/services/reports
    cp -r src/services/reports/wsdl dist/services/reports/wsdl
}
addtask compile_ts after do_prepare_recipe_sysroot before do_configure
do_compile_ts[depends] += "nodejs-native:do_populate_sysroot"

PAYPOINT_PKGDIR = "${D}${nonarch_libdir}/node_modules/paypoint"

do_install:append() {
    # npm.bbclass installs the whole packed tree: keep what the daemon runs and loads at run time.
    for f in ${PAYPOINT_PKGDIR}/* ${PAYPOINT_PKGDIR}/.[!.]*; do
        [ -e "$f" ] || continue
        case "${f##*/}" in
            dist|bin|board|systemd|node_modules|package.json) ;;
            *) rm -rf "$f" ;;
        esac
    done
    # @serialport/bindings-cpp ships prebuilt addons for other platforms (prebuilds/): the one built by
    # node-gyp above (build/Release) is loaded first by node-gyp-build, and foreign ELF files would fail
    # the package QA's arch check.
    find ${PAYPOINT_PKGDIR}/node_modules -type d -name prebuilds -prune -exec rm -rf {} +

    # The units, udev rules, sysusers.d and tmpfiles.d files straight from the project's systemd/ (the
    # single source, issue 6), and the board's device permission rules from board/udev/.
    install -d ${D}${systemd_system_unitdir} ${D}${nonarch_base_libdir}/udev/rules.d \
               ${D}${nonarch_libdir}/sysusers.d ${D}${nonarch_libdir}/tmpfiles.d
    for u in ${S}/systemd/*.service ${S}/systemd/*.socket ${S}/systemd/*.timer ${S}/systemd/*.path \
             ${S}/systemd/*.mount ${S}/systemd/*.target; do
        [ -e "$u" ] && install -m 0644 "$u" ${D}${systemd_system_unitdir}/
    done
    for r in ${S}/systemd/*.rules ${S}/board/udev/*.rules; do
        [ -e "$r" ] && install -m 0644 "$r" ${D}${nonarch_base_libdir}/udev/rules.d/
    done
    for c in ${S}/systemd/*.sysusers.conf; do
        [ -e "$c" ] && install -m 0644 "$c" ${D}${nonarch_libdir}/sysusers.d/$(basename "$c" .sysusers.conf).conf
    done
    for c in ${S}/systemd/*.tmpfiles.conf; do
        [ -e "$c" ] && install -m 0644 "$c" ${D}${nonarch_libdir}/tmpfiles.d/$(basename "$c" .tmpfiles.conf).conf
    done

    # Mount points of the data and config partitions (wic/paypoint-rpi.wks): the root is read-only, so
    # they must exist in the image.
    install -d ${D}${localstatedir}/lib/paypoint ${D}${sysconfdir}/paypoint
}

# Enabled at boot; paypoint-usb-import@.service is started by 99-paypoint-usb.rules, never enabled.
SYSTEMD_SERVICE:${PN} = "paypoint.service"
SYSTEMD_AUTO_ENABLE:${PN} = "enable"

# The users and groups of systemd/paypoint.sysusers.conf, created at build time: systemd-sysusers cannot
# write /etc/passwd on the read-only root at boot. The layer lint checks the two agree.
USERADD_PACKAGES = "${PN}"
GROUPADD_PARAM:${PN} = "--system gpio; --system i2c"
USERADD_PARAM:${PN} = "--system --user-group --home-dir /var/lib/paypoint --no-create-home --shell /usr/sbin/nologin --comment 'PayPoint kiosk daemon' --groups gpio,i2c,dialout paypoint"

FILES:${PN} += " \
    ${systemd_system_unitdir} \
    ${nonarch_base_libdir}/udev/rules.d \
    ${nonarch_libdir}/sysusers.d \
    ${nonarch_libdir}/tmpfiles.d \
    ${localstatedir}/lib/paypoint \
    ${sysconfdir}/paypoint \
"
