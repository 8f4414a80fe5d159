// Helpers for the tests that run in tests/e2e/netns-nat.sh's topology
// (server behind a 1:1 NAT, router, client): Janus with Chromium pages in
// the client namespace calling each other, commands in the other
// namespaces, and what a page's ICE agents chose.
import { execFileSync } from 'node:child_process';
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useJanus } from '../lib/janus.js';
import { launchBrowser } from '../lib/browser.js';
import { mediaFlows, userPage } from '../lib/demo.js';
import { msPageFolder, msUserPage } from '../lib/mediasoup.js';

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

const folder = await msPageFolder();

/**
 * Inside a describe(): Janus (startJanus options; it serves the demo and
 * mediasoup-client pages) and a Chromium in the client namespace that opens
 * them at Janus's public address. blockUdp: the client's UDP is dropped
 * meanwhile. Returns { ctx (useJanus's), browser, site (Janus as clients
 * see it), msCall, jsepCall }.
 */
export function useClients(janusOpts, { blockUdp = false, browserArgs = [] } = {}) {
  const ctx = useJanus({ demoFolder: folder.dir, ...janusOpts });
  const clients = { ctx, browser: null, site: null };
  before(async () => {
    if (blockUdp) blockClientUdp();
    clients.site = { ...ctx.janus, sioUrl: ctx.janus.publicSioUrl };
    clients.browser = await launchBrowser({ secureOrigins: [clients.site.sioUrl], extraArgs: browserArgs });
  });
  after(async () => {
    await clients.browser?.close();
    if (blockUdp) blockClientUdp(false);
    folder.remove();
  });

  // User a calls b with mediasoup-client (prepare(alice, bob) runs first) and
  // both wait for media both ways: { alice, bob, started, incoming, ack }.
  clients.msCall = async (a, b, prepare = async () => {}) => {
    const alice = await msUserPage(clients.browser, clients.site, a);
    const bob = await msUserPage(clients.browser, clients.site, b);
    await prepare(alice, bob);
    const ringing = bob.nextEvent('incoming-call', 0, 20000);
    const started = await alice.msc(([to]) => window.msc.call(to, 'video'), [b]);
    assert.equal(started.error, undefined, JSON.stringify(started));
    const incoming = await ringing;
    const ack = await bob.msc(() => window.msc.accept());
    assert.equal(ack.error, undefined, JSON.stringify(ack));
    await Promise.all([mediaFlows(alice, { timeoutMs: 30000 }), mediaFlows(bob, { timeoutMs: 30000 })]);
    return { alice, bob, started, incoming, ack };
  };

  // The same with the demo page's RTCPeerConnection: { alice, bob, started, incoming, ack, accepted }.
  clients.jsepCall = async (a, b, prepare = async () => {}) => {
    const alice = await userPage(clients.browser, clients.site, a);
    const bob = await userPage(clients.browser, clients.site, b);
    await prepare(alice, bob);
    const ringing = bob.nextEvent('incoming-call');
    const started = await alice.demo(([to]) => window.demo.call(to, 'video'), [b]);
    assert.equal(started.error, undefined, JSON.stringify(started));
    const incoming = await ringing;
    const callAccepted = alice.nextEvent('call-accepted');
    const ack = await bob.demo(() => window.demo.accept());
    assert.equal(ack.error, undefined, JSON.stringify(ack));
    const accepted = await callAccepted;
    await Promise.all([mediaFlows(alice, { timeoutMs: 30000 }), mediaFlows(bob, { timeoutMs: 30000 })]);
    return { alice, bob, started, incoming, ack, accepted };
  };
  return clients;
}
