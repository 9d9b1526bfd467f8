#!/bin/bash
# Helpers of the appliance boot test (test/image/boot-test.sh): TAP output, running commands inside the
# booted container (nsenter into its PID 1's namespaces), polling. Sourced, not run.

TAP_N=0
TAP_PASS=0
TAP_FAIL=0

# ok DESCRIPTION / not_ok DESCRIPTION [DIAGNOSTICS...]
ok() {
  TAP_N=$((TAP_N + 1)); TAP_PASS=$((TAP_PASS + 1))
  echo "ok $TAP_N - $1"
}
not_ok() {
  TAP_N=$((TAP_N + 1)); TAP_FAIL=$((TAP_FAIL + 1))
  echo "not ok $TAP_N - $1"
  shift
  local line
  for line in "$@"; do
    while IFS= read -r l; do echo "  # $l"; done <<<"$line"
  done
}
# check DESCRIPTION COMMAND...: ok when COMMAND exits 0; its output is shown only on failure.
check() {
  local desc=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$desc"; else not_ok "$desc" "command: $*" "$out"; fi
}
# expect DESCRIPTION ACTUAL EXPECTED
expect() {
  if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:      $2" "expected: $3"; fi
}
# skip_rest REASON: the steps that depend on a failed one are reported as failed, not left out.
fail_rest() {
  local reason=$1 d
  shift
  for d in "$@"; do not_ok "$d" "not run: $reason"; done
}
note() { echo "# $*"; }

# Commands inside the container: every namespace of its PID 1 (LEADER), its root and working directory.
in_ct() {
  timeout "${IN_CT_TIMEOUT:-60}" nsenter --target "$LEADER" --all --root --wd -- "$@"
}
# signal_ct SIGNAL PID: kill inside the container (PID in its namespace; no procps there: the shell's kill).
signal_ct() {
  case "$1$2" in *[!A-Z0-9]*) echo "signal_ct: bad arguments" >&2; return 2 ;; esac
  in_ct /bin/sh -c "kill -s $1 $2"
}
unit_prop() { in_ct systemctl show --property="$2" --value "$1"; }

# wait_for SECONDS COMMAND...: polls every 0.2 s until COMMAND succeeds; 1 when the time is up.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    # The container is gone (crashed, rebooted): nothing more will change.
    [ -z "${LEADER:-}" ] || kill -0 "$LEADER" 2>/dev/null || return 1
    sleep 0.2
  done
}

# CLOCK_MONOTONIC in microseconds: systemd's *TimestampMonotonic properties use the same clock (the
# container has no time namespace of its own).
mono_usec() { node -e 'console.log(String(process.hrtime.bigint() / 1000n))'; }

# The daemon's SOAP API and status page, on the loopback of the shared network namespace.
soap() {
  local op=$1 body=$2
  curl -sS --max-time 10 -H 'Content-Type: text/xml; charset=utf-8' \
    -H "SOAPAction: \"http://www.stampsoft.ru/pos#pos:$op\"" --data-binary "$body" "http://127.0.0.1:$SOAP_PORT/"
}
soap_envelope() {
  printf '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>%s</soap:Body></soap:Envelope>' "$1"
}
pay_xml() {
  soap_envelope "<p:Pay xmlns:p=\"http://www.stampsoft.ru/pos\"><p:uid>$1</p:uid><p:amount>$2</p:amount><p:order><p:orderitem><p:id>1</p:id><p:name>Kefir</p:name><p:count>1</p:count><p:cost>$2</p:cost></p:orderitem></p:order></p:Pay>"
}
poll_xml() {
  soap_envelope "<p:PayPoll xmlns:p=\"http://www.stampsoft.ru/pos\"><p:uid>$1</p:uid></p:PayPoll>"
}
# return_code: the <return> of a SOAP answer on stdin, or "fault".
return_code() {
  local r
  r=$(sed -nE 's|.*<([A-Za-z0-9_]+:)?return>(-?[0-9]+)</([A-Za-z0-9_]+:)?return>.*|\2|p')
  echo "${r:-fault}"
}
poll_is() { [ "$(soap PayPoll "$(poll_xml "$1")" | return_code)" = "$2" ]; }
status_json() { curl -sS --max-time 10 "http://127.0.0.1:$STATUS_PORT/api/status"; }
# json_get PATH: a field of the JSON on stdin (dotted path), printed as text.
json_get() {
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v=JSON.parse(s);for(const k of process.argv[1].split("."))v=v?.[k];console.log(typeof v==="object"?JSON.stringify(v):String(v))})' "$1"
}
free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
