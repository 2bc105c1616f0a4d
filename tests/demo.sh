#!/bin/sh
# make demo: the main job end to end on a bundled sample image, printing each
# step.  Everything happens in a temporary root; nothing of the host's is
# touched (the image is installed with --root, and runc keeps its state in
# the temporary root too).
set -eu
SC=$1
top=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/scdemo.XXXXXX)
trap 'rm -rf "$T"' EXIT
ROOT=$T/root
export ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic
unset ATOMIC_OSTREE_REPO

step() { printf '\n$ %s\n' "$*"; "$@"; }

printf 'Building the sample image (busybox, /exports templates) as a docker-archive...\n'
(cd "$top" && python3 tests/helpers/mkarchive.py "$T/demo.tar" demo/hello:1.0 tests/demo/image.json)
mkdir -p "$ROOT/usr/bin" "$T/runc-state"
# The runtime the unit will use, as the target sees it: runc keeping its
# state inside the demo's temporary root.
printf '#!/bin/sh\nexec %s --root %s "$@"\n' "$(command -v runc)" "$T/runc-state" > "$ROOT/usr/bin/runc"
chmod +x "$ROOT/usr/bin/runc"

step "$SC" --version
step unshare -n "$SC" --root "$ROOT" pull "dockertar:$T/demo.tar"
step "$SC" --root "$ROOT" images list
step "$SC" --root "$ROOT" images info demo/hello:1.0
step "$SC" --root "$ROOT" install --dry-run --set GREETING=bonjour demo/hello:1.0
step "$SC" --root "$ROOT" install --set GREETING=bonjour demo/hello:1.0
step cat "$ROOT/etc/systemd/system/hello-1.0.service"
step ls -l "$ROOT/etc/systemd/system/multi-user.target.wants"
DEST=$ROOT/var/lib/containers/atomic/hello-1.0.0
printf '\n$ runc run -b %s hello-1.0   # what the unit runs at boot\n' "$DEST"
runc --root "$T/runc-state" run -b "$DEST" hello-1.0 < /dev/null
step "$SC" --root "$ROOT" containers list -a
step "$SC" --root "$ROOT" containers update --set GREETING=hej hello-1.0
printf '\n$ runc run -b %s hello-1.0   # the new deployment\n' "${DEST%.0}.1"
runc --root "$T/runc-state" run -b "${DEST%.0}.1" hello-1.0 < /dev/null
step "$SC" --root "$ROOT" containers rollback hello-1.0
step readlink "$ROOT/var/lib/containers/atomic/hello-1.0"
step "$SC" --root "$ROOT" uninstall hello-1.0
step "$SC" --root "$ROOT" images delete demo/hello:1.0
step "$SC" --root "$ROOT" images prune
printf '\nDone: the temporary root %s is removed.\n' "$T"
