#!/bin/bash
# VM test dependencies that follow the VM's kernel: the headers and the source of exactly the kernel in
# the cached base root file system (build-rootfs.sh builds it first if needed), to build gpio-sim for it
# (build-gpio-sim.sh). Called by make deps-vm; installs only what is missing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
base=$("$here/build-rootfs.sh")
kdirs=("$base"/lib/modules/*/)
kver=$(basename "${kdirs[0]}")
ver=$(dpkg-query --admindir="$base/var/lib/dpkg" -W -f='${Version}' "linux-image-$kver")
want=("linux-headers-$kver=$ver" "linux-source-6.1=$ver")
missing=()
for p in "${want[@]}"; do
  [ "$(dpkg-query -W -f='${Status} ${Version}' "${p%%=*}" 2>/dev/null)" = "install ok installed ${p#*=}" ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages for the VM's kernel $kver: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
