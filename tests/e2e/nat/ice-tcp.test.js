// Janus's own ICE-TCP (tools/janus-runtime --ice-tcp: ice_lite and ice_tcp)
// as a TURN-less path for a client whose UDP is dropped: Janus behind the
// 1:1 NAT of tests/e2e/netns-nat.sh announces passive TCP candidates on its
// public address, in its RTP port range, and Chromium connects to them, with
// mediasoup-client and with a plain RTCPeerConnection.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useJanus, PUBLIC_IP } from '../lib/janus.js';
import { launchBrowser } from '../lib/browser.js';
import { mediaFlows, userPage } from '../lib/demo.js';
import { msPageFolder, msUserPage } from '../lib/mediasoup.js';
import { blockClientUdp, selectedPairs } from './topology.js';

const RTP_MIN = 32000;
const RTP_MAX = 32099;
const folder = await msPageFolder();

function assertTcpToPublic(pairs, count, who) {
  assert.equal(pairs.length, count, JSON.stringify(pairs));
  for (const { remote } of pairs) {
    assert.deepEqual([remote.protocol, remote.address], ['tcp', PUBLIC_IP], `${who}: ${JSON.stringify(pairs)}`);
    assert.ok(remote.port >= RTP_MIN && remote.port <= RTP_MAX, `${who}: port ${remote.port}`);
  }
}

describe('ICE-TCP for clients whose UDP is blocked, without TURN', () => {
  const ctx = useJanus({ demoFolder: folder.dir, publicIp: PUBLIC_IP, rtpPorts: `${RTP_MIN}-${RTP_MAX}`, runtimeArgs: ['--ice-tcp'] });
  let browser;
  let site;
  before(async () => {
    blockClientUdp();
    site = { ...ctx.janus, sioUrl: ctx.janus.publicSioUrl };
    browser = await launchBrowser({ secureOrigins: [site.sioUrl] });
  });
  after(async () => {
    await browser?.close();
    blockClientUdp(false);
    folder.remove();
  });

  test('a mediasoup-client call: media both ways over ICE-TCP', async () => {
    const alice = await msUserPage(browser, site, 'tcp-ms-a');
    const bob = await msUserPage(browser, site, 'tcp-ms-b');
    const incoming = bob.nextEvent('incoming-call', 0, 20000);
    const started = await alice.msc((to) => window.msc.call(to, 'video'), 'tcp-ms-b');
    assert.equal(started.error, undefined, JSON.stringify(started));
    await incoming;
    const ack = await bob.msc(() => window.msc.accept());
    assert.equal(ack.error, undefined, JSON.stringify(ack));
    await Promise.all([mediaFlows(alice, { timeoutMs: 30000 }), mediaFlows(bob, { timeoutMs: 30000 })]);
    for (const page of [alice, bob])
      assertTcpToPublic(await selectedPairs(page, '[window.msc.sendTransport, window.msc.recvTransport]'), 2, page.user);
    await alice.close();
    await bob.close();
  });

  test('a JSEP call: media both ways over ICE-TCP', async () => {
    const alice = await userPage(browser, site, 'tcp-jsep-a');
    const bob = await userPage(browser, site, 'tcp-jsep-b');
    const incoming = bob.nextEvent('incoming-call');
    const started = await alice.demo((to) => window.demo.call(to, 'video'), 'tcp-jsep-b');
    assert.equal(started.error, undefined, JSON.stringify(started));
    assert.match((await incoming).jsep.sdp, /^a=candidate:\S+ 1 tcp \d+ \S+ \d+ typ host tcptype passive/m);
    const ack = await bob.demo(() => window.demo.accept());
    assert.equal(ack.error, undefined, JSON.stringify(ack));
    await Promise.all([mediaFlows(alice, { timeoutMs: 30000 }), mediaFlows(bob, { timeoutMs: 30000 })]);
    for (const page of [alice, bob]) assertTcpToPublic(await selectedPairs(page, 'window.demo.pc'), 1, page.user);
    await alice.close();
    await bob.close();
  });

  ctx.cleanExitTest();
});
