// Janus behind a cloud's 1:1 NAT (tests/e2e/netns-nat.sh): it has only a
// private address, clients reach it at the public one only, and it announces
// the public address in its ICE candidates (tools/janus-runtime --public-ip,
// i.e. nat_1_1_mapping) within its RTP port range (--rtp-ports). A
// mediasoup-client call and a JSEP call between Chromium pages in the client
// namespace get media both ways.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PUBLIC_IP, JANUS_IP } from '../lib/janus.js';
import { CLIENT_NETNS, inNetns, selectedPairs, useClients } from './topology.js';

const RTP_MIN = 31000;
const RTP_MAX = 31099;

// The candidates of an SDP: [{ address, port, type }].
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
  const clients = useClients({ publicIp: PUBLIC_IP, rtpPorts: `${RTP_MIN}-${RTP_MAX}` });

  test('the client namespace reaches Janus at the public address only', () => {
    const url = (ip) => `http://${ip}:${clients.ctx.janus.ports.sio}/calls/?EIO=4&transport=polling`;
    const pub = inNetns(CLIENT_NETNS, 'curl', ['-sS', '-m', '10', url(PUBLIC_IP)]);
    assert.ok(pub.ok && pub.out.startsWith('0{'), `public address: ${pub.out}`);
    const priv = inNetns(CLIENT_NETNS, 'curl', ['-sS', '-m', '10', url(JANUS_IP)]);
    assert.ok(!priv.ok && /connect/i.test(priv.out), `private address: ${priv.out}`);
  });

  test('a mediasoup-client call: the transports announce the public address in the port range, media flows both ways', async () => {
    const { alice, bob } = await clients.msCall('nat-ms-a', 'nat-ms-b');
    for (const page of [alice, bob]) {
      const params = await page.msc(() => window.msc.params);
      for (const t of ['sendTransport', 'recvTransport']) assertPublic(params[t].iceCandidates, `${page.user} ${t}`);
      const pairs = await selectedPairs(page, '[window.msc.sendTransport, window.msc.recvTransport]');
      assert.equal(pairs.length, 2, JSON.stringify(pairs));
      for (const p of pairs) assert.equal(p.remote.address, PUBLIC_IP, `${page.user}: ${JSON.stringify(p)}`);
    }
    await alice.close();
    await bob.close();
  });

  test('a JSEP call: the gateway\'s SDPs announce the public address in the port range, media flows both ways', async () => {
    const { alice, bob, incoming, accepted } = await clients.jsepCall('nat-jsep-a', 'nat-jsep-b');
    assertPublic(sdpCandidates(incoming.jsep.sdp), 'incoming-call offer');
    assertPublic(sdpCandidates(accepted.jsep.sdp), 'call-accepted answer');
    for (const page of [alice, bob]) {
      const pairs = await selectedPairs(page, 'window.demo.pc');
      assert.equal(pairs.length, 1, JSON.stringify(pairs));
      assert.equal(pairs[0].remote.address, PUBLIC_IP, `${page.user}: ${JSON.stringify(pairs)}`);
    }
    await alice.close();
    await bob.close();
  });

  clients.ctx.cleanExitTest();
});
