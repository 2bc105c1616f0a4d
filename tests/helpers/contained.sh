#!/bin/sh
# contained.sh [--net] DIR CMD...: exec CMD in its own mount and network
# namespaces (--net: the host's network, for a registry on 127.0.0.1),
# where whatever it writes under /var/lib, /run and /var/tmp lands in DIR
# instead (podman and skopeo, as root, keep a blob cache in
# /var/lib/containers and state in /run: the host's are not theirs to
# touch).  A directory holding DIR itself is left as it is: what CMD makes
# there (a socket) must be seen from outside.  Without a network, nothing
# CMD does can resolve a short name or reach a registry.  The PID stays
# CMD's, for the caller to stop it by.
set -eu
net=-n
[ "$1" = --net ] && net= && shift
exec unshare -m $net sh -c '
	set -e
	d=$1
	shift
	mkdir -p "$d"
	mount --make-rprivate /
	for p in /var/lib /run /var/tmp; do
		case $(realpath "$d")/ in "$(realpath "$p")"/*) continue ;; esac
		n=$(echo "$p" | tr / _)
		mkdir -p "$d/up$n" "$d/work$n"
		mount -t overlay overlay -o "lowerdir=$p,upperdir=$d/up$n,workdir=$d/work$n" "$p"
	done
	ip link set lo up 2> /dev/null || true
	exec "$@"' sh "$@"
