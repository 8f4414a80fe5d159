// Real calls between headless Chromium pages (the demo page, plain
// RTCPeerConnection) through janus.plugin.oicall and the Socket.IO transport.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useJanus, sleep } from './lib/janus.js';
import { DEMO_FOLDER, demoBrowser, userPage, mediaFlows, bytesOver } from './lib/demo.js';
import { connect, emitAck } from './lib/sio.js';
import { fakeOffer } from './lib/sdp.js';

const RING_S = 3;
const GRACE_S = 4;
const LINGER_MARGIN_S = 5;  // OICALL_LINGER_MARGIN_S

describe('calls between two browsers (JSEP)', () => {
  const ctx = useJanus({ demoFolder: DEMO_FOLDER, plugin: { general: { ring_timeout: RING_S, reconnect_grace: GRACE_S } } });
  let browser;
  before(async () => { browser = await demoBrowser(ctx.janus); });
  after(async () => { await browser?.close(); });

  // alice calls bob, bob accepts; returns the pages and the call id.
  async function activeCall(a = 'alice', b = 'bob', callType = 'video') {
    const alice = await userPage(browser, ctx.janus, a);
    const bob = await userPage(browser, ctx.janus, b);
    const incoming = bob.nextEvent('incoming-call');
    const { callId, error } = await alice.demo(([to, type]) => window.demo.call(to, type), [b, callType]);
    assert.equal(error, undefined);
    const offer = await incoming;
    assert.equal(offer.callId, callId);
    assert.equal(offer.fromUserId, a);
    assert.equal(offer.jsep.type, 'offer');
    const accepted = alice.nextEvent('call-accepted');
    assert.deepEqual(await bob.demo(() => window.demo.accept()), { success: true });
    const acceptedAt = Date.now();
    const event = await accepted;
    assert.equal(event.callId, callId);
    assert.equal(event.calleeUserId, b);
    assert.equal(event.jsep.type, 'answer');
    return { alice, bob, callId, acceptedAt };
  }

  async function closePages(...pages) {
    for (const p of pages) await p.close().catch(() => {});
  }

  test('alice calls bob, bob accepts: each decodes the other\'s video and receives audio within 5 s', async () => {
    const { alice, bob, acceptedAt } = await activeCall();
    const [a, b] = await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    const elapsed = Date.now() - acceptedAt;
    assert.ok(elapsed < 5000, `media after ${elapsed} ms`);
    assert.ok(a.framesDecoded > 0 && a.audioPackets > 0 && b.framesDecoded > 0 && b.audioPackets > 0);
    await closePages(alice, bob);
  });

  test('mute stops the other side\'s inbound bytes of that kind, unmute restarts them', async () => {
    const { alice, bob, callId } = await activeCall('mute-a', 'mute-b');
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    for (const kind of ['audio', 'video']) {
      const mutedEvent = bob.nextEvent(kind === 'audio' ? 'remote-user-muted' : 'remote-user-video-muted', await bob.eventCount());
      assert.deepEqual(await alice.demo((k) => window.demo.mute(k, true), kind), { success: true });
      assert.deepEqual(await mutedEvent, { userId: 'mute-a', callId });
      await sleep(500);     // what was in flight arrives
      assert.equal(await bytesOver(bob, kind, 1000), 0, `${kind} still arrives while muted`);
      assert.ok(await bytesOver(alice, kind, 500) > 0, `the other direction of ${kind} is untouched`);
      const unmutedEvent = bob.nextEvent(kind === 'audio' ? 'remote-user-unmuted' : 'remote-user-video-unmuted', await bob.eventCount());
      assert.deepEqual(await alice.demo((k) => window.demo.mute(k, false), kind), { success: true });
      assert.deepEqual(await unmutedEvent, { userId: 'mute-a', callId });
      assert.ok(await bytesOver(bob, kind, 1000) > 0, `${kind} comes back after unmute`);
    }
    const before = (await bob.inbound()).framesDecoded;
    await sleep(1000);
    assert.ok((await bob.inbound()).framesDecoded > before, 'video still decodes after the pause');
    await closePages(alice, bob);
  });

  test('end-call gives both sides call-ended (hangup)', async () => {
    const { alice, bob, callId } = await activeCall('end-a', 'end-b');
    await mediaFlows(bob);
    const [na, nb] = [await alice.eventCount(), await bob.eventCount()];
    const endedA = alice.nextEvent('call-ended', na);
    const endedB = bob.nextEvent('call-ended', nb);
    assert.deepEqual(await bob.demo(() => window.demo.hangup()), { success: true });
    assert.deepEqual(await endedA, { callId, reason: 'hangup' });
    assert.deepEqual(await endedB, { callId, reason: 'hangup' });
    await closePages(alice, bob);
  });

  test('a callee who is offline gets incoming-call when registering, and the call works', async () => {
    const alice = await userPage(browser, ctx.janus, 'off-a');
    const { callId } = await alice.demo(() => window.demo.call('off-b', 'audio'));
    assert.ok(callId);
    await sleep(300);
    const bob = await userPage(browser, ctx.janus, 'off-b');
    const incoming = await bob.nextEvent('incoming-call');
    assert.equal(incoming.callId, callId);
    assert.equal(incoming.callType, 'audio');
    assert.deepEqual(await bob.demo(() => window.demo.accept()), { success: true });
    await Promise.all([mediaFlows(alice, { video: false }), mediaFlows(bob, { video: false })]);
    await alice.demo(() => window.demo.hangup());
    await closePages(alice, bob);
  });

  test('calling someone already in a call: busy', async () => {
    const { alice, bob } = await activeCall('busy-a', 'busy-b');
    const carol = await userPage(browser, ctx.janus, 'busy-c');
    const ended = carol.nextEvent('call-ended');
    const ack = await carol.demo(() => window.demo.call('busy-b', 'video'));
    assert.equal(ack.error, 'busy');
    assert.deepEqual(await ended, { callId: ack.callId, reason: 'busy' });
    await mediaFlows(bob);
    await closePages(alice, bob, carol);
  });

  test('an unanswered call rings out: call-expired to the callee, call-ended to the caller', async () => {
    const alice = await userPage(browser, ctx.janus, 'ring-a');
    const bob = await userPage(browser, ctx.janus, 'ring-b');
    const started = Date.now();
    const { callId } = await alice.demo(() => window.demo.call('ring-b', 'video'));
    await bob.nextEvent('incoming-call');
    const expired = await bob.nextEvent('call-expired', 0, (RING_S + 3) * 1000);
    const ended = await alice.nextEvent('call-ended', 0, 3000);
    assert.deepEqual(expired, { callId, reason: 'timeout' });
    assert.deepEqual(ended, { callId, reason: 'timeout' });
    assert.ok(Date.now() - started >= RING_S * 1000 - 200);
    await closePages(alice, bob);
  });

  test('a socket dropped and re-registered within the grace: the call and its media go on', async () => {
    const { alice, bob, callId } = await activeCall('grace-a', 'grace-b');
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    const n = await alice.eventCount();
    // Drop bob's connection under socket.io-client's feet; it reconnects and registers again.
    const reregistered = bob.evaluate(() => new Promise((resolve) => {
      window.demo.addEventListener('registered', (e) => resolve(e.detail), { once: true });
      window.demo.socket.io.engine.close();
    }));
    assert.deepEqual(await reregistered, { success: true });
    const before = [await alice.inbound(), await bob.inbound()];
    // Past the grace and past the time the old socket's session would have lingered.
    await sleep((GRACE_S + LINGER_MARGIN_S + 2) * 1000);
    const after = [await alice.inbound(), await bob.inbound()];
    assert.ok(after[0].framesDecoded > before[0].framesDecoded && after[0].audioPackets > before[0].audioPackets,
      'alice still receives bob');
    assert.ok(after[1].framesDecoded > before[1].framesDecoded && after[1].audioPackets > before[1].audioPackets,
      'bob still receives alice');
    assert.equal((await alice.evaluate((i) => window.demo.events.slice(i).filter((e) => e.name === 'call-ended').length, n)), 0);
    // Events reach bob's new socket: alice hangs up.
    const ended = bob.nextEvent('call-ended', await bob.eventCount());
    await alice.demo(() => window.demo.hangup());
    assert.deepEqual(await ended, { callId, reason: 'hangup' });
    await closePages(alice, bob);
  });

  test('a peer gone for longer than the grace: call-ended { reason: peer-disconnected }', async () => {
    const { alice, bob, callId } = await activeCall('gone-a', 'gone-b');
    await mediaFlows(alice);
    const ended = alice.nextEvent('call-ended', await alice.eventCount(), (GRACE_S + 4) * 1000);
    const gone = Date.now();
    await bob.demo(() => window.demo.socket.disconnect());
    // Media keeps flowing during the grace...
    await sleep(1000);
    assert.ok(await bytesOver(alice, 'audio', 500) > 0, 'media flows during the grace');
    assert.deepEqual(await ended, { callId, reason: 'peer-disconnected' });
    assert.ok(Date.now() - gone >= GRACE_S * 1000 - 200, 'not before the grace');
    await closePages(alice, bob);
  });

  test('bad input gets clean errors while another call keeps its media', async () => {
    const { alice, bob, callId } = await activeCall('bad-a', 'bad-b');
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    const mallory = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    try {
      assert.deepEqual(await emitAck(mallory, 'start-call', { toUserId: 'bad-b', callType: 'video', jsep: fakeOffer() }),
        { error: 'Socket not registered' });
      assert.deepEqual(await emitAck(mallory, 'register', 'mallory'), { success: true });
      // Each SDP case on a fresh socket: the core applies an offer to the handle
      // before the plugin sees the request, so one bad SDP can spoil the next.
      const cases = [
        [{ toUserId: 'x', callType: 'video', jsep: { type: 'offer', sdp: 'this is not sdp' } }, /SDP|sdp/],
        [{ toUserId: 'x', callType: 'video', jsep: { type: 'offer', sdp: 'v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\n' } }, /./],
        [{ toUserId: 'x', callType: 'video', jsep: { type: 'answer', sdp: fakeOffer().sdp } }, /./],
        [{ toUserId: 'x'.repeat(900000), callType: 'video', jsep: fakeOffer() }, /^toUserId must be 1 to 128 characters$/],
        [{ toUserId: 'x', callType: 'video', jsep: { type: 'offer', sdp: `${fakeOffer().sdp}a=x:${'y'.repeat(900000)}\r\n` } }, /./],
        [{ toUserId: 'fresh-5', callType: 'video', jsep: fakeOffer() }, /^Cannot call yourself$/],
      ];
      for (const [i, [payload, pattern]] of cases.entries()) {
        const fresh = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
        assert.deepEqual(await emitAck(fresh, 'register', `fresh-${i}`), { success: true });
        const ack = await emitAck(fresh, 'start-call', payload);
        assert.match(String(ack.error), pattern, JSON.stringify(ack).slice(0, 200));
        fresh.disconnect();
      }
      // A failed start-call leaves the handle ready for the next offer.
      assert.deepEqual(await emitAck(mallory, 'start-call', { toUserId: 'mallory', callType: 'audio', jsep: fakeOffer() }),
        { error: 'Cannot call yourself' });
      const retry = await emitAck(mallory, 'start-call', { toUserId: 'nobody-home', callType: 'audio', jsep: fakeOffer() });
      assert.ok(retry.callId, JSON.stringify(retry));
      assert.deepEqual(await emitAck(mallory, 'end-call', { callId: retry.callId }), { success: true });
      assert.deepEqual(await emitAck(mallory, 'accept-call', { callId, jsep: fakeOffer() }), { error: 'Not your call' });
      assert.deepEqual(await emitAck(mallory, 'end-call', { callId }), { error: 'Not your call' });
      assert.deepEqual(await emitAck(mallory, 'mute-audio', { callId, muted: true }), { error: 'Not your call' });
      assert.deepEqual(await emitAck(mallory, 'end-call', { callId: 'no-such-call' }), { error: 'Unknown call' });
      assert.deepEqual(await emitAck(mallory, 'accept-call', { callId: 42 }), { error: 'callId must be a string' });
      assert.deepEqual(await emitAck(mallory, 'end-call', {}), { error: 'Missing callId' });
      assert.deepEqual(await emitAck(mallory, 'mute-video', 'nonsense'), { error: 'Missing callId' });
    } finally {
      mallory.disconnect();
    }
    // A message over maxPayload closes only that connection.
    const huge = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    const dropped = new Promise((resolve) => huge.once('disconnect', resolve));
    huge.emit('register', 'x'.repeat(1100000));
    assert.equal(await dropped, 'transport close');
    huge.close();
    // The call went on through all of it.
    assert.ok(await bytesOver(bob, 'video', 1000) > 0 && await bytesOver(alice, 'audio', 1000) > 0);
    await alice.demo(() => window.demo.hangup());
    await closePages(alice, bob);
  });

  ctx.cleanExitTest();
});
