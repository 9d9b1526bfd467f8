#!/bin/bash
# Appliance boot test (yocto-layer/README.md; `make test-image`). Boots a minimal Debian 12 root file system
# holding Node, the built daemon and the units installed the way the image recipe installs them
# (install-app.sh) in systemd-nspawn, and checks from the host:
#   1. paypoint.service becomes active only after the daemon's READY=1 (Type=notify);
#   2. the SOAP API (Pay, PayPoll) and the status page answer;
#   3. a SIGSTOP of the daemon's main PID makes systemd restart it through the watchdog;
#   4. a configuration on a FAT image (mkfs.vfat + mcopy) goes through the real import unit,
#      paypoint-usb-import@.service, and the result file is written back to the image;
#   5. a configuration file or board profile that cannot be loaded: the unit active in the
#      configuration-error mode (no restart loop), Pay -2, then mended by a stick.
# Prints TAP, then "image test: N passed, N failed" (.ci/run adds these counts to tap's).
#
# What differs from a field unit, and why:
#   - WatchdogSec is shortened to 6 s by a drop-in (the unit's 30 s would only make the test slower);
#   - the container shares the host's network namespace, so the configuration in the root file system
#     binds SOAP and the status page to 127.0.0.1 on free ports picked now (no clash with anything);
#   - the stick is a FAT image FILE at /dev/<instance> inside the container, not a block device: this
#     build machine's kernel has no vfat, so the import mounts it through fusefat (stick-mount.ts), and
#     udev does not run in a container (read-only /sys), so the test starts the import unit itself
#     with the instance name the udev rule would give it.
# Needs root, systemd-nspawn (systemd-container), mmdebstrap, mtools, dosfstools, curl; `make build` first.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=test/image/lib.sh
. "$here/lib.sh"

WATCHDOG_SEC=6
STICK=stick.img
IMPORT_UNIT="paypoint-usb-import@$STICK.service"
started=$SECONDS

