#!/bin/bash
# `make check-yocto LAYERS=DIR`: the layer under real BitBake (scarthgap), offline. Needs DIR holding
# poky, meta-openembedded and meta-raspberrypi checked out at the commits pinned in
# yocto-layer/kas/paypoint-rpi4.yml (tools/yocto/checkout-layers.sh DIR makes them from local mirrors).
# Sets up a build directory (YOCTO_BUILD_DIR, default /var/cache/paypoint-yocto/build, kept so that
# BitBake's parse cache makes reruns fast) and runs, as a non-root user (BitBake refuses root):
#   the pins (HEAD of each layer = kas commit, on the kas branch where the branch is known),
#   bitbake -p, bitbake -g paypoint-image (+ what must be in the graph), bitbake -e values,
#   the RAUC update integration (tools/yocto/check-yocto-rauc.sh), yocto-check-layer.
# Ends with one line: "yocto check: N passed, N failed" (exit 0 only when nothing failed).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
project=$(cd "$here/../.." && pwd)
kas="$project/yocto-layer/kas/paypoint-rpi4.yml"
kasq() { python3 "$here/kas-pins.py" "$kas" "$@"; }
layers=${1:-}
build=${YOCTO_BUILD_DIR:-/var/cache/paypoint-yocto/build}
user=${YOCTO_USER:-paypoint-yocto}
mirrors=${YOCTO_MIRRORS:-/work/.mirror}
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
summary() { echo "yocto check: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }
# ck OK-TEXT FAIL-TEXT CMD...: one check, passed when CMD succeeds.
ck() { local ok=$1 no=$2; shift 2; if "$@"; then pass "$ok"; else fail "$no"; fi; }
# shellcheck source=tools/yocto/check-yocto-rauc.sh
. "$here/check-yocto-rauc.sh"

need_layers() {
  echo "check-yocto needs LAYERS=<dir> holding these repositories checked out at the pinned commits:" >&2
  kasq pins | while read -r name url branch commit; do echo "  <dir>/$name  $url  branch $branch  commit $commit" >&2; done
  echo "Make them from local git mirrors with: make yocto-layers LAYERS=<dir> [MIRRORS=$mirrors]" >&2
  echo "or, with access to the layers' servers: kas checkout $kas (then LAYERS=<kas work dir>)." >&2
  failed=$((failed + 1)); summary
}
if [ -z "$layers" ] || [ ! -d "$layers" ]; then need_layers; fi
layers=$(cd "$layers" && pwd)

# --- pins -------------------------------------------------------------------------------------------
missing=0
while read -r name url branch commit; do
  repo="$layers/$name"
  if ! head=$(git -C "$repo" rev-parse -q --verify HEAD 2>/dev/null); then
    echo "missing: $repo (a git checkout of $url)" >&2; missing=1; continue
  fi
  if [ "$head" = "$commit" ]; then pass "pin $name: checked out at $commit"
  else fail "pin $name: $repo is at $head, kas pins $commit"; fi
  # On its branch: in the checkout's own copy of the branch, and in the local mirror where there is one.
  where="" bad=0
  refs=("$repo:refs/remotes/origin/$branch" "$repo:refs/heads/$branch")
  for m in "$mirrors"/*+"$name"/repo; do [ -d "$m" ] && refs+=("$m:refs/heads/$branch"); done
  for ref in "${refs[@]}"; do
    r=${ref%%:*} b=${ref#*:}
    git -C "$r" rev-parse -q --verify "$b" >/dev/null 2>&1 || continue
    if git -C "$r" merge-base --is-ancestor "$commit" "$b" 2>/dev/null; then where+=" $r"
    else fail "pin $name: $commit is not on $b of $r"; bad=1; fi
  done
  if [ -z "$where" ] && [ "$bad" = 0 ]; then echo "     pin $name: no copy of branch $branch here, ancestry not checked"
  elif [ "$bad" = 0 ]; then pass "pin $name: $commit is on $branch (${where# })"; fi
done < <(kasq pins)
[ "$missing" -eq 0 ] || need_layers

# --- a non-root user and the build directory --------------------------------------------------------
run() { "$@"; }
if [ "$(id -u)" = 0 ]; then
  id "$user" >/dev/null 2>&1 || useradd --system --create-home --home-dir "$(dirname "$build")/home" \
    --shell /bin/bash "$user" || { fail "cannot create user $user"; summary; }
  home=$(getent passwd "$user" | cut -d: -f6)
  # git (BitBake's fetcher reads the project checkout with ls-remote) refuses repositories owned by
  # another user unless told they are safe.
  runuser -u "$user" -- git config --global --get-all safe.directory 2>/dev/null | grep -qx '\*' ||
    runuser -u "$user" -- git config --global --add safe.directory '*'
  run() { runuser -u "$user" -- env HOME="$home" "$@"; }
  mkdir -p "$build" && chown "$user:" "$build" "$(dirname "$build")"
  # The user reads the layers and the project: both must be readable (they are created by root).
  for d in "$layers" "$project"; do
    run test -r "$d/." -a -x "$d/." || { fail "user $user cannot read $d"; summary; }
  done
else
  mkdir -p "$build"
fi

branch=$(git -C "$project" symbolic-ref -q --short HEAD || echo main)
run mkdir -p "$build/conf"
{
  echo "# Written by tools/yocto/check-yocto.sh from $kas: do not edit."
  echo "MACHINE = \"$(kasq machine)\""
  echo "DISTRO = \"$(kasq distro)\""
  kasq local_conf
  echo "# check-yocto: offline, parse and resolve only (no fetch is possible here)."
  echo 'BB_NO_NETWORK = "1"'
  echo 'CONNECTIVITY_CHECK_URIS = ""'
  echo "DL_DIR = \"$build/downloads\""
  echo "SSTATE_DIR = \"$build/sstate-cache\""
  echo 'BB_NUMBER_PARSE_THREADS = "2"'
  echo 'BB_NUMBER_THREADS = "2"'
  echo "# The recipes fetch the project from this checkout; build the branch it is on."
  echo "PAYPOINT_BRANCH = \"$branch\""
  echo 'CONF_VERSION = "2"'
} > "$build/local.conf.new"
{
  echo "# Written by tools/yocto/check-yocto.sh from $kas: do not edit."
  echo 'POKY_BBLAYERS_CONF_VERSION = "2"'
  echo "BBPATH = \"\${TOPDIR}\""
  echo 'BBFILES ?= ""'
  echo "BBLAYERS = \" \\"
  kasq layers | while read -r repo sub; do
    if [ "$repo" = paypoint ]; then dir="$project/$sub"; else dir="$layers/$repo/$sub"; fi
    echo "  $(cd "$dir" && pwd) \\"
  done
  echo '"'
} > "$build/bblayers.conf.new"
# Rewritten only when changed: BitBake then keeps its parse cache.
for f in local.conf bblayers.conf; do
  cmp -s "$build/$f.new" "$build/conf/$f" || install -o "$(stat -c %U "$build")" -m 0644 "$build/$f.new" "$build/conf/$f"
  rm -f "$build/$f.new"
done

# bb STEP CMD...: runs CMD in the initialized build environment, as the user, niced; output in $log.
bb() {
  log="$build/log/$1.log"; shift
  run mkdir -p "$build/log"
  run bash -c 'cd "$1" && . ./oe-init-build-env "$2" >/dev/null && shift 2 && nice -n 10 "$@"' \
    _ "$layers/poky" "$build" "$@" > "$log" 2>&1
}
bbq() { # bbq WHAT STEP CMD...: bb, then reports: passes when it exits 0 and prints no WARNING or ERROR.
  local what=$1; shift
  if bb "$@"; then status=0; else status=$?; fi
  if [ "$status" -eq 0 ] && ! grep -qE '^(WARNING|ERROR):' "$log"; then pass "$what"; return 0; fi
  fail "$what (exit $status; $log):"
  grep -E '^(WARNING|ERROR):' "$log" | head -20 | sed 's/^/     /'
  return 1
}

# --- parse and resolve -----------------------------------------------------------------------------
target=$(kasq target)
bbq "bitbake -p: every recipe parses, no warnings" parse bitbake -p
if bbq "bitbake -g $target: the task graph resolves, no warnings" graph bitbake -g "$target"; then
  # What the unit cannot run without, in the graph (pn-buildlist, task-depends.dot in the build dir).
  for pn in paypoint nodejs linux-raspberrypi rpi-bootfiles linux-firmware-rpidistro rpi-config \
            paypoint-overlays systemd systemd-conf curl util-linux; do
    if grep -qx "$pn" "$build/pn-buildlist"; then pass "graph: $pn is built for $target"
    else fail "graph: $pn is not in $target's build list ($build/pn-buildlist)"; fi
  done
  for edge in "$target.do_image_wic paypoint-overlays.do_deploy" "$target.do_image_wic rpi-config.do_deploy" \
              "$target.do_rootfs paypoint.do_package_write_rpm" "paypoint.do_prepare_recipe_sysroot nodejs-native.do_populate_sysroot"; do
    from=${edge% *} to=${edge#* }
    if grep -qF "\"$from\" -> \"$to\"" "$build/task-depends.dot"; then pass "graph: $from needs $to"
    else fail "graph: no edge $from -> $to in $build/task-depends.dot"; fi
  done
  rauc_graph_checks
fi
rauc_bundle_graph_checks

# --- bitbake -e: the values that matter -------------------------------------------------------------
envs="$build/env"
run mkdir -p "$envs"
ev() { python3 "$here/bbenv.py" "$envs/$1.env" "${@:2}"; }
# expect RECIPE VAR has|lacks|is|matches WORD-OR-REGEX WHY
expect() {
  local r=$1 var=$2 how=$3 want=$4 why=$5 v
  v=$(ev "$r" get "$var") || v="<unset>"
  local ok=0
  case "$how" in
    has) [[ " $v " == *" $want "* ]] || ok=1 ;;
    lacks) [[ " $v " != *" $want "* ]] || ok=1 ;;
    is) [ "$v" = "$want" ] || ok=1 ;;
    matches) [[ "$v" =~ $want ]] || ok=1 ;;
  esac
  ck "$r: $var $how '$want' ($why)" "$r: $var does not pass '$how $want' ($why); it is '${v:0:200}'" test "$ok" = 0
}
for r in "$target" paypoint systemd-conf rpi-config linux-raspberrypi paypoint-overlays $RAUC_ENV_RECIPES; do
  if bb "env-$r" bitbake -e "$r"; then run cp "$log" "$envs/$r.env"
  else fail "bitbake -e $r (exit $?; $log)"; run rm -f "$envs/$r.env"; fi
done
if [ -f "$envs/$target.env" ]; then
  expect "$target" DISTRO is "$(kasq distro)" "the kas distribution"
  expect "$target" INIT_MANAGER is systemd "systemd as init"
  expect "$target" VIRTUAL-RUNTIME_init_manager is systemd "systemd as init"
  expect "$target" DISTRO_FEATURES has systemd "systemd as init"
  expect "$target" DISTRO_FEATURES lacks sysvinit "no sysvinit scripts"
  expect "$target" IMAGE_FEATURES has read-only-rootfs "read-only root"
  expect "$target" ROOTFS_POSTPROCESS_COMMAND has read_only_rootfs_hook "read-only root"
  for f in debug-tweaks empty-root-password allow-empty-password allow-root-login; do
    expect "$target" IMAGE_FEATURES lacks "$f" "no root login"
  done
  expect "$target" ROOTFS_POSTPROCESS_COMMAND has zap_empty_root_password "no root login"
  expect "$target" SERIAL_CONSOLES is "" "no console on the device UART"
  expect "$target" IMAGE_FSTYPES has wic.bz2 "the SD-card image"
  expect "$target" IMAGE_FSTYPES has wic.bmap "the SD-card image"
  expect "$target" IMAGE_INSTALL has paypoint "the firmware"
  expect "$target" WKS_FULL_PATH is "$project/yocto-layer/wic/paypoint-rpi.wks" "the partition layout"
  # The partitions (A/B layout), the slots, keyring, bootloader backend, bundle, hawkBit.
  rauc_env_checks
fi
if [ -f "$envs/paypoint-bootfs.env" ]; then
  # Every overlay config.txt loads is on the boot partitions (overlays/<name>.dtbo).
  boot=$(ev paypoint-bootfs get IMAGE_BOOT_FILES)
  while read -r o; do
    ck "paypoint-bootfs: overlay $o (board/config.txt) is on the boot partitions" \
      "paypoint-bootfs: IMAGE_BOOT_FILES has no overlays/$o.dtbo, which board/config.txt loads" \
      grep -qF ";overlays/$o.dtbo " <<<"$boot "
  done < <(sed -n 's/^dtoverlay=\([^,]*\).*/\1/p' "$project/board/config.txt")
fi
if [ -f "$envs/paypoint.env" ]; then
  for unit in paypoint.service paypoint-update-mark-good.service paypoint-hawkbit-config.service paypoint-update-watch.service; do
    expect paypoint SYSTEMD_SERVICE:paypoint has "$unit" "enabled unit"
  done
  expect paypoint SYSTEMD_AUTO_ENABLE:paypoint is enable "enabled unit"
  expect paypoint USERADD_PACKAGES is paypoint "users made at build time"
  expect paypoint USERADD_PARAM:paypoint has paypoint "the daemon's user"
  expect paypoint GROUPADD_PARAM:paypoint matches '(^|; *)--system gpio(;|$)' "the GPIO group"
  expect paypoint GROUPADD_PARAM:paypoint matches '(^|; *)--system i2c(;|$)' "the I2C group"
  # The same install step as everywhere else (Makefile `install`).
  body=$(ev paypoint func do_install)
  ck "paypoint: do_install runs the project's make install" "paypoint: do_install does not run the project's make install" \
    grep -qE 'make .*-C [^ ]+ install DESTDIR=' <<<"$body"
fi
if [ -f "$envs/systemd-conf.env" ]; then
  expect systemd-conf SRC_URI has file://10-paypoint-watchdog.conf "the watchdog setting"
  if f=$(ev systemd-conf find 10-paypoint-watchdog.conf); then
    w=$(sed -n 's/^RuntimeWatchdogSec=\([0-9]*\)s$/\1/p' "$f")
    ck "systemd-conf: RuntimeWatchdogSec=${w}s, within the BCM2835 watchdog's ~15.9 s ($f)" \
      "systemd-conf: RuntimeWatchdogSec '$w' in $f is not 1..15 s" test "${w:-0}" -ge 1 -a "${w:-0}" -le 15
  else fail "systemd-conf: 10-paypoint-watchdog.conf not found in FILESPATH"; fi
  body=$(ev systemd-conf func do_install)
  ck "systemd-conf: do_install installs it into system.conf.d" "systemd-conf: do_install does not install the watchdog setting" \
    grep -q '10-paypoint-watchdog.conf .*/system.conf.d/$' <<<"$body"
fi
if [ -f "$envs/rpi-config.env" ]; then
  expect rpi-config SRC_URI has "file://config.txt;subdir=paypoint-board" "the board settings"
  expect rpi-config RPI_USE_U_BOOT is 0 "the firmware boots the kernel directly"
  if f=$(ev rpi-config find config.txt) && [ "$f" = "$project/board/config.txt" ]; then
    for line in enable_uart=1 dtoverlay=disable-bt dtparam=i2c_arm=on "dtoverlay=paypoint-led,gpiopin=17"; do
      ck "rpi-config: config.txt gets '$line'" "rpi-config: $f has no '$line'" grep -qx "$line" "$f"
    done
  else fail "rpi-config: config.txt comes from '${f:-nowhere}', not $project/board/config.txt"; fi
  body=$(ev rpi-config func do_deploy)
  ck "rpi-config: do_deploy appends it to config.txt" "rpi-config: do_deploy does not append board/config.txt" \
    grep -q 'cat .*/paypoint-board/config.txt$' <<<"$body"
fi
if [ -f "$envs/linux-raspberrypi.env" ]; then
  expect linux-raspberrypi SRC_URI has file://paypoint.cfg "kernel options"
  if f=$(ev linux-raspberrypi find paypoint.cfg); then
    for opt in CONFIG_BLK_DEV_LOOP CONFIG_SQUASHFS CONFIG_DM_VERITY; do
      ck "linux-raspberrypi: $opt=y (RAUC mounts verity bundles)" "linux-raspberrypi: $f lacks $opt=y" grep -qx "$opt=y" "$f"
    done
  else fail "linux-raspberrypi: paypoint.cfg not found in FILESPATH"; fi
fi
if [ -f "$envs/paypoint-overlays.env" ]; then
  expect paypoint-overlays DT_FILES_PATH is "$(ev paypoint-overlays get S)/board/overlays" "the project's overlays"
fi

# --- yocto-check-layer ------------------------------------------------------------------------------
# YOCTO_SKIP_CHECK_LAYER=1 leaves it out (it takes about 20 minutes here) and counts that as a failure:
# a run without it is never a passing run.
if [ "${YOCTO_SKIP_CHECK_LAYER:-0}" = 1 ]; then
  fail "yocto-check-layer not run (YOCTO_SKIP_CHECK_LAYER=1)"
  summary
fi
# Its own build directory: the layer under test must not be in BBLAYERS when it starts (it adds it, and
# compares world signatures before and after). Poky's distribution, the kas machine.
ycl="$build-ycl"
run mkdir -p "$ycl/conf"
{
  echo "# Written by tools/yocto/check-yocto.sh for yocto-check-layer: do not edit."
  echo "MACHINE = \"$(kasq machine)\""
  echo 'DISTRO = "poky"'
  kasq local_conf
  sed -n '/^# check-yocto:/,$p' "$build/conf/local.conf"
  echo "# meta-rauc is only a dependency here: Poky's distribution has no 'rauc' feature, and it need not."
  echo 'SKIP_META_RAUC_FEATURE_CHECK = "1"'
  # test_signatures compares world signatures before and after the layer is added. With the Pi machine's
  # wic image type, poky's image_types_wic.bbclass makes do_rootfs_wicenv depend on BBLAYERS (in
  # WICVARS), so adding ANY layer changes that task's signature (and its dependents'; meta-rauc's
  # core-bundle-minimal brings core-image-minimal into world): the check's setup, not the layer under
  # test (an empty layer changes it the same way: yocto-layer/README.md, "yocto-check-layer").
  # Only BBLAYERS is left out; every other WICVARS variable is still compared.
  echo '# BBLAYERS changes with any added layer: not a difference the layer under test makes.'
  echo 'do_rootfs_wicenv[vardepsexclude] += "BBLAYERS"'
} > "$ycl/local.conf.new"
{
  echo 'POKY_BBLAYERS_CONF_VERSION = "2"'
  echo "BBPATH = \"\${TOPDIR}\""
  echo 'BBFILES ?= ""'
  echo "BBLAYERS = \"$layers/poky/meta $layers/poky/meta-poky\""
} > "$ycl/bblayers.conf.new"
for f in local.conf bblayers.conf; do
  cmp -s "$ycl/$f.new" "$ycl/conf/$f" || install -o "$(stat -c %U "$build")" -m 0644 "$ycl/$f.new" "$ycl/conf/$f"
  rm -f "$ycl/$f.new"
done
save_build=$build; build=$ycl
# meta-rauc's world needs a layer it only recommends (LAYERRECOMMENDS_rauc: meta-filesystems, which
# depends on meta-networking): without it its casync recipe finds no 'fuse' and the world signatures fail
# to generate (seen). yocto-check-layer follows LAYERDEPENDS only, so it is added as an additional layer,
# present before and after our layer; its own dependencies come from the --dependency list. The image
# itself does not build casync.
bb yocto-check-layer yocto-check-layer --no-auto-dependency \
  --dependency "$layers/meta-openembedded/meta-oe" "$layers/meta-openembedded/meta-python" \
  "$layers/meta-openembedded/meta-networking" "$layers/meta-openembedded/meta-filesystems" \
  "$layers/meta-raspberrypi" "$layers/meta-rauc" \
  --additional-layers "$layers/meta-openembedded/meta-filesystems" -- "$project/yocto-layer"
status=$?; build=$save_build
# Each test with its result ("test_parse: ok"), then the summary line of each layer.
awk '/^INFO: (test_|setUpClass)/ { name = $2; next }
     /^INFO:  \.\.\. / && name != "" { sub(/^INFO:  \.\.\. /, ""); print "     " name ": " $0; name = ""; next }
     /^INFO: .* \.\.\. (PASS|FAIL|SKIPPED)/ { sub(/^INFO: /, ""); print "     " $0 }
     /^ERROR:/ { print "     " $0 }' "$log" | head -40
if [ "$status" -eq 0 ] && grep -q '\.\.\. PASS$' "$log"; then pass "yocto-check-layer: PASS ($log)"
else fail "yocto-check-layer (exit $status; $log)"; fi

summary
