// Calls that survive real users: requests repeated or racing each other
// (double clicks, retries, glare: both users calling each other at once), a
// user's socket taken over by another mid-call, a peer whose network
// disappears. Scripted socket.io-client users in both dialects (JSEP and
// mediasoup-style), and Chromium pages for the media.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { useJanus, sleep } from './lib/janus.js';
import { connect, emitAck, nextEvent, waitFor } from './lib/sio.js';
import { fakeOffer, fakeAnswer } from './lib/sdp.js';
import { DEMO_FOLDER, demoBrowser, userPage, mediaFlows } from './lib/demo.js';

const RING_S = 10;

const pluginAdmin = (janus, request) =>
  janus.admin({ janus: 'message_plugin', plugin: 'janus.plugin.oicall', request }).then((r) => r.response);
const callsOf = async (janus, ...users) =>
  (await pluginAdmin(janus, { request: 'list-calls' })).calls.filter((c) => users.includes(c.caller) || users.includes(c.callee));

async function user(janus, id) {
  const socket = await connect(janus.sioUrl, { transports: ['websocket'] });
  socket.events = [];
  socket.onAny((name, payload) => socket.events.push({ name, payload }));
  assert.deepEqual(await emitAck(socket, 'register', id), { success: true, userId: String(id) });
  socket.user = id;
  return socket;
}

// The first event of that name a user() got since an index of its events (waits for it).
async function received(socket, name, since = 0) {
  const find = () => socket.events.slice(since).find((e) => e.name === name);
  await waitFor(find, { what: `${socket.user}: ${name}` });
  return find().payload;
}

// The start-call payload of a dialect: JSEP with an offer, mediasoup-style without.
const startPayload = (dialect, toUserId, callType = 'video', extra = {}) =>
  ({ toUserId, callType, ...extra, ...(dialect === 'jsep' ? { jsep: fakeOffer({ video: callType === 'video' }) } : {}) });
// accept-call's payload for an incoming-call in a dialect.
const acceptPayload = (dialect, incoming) =>
  ({ callId: incoming.callId, ...(dialect === 'jsep' ? { jsep: fakeAnswer(incoming.jsep.sdp) } : {}) });

// What the Janus core logs when an offer reaches a handle that has a PeerConnection already.
const HANDLE_TOUCHED = /Agent already exists|Error setting ICE locally|Unexpected ANSWER/;

