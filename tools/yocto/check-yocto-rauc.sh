# shellcheck shell=bash
# shellcheck disable=SC2154 # project, build, envs, target, log: set by check-yocto.sh, which sources this
# The RAUC part of `make check-yocto` (tools/yocto/check-yocto.sh sources this file and calls its
# functions): the A/B layout, the slots of system.conf against the .wks, the compatible string of the unit
# and of the bundle, the keyring, the tryboot bootloader backend, rauc-hawkbit-updater off by default, and
# the bundle's graph. Each check is named; values come from `bitbake -e` (bbenv.py) and from the files
# BitBake finds, never from copies.

# The recipes whose `bitbake -e` these checks read (check-yocto.sh runs it for them).
# shellcheck disable=SC2034 # used by check-yocto.sh
RAUC_ENV_RECIPES="rauc-conf rauc rauc-hawkbit-updater paypoint-bootfs paypoint-bundle"
# The firmware-side layout: partition label, MBR number, mount point.
RAUC_WANT_PARTS="autoboot:1:- bootA:2:- bootB:3:- rootA:5:/ rootB:6:- data:7:/var/lib/paypoint config:8:/etc/paypoint"

# wks_parts WKS: "label:number:mount" for each partition, numbered as an MBR numbers them (with more than
# four partitions the fourth entry is the extended partition and the rest are 5, 6, ...).
wks_parts() {
  awk '$1 == "part" { n++; m = ($2 ~ /^\//) ? $2 : "-"; l = "";
         for (i = 2; i <= NF; i++) if ($i == "--label") l = $(i+1); lab[n] = l; mnt[n] = m }
       END { for (i = 1; i <= n; i++) { num = (n > 4 && i >= 4) ? i + 1 : i; printf "%s:%d:%s ", lab[i], num, mnt[i] } }' "$1"
}
# wks_rawcopy WKS LABEL: the file= of a rawcopy partition.
wks_rawcopy() {
  awk -v l="$2" '$1 == "part" { for (i = 2; i <= NF; i++) if ($i == "--label" && $(i+1) == l) print }' "$1" |
    sed -n 's/.*--sourceparams="file=\([^"]*\)".*/\1/p'
}
# conf_get FILE SECTION KEY: a key of an ini-style file (system.conf, autoboot.txt).
conf_get() {
  awk -v s="[$2]" -v k="$3" '{ sub(/\r$/, "") } /^\[/ { in_s = ($0 == s); next }
       in_s && index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' "$1"
}

# no_slot_on NUMBER SYSCONF: no slot of system.conf is partition NUMBER.
no_slot_on() { ! grep -qx "device=/dev/mmcblk0p$1" "$2"; }
# reads_credential DROPIN: the drop-in resets ExecStart and starts the updater on the credential.
reads_credential() {
  grep -qx "ExecStart=" "$1" && grep -qE "^ExecStart=/usr/bin/rauc-hawkbit-updater .*-c %d/hawkbit\.conf\$" "$1"
}

rauc_graph_checks() {
  for pn in rauc rauc-conf rauc-hawkbit-updater paypoint-bootfs mtools; do
    if grep -qx "$pn" "$build/pn-buildlist"; then pass "graph: $pn is built for $target"
    else fail "graph: $pn is not in $target's build list ($build/pn-buildlist)"; fi
  done
  local edge="\"$target.do_image_wic\" -> \"paypoint-bootfs.do_deploy\""
  if grep -qF "$edge" "$build/task-depends.dot"; then pass "graph: $target.do_image_wic needs paypoint-bootfs.do_deploy"
  else fail "graph: no edge $edge in $build/task-depends.dot"; fi
}

