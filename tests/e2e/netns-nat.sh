#!/usr/bin/env bash
# Runs a command in three network namespaces joined as a server behind a
# cloud's 1:1 NAT and a client on the internet:
#
#   server  s0 10.214.1.2/24 (Janus's private address), default via 10.214.1.1
#   router  r-s 10.214.1.1/24 | r-c 198.51.100.1/24, forwarding:
#           DNAT 203.0.113.10 (the public address) -> 10.214.1.2, SNAT back;
#           clients may reach the public address only (never 10.214.1.0/24),
#           and the server reaches a client only in answer (a stateful
#           firewall, as the client's own NAT would be)
#   client  c0 198.51.100.2/24, default via 198.51.100.1
#
# The command runs in the server namespace with OICALL_TOPOLOGY=nat,
# OICALL_JANUS_IP, OICALL_PUBLIC_IP, OICALL_CLIENT_IP, OICALL_ICE_IFACE,
# OICALL_ROUTER_NETNS and OICALL_CLIENT_NETNS (names for `ip netns exec`),
# and OICALL_CHROMIUM set to a wrapper that starts Chromium in the client
# namespace. Names are unique per run; the namespaces and everything in them
# go when the command ends, pass or fail. Needs root (ip netns), or
# unprivileged user namespaces (then it runs itself under unshare with a
# private /run/netns).
#
#   tests/e2e/netns-nat.sh COMMAND [ARGS...]
set -euo pipefail

if [ "$(id -u)" != 0 ] && [ "${OICALL_NAT_UNSHARED:-}" != 1 ]; then
	if unshare --user --map-root-user --net --mount true 2>/dev/null; then
		exec unshare --user --map-root-user --net --mount env OICALL_NAT_UNSHARED=1 "$0" "$@"
	fi
	echo "netns-nat: need root (ip netns) or unprivileged user namespaces (unshare --user --net --mount)" >&2
	exit 1
fi
if [ "${OICALL_NAT_UNSHARED:-}" = 1 ]; then
	# A private mount namespace: ip netns's bind mounts go to a tmpfs of our own.
	mkdir -p /run/netns 2>/dev/null || true
	mount -t tmpfs tmpfs /run/netns
fi

id="oicall-nat-$$-$RANDOM"
server="$id-srv" router="$id-rtr" client="$id-cli"
dir=$(mktemp -d)
cleanup() {
	for ns in "$client" "$router" "$server"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for ns in "$server" "$router" "$client"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
# veth pairs made in the router and moved: interface names need only be unique per namespace.
ip -n "$router" link add r-s type veth peer name s0
ip -n "$router" link set s0 netns "$server"
ip -n "$router" link add r-c type veth peer name c0
ip -n "$router" link set c0 netns "$client"
ip -n "$server" addr add 10.214.1.2/24 dev s0
ip -n "$router" addr add 10.214.1.1/24 dev r-s
ip -n "$router" addr add 198.51.100.1/24 dev r-c
ip -n "$client" addr add 198.51.100.2/24 dev c0
ip -n "$server" link set s0 up
ip -n "$router" link set r-s up
ip -n "$router" link set r-c up
ip -n "$client" link set c0 up
ip -n "$server" route add default via 10.214.1.1
ip -n "$client" route add default via 198.51.100.1
ip netns exec "$router" sysctl -q -w net.ipv4.ip_forward=1

rt() { ip netns exec "$router" iptables "$@"; }
rt -t nat -A PREROUTING -i r-c -d 203.0.113.10 -j DNAT --to-destination 10.214.1.2
rt -t nat -A POSTROUTING -o r-c -s 10.214.1.2 -j SNAT --to-source 203.0.113.10
rt -P FORWARD DROP
rt -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
rt -A FORWARD -i r-c -o r-s -m conntrack --ctstate DNAT -j ACCEPT
# Refused at once rather than dropped, so that "unreachable" needs no timeout.
rt -A FORWARD -p tcp -j REJECT --reject-with tcp-reset
rt -A FORWARD -j REJECT

cat > "$dir/chromium" <<EOS
#!/bin/sh
exec ip netns exec "$client" ${OICALL_CHROMIUM:-/usr/bin/chromium} "\$@"
EOS
chmod +x "$dir/chromium"

ip netns exec "$server" env OICALL_NETNS="$server" OICALL_TOPOLOGY=nat OICALL_JANUS_IP=10.214.1.2 OICALL_PUBLIC_IP=203.0.113.10 \
	OICALL_CLIENT_IP=198.51.100.2 OICALL_ICE_IFACE=s0 OICALL_ROUTER_NETNS="$router" OICALL_CLIENT_NETNS="$client" \
	OICALL_CHROMIUM="$dir/chromium" "$@" && rc=0 || rc=$?
exit $rc