describe('repeated and racing requests', () => {
  const ctx = useJanus({ plugin: { general: { ring_timeout: RING_S } } });

  for (const dialect of ['jsep', 'mediasoup']) {
    test(`${dialect}: a double start-call is one call (same ack twice), never touches the handle; anything else is refused`, async () => {
      const alice = await user(ctx.janus, `dbl-a-${dialect}`);
      const bob = await user(ctx.janus, `dbl-b-${dialect}`);
      const logBefore = ctx.janus.log().length;
      // Two clicks, and a retry with the same payload, all before any answer.
      const same = startPayload(dialect, bob.user);
      const acks = await Promise.all([emitAck(alice, 'start-call', startPayload(dialect, bob.user)),
        emitAck(alice, 'start-call', same), emitAck(alice, 'start-call', same)]);
      assert.ok(acks[0].callId && !acks[0].error, JSON.stringify(acks[0]));
      for (const ack of acks.slice(1)) assert.deepEqual(ack, acks[0]);
      const { callId } = acks[0];
      if (dialect === 'mediasoup') assert.ok(acks[0].sendTransport?.id && acks[0].recvTransport?.id);
      // Video then audio, another callee, another callId: refused, nothing changes.
      for (const payload of [startPayload(dialect, bob.user, 'audio'), startPayload(dialect, 'dbl-nobody'),
        startPayload(dialect, bob.user, 'video', { callId: 'another-id' })]) {
        assert.deepEqual(await emitAck(alice, 'start-call', payload), { error: 'Already in a call' });
      }
      const incoming = await received(bob, 'incoming-call');
      assert.equal(incoming.callId, callId);
      // The callee can't start one either (it would touch its handle, which has the gateway's offer).
      assert.deepEqual(await emitAck(bob, 'start-call', startPayload(dialect, 'dbl-nobody')), { error: 'Already in a call' });
      // Double accept: the first is the accept; the second, at once, the same answer (or, for a JSEP
      // answer that comes while the first's is still on its way to the core, a clear error), and
      // again later the same answer; the caller hears call-accepted once.
      const accepts = await Promise.all([emitAck(bob, 'accept-call', acceptPayload(dialect, incoming)),
        emitAck(bob, 'accept-call', acceptPayload(dialect, incoming))]);
      accepts.push(await emitAck(bob, 'accept-call', acceptPayload(dialect, incoming)));
      // (The Janus core may hand the two racing accepts to the plugin in either order.)
      assert.ok(accepts.filter((a) => a.error).length <= 1, JSON.stringify(accepts));
      for (const [i, ack] of accepts.entries()) {
        if (dialect === 'jsep' && i < 2 && ack.error) assert.deepEqual(ack, { error: 'Already accepting this call' });
        else if (dialect === 'jsep') assert.deepEqual(ack, { success: true });
        else assert.ok(ack.rtpCapabilities, JSON.stringify(ack));
      }
      await received(alice, 'call-accepted');
      await sleep(300);
      assert.equal(alice.events.filter((e) => e.name === 'call-accepted').length, 1);
      assert.equal(bob.events.filter((e) => e.name === 'incoming-call').length, 1);
      // Still one call, active; a start-call retried now names it again.
      assert.deepEqual((await callsOf(ctx.janus, alice.user)).map((c) => [c.callId, c.state]), [[callId, 'active']]);
      assert.deepEqual(await emitAck(alice, 'start-call', same), acks[0]);
      assert.doesNotMatch(ctx.janus.log().slice(logBefore), HANDLE_TOUCHED);
      // Hung up by both at once and again: success each time, call-ended once each.
      const ends = await Promise.all([emitAck(alice, 'end-call', { callId }), emitAck(bob, 'end-call', { callId }),
        emitAck(alice, 'end-call', { callId })]);
      for (const ack of ends) assert.deepEqual(ack, { success: true });
      await sleep(1500);
      assert.equal(alice.events.filter((e) => e.name === 'call-ended').length, 1);
      assert.equal(bob.events.filter((e) => e.name === 'call-ended').length, 1);
      // Late requests about it get a clear answer.
      assert.deepEqual(await emitAck(bob, 'accept-call', acceptPayload(dialect, incoming)), { error: 'Call already ended' });
      assert.deepEqual(await emitAck(alice, 'mute-audio', { callId, muted: true }), { error: 'Call already ended' });
      // The same start-call once it is over is a new call, and its callId can't be reused.
      assert.deepEqual(await emitAck(alice, 'start-call', startPayload(dialect, bob.user, 'video', { callId })),
        { error: 'callId already in use' });
      // And calls work as before.
      const next = await emitAck(alice, 'start-call', startPayload(dialect, bob.user));
      assert.ok(next.callId && next.callId !== callId, JSON.stringify(next));
      assert.deepEqual(await emitAck(alice, 'end-call', { callId: next.callId }), { success: true });
      alice.disconnect();
      bob.disconnect();
    });
  }

  test('bad input to the gate and to what is new: clear errors, nothing changes', async () => {
    const alice = await user(ctx.janus, 'bad-gate-a');
    const bob = await user(ctx.janus, 'bad-gate-b');
    const mallory = await user(ctx.janus, 'bad-gate-m');
    const { callId } = await emitAck(alice, 'start-call', startPayload('jsep', bob.user));
    const incoming = await received(bob, 'incoming-call');
    const cases = [
      // A client's own jsepGate is dropped: the request is an ordinary one.
      [alice, 'start-call', { toUserId: bob.user, callType: 'video', jsepGate: { callId: 'x' } }, { error: 'Already in a call' }],
      [mallory, 'start-call', { toUserId: 'nobody', callType: 'video', jsepGate: { type: 'offer', sdp: 'v=0' } },
        null],
      [mallory, 'start-call', { toUserId: 'nobody', callType: 'video', jsep: 'not an object' }, { error: 'start-call needs a jsep offer' }],
      [mallory, 'start-call', { toUserId: 'nobody', callType: 'video', jsep: { type: 'answer', sdp: 'v=0' } },
        { error: 'start-call needs a jsep offer' }],
      [mallory, 'start-call', { toUserId: 'nobody', callType: 'fax', jsep: fakeOffer() }, { error: 'callType must be "audio" or "video"' }],
      [mallory, 'start-call', { toUserId: {}, callType: 'audio', jsep: fakeOffer() }, { error: 'toUserId must be a string or a number' }],
      [mallory, 'start-call', { callType: 'audio', jsep: fakeOffer() }, { error: 'Missing toUserId' }],
      [mallory, 'start-call', { toUserId: 'nobody', callType: 'audio', callId: 7, jsep: fakeOffer() },
        { error: "callId must be 1 to 64 letters, digits, '-' or '_'" }],
      // Someone else's call, by id: with an offer...
      [mallory, 'start-call', { toUserId: bob.user, callType: 'video', callId, jsep: fakeOffer({ video: true }) },
        { error: 'callId already in use' }],
      // ...or an answer.
      [mallory, 'accept-call', { callId, jsep: fakeAnswer(incoming.jsep.sdp) }, { error: 'Not your call' }],
      [alice, 'accept-call', { callId, jsep: fakeAnswer(incoming.jsep.sdp) }, { error: 'Only the callee can accept a call' }],
      [bob, 'accept-call', { jsep: fakeAnswer(incoming.jsep.sdp) }, { error: 'Missing callId' }],
      [bob, 'accept-call', { callId: ['x'], jsep: fakeAnswer(incoming.jsep.sdp) }, { error: 'callId must be a string' }],
      [bob, 'accept-call', { callId: 'nope', jsep: fakeAnswer(incoming.jsep.sdp) }, { error: 'Unknown call' }],
      [bob, 'accept-call', { callId, jsep: { type: 'offer', sdp: incoming.jsep.sdp } }, { error: 'accept-call needs a jsep answer' }],
      [bob, 'accept-call', { callId, jsep: null }, { error: 'accept-call needs a jsep answer' }],
      // The transport's own request, sent by a client: only its own reserved call could be affected.
      [mallory, 'jsep-gate-failed', { callId }, { success: true }],
      [mallory, 'jsep-gate-failed', 'junk', { success: true }],
    ];
    for (const [socket, event, payload, expected] of cases) {
      const ack = await emitAck(socket, event, payload);
      if (expected === null) {
        assert.ok(ack.callId, `${event} ${JSON.stringify(payload)}: ${JSON.stringify(ack)}`);
        assert.deepEqual(await emitAck(socket, 'end-call', { callId: ack.callId }), { success: true });
      } else {
        assert.deepEqual(ack, expected, `${event} ${JSON.stringify(payload)}`);
      }
    }
    // The call rings on and can be taken.
    assert.deepEqual((await callsOf(ctx.janus, alice.user)).map((c) => [c.callId, c.state]), [[callId, 'ringing']]);
    assert.deepEqual(await emitAck(bob, 'accept-call', acceptPayload('jsep', incoming)), { success: true });
    assert.deepEqual(await emitAck(alice, 'end-call', { callId }), { success: true });
    for (const s of [alice, bob, mallory]) s.disconnect();
  });

  // Both users call each other at the same moment, in both dialects and mixed.
  for (const [da, db] of [['jsep', 'jsep'], ['mediasoup', 'mediasoup'], ['jsep', 'mediasoup']]) {
    test(`glare (${da} and ${db}), 5 times: one call survives, rings at the other, who accepts it`, async () => {
      const alice = await user(ctx.janus, `glare-a-${da}-${db}`);
      const bob = await user(ctx.janus, `glare-b-${da}-${db}`);
      const logBefore = ctx.janus.log().length;
      const dialectOf = new Map([[alice, da], [bob, db]]);
      for (let round = 0; round < 5; round++) {
        const eventsAt = new Map([[alice, alice.events.length], [bob, bob.events.length]]);
        // Both emits leave in the same tick: well within 20 ms of each other.
        const sentAt = [];
        const acks = await Promise.all([[alice, bob], [bob, alice]].map(([from, to]) => {
          sentAt.push(performance.now());
          return emitAck(from, 'start-call', startPayload(dialectOf.get(from), to.user, 'video'));
        }));
        assert.ok(Math.abs(sentAt[0] - sentAt[1]) < 20);
        const won = acks.findIndex((a) => !a.error);
        assert.ok(won >= 0, `round ${round}: nobody's call survived: ${JSON.stringify(acks)}`);
        const [winner, loser] = won === 0 ? [alice, bob] : [bob, alice];
        const { callId } = acks[won];
        const refused = acks[1 - won];
        assert.equal(refused.error, 'busy', `round ${round}: ${JSON.stringify(refused)}`);
        assert.equal(refused.incomingCallId, callId);
        assert.notEqual(refused.callId, callId);
        // The loser hears its own attempt ended busy, and the winner's call ring.
        const since = eventsAt.get(loser);
        await waitFor(() => loser.events.slice(since).some((e) => e.name === 'incoming-call'), { what: 'incoming-call' });
        const incoming = loser.events.slice(since).find((e) => e.name === 'incoming-call').payload;
        assert.equal(incoming.callId, callId);
        assert.deepEqual(loser.events.slice(since).find((e) => e.name === 'call-ended')?.payload,
          { callId: refused.callId, reason: 'busy' });
        // Exactly one call, ringing; the loser takes it.
        assert.deepEqual((await callsOf(ctx.janus, alice.user, bob.user)).map((c) => [c.callId, c.state, c.caller]),
          [[callId, 'ringing', winner.user]]);
        const accepted = nextEvent(winner, 'call-accepted');
        const ack = await emitAck(loser, 'accept-call', acceptPayload(dialectOf.get(loser), incoming));
        assert.ok(ack.success || ack.rtpCapabilities, `round ${round}: ${JSON.stringify(ack)}`);
        assert.equal((await accepted).callId, callId);
        assert.deepEqual((await callsOf(ctx.janus, alice.user, bob.user)).map((c) => [c.callId, c.state]), [[callId, 'active']]);
        // Nobody heard of a call-ended for the surviving call.
        for (const s of [alice, bob]) {
          assert.ok(!s.events.slice(eventsAt.get(s)).some((e) => e.name === 'call-ended' && e.payload.callId === callId));
        }
        const endedBoth = Promise.all([nextEvent(alice, 'call-ended'), nextEvent(bob, 'call-ended')]);
        assert.deepEqual(await emitAck(winner, 'end-call', { callId }), { success: true });
        await endedBoth;
      }
      assert.doesNotMatch(ctx.janus.log().slice(logBefore), HANDLE_TOUCHED);
      alice.disconnect();
      bob.disconnect();
    });
  }

  test('an ice-candidate for a call the gateway refused (glare) never reaches the handle; one for the call ringing there does', async () => {
    const alice = await user(ctx.janus, 'cand-a');
    const bob = await user(ctx.janus, 'cand-b');
    const incoming = nextEvent(bob, 'incoming-call');
    const { callId } = await emitAck(alice, 'start-call', startPayload('jsep', bob.user));
    await incoming;
    const refused = await emitAck(bob, 'start-call', startPayload('jsep', alice.user));
    assert.deepEqual([refused.error, refused.incomingCallId], ['busy', callId]);
    // The candidates the core queued on bob's handle for the offer it holds (Admin API handle_info).
    const queued = async () => {
      const me = (await pluginAdmin(ctx.janus, { request: 'list-users' })).users.find((u) => u.userId === bob.user);
      const res = await ctx.janus.admin({ janus: 'handle_info', session_id: me.janusSessionId, handle_id: me.janusHandleId });
      return res.info['pending-trickles'] ?? 0;
    };
    const candidate = { candidate: 'candidate:1 1 udp 2015363327 10.213.0.2 40000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    assert.deepEqual(await emitAck(bob, 'ice-candidate', { callId: refused.callId, candidate }),
      { error: 'That call was refused: its candidates go nowhere' });
    assert.equal(await queued(), 0);
    assert.deepEqual(await emitAck(bob, 'ice-candidate', { callId, candidate }), { success: true });
    assert.equal(await queued(), 1);
    assert.deepEqual(await emitAck(alice, 'end-call', { callId }), { success: true });
    alice.disconnect();
    bob.disconnect();
  });

  test('a second socket of a user: the old one hears "replaced" and is sent away; the new one inherits the call', async () => {
    const alice = await user(ctx.janus, 'take-a');
    const bob = await user(ctx.janus, 'take-b');
    const { callId } = await emitAck(alice, 'start-call', startPayload('jsep', bob.user));
    const incoming = await received(bob, 'incoming-call');
    assert.deepEqual(await emitAck(bob, 'accept-call', acceptPayload('jsep', incoming)), { success: true });
    const replaced = nextEvent(bob, 'replaced');
    const gone = nextEvent(bob, 'disconnect');
    const bob2 = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    const resumed = nextEvent(bob2, 'call-resumed');
    assert.deepEqual(await emitAck(bob2, 'register', bob.user), { success: true, userId: String(bob.user) });
    assert.deepEqual(await resumed, { callId, peerUserId: alice.user, callType: 'video', state: 'active', role: 'callee',
      participants: [String(alice.user), String(bob.user)] });
    assert.deepEqual(await replaced, { reason: 'registered-elsewhere' });
    assert.equal(await gone, 'io server disconnect');
    // The call goes on, and the new socket can end it (the old one can't do anything any more).
    assert.equal((await pluginAdmin(ctx.janus, { request: 'call-info', callId })).state, 'active');
    const ended = nextEvent(alice, 'call-ended');
    assert.deepEqual(await emitAck(bob2, 'end-call', { callId }), { success: true });
    assert.deepEqual(await ended, { callId, reason: 'hangup' });
    // Someone else's call id from the new socket: refused.
    assert.deepEqual(await emitAck(bob2, 'end-call', { callId: 'not-yours' }), { error: 'Unknown call' });
    // No call: a takeover tells the new socket nothing about calls, the old one still goes.
    const bob3 = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    const events3 = [];
    bob3.onAny((name) => events3.push(name));
    const replaced2 = nextEvent(bob2, 'replaced');
    assert.deepEqual(await emitAck(bob3, 'register', bob.user), { success: true, userId: String(bob.user) });
    await replaced2;
    await sleep(300);
    assert.deepEqual(events3, []);
    alice.disconnect();
    bob3.disconnect();
  });

  test('a kicked user hears "kicked" before its socket closes', async () => {
    const carol = await user(ctx.janus, 'kick-c');
    const kicked = nextEvent(carol, 'kicked');
    const gone = nextEvent(carol, 'disconnect');
    assert.deepEqual(await pluginAdmin(ctx.janus, { request: 'kick-user', userId: carol.user }), { success: true });
    assert.deepEqual(await kicked, { reason: 'admin' });
    assert.equal(await gone, 'io server disconnect');
    assert.equal(carol.events.findIndex((e) => e.name === 'kicked'), carol.events.length - 1);
  });

  ctx.cleanExitTest();
});