# After the image's graph: the bundle's (it overwrites pn-buildlist and task-depends.dot).
rauc_bundle_graph_checks() {
  bbq "bitbake -g paypoint-bundle: the bundle's task graph resolves, no warnings" graph-bundle bitbake -g paypoint-bundle || return
  for edge in "paypoint-bundle.do_unpack $target.do_image_complete" "paypoint-bundle.do_unpack paypoint-bootfs.do_deploy" \
              "paypoint-bundle.do_prepare_recipe_sysroot rauc-native.do_populate_sysroot"; do
    local from=${edge% *} to=${edge#* }
    if grep -qF "\"$from\" -> \"$to\"" "$build/task-depends.dot"; then pass "bundle graph: $from needs $to"
    else fail "bundle graph: no edge $from -> $to in $build/task-depends.dot"; fi
  done
}

rauc_env_checks() {
  local wks sysconf got label num dev bootfile
  wks=$(ev "$target" get WKS_FULL_PATH)
  # --- A/B partitions in the .wks ------------------------------------------------------------------
  got=$(wks_parts "$wks" 2>/dev/null)
  ck "A/B partitions: ${got% } ($wks)" "A/B partitions: '${got% }', want '$RAUC_WANT_PARTS' ($wks)" test "${got% }" = "$RAUC_WANT_PARTS"
  bootfile=$(wks_rawcopy "$wks" bootA)
  ck "A/B partitions: bootA and bootB are copies of $bootfile" \
    "A/B partitions: bootA ('$bootfile') and bootB ('$(wks_rawcopy "$wks" bootB)') are not copies of one FAT image" \
    test -n "$bootfile" -a "$bootfile" = "$(wks_rawcopy "$wks" bootB)"
  expect "$target" IMAGE_FSTYPES has ext4 "the root file system image the bundle carries"
  expect "$target" BAD_RECOMMENDATIONS has rauc-mark-good "no unconditional mark-good; the project's health check marks good"
  for p in rauc rauc-conf rauc-hawkbit-updater; do expect "$target" IMAGE_INSTALL has "$p" "updates"; done
  expect "$target" DISTRO_FEATURES has rauc "meta-rauc's features"

  [ -f "$envs/rauc-conf.env" ] || return
  # --- system.conf: found where BitBake finds it, its slots against the .wks -------------------------
  if sysconf=$(ev rauc-conf find system.conf) && [ "$sysconf" = "$project/yocto-layer/recipes-core/rauc/files/system.conf" ]; then
    pass "system.conf: the layer's ($sysconf)"
  else fail "system.conf: BitBake takes '${sysconf:-nothing}', not $project/yocto-layer/recipes-core/rauc/files/system.conf"; return; fi
  for slot in rootfs.0:rootA rootfs.1:rootB boot.0:bootA boot.1:bootB; do
    label=${slot#*:}
    num=$(tr ' ' '\n' <<<"$got" | awk -F: -v l="$label" '$1 == l { print $2 }')
    dev=$(conf_get "$sysconf" "slot.${slot%:*}" device)
    ck "system.conf: slot ${slot%:*} is $dev, the .wks partition $label" \
      "system.conf: slot ${slot%:*} is '$dev', but $label is partition ${num:-?} in the .wks" test "$dev" = "/dev/mmcblk0p${num:-x}"
  done
  for label in data config autoboot; do
    num=$(tr ' ' '\n' <<<"$got" | awk -F: -v l="$label" '$1 == l { print $2 }')
    ck "system.conf: $label (p$num) is no slot: updates never write it" "system.conf: $label (p$num) is a slot" \
      no_slot_on "$num" "$sysconf"
  done
  # --- compatible: the unit's == the bundle's ---------------------------------------------------------
  local unit_compat bundle_compat
  unit_compat=$(conf_get "$sysconf" system compatible)
  if [ "$unit_compat" = "@PAYPOINT_RAUC_COMPATIBLE@" ]; then
    unit_compat=$(ev rauc-conf get PAYPOINT_RAUC_COMPATIBLE)
    ck "rauc-conf: do_install puts PAYPOINT_RAUC_COMPATIBLE into system.conf" "rauc-conf: do_install does not substitute the compatible string" \
      grep -q "s/@PAYPOINT_RAUC_COMPATIBLE@/$unit_compat/" <<<"$(ev rauc-conf func do_install)"
  fi
  if [ -f "$envs/paypoint-bundle.env" ]; then
    bundle_compat=$(ev paypoint-bundle get RAUC_BUNDLE_COMPATIBLE)
    ck "compatible: system.conf and paypoint-bundle both say '$unit_compat'" \
      "compatible: system.conf says '$unit_compat', paypoint-bundle '$bundle_compat'" test -n "$unit_compat" -a "$unit_compat" = "$bundle_compat"
  fi
  # --- keyring: the project's CA (or the vendor's), installed where system.conf reads it ---------------
  local keys keyring
  keys=$(ev rauc-conf get PAYPOINT_RAUC_KEYS)
  expect rauc-conf SRC_URI has "file://$(ev rauc-conf get RAUC_KEYRING_FILE)" "the keyring"
  if keyring=$(ev rauc-conf find "$(ev rauc-conf get RAUC_KEYRING_FILE)") && [ "$keyring" = "$keys/ca.cert.pem" ]; then
    pass "keyring: $keyring (PAYPOINT_RAUC_KEYS)"
  else fail "keyring: BitBake takes '${keyring:-nothing}', not PAYPOINT_RAUC_KEYS/ca.cert.pem ($keys)"; fi
  ck "keyring: do_install installs it into /etc/rauc" "keyring: do_install of rauc-conf does not install it into /etc/rauc" \
    grep -qE 'install -m 0644 .*/ca\.cert\.pem .*/etc/rauc/$' <<<"$(ev rauc-conf func do_install)"
  ck "keyring: system.conf reads /etc/rauc/ca.cert.pem" "keyring: system.conf reads '$(conf_get "$sysconf" keyring path)'" \
    test "$(conf_get "$sysconf" keyring path)" = /etc/rauc/ca.cert.pem
  if [ -f "$envs/paypoint-bundle.env" ] && [ -n "$keyring" ]; then
    local cert out
    cert=$(ev paypoint-bundle get RAUC_CERT_FILE)
    out=$(openssl verify -purpose any -CAfile "$keyring" "$cert" 2>&1)
    ck "keyring: the bundle's signer ($cert) chains to it (openssl verify)" "keyring: the bundle's signer does not chain to $keyring: $out" \
      test "$out" = "$cert: OK"
    ck "bundle: the signing key exists ($(ev paypoint-bundle get RAUC_KEY_FILE))" "bundle: no key file '$(ev paypoint-bundle get RAUC_KEY_FILE)'" \
      test -r "$(ev paypoint-bundle get RAUC_KEY_FILE)"
  fi
  # --- bootloader: custom, with our tryboot script ---------------------------------------------------
  local backend
  backend=$(conf_get "$sysconf" handlers bootloader-custom-backend)
  ck "bootloader: system.conf says bootloader=custom" "bootloader: system.conf says bootloader='$(conf_get "$sysconf" system bootloader)'" \
    test "$(conf_get "$sysconf" system bootloader)" = custom
  if [ -f "$envs/rauc.env" ]; then
    local script body
    expect rauc SRC_URI has file://paypoint-rauc-tryboot "the bootloader backend"
    expect rauc RDEPENDS:rauc has mtools "the backend reads and writes the FAT partitions"
    expect rauc FILES:rauc has "$backend" "the backend is packaged"
    body=$(ev rauc func do_install)
    ck "bootloader: rauc's do_install installs paypoint-rauc-tryboot as $backend" "bootloader: rauc's do_install does not install the backend at '$backend'" \
      grep -qE "install -m 0755 .*/paypoint-rauc-tryboot .*$backend\$" <<<"$body"
    if script=$(ev rauc find paypoint-rauc-tryboot) && [ "$script" = "$project/yocto-layer/recipes-core/rauc/files/paypoint-rauc-tryboot" ]; then
      pass "bootloader: the backend is the layer's ($script)"
      # Its slot table (bootname:boot partition:boot device:root device) must be the .wks and system.conf's.
      local table
      table=$(sed -n "s/^SLOTS=\\\${PAYPOINT_TRYBOOT_SLOTS:-\"\\(.*\\)\"}\$/\\1/p" "$script")
      local derived=""
      for g in 0:A 1:B; do
        derived+="$(conf_get "$sysconf" "slot.rootfs.${g%:*}" bootname):$(conf_get "$sysconf" "slot.boot.${g%:*}" device | sed 's/.*p//'):$(conf_get "$sysconf" "slot.boot.${g%:*}" device):$(conf_get "$sysconf" "slot.rootfs.${g%:*}" device) "
      done
      ck "bootloader: the backend's slots '$table' are system.conf's" "bootloader: the backend's slots '$table', system.conf's '${derived% }'" \
        test "$table" = "${derived% }"
    else fail "bootloader: BitBake takes '${script:-nothing}' as paypoint-rauc-tryboot, not the layer's"; fi
  fi
  # --- the firmware's autoboot.txt and the kernel command line -----------------------------------------
  if [ -f "$envs/paypoint-bootfs.env" ]; then
    local auto a b root
    if auto=$(ev paypoint-bootfs find autoboot.txt); then
      a=$(conf_get "$auto" all boot_partition) b=$(conf_get "$auto" tryboot boot_partition)
      ck "autoboot.txt: tryboot_a_b=1, [all] boot_partition=$a (bootA), [tryboot] $b (bootB)" \
        "autoboot.txt: [all] '$a', [tryboot] '$b', tryboot_a_b '$(conf_get "$auto" all tryboot_a_b)'; want 2 (bootA), 3 (bootB), 1" \
        test "$a:$b:$(conf_get "$auto" all tryboot_a_b)" = "2:3:1"
    else fail "autoboot.txt: not found in paypoint-bootfs's FILESPATH"; fi
    root=$(ev paypoint-bootfs get CMDLINE_ROOT_PARTITION)
    ck "cmdline.txt: root=$root, slot A's root in system.conf" "cmdline.txt: root='$root', but slot A's root is '$(conf_get "$sysconf" slot.rootfs.0 device)'" \
      test "$root" = "$(conf_get "$sysconf" slot.rootfs.0 device)"
    expect paypoint-bootfs IMAGE_BOOT_FILES has "devicetree/paypoint-led-overlay.dtbo;overlays/paypoint-led.dtbo" "the LED overlay on the boot partitions"
    ck "paypoint-bootfs: do_deploy makes $bootfile (the .wks's rawcopy)" "paypoint-bootfs: do_deploy does not make '$bootfile'" \
      grep -qF "/$bootfile" <<<"$(ev paypoint-bootfs func do_deploy)"
  fi
  # --- the bundle -----------------------------------------------------------------------------------------
  if [ -f "$envs/paypoint-bundle.env" ]; then
    expect paypoint-bundle RAUC_BUNDLE_FORMAT is verity "signed and checked block by block"
    expect paypoint-bundle RAUC_BUNDLE_SLOTS is "rootfs boot" "the two slot classes of system.conf"
    expect paypoint-bundle RAUC_SLOT_rootfs is "$target" "the image's root file system"
    expect paypoint-bundle RAUC_SLOT_boot is paypoint-bootfs "the boot partition image"
    ck "bundle: its boot image is the .wks's ($bootfile)" "bundle: RAUC_SLOT_boot[file] is not '$bootfile'" \
      grep -qE "^RAUC_SLOT_boot\[file\] = \"$bootfile\"" "$project/yocto-layer/recipes-core/bundles/paypoint-bundle.bb"
    ck "bundle: system.conf refuses plain bundles (bundle-formats=-plain)" "bundle: system.conf accepts plain bundles" \
      test "$(conf_get "$sysconf" system bundle-formats)" = "-plain"
  fi
  # --- rauc-hawkbit-updater: in the image, off until configured ----------------------------------------
  if [ -f "$envs/rauc-hawkbit-updater.env" ]; then
    local dropin cfg
    expect rauc-hawkbit-updater SRC_URI has file://paypoint.conf "the drop-in"
    if dropin=$(ev rauc-hawkbit-updater find paypoint.conf) && [ "$dropin" = "$project/yocto-layer/recipes-support/rauc-hawkbit-updater/files/paypoint.conf" ]; then
      cfg=$(conf_get "$dropin" Unit ConditionPathExists)
      ck "hawkbit: off by default: starts only when $cfg exists" "hawkbit: the drop-in has no ConditionPathExists ('$cfg')" \
        test -n "$cfg"
      ck "hawkbit: $cfg is the file paypoint-hawkbit-config.service writes only when hawkBit is on" "hawkbit: '$cfg' is not the daemon's file (src/services/update/hawkbit.ts)" \
        grep -qF "'$cfg'" "$project/src/services/update/hawkbit.ts"
      ck "hawkbit: the updater reads that file (as a credential)" "hawkbit: the drop-in does not pass $cfg to the updater" \
        grep -qx "LoadCredential=hawkbit.conf:$cfg" "$dropin"
      ck "hawkbit: ExecStart is reset and reads the credential" "hawkbit: ExecStart is not reset to read %d/hawkbit.conf" \
        reads_credential "$dropin"
    else fail "hawkbit: BitBake takes '${dropin:-nothing}' as paypoint.conf, not the layer's"; fi
    ck "hawkbit: do_install installs the drop-in" "hawkbit: do_install does not install the drop-in" \
      grep -q 'rauc-hawkbit-updater.service.d/paypoint.conf$' <<<"$(ev rauc-hawkbit-updater func do_install)"
  fi
}
