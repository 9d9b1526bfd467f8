SUMMARY = "PayPoint kiosk firmware: the payment daemon, its systemd units and udev rules"
DESCRIPTION = "The Node.js daemon that serves 1C's Pay/PayPoll over SOAP and drives the coin acceptor, \
bill validator, hoppers and card terminal, built from the project tree with its native addons \
(onoff/epoll, i2c-bus, serialport, node-libcurl, unix-dgram) cross-compiled for the target."
HOMEPAGE = "https://paypoint.invalid/"
SECTION = "apps"

# LICENSE and LIC_FILES_CHKSUM for the daemon (CLOSED) and every npm package shipped with it, generated
# from package-lock.json by tools/yocto/npm-recipe-data.ts (the layer lint checks it is up to date).
require paypoint-licenses.inc
require paypoint-source.inc

# How the JavaScript and the native addons are built (see yocto-layer/README.md, "The firmware recipe"):
# - npmsw:// reads npm-shrinkwrap.json (generated from the project's package-lock.json with the registry
#   URL of every package, which npm 11 leaves out of the lock file) and fetches each package tarball with
#   its sha512 integrity as the checksum. dev=1 also fetches the few build tools marked dev in that file
#   (the TypeScript compiler, esbuild and type declarations); they are never installed on the target.
# - npm.bbclass then runs `npm install` offline for the target architecture (NPM_ARCH, from TARGET_ARCH)
#   with --build-from-source, so node-gyp compiles every addon with the cross toolchain against the
#   headers of nodejs-native; prebuilt binaries shipped in packages are not used.
# destsuffix=git: the packages unpack into ${S}/node_modules, next to the sources (S = ${WORKDIR}/git).
SRC_URI += "npmsw://${THISDIR}/${BPN}/npm-shrinkwrap.json;dev=1;destsuffix=git"

inherit npm systemd useradd

# node-libcurl links libcurl; its binding.gyp asks curl-config (staged by curl's binconfig) for the flags.
DEPENDS += "curl openssl"

PAYPOINT_PKGDIR = "${D}${nonarch_libdir}/node_modules/paypoint"

do_install:append() {
    # npm.bbclass installs the whole packed tree: keep its node_modules (the addons cross-built) and
    # package.json; the rest comes from `make install` below.
    for f in ${PAYPOINT_PKGDIR}/* ${PAYPOINT_PKGDIR}/.[!.]*; do
        [ -e "$f" ] || continue
        case "${f##*/}" in
            node_modules|package.json) ;;
            *) rm -rf "$f" ;;
        esac
    done
    # @serialport/bindings-cpp ships prebuilt addons for other platforms (prebuilds/): the one built by
    # node-gyp above (build/Release) is loaded first by node-gyp-build, and foreign ELF files would fail
    # the package QA's arch check.
    find ${PAYPOINT_PKGDIR}/node_modules -type d -name prebuilds -prune -exec rm -rf {} +

    # Everything else with the project's one install step, the same `make install` that the boot and
    # VM tests use: TypeScript compiled by the project's pinned tsc (typescript 7, a native binary for
    # x86-64 and arm64 build hosts, run by nodejs-native) next to the WSDL, bin/, board/, systemd/,
    # package.json, npm's bin link, the units, udev rules, sysusers.d and tmpfiles.d files, and the mount
    # points of the data and config partitions (wic/paypoint-rpi.wks: the root is read-only, so they
    # must exist in the image).
    oe_runmake -C ${S} install DESTDIR=${D} PREFIX=${prefix} \
        TSC="node ${S}/node_modules/typescript/bin/tsc" \
        ESBUILD="node ${S}/node_modules/esbuild/bin/esbuild"
}

# Enabled at boot; paypoint-usb-import@.service is started by 99-paypoint-usb.rules, never enabled.
# paypoint-update-mark-good marks the booted A/B slot good once the unit is healthy (or bad, and reboots);
# paypoint-hawkbit-config writes rauc-hawkbit-updater's file only when hawkBit is on; paypoint-update-watch
# reboots into an update installed through RAUC by another client (hawkBit) once no payment is in progress
# (docs/appliance.md, "Updates (daemon side)").
SYSTEMD_SERVICE:${PN} = "paypoint.service paypoint-update-mark-good.service paypoint-hawkbit-config.service paypoint-update-watch.service"
SYSTEMD_AUTO_ENABLE:${PN} = "enable"

# The data directory's lock is flock(1) on the daemon's own descriptor (src/services/store/data-dir-lock.ts):
# util-linux's flock, split into its own package by poky's util-linux recipe.
RDEPENDS:${PN} += "util-linux-flock"

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