// The demo page's own PeerConnection code, driven step by step so that both
// pages can send start-call at one moment: each prepares its offer, then
// both emit at an agreed time.
async function prepareOffer(page, toUserId) {
  await page.demo(async (to) => {
    const d = window.demo;
    const stream = await d.media('video');
    const pc = d.newPeerConnection();
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    });
    window.glare = { pc, to };
  }, toUserId);
}

function fireAt(page, at) {
  return page.demo((when) => new Promise((resolve) => {
    setTimeout(() => {
      const { pc, to } = window.glare;
      const sentAt = Date.now();
      window.demo.socket.emit('start-call', { toUserId: to, callType: 'video', jsep: pc.localDescription.toJSON() }, (ack) => {
        if (ack.error) {
          pc.close();     // its offer went nowhere
        } else {
          window.demo.pc = pc;
          window.demo.callId = ack.callId;
        }
        resolve({ ack, sentAt });
      });
    }, Math.max(0, when - Date.now()));
  }), at);
}

describe('glare between two browsers, then media both ways', () => {
  const ctx = useJanus({ demoFolder: DEMO_FOLDER, plugin: { general: { ring_timeout: RING_S } } });
  let browser;
  before(async () => { browser = await demoBrowser(ctx.janus); });
  after(async () => { await browser?.close(); });

  test('both call each other within 20 ms, 3 times: one call, accepted by the other, with audio and video both ways', async () => {
    const alice = await userPage(browser, ctx.janus, 'bglare-a');
    const bob = await userPage(browser, ctx.janus, 'bglare-b');
    for (let round = 0; round < 3; round++) {
      await Promise.all([prepareOffer(alice, bob.user), prepareOffer(bob, alice.user)]);
      const counts = [await alice.eventCount(), await bob.eventCount()];
      const at = Date.now() + 300;
      const [a, b] = await Promise.all([fireAt(alice, at), fireAt(bob, at)]);
      assert.ok(Math.abs(a.sentAt - b.sentAt) < 20, `sent ${a.sentAt - b.sentAt} ms apart`);
      const won = [a, b].findIndex((r) => !r.ack.error);
      assert.ok(won >= 0, JSON.stringify([a.ack, b.ack]));
      const [winner, loser] = won === 0 ? [alice, bob] : [bob, alice];
      const callId = [a, b][won].ack.callId;
      assert.equal([a, b][1 - won].ack.error, 'busy');
      assert.equal([a, b][1 - won].ack.incomingCallId, callId);
      const incoming = await loser.nextEvent('incoming-call', counts[won === 0 ? 1 : 0]);
      assert.equal(incoming.callId, callId);
      const accepted = winner.nextEvent('call-accepted', counts[won]);
      assert.deepEqual(await loser.demo(() => window.demo.accept()), { success: true });
      assert.equal((await accepted).callId, callId);
      await Promise.all([mediaFlows(alice, { timeoutMs: 8000 }), mediaFlows(bob, { timeoutMs: 8000 })]);
      const calls = await callsOf(ctx.janus, alice.user);
      assert.deepEqual(calls.map((c) => [c.callId, c.state]), [[callId, 'active']]);
      const ended = loser.nextEvent('call-ended', await loser.eventCount());
      assert.deepEqual(await winner.demo(() => window.demo.hangup()), { success: true });
      await ended;
    }
    await alice.close();
    await bob.close();
  });

  ctx.cleanExitTest();
});