work=""
merged=""
nspawn_pid=""
LEADER=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
    # systemd-nspawn turns SIGTERM into an orderly poweroff of the container (SIGRTMIN+4 to its PID 1).
    kill -TERM "$nspawn_pid" 2>/dev/null
    wait_for 30 bash -c "! kill -0 $nspawn_pid" || {
      note "systemd-nspawn still running 30 s after poweroff: killing it and the container"
      [ -n "$LEADER" ] && kill -KILL "$LEADER" 2>/dev/null
      kill -KILL "$nspawn_pid" 2>/dev/null
    }
    wait "$nspawn_pid" 2>/dev/null
  fi
  if [ -n "$merged" ] && { [ "$TAP_FAIL" -gt 0 ] || [ "$rc" -ne 0 ]; }; then
    # The container's persistent journal, read from the host once it is down.
    journalctl --directory="$merged/var/log/journal" --no-pager -o short-monotonic >"$work/journal.log" 2>&1
  fi
  if [ -n "$merged" ] && mountpoint -q "$merged"; then
    umount "$merged" 2>/dev/null || umount -l "$merged"
  fi
  if [ -n "$work" ]; then
    if [ "$TAP_FAIL" -gt 0 ] || [ "$rc" -ne 0 ]; then
      mkdir -p "$repo/test-artifacts/image"
      cp "$work"/*.log "$repo/test-artifacts/image/" 2>/dev/null
      note "logs kept in test-artifacts/image/"
    fi
    rm -rf --one-file-system "$work"
  fi
  echo "1..$TAP_N"
  echo "# image test took $((SECONDS - started)) s"
  echo "image test: $TAP_PASS passed, $TAP_FAIL failed"
  if [ "$TAP_FAIL" -gt 0 ] || [ "$TAP_N" -eq 0 ]; then exit 1; fi
  exit 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM

for cmd in systemd-nspawn mmdebstrap nsenter mkfs.vfat mcopy mtype curl node; do
  command -v "$cmd" >/dev/null || { not_ok "tools present" "$cmd is not installed (make deps-apt)"; exit 1; }
done
[ "$(id -u)" = 0 ] || { not_ok "runs as root" "the boot test needs root (mmdebstrap, overlay mount, nspawn)"; exit 1; }

# --- The root file system: cached base + this run's application layer on an overlay ----------------
t0=$SECONDS
if base=$("$here/build-rootfs.sh"); then
  ok "base root file system ($base, $((SECONDS - t0)) s)"
else
  not_ok "base root file system" "build-rootfs.sh failed"
  exit 1
fi
work=$(mktemp -d /var/tmp/paypoint-image-test.XXXXXX)
mkdir -p "$work/upper" "$work/overlay-work" "$work/root"
if ! mount -t overlay overlay -o "lowerdir=$base,upperdir=$work/upper,workdir=$work/overlay-work" "$work/root"; then
  not_ok "overlay over the base" "mount -t overlay failed"
  exit 1
fi
merged="$work/root"
if ! out=$("$here/install-app.sh" "$merged" 2>&1); then
  not_ok "application installed as the image recipe does" "$out"
  exit 1
fi
ok "application installed as the image recipe does"

SOAP_PORT=$(free_port)
STATUS_PORT=$(free_port)
while [ "$STATUS_PORT" = "$SOAP_PORT" ]; do STATUS_PORT=$(free_port); done
config_text() {
  cat <<TOML
# Written by test/image/boot-test.sh: $1
[api]
port = $SOAP_PORT
bind = "127.0.0.1"

[status]
port = $STATUS_PORT
bind = "127.0.0.1"

[unit]
name = "$1"
apply_timeout_s = 60
TOML
}
config_text "image test: initial" >"$merged/etc/paypoint/paypoint.toml"
chroot "$merged" chown root:paypoint /etc/paypoint/paypoint.toml
chmod 0640 "$merged/etc/paypoint/paypoint.toml"
# The import unit binds to its stick's device unit (BindsTo=dev-%i.device). In a container /sys is
# read-only, so systemd supports no device units at all and fails that dependency at once ("Starting of
# dev-stick.img.device unsupported"); a drop-in cannot remove a dependency. So, only while the unit has
# that line, the test runs a copy of the real unit without it (everything else byte for byte).
import_unit_src="$merged/usr/lib/systemd/system/paypoint-usb-import@.service"
if grep -q '^BindsTo=dev-%i\.device' "$import_unit_src"; then
  sed '/^BindsTo=dev-%i\.device/d' "$import_unit_src" >"$merged/etc/systemd/system/paypoint-usb-import@.service"
  note "paypoint-usb-import@.service: run without BindsTo=dev-%i.device (no device units in a container)"
fi
install -d "$merged/etc/systemd/system/paypoint.service.d"
cat >"$merged/etc/systemd/system/paypoint.service.d/50-image-test.conf" <<EOF
# test/image/boot-test.sh: a shorter watchdog, so the SIGSTOP check takes seconds, not half a minute.
[Service]
WatchdogSec=${WATCHDOG_SEC}s
EOF

# --- Boot -------------------------------------------------------------------------------------------
# --register=no --keep-unit: PID 1 of this machine is not systemd (no machined, no scope units).
# --link-journal=no: the container's journal stays inside it, never in the host's /var/log/journal.
# /dev/fuse: the import mounts the stick image through fusefat.
systemd-nspawn --register=no --keep-unit --quiet --console=read-only --link-journal=no \
  --resolv-conf=off --timezone=off --machine=paypoint-image-test --bind=/dev/fuse \
  -D "$merged" -b >"$work/console.log" 2>&1 &
nspawn_pid=$!

find_leader() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(awk '/^PPid:/ { print $2 }' "$p/status" 2>/dev/null)" = "$nspawn_pid" ] || continue
    # The container's PID 1: its last NSpid entry is 1.
    if awk '/^NSpid:/ { exit !($NF == 1) }' "$p/status" 2>/dev/null; then LEADER=${p#/proc/}; return 0; fi
  done
  return 1
}
if ! wait_for 30 find_leader; then
  not_ok "container boots" "no container PID 1 under systemd-nspawn ($nspawn_pid)" "$(cat "$work/console.log")"
  exit 1
fi
state=$(IN_CT_TIMEOUT=120 in_ct systemctl is-system-running --wait 2>&1)
if [ "$state" = running ]; then
  ok "container boots (systemd: running)"
else
  not_ok "container boots (systemd: running)" "is-system-running: $state" "$(in_ct systemctl --failed --no-legend 2>&1)"
fi

# --- 1 and 2: the service after boot, SOAP, status page --------------------------------------------
active() { [ "$(unit_prop paypoint.service ActiveState)" = active ]; }
wait_for 60 active
expect "paypoint.service is active after boot" "$(unit_prop paypoint.service ActiveState)/$(unit_prop paypoint.service SubState)" "active/running"
status_text=$(unit_prop paypoint.service StatusText)
check "the daemon's STATUS= reached systemd ($status_text)" test -n "$status_text"
expect "the daemon runs as user paypoint" "$(in_ct stat -c %U "/proc/$(unit_prop paypoint.service MainPID)" 2>&1)" paypoint

uid="image-$$-1"
expect "SOAP Pay accepted" "$(soap Pay "$(pay_xml "$uid" 2500)" | return_code)" 0
expect "SOAP PayPoll: payment in progress" "$(soap PayPoll "$(poll_xml "$uid")" | return_code)" 1
check "simulated card approves (paypoint sim, inside the container)" \
  in_ct /usr/bin/paypoint sim card approve --data-dir /var/lib/paypoint --port "$SOAP_PORT"
if wait_for 20 poll_is "$uid" 0; then ok "SOAP PayPoll: paid"; else not_ok "SOAP PayPoll: paid" "PayPoll answers $(soap PayPoll "$(poll_xml "$uid")" | return_code)"; fi

page=$(curl -sS --max-time 10 -w '\n%{http_code}' "http://127.0.0.1:$STATUS_PORT/" 2>&1)
expect "status page answers 200" "$(tail -n 1 <<<"$page")" 200
check "status page is HTML" grep -qi '<html' <<<"$page"
json=$(status_json 2>&1)
expect "/api/status: unit name from the configuration" "$(json_get unit.name <<<"$json" 2>&1)" "image test: initial"
expect "/api/status: healthy" "$(json_get health.ok <<<"$json" 2>&1)" true
check "/metrics: paypoint_healthy 1" grep -q '^paypoint_healthy 1' < <(curl -sS --max-time 10 "http://127.0.0.1:$STATUS_PORT/metrics")

# --- 1: active only after READY=1 -------------------------------------------------------------------
# Restart with the daemon held at its exec: a drop-in runs the unit's own command line through a shell
# that stops itself first (kill -STOP, then exec: the same PID becomes the daemon), so the main process
# is caught before it could send READY=1 however fast it starts (catching it by polling lost the race on
# an idle machine once the daemon started faster). systemd must keep the unit "activating" (a Type=simple
# unit would be active already); once it goes on, active follows, and only after the daemon logged ready.
hold="$merged/etc/systemd/system/paypoint.service.d/60-image-test-hold.conf"
exec_start=$(sed -n 's/^ExecStart=//p' "$merged/usr/lib/systemd/system/paypoint.service")
# $$$$ in a unit file is the shell's $$ (systemd turns $$ into $).
printf '[Service]\nExecStart=\nExecStart=/bin/sh -c '\''kill -STOP $$$$; exec %s'\''\n' "$exec_start" >"$hold"
in_ct systemctl daemon-reload
old_pid=$(unit_prop paypoint.service MainPID)
in_ct systemctl restart --no-block paypoint.service
new_main() { local p; p=$(unit_prop paypoint.service MainPID); [ "$p" != 0 ] && [ "$p" != "$old_pid" ]; }
held() { in_ct grep -q '^State:[[:space:]]*T' "/proc/$(unit_prop paypoint.service MainPID)/status" 2>/dev/null; }
if wait_for 30 new_main && wait_for 30 held; then
  pid=$(unit_prop paypoint.service MainPID)
  inv=$(unit_prop paypoint.service InvocationID)
  ready_logged() { in_ct journalctl --quiet -o cat "_SYSTEMD_INVOCATION_ID=$1" | grep -q '"msg":"ready"'; }
  sleep 1
  state_stopped=$(unit_prop paypoint.service ActiveState)/$(unit_prop paypoint.service SubState)
  t_cont=$(mono_usec)
  signal_ct CONT "$pid"
  wait_for 60 active
  expect "held before READY=1, the unit stays activating" "$state_stopped" "activating/start"
  entered=$(unit_prop paypoint.service ActiveEnterTimestampMonotonic)
  check "active only after the daemon went on (ActiveEnter $entered > continued at $t_cont)" test "$entered" -gt "$t_cont"
  if wait_for 10 ready_logged "$inv"; then ok "the daemon logged ready in that start"; else not_ok "the daemon logged ready in that start"; fi
else
  fail_rest "the restarted daemon was not held at its exec" "held before READY=1, the unit stays activating"
fi
rm -f "$hold"
in_ct systemctl daemon-reload

# --- 3: watchdog ------------------------------------------------------------------------------------
restarts=$(unit_prop paypoint.service NRestarts)
pid=$(unit_prop paypoint.service MainPID)
expect "WatchdogUSec is the test's ${WATCHDOG_SEC} s" "$(unit_prop paypoint.service WatchdogUSec)" "${WATCHDOG_SEC}s"
signal_ct STOP "$pid"
restarted() { local p; p=$(unit_prop paypoint.service MainPID); [ "$p" != 0 ] && [ "$p" != "$pid" ] && active; }
if wait_for $((WATCHDOG_SEC * 2 + 60)) restarted; then
  ok "SIGSTOP of the main PID: systemd restarted the daemon (PID $pid -> $(unit_prop paypoint.service MainPID))"
else
  not_ok "SIGSTOP of the main PID: systemd restarted the daemon" "$(in_ct systemctl status --no-pager paypoint.service 2>&1)"
fi
expect "NRestarts went up by one" "$(unit_prop paypoint.service NRestarts)" "$((restarts + 1))"
check "the journal says it was the watchdog" grep -q "paypoint.service: Watchdog timeout" < <(in_ct journalctl --quiet -o cat -u paypoint.service)
expect "the paid session survived the restart (PayPoll)" "$(soap PayPoll "$(poll_xml "$uid")" | return_code)" 0

# --- 4: configuration from a FAT stick image through the import unit --------------------------------
# import_stick NAME TOML_FILE [SECRET_FILE]: a fresh FAT image with the file(s), put at /dev/$STICK in the container,
# the import unit started as udev would; the image is copied back to $work/NAME.img.
import_stick() {
  local img="$work/$1.img"
  rm -f "$img"
  mkfs.vfat -C -n PAYPOINT "$img" 4096 >/dev/null
  mcopy -i "$img" "$2" ::paypoint.toml
  [ -z "${3:-}" ] || mcopy -i "$img" "$3" ::paypoint-secret.txt
  in_ct sh -c "cat > /dev/$STICK" <"$img"
  IN_CT_TIMEOUT=300 in_ct systemctl start "$IMPORT_UNIT" >/dev/null 2>&1
  in_ct cat "/dev/$STICK" >"$img"
}
result_of() { mtype -i "$work/$1.img" ::paypoint-result.txt 2>&1 | tr -d '\r'; }

# A bad file: refused with its line, nothing applied, the daemon not restarted.
printf '[api]\nport = %s\nbind = "127.0.0.1"\n\n[status]\nport = 70000\n' "$SOAP_PORT" >"$work/bad.toml"
pid=$(unit_prop paypoint.service MainPID)
import_stick bad "$work/bad.toml"
expect "bad file: import unit exited 1" "$(unit_prop "$IMPORT_UNIT" Result)/$(unit_prop "$IMPORT_UNIT" ExecMainStatus)" "exit-code/1"
bad_result=$(result_of bad)
check "bad file: result on the stick says REFUSED" grep -q 'result: REFUSED' <<<"$bad_result"
check "bad file: result names the line (paypoint.toml:6: status.port)" grep -q '^paypoint.toml:6: status.port' <<<"$bad_result"
expect "bad file: daemon not restarted" "$(unit_prop paypoint.service MainPID)" "$pid"
check "bad file: configuration unchanged" grep -q 'image test: initial' "$merged/etc/paypoint/paypoint.toml"
in_ct systemctl reset-failed "$IMPORT_UNIT" 2>/dev/null

# A good file (a new unit takes its first file; it must set the admin secret's hash).
{ config_text "image test: from the stick"; printf 'admin_secret_sha256 = "%s"\n' "$(printf '%s' image-test-secret | sha256sum | cut -d' ' -f1)"; } >"$work/good.toml"
import_stick good "$work/good.toml"
expect "good file: import unit succeeded" "$(unit_prop "$IMPORT_UNIT" Result)/$(unit_prop "$IMPORT_UNIT" ExecMainStatus)" "success/0"
good_result=$(result_of good)
check "good file: result on the stick says APPLIED" grep -q 'result: APPLIED' <<<"$good_result"
check "good file: installed as /etc/paypoint/paypoint.toml" cmp -s "$work/good.toml" "$merged/etc/paypoint/paypoint.toml"
check "good file: the previous file is kept" grep -q 'image test: initial' "$merged/etc/paypoint/paypoint.toml.previous"
expect "good file: the restarted daemon runs it (/api/status unit name)" "$(status_json | json_get unit.name 2>&1)" "image test: from the stick"

# --- 5: a configuration that cannot be loaded: the configuration-error mode, no restart loop -------------
# (docs/appliance.md, "Configuration error"). Before, the daemon exited at start and Restart=always with
# StartLimitAction=reboot rebooted the unit in a loop. Under real systemd now: active (READY=1), STATUS=
# names the problem, Pay -2, no restart across two watchdog periods; then a stick mends it.
secret_hash=$(printf '%s' image-test-secret | sha256sum | cut -d' ' -f1)
restarts=$(unit_prop paypoint.service NRestarts)
put_config() {
  cat >"$merged/etc/paypoint/$1"
  chroot "$merged" chown root:paypoint "/etc/paypoint/$1"
  chmod 0640 "$merged/etc/paypoint/$1"
}
# 5a: a good file naming a bad board profile (line 3: "board" is not a string): the file's own ports.
printf '{\n  "name": "bad",\n  "board": 1,\n  "lineProviders": {}\n}\n' | put_config bad-profile.json
{ config_text "image test: bad profile"; printf 'admin_secret_sha256 = "%s"\n[devices]\ncoin = "board"\nboard_simulated = true\nboard_profile = "/etc/paypoint/bad-profile.json"\n' "$secret_hash"; } | put_config paypoint.toml
IN_CT_TIMEOUT=150 in_ct systemctl restart paypoint.service
expect "bad board profile: paypoint.service active (READY=1 in the configuration-error mode)" "$(unit_prop paypoint.service ActiveState)/$(unit_prop paypoint.service SubState)" "active/running"
check "bad board profile: STATUS= names file, line and field ($(unit_prop paypoint.service StatusText))" \
  grep -q '^configuration error 102: /etc/paypoint/bad-profile.json:3: board: ' < <(unit_prop paypoint.service StatusText)
expect "bad board profile: /api/status state" "$(status_json | json_get state 2>&1)" config-error
expect "bad board profile: SOAP Pay answers -2" "$(soap Pay "$(pay_xml "image-$$-2" 100)" | return_code)" -2
expect "bad board profile: the paid session still answers (PayPoll 0)" "$(soap PayPoll "$(poll_xml "$uid")" | return_code)" 0

# 5b: the file itself bad (line 2), its admin secret line intact. Its ports cannot be trusted, so the
# daemon listens on the defaults or the command line's: a test-only drop-in gives it the test's free
# ports (on all addresses: there is no flag for the bind address) for this check only.
note "5b: drop-in 70-image-test-ports.conf adds --port/--status-port to ExecStart while the file is bad"
printf '[pos]\nmax_amount = -5\n[unit]\nadmin_secret_sha256 = "%s"\n' "$secret_hash" | put_config paypoint.toml
ports="$merged/etc/systemd/system/paypoint.service.d/70-image-test-ports.conf"
printf '[Service]\nExecStart=\nExecStart=%s --port %s --status-port %s\n' "$exec_start" "$SOAP_PORT" "$STATUS_PORT" >"$ports"
in_ct systemctl daemon-reload
IN_CT_TIMEOUT=150 in_ct systemctl restart paypoint.service
expect "bad file: paypoint.service active (READY=1 in the configuration-error mode)" "$(unit_prop paypoint.service ActiveState)/$(unit_prop paypoint.service SubState)" "active/running"
check "bad file: STATUS= names file, line and field ($(unit_prop paypoint.service StatusText))" \
  grep -q '^configuration error 102: /etc/paypoint/paypoint.toml:2: pos.max_amount: ' < <(unit_prop paypoint.service StatusText)
expect "bad file: /api/status names the line" "$(status_json | json_get configError.problems.0.line 2>&1)" 2
expect "bad file: SOAP Pay answers -2" "$(soap Pay "$(pay_xml "image-$$-3" 100)" | return_code)" -2
check "bad file: the journal has the structured error" grep -q '"err":{"code":102,"problems":\[{"file":"/etc/paypoint/paypoint.toml","line":2,"field":"pos.max_amount"' \
  < <(in_ct journalctl --quiet -o cat -u paypoint.service)
sleep $((WATCHDOG_SEC * 2))
expect "no restart in two watchdog periods (NRestarts)" "$(unit_prop paypoint.service NRestarts)" "$restarts"
expect "still active" "$(unit_prop paypoint.service ActiveState)" active
rm -f "$ports"
in_ct systemctl daemon-reload

# 5c: the stick mends it; the unit's secret (its hash is still in the broken file) is needed.
{ config_text "image test: mended"; printf 'admin_secret_sha256 = "%s"\n' "$secret_hash"; } >"$work/mend.toml"
import_stick nosecret "$work/mend.toml"
check "mend without the secret: refused" grep -q 'admin secret' < <(result_of nosecret)
in_ct systemctl reset-failed "$IMPORT_UNIT" 2>/dev/null
printf 'image-test-secret\n' >"$work/secret.txt"
import_stick mend "$work/mend.toml" "$work/secret.txt"
expect "mend: import unit succeeded" "$(unit_prop "$IMPORT_UNIT" Result)/$(unit_prop "$IMPORT_UNIT" ExecMainStatus)" "success/0"
check "mend: result APPLIED" grep -q 'result: APPLIED' < <(result_of mend)
expect "mend: normal mode again (/api/status unit name)" "$(status_json | json_get unit.name 2>&1)" "image test: mended"
expect "mend: SOAP Pay accepted" "$(soap Pay "$(pay_xml "image-$$-4" 100)" | return_code)" 0

# --- Power off --------------------------------------------------------------------------------------
in_ct systemctl poweroff --no-block >/dev/null 2>&1
if wait_for 60 bash -c "! kill -0 $nspawn_pid"; then
  wait "$nspawn_pid"
  expect "container powers off, systemd-nspawn exits 0" "$?" 0
  nspawn_pid=""
else
  not_ok "container powers off, systemd-nspawn exits 0" "still running 60 s after poweroff"
fi
