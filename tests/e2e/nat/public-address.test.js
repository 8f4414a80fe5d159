// Janus behind a cloud's 1:1 NAT (tests/e2e/netns-nat.sh): it has only a
// private address, clients reach it at the public one only, and it announces
// the public address in its ICE candidates (tools/janus-runtime --public-ip,
// i.e. nat_1_1_mapping) within its RTP port range (--rtp-ports). A
// mediasoup-client call and a JSEP call between Chromium pages in the client
// namespace get media both ways.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useJanus, PUBLIC_IP, JANUS_IP } from '../lib/janus.js';
import { launchBrowser } from '../lib/browser.js';
import { mediaFlows, userPage } from '../lib/demo.js';
import { msPageFolder, msUserPage } from '../lib/mediasoup.js';
import { CLIENT_NETNS, inNetns, selectedPairs } from './topology.js';

const RTP_MIN = 31000;
const RTP_MAX = 31099;
const folder = await msPageFolder();

// host candidates of an SDP: [{ address, port }].
const sdpCandidates = (sdp) => [...sdp.matchAll(/^a=candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ (\w+)/gmi)]
  .map((m) => ({ address: m[1], port: Number(m[2]), type: m[3] }));

function assertPublic(candidates, what) {
  assert.ok(candidates.length > 0, `${what}: no candidates`);
  for (const c of candidates) {
    assert.equal(c.address, PUBLIC_IP, `${what}: ${JSON.stringify(candidates)}`);
    assert.ok(c.port >= RTP_MIN && c.port <= RTP_MAX, `${what}: port ${c.port} outside ${RTP_MIN}-${RTP_MAX}`);
  }
}

describe('Janus behind a 1:1 NAT', () => {
  const ctx = useJanus({ demoFolder: folder.dir, publicIp: PUBLIC_IP, rtpPorts: `${RTP_MIN}-${RTP_MAX}` });
  let browser;
  let site;     // Janus as the clients see it: at the public address
  before(async () => {
    site = { ...ctx.janus, sioUrl: ctx.janus.publicSioUrl };
    browser = await launchBrowser({ secureOrigins: [site.sioUrl] });
  });
  after(async () => { await browser?.close(); folder.remove(); });

  test('the client namespace reaches Janus at the public address only', () => {
    const url = (ip) => `http://${ip}:${ctx.janus.ports.sio}/calls/?EIO=4&transport=polling`;
    const pub = inNetns(CLIENT_NETNS, 'curl', ['-sS', '-m', '10', url(PUBLIC_IP)]);
    assert.ok(pub.ok && pub.out.startsWith('0{'), `public address: ${pub.out}`);
    const priv = inNetns(CLIENT_NETNS, 'curl', ['-sS', '-m', '10', url(JANUS_IP)]);
    assert.ok(!priv.ok && /connect/i.test(priv.out), `private address: ${priv.out}`);
  });

  test('a mediasoup-client call: the transports announce the public address in the port range, media flows both ways', async () => {
    const alice = await msUserPage(browser, site, 'nat-ms-a');
    const bob = await msUserPage(browser, site, 'nat-ms-b');
    const incoming = bob.nextEvent('incoming-call', 0, 20000);
    const started = await alice.msc((to) => window.msc.call(to, 'video'), 'nat-ms-b');
    assert.equal(started.error, undefined, JSON.stringify(started));
    await incoming;
    const ack = await bob.msc(() => window.msc.accept());
    assert.equal(ack.error, undefined, JSON.stringify(ack));
    for (const page of [alice, bob]) {
      const params = await page.msc(() => window.msc.params);
      for (const t of ['sendTransport', 'recvTransport']) assertPublic(params[t].iceCandidates, `${page.user} ${t}`);
    }
    await Promise.all([mediaFlows(alice, { timeoutMs: 20000 }), mediaFlows(bob, { timeoutMs: 20000 })]);
    for (const page of [alice, bob]) {
      const pairs = await selectedPairs(page, '[window.msc.sendTransport, window.msc.recvTransport]');
      assert.equal(pairs.length, 2, JSON.stringify(pairs));
      for (const p of pairs) assert.equal(p.remote.address, PUBLIC_IP, `${page.user}: ${JSON.stringify(p)}`);
    }
    await alice.close();
    await bob.close();
  });

  test('a JSEP call: the gateway\'s SDPs announce the public address in the port range, media flows both ways', async () => {
    const alice = await userPage(browser, site, 'nat-jsep-a');
    const bob = await userPage(browser, site, 'nat-jsep-b');
    const incoming = bob.nextEvent('incoming-call');
    const started = await alice.demo((to) => window.demo.call(to, 'video'), 'nat-jsep-b');
    assert.equal(started.error, undefined, JSON.stringify(started));
    const offer = await incoming;
    assertPublic(sdpCandidates(offer.jsep.sdp), 'incoming-call offer');
    const accepted = alice.nextEvent('call-accepted');
    const ack = await bob.demo(() => window.demo.accept());
    assert.equal(ack.error, undefined, JSON.stringify(ack));
    assertPublic(sdpCandidates((await accepted).jsep.sdp), 'call-accepted answer');
    await Promise.all([mediaFlows(alice, { timeoutMs: 20000 }), mediaFlows(bob, { timeoutMs: 20000 })]);
    for (const page of [alice, bob]) {
      const pairs = await selectedPairs(page, 'window.demo.pc');
      assert.equal(pairs.length, 1, JSON.stringify(pairs));
      assert.equal(pairs[0].remote.address, PUBLIC_IP, `${page.user}: ${JSON.stringify(pairs)}`);
    }
    await alice.close();
    await bob.close();
  });

  ctx.cleanExitTest();
});
