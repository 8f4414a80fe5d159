#!/usr/bin/env bash
# Runs a command inside tests/e2e/netns-run.sh's namespace, readied for the
# load generator (webrtc-load.py): libnice (in webrtcbin) ignores interfaces
# named veth*, so the clients' end of the veth pair gets another name (Janus's
# end, veth0, keeps its own), and packets between the pair's two ends in one
# namespace need accept_local.
#
#   tests/e2e/netns-run.sh tests/e2e/bench/loadgen-netns.sh COMMAND [ARGS...]
set -euo pipefail
ip link set veth1 down
ip link set veth1 name load1
ip link set load1 up
sysctl -qw net.ipv4.conf.all.accept_local=1 net.ipv4.conf.load1.accept_local=1 net.ipv4.conf.veth0.accept_local=1
exec "$@"
