// Helpers for the tests that run in tests/e2e/netns-nat.sh's topology
// (server behind a 1:1 NAT, router, client): commands in the router's and
// client's namespaces, and what a page's ICE agents chose.
import { execFileSync } from 'node:child_process';

if (process.env.OICALL_TOPOLOGY !== 'nat') {
  throw new Error('run the tests in tests/e2e/nat/ with tests/e2e/netns-nat.sh');
}

export const ROUTER_NETNS = process.env.OICALL_ROUTER_NETNS;
export const CLIENT_NETNS = process.env.OICALL_CLIENT_NETNS;

// Runs a command in a namespace of the topology; returns { ok, out }.
export function inNetns(ns, command, args) {
  try {
    return { ok: true, out: execFileSync('ip', ['netns', 'exec', ns, command, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

// The candidate pairs a page's ICE agents selected: [{ local: { type, protocol, address },
// remote: { type, protocol, address, port }, relayProtocol }], one per transport.
// expr is a page expression yielding the objects whose getStats() to read
// (RTCPeerConnections or mediasoup-client transports).
export function selectedPairs(page, expr) {
  return page.evaluate(async (e) => {
    // eslint-disable-next-line no-eval
    const sources = [].concat((0, eval)(e)).filter(Boolean);
    const out = [];
    for (const source of sources) {
      const stats = await source.getStats();
      stats.forEach((s) => {
        if (s.type !== 'transport' || !s.selectedCandidatePairId) return;
        const pair = stats.get(s.selectedCandidatePairId);
        const local = stats.get(pair.localCandidateId);
        const remote = stats.get(pair.remoteCandidateId);
        out.push({ local: { type: local.candidateType, protocol: local.protocol, address: local.address },
          relayProtocol: local.relayProtocol ?? null,
          remote: { type: remote.candidateType, protocol: remote.protocol, address: remote.address, port: remote.port } });
      });
    }
    return out;
  }, expr);
}

// Drops the client namespace's UDP to and from Janus's public address (and
// undoes it): a network that lets TCP through only.
const UDP_RULES = [['OUTPUT', '-d'], ['INPUT', '-s']]
  .map(([chain, dir]) => [chain, dir, process.env.OICALL_PUBLIC_IP, '-p', 'udp', '-j', 'DROP']);
export function blockClientUdp(block = true) {
  for (const rule of UDP_RULES) {
    const r = inNetns(CLIENT_NETNS, 'iptables', [block ? '-A' : '-D', ...rule]);
    if (!r.ok && block) throw new Error(`iptables: ${r.out}`);
  }
}
