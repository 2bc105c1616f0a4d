#!/bin/sh
# make demo: the main job end to end on a bundled sample image, printing each
# step.  Runs in a temporary root; touches nothing of the host's.
set -eu
SC=$1
T=$(mktemp -d /tmp/scdemo.XXXXXX)
trap 'rm -rf "$T"' EXIT
export ATOMIC_OSTREE_CHECKOUT_PATH=$T/checkout
unset ATOMIC_OSTREE_REPO

step() { printf '\n$ %s\n' "$*"; "$@"; }

step "$SC" --version
echo
echo "syscontainer: the foundation is built (static musl binary, repository store,"
echo "CLI contract).  Still missing from the main job: pull (dockertar:, registries),"
echo "install/run/uninstall and the image store verbs; this demo grows with them."
