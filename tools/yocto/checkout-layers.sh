#!/bin/bash
# Checks out the layers that yocto-layer/kas/paypoint-rpi4.yml pins (poky, meta-openembedded,
# meta-raspberrypi), each at its pinned commit, from local git mirrors: what `kas checkout` does where the
# layers' git servers are reachable. Every commit is verified to be on the kas file's branch first.
#
# Usage: tools/yocto/checkout-layers.sh DEST [MIRROR_ROOT]
#   MIRROR_ROOT (default /work/.mirror) holds one bare repository per layer, found as
#   MIRROR_ROOT/<owner>+<name>/repo or MIRROR_ROOT/<name>.git / MIRROR_ROOT/<name>.
#   DEST/<repo name> is created (or moved to the pinned commit if it is already a clone).
set -euo pipefail

dest=${1:?usage: checkout-layers.sh DEST [MIRROR_ROOT]}
mirrors=${2:-/work/.mirror}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kas="$here/../../yocto-layer/kas/paypoint-rpi4.yml"

mkdir -p "$dest"
fail=0
# "name url branch commit" for every repository with a url (the project itself has none).
while read -r name url branch commit; do
  owner_repo=$(sed -E 's#^https?://[^/]+/##; s#\.git$##' <<<"$url" | tr / +)
  src=""
  for c in "$mirrors/$owner_repo/repo" "$mirrors"/*+"$name"/repo "$mirrors/$name.git" "$mirrors/$name"; do
    if [ -d "$c" ] && git -C "$c" rev-parse --git-dir >/dev/null 2>&1; then src=$c; break; fi
  done
  if [ -z "$src" ]; then
    echo "checkout-layers: no mirror of $name ($url) under $mirrors" >&2; fail=1; continue
  fi
  if ! git -C "$src" cat-file -e "$commit^{commit}" 2>/dev/null; then
    echo "checkout-layers: $name: commit $commit is not in $src" >&2; fail=1; continue
  fi
  if ! git -C "$src" merge-base --is-ancestor "$commit" "refs/heads/$branch"; then
    echo "checkout-layers: $name: commit $commit is not on branch $branch of $src" >&2; fail=1; continue
  fi
  if [ ! -d "$dest/$name/.git" ]; then
    git clone -q --no-checkout "$src" "$dest/$name"
  else
    git -C "$dest/$name" fetch -q "$src" "refs/heads/$branch:refs/remotes/origin/$branch"
  fi
  git -C "$dest/$name" -c advice.detachedHead=false checkout -q --force "$commit"
  echo "checkout-layers: $name $(git -C "$dest/$name" rev-parse HEAD) ($branch) from $src"
done < <(python3 "$here/kas-pins.py" "$kas")
exit "$fail"