// The local port of the ICE candidate a page's PeerConnection uses.
const selectedPort = (page) => page.demo(async () => {
  const stats = await window.demo.pc.getStats();
  let port = null;
  stats.forEach((s) => {
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') port = stats.get(s.localCandidateId)?.port;
  });
  return port;
});

const MEDIA_TIMEOUT_S = 3;

describe('a call never outlives its media', () => {
  // A long grace: what ends the call must be the media timeout.
  const ctx = useJanus({ demoFolder: DEMO_FOLDER,
    plugin: { general: { ring_timeout: RING_S, reconnect_grace: 60, media_timeout: MEDIA_TIMEOUT_S } } });
  let browser;
  before(async () => { browser = await demoBrowser(ctx.janus); });
  after(async () => { await browser?.close(); });

  test(`a peer whose network disappears (its UDP dropped): the call ends at both sides within media_timeout (${MEDIA_TIMEOUT_S} s)`, async () => {
    const alice = await userPage(browser, ctx.janus, 'net-a');
    const bob = await userPage(browser, ctx.janus, 'net-b');
    const incoming = bob.nextEvent('incoming-call', await bob.eventCount());
    const { callId } = await alice.demo((to) => window.demo.call(to, 'video'), bob.user);
    await incoming;
    assert.deepEqual(await bob.demo(() => window.demo.accept()), { success: true });
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    // Media keeps a call going past the media timeout.
    await sleep((MEDIA_TIMEOUT_S + 1) * 1000);
    assert.equal((await pluginAdmin(ctx.janus, { request: 'call-info', callId })).state, 'active');
    const port = await waitFor(() => selectedPort(bob), { what: "bob's ICE port" });
    const rules = [['OUTPUT', '--sport'], ['OUTPUT', '--dport']].map(([chain, dir]) => [chain, '-p', 'udp', dir, String(port), '-j', 'DROP']);
    const aliceEnded = alice.nextEvent('call-ended', await alice.eventCount(), (MEDIA_TIMEOUT_S + 5) * 1000);
    const bobEnded = bob.nextEvent('call-ended', await bob.eventCount(), (MEDIA_TIMEOUT_S + 5) * 1000);
    for (const rule of rules) execFileSync('iptables', ['-I', ...rule]);
    const dropped = Date.now();
    try {
      assert.deepEqual(await aliceEnded, { callId, reason: 'media-timeout' });
      const took = Date.now() - dropped;
      assert.ok(took <= (MEDIA_TIMEOUT_S + 1.5) * 1000, `ended ${took} ms after the drop`);
      assert.ok(took >= (MEDIA_TIMEOUT_S - 1) * 1000, `ended ${took} ms after the drop: too soon`);
      // bob's socket still works (only UDP is gone): he is told too.
      assert.deepEqual(await bobEnded, { callId, reason: 'media-timeout' });
    } finally {
      for (const rule of rules) execFileSync('iptables', ['-D', ...rule]);
    }
    assert.deepEqual(await callsOf(ctx.janus, alice.user), []);
    // Both can call again, with media.
    const again = bob.nextEvent('incoming-call', await bob.eventCount());
    const next = await alice.demo((to) => window.demo.call(to, 'video'), bob.user);
    assert.ok(next.callId, JSON.stringify(next));
    await again;
    assert.deepEqual(await bob.demo(() => window.demo.accept()), { success: true });
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    assert.deepEqual(await alice.demo(() => window.demo.hangup()), { success: true });
    await alice.close();
    await bob.close();
  });

  test('a fake-SDP call (no packets ever) ends media_timeout after its accept; a ringing call is left alone', async () => {
    const alice = await user(ctx.janus, 'fake-a');
    const bob = await user(ctx.janus, 'fake-b');
    const { callId } = await emitAck(alice, 'start-call', startPayload('jsep', bob.user));
    const incoming = await received(bob, 'incoming-call');
    await sleep((MEDIA_TIMEOUT_S + 1) * 1000);
    assert.equal((await pluginAdmin(ctx.janus, { request: 'call-info', callId })).state, 'ringing');
    const ended = Promise.all([nextEvent(alice, 'call-ended', 8000), nextEvent(bob, 'call-ended', 8000)]);
    assert.deepEqual(await emitAck(bob, 'accept-call', acceptPayload('jsep', incoming)), { success: true });
    const accepted = Date.now();
    assert.deepEqual(await ended, [{ callId, reason: 'media-timeout' }, { callId, reason: 'media-timeout' }]);
    assert.ok(Date.now() - accepted >= (MEDIA_TIMEOUT_S - 0.5) * 1000);
    alice.disconnect();
    bob.disconnect();
  });

  ctx.cleanExitTest();
});
