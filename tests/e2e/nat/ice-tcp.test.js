// Janus's own ICE-TCP (tools/janus-runtime --ice-tcp: ice_lite and ice_tcp)
// as a TURN-less path for a client whose UDP is dropped: Janus behind the
// 1:1 NAT of tests/e2e/netns-nat.sh announces passive TCP candidates on its
// public address, in its RTP port range, and Chromium connects to them, with
// mediasoup-client and with a plain RTCPeerConnection.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PUBLIC_IP } from '../lib/janus.js';
import { selectedPairs, useClients } from './topology.js';

const RTP_MIN = 32000;
const RTP_MAX = 32099;

function assertTcpToPublic(pairs, count, who) {
  assert.equal(pairs.length, count, JSON.stringify(pairs));
  for (const { remote } of pairs) {
    assert.deepEqual([remote.protocol, remote.address], ['tcp', PUBLIC_IP], `${who}: ${JSON.stringify(pairs)}`);
    assert.ok(remote.port >= RTP_MIN && remote.port <= RTP_MAX, `${who}: port ${remote.port}`);
  }
}

describe('ICE-TCP for clients whose UDP is blocked, without TURN', () => {
  const clients = useClients({ publicIp: PUBLIC_IP, rtpPorts: `${RTP_MIN}-${RTP_MAX}`, runtimeArgs: ['--ice-tcp'] },
    { blockUdp: true });

  test('a mediasoup-client call: media both ways over ICE-TCP', async () => {
    const { alice, bob } = await clients.msCall('tcp-ms-a', 'tcp-ms-b');
    for (const page of [alice, bob])
      assertTcpToPublic(await selectedPairs(page, '[window.msc.sendTransport, window.msc.recvTransport]'), 2, page.user);
    await alice.close();
    await bob.close();
  });

  test('a JSEP call: media both ways over ICE-TCP', async () => {
    const { alice, bob, incoming } = await clients.jsepCall('tcp-jsep-a', 'tcp-jsep-b');
    assert.match(incoming.jsep.sdp, /^a=candidate:\S+ 1 tcp \d+ \S+ \d+ typ host tcptype passive/m);
    for (const page of [alice, bob]) assertTcpToPublic(await selectedPairs(page, 'window.demo.pc'), 1, page.user);
    await alice.close();
    await bob.close();
  });

  clients.ctx.cleanExitTest();
});
