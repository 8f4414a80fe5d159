#!/usr/bin/env bash
# Runs a command inside a private network namespace with a veth pair:
#   veth0 10.213.0.1/24 (Janus's address)  <->  veth1 10.213.0.2/24 (clients)
# plus loopback. Janus never gathers ICE candidates on loopback, so media
# needs the veth addresses; nothing in the namespace can reach any other
# network. As root a named namespace (ip netns) is used and deleted on exit,
# pass or fail; otherwise `unshare --user --map-root-user --net` gives a
# private namespace that disappears with its last process.
#
#   tests/e2e/netns-run.sh COMMAND [ARGS...]
set -euo pipefail

setup_links() { # run inside the namespace
	ip link set lo up
	ip link add veth0 type veth peer name veth1
	ip addr add 10.213.0.1/24 dev veth0
	ip addr add 10.213.0.2/24 dev veth1
	ip link set veth0 up
	ip link set veth1 up
}

if [ "${OICALL_NETNS_INSIDE:-}" = 1 ]; then
	setup_links
	exec "$@"
fi

if [ "$(id -u)" = 0 ] && command -v ip >/dev/null; then
	ns="oicall-test-$$"
	ip netns add "$ns"
	trap 'ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del "$ns" 2>/dev/null || true' EXIT
	ip netns exec "$ns" env OICALL_NETNS_INSIDE=1 OICALL_NETNS="$ns" "$0" "$@" && rc=0 || rc=$?
	exit $rc
fi

if unshare --user --map-root-user --net true 2>/dev/null; then
	exec unshare --user --map-root-user --net env OICALL_NETNS_INSIDE=1 OICALL_NETNS=unshare "$0" "$@"
fi

echo "netns-run: need root (ip netns) or unprivileged user namespaces (unshare --user --net)" >&2
exit 1
