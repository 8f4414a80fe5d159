// Real calls between headless Chromium pages (the demo page, plain
// RTCPeerConnection) through janus.plugin.oicall and the Socket.IO transport.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useJanus, sleep, callAudioStreams } from './lib/janus.js';
import { DEMO_FOLDER, demoBrowser, userPage, mediaFlows, bytesOver, videoCodecIs, videoSend, videoSendRate,
  audioLoss, strikeKeyframeFeedback, videoReceiver, requestKeyframe } from './lib/demo.js';
import { connect, emitAck, nextEvent, waitFor } from './lib/sio.js';
import { fakeOffer, fakeAnswer, customOffer, mlineCodecs, audioRed } from './lib/sdp.js';
import { audioDecodes } from './lib/browser.js';

const RING_S = 3;
const GRACE_S = 4;
const LINGER_MARGIN_S = 5;  // OICALL_LINGER_MARGIN_S
const CAPPED_BITRATE = 150000;  // the max_bitrate suite's cap, bit/s

// The caller's page calls the callee's, which accepts; returns the call id,
// the gateway's offer to the callee and when the callee accepted.
async function callBetween(caller, callee, callType = 'video') {
  const incoming = callee.nextEvent('incoming-call', await callee.eventCount());
  const { callId, error } = await caller.demo(([to, type]) => window.demo.call(to, type), [callee.user, callType]);
  assert.equal(error, undefined);
  const offer = await incoming;
  assert.equal(offer.callId, callId);
  assert.equal(offer.fromUserId, caller.user);
  assert.equal(offer.jsep.type, 'offer');
  const accepted = caller.nextEvent('call-accepted', await caller.eventCount());
  assert.deepEqual(await callee.demo(() => window.demo.accept()), { success: true });
  const acceptedAt = Date.now();
  const event = await accepted;
  assert.equal(event.callId, callId);
  assert.equal(event.calleeUserId, callee.user);
  assert.equal(event.jsep.type, 'answer');
  return { callId, offer: offer.jsep, acceptedAt };
}

// Two new pages, a calls b and b accepts.
async function newCall(browser, janus, a, b, callType = 'video') {
  const alice = await userPage(browser, janus, a);
  const bob = await userPage(browser, janus, b);
  return { alice, bob, ...(await callBetween(alice, bob, callType)) };
}

// The SDPs Janus holds for a user's PeerConnection (its handle): { local, remote }.
async function janusSdps(janus, user) {
  const list = { janus: 'message_plugin', plugin: 'janus.plugin.oicall', request: { request: 'list-users' } };
  const u = (await janus.admin(list)).response.users.find((x) => x.userId === user);
  const res = await janus.admin({ janus: 'handle_info', session_id: u.janusSessionId, handle_id: u.janusHandleId });
  assert.equal(res.janus, 'success', JSON.stringify(res));
  return res.info.sdps;
}

async function closePages(...pages) {
  for (const p of pages) await p.close().catch(() => {});
}

// Waits until the plugin has forgotten these pages' users: a suite's last
// test does, so that Janus isn't stopped while their sockets are still going
// (a request the transport hands the core during shutdown leaks in the core).
function usersGone(janus, ...pages) {
  const list = { janus: 'message_plugin', plugin: 'janus.plugin.oicall', request: { request: 'list-users' } };
  const gone = async () => {
    const users = (await janus.admin(list)).response?.users;
    return users !== undefined && !users.some((u) => pages.some((p) => p.user === u.userId));
  };
  return waitFor(gone, { timeoutMs: 10000, what: `${pages.map((p) => p.user).join(', ')} gone` });
}

// A suite with its own Janus (plugin settings `general`) and browser;
// body(env) declares its tests, env() giving { browser, janus }.
function mediaSuite(title, general, body) {
  describe(title, () => {
    const ctx = useJanus({ demoFolder: DEMO_FOLDER, plugin: { general } });
    let browser;
    before(async () => { browser = await demoBrowser(ctx.janus); });
    after(async () => { await browser?.close(); });
    body(() => ({ browser, janus: ctx.janus }));
    ctx.cleanExitTest();
  });
}

describe('calls between two browsers (JSEP)', () => {
  const ctx = useJanus({ demoFolder: DEMO_FOLDER, plugin: { general: { ring_timeout: RING_S, reconnect_grace: GRACE_S } } });
  let browser;
  before(async () => { browser = await demoBrowser(ctx.janus); });
  after(async () => { await browser?.close(); });

  // alice calls bob, bob accepts; returns the pages and the call id.
  const activeCall = (a = 'alice', b = 'bob', callType = 'video') => newCall(browser, ctx.janus, a, b, callType);

  test('alice calls bob, bob accepts: each decodes the other\'s video and receives audio within 5 s', async () => {
    const { alice, bob, callId, acceptedAt } = await activeCall();
    const [a, b] = await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    const elapsed = Date.now() - acceptedAt;
    assert.ok(elapsed < 5000, `media after ${elapsed} ms`);
    assert.ok(a.framesDecoded > 0 && a.audioPackets > 0 && b.framesDecoded > 0 && b.audioPackets > 0);
    // The default video_codecs (vp8 first) and Chromium's offer (VP8 first) agree.
    await Promise.all([videoCodecIs(alice, 'video/VP8'), videoCodecIs(bob, 'video/VP8')]);
    // Both browsers offered Opus RED and took it: it is in every SDP Janus holds for the call, first in
    // the answers (bob's own, the gateway's to alice made from it), so both send RED; the relay passes
    // it as it is, and each decodes the other's audio.
    for (const [page, answer] of [[alice, 'local'], [bob, 'remote']]) {
      const sdps = await janusSdps(ctx.janus, page.user);
      for (const sdp of [sdps.local, sdps.remote]) {
        const red = audioRed(sdp);
        assert.ok(red && red.opus !== null && red.fmtp === `${red.opus}/${red.opus}`, `${page.user}: no Opus RED in\n${sdp}`);
      }
      assert.equal(audioRed(sdps[answer]).first, true, `${page.user}: RED is not first in\n${sdps[answer]}`);
    }
    // What the gateway gets from each and sends each (call-info: the last packet's payload type) is RED.
    const { red } = audioRed((await janusSdps(ctx.janus, alice.user)).local);
    let streams;
    await waitFor(async () => {
      streams = await callAudioStreams(ctx.janus, callId);
      return streams.length === 4 && streams.every((s) => s.payloadType === red);
    }, { timeoutMs: 5000, what: 'RED in and out' }).catch((e) => { e.message += `: ${JSON.stringify(streams)}`; throw e; });
    await Promise.all([audioDecodes(alice, 'window.demo.pc'), audioDecodes(bob, 'window.demo.pc')]);
    // Without max_bitrate the senders' estimates go well past the max_bitrate suite's cap.
    const uncapped = (page) => videoSend(page).then((v) => v.availableOutgoingBitrate > 3 * CAPPED_BITRATE);
    await waitFor(async () => (await uncapped(alice)) && (await uncapped(bob)), { timeoutMs: 5000, what: 'uncapped bandwidth estimates' });
    // Every audio packet gets through, small ones too: the fake microphone's
    // silence between beeps is Opus packets shorter than 76 bytes.
    await sleep(1500);
    for (const page of [alice, bob]) {
      const { packetsReceived, packetsLost } = await audioLoss(page);
      assert.ok(packetsReceived > 50 && packetsLost <= packetsReceived * 0.02,
        `${page.user}: ${packetsLost} audio packets lost, ${packetsReceived} received`);
    }
    await closePages(alice, bob);
  });

  test('the offer a callee gets has the configured codecs in the configured order, with their RTX; its answer must match it', async () => {
    const [caller, callee] = await Promise.all([connect(ctx.janus.sioUrl, { transports: ['websocket'] }),
      connect(ctx.janus.sioUrl, { transports: ['websocket'] })]);
    try {
      assert.deepEqual(await emitAck(caller, 'register', 'sdp-a'), { success: true, userId: 'sdp-a' });
      assert.deepEqual(await emitAck(callee, 'register', 'sdp-b'), { success: true, userId: 'sdp-b' });
      // What Chromium 156 offers, in its order (VP8, H.264, AV1, VP9, RED, ULPFEC; Opus, RED, PCMU).
      const offer = customOffer([
        { kind: 'audio', codecs: [[111, 'opus/48000/2', 'minptime=10;useinbandfec=1'], [63, 'red/48000/2', '111/111'], [0, 'PCMU/8000'],
          // Not Chromium's: RED of a codec that goes, or of two codecs at once, goes too.
          [62, 'red/48000/2', '0/0'], [61, 'red/48000/2', '111/0']] },
        { kind: 'video', codecs: [[96, 'VP8/90000'], [97, 'rtx/90000', 'apt=96'],
          [102, 'H264/90000', 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f'], [103, 'rtx/90000', 'apt=102'],
          [45, 'AV1/90000'], [46, 'rtx/90000', 'apt=45'], [98, 'VP9/90000', 'profile-id=0'], [99, 'rtx/90000', 'apt=98'],
          [118, 'red/90000'], [119, 'rtx/90000', 'apt=118'], [120, 'ulpfec/90000']] },
      ]);
      for (const [i, spoil] of [
        // A codec the offer doesn't have.
        (sdp) => sdp.replace(/^(m=video 9 \S+) (\d+)/m, '$1 $2 100').replace(/(a=rtpmap:96 VP8\/90000)/, '$1\r\na=rtpmap:100 H264/90000'),
        // One m-line fewer.
        (sdp) => `${sdp.split(/\r\n(?=m=video)/)[0]}\r\n`,
      ].entries()) {
        const incoming = nextEvent(callee, 'incoming-call');
        const { callId } = await emitAck(caller, 'start-call', { toUserId: 'sdp-b', callType: 'video', jsep: offer });
        const { jsep } = await incoming;
        if (i === 0) {
          // Opus with its RED right before it (a callee that takes RED sends it); PCMU goes.
          assert.deepEqual(mlineCodecs(jsep.sdp, 'audio').map((c) => `${c.pt} ${c.codec}`), ['63 red', '111 opus']);
          assert.deepEqual(audioRed(jsep.sdp), { red: 63, fmtp: '111/111', opus: 111, first: true });
          const video = mlineCodecs(jsep.sdp, 'video');
          // video_codecs = "vp8,vp9,h264": VP9 moves ahead of H.264, AV1/RED/ULPFEC go.
          assert.deepEqual(video.filter((c) => c.codec !== 'rtx').map((c) => `${c.pt} ${c.codec}`), ['96 VP8', '98 VP9', '102 H264']);
          // Each kept codec keeps an RTX, none is left for a dropped one (the core numbers RTX itself).
          assert.deepEqual(video.filter((c) => c.codec === 'rtx').map((c) => c.apt).sort((x, y) => x - y), [96, 98, 102]);
        }
        const answer = fakeAnswer(jsep.sdp);
        assert.deepEqual(await emitAck(callee, 'accept-call', { callId, jsep: { type: 'answer', sdp: spoil(answer.sdp) } }),
          { error: "Invalid answer: its m-lines or codecs don't match the offer" });
        assert.deepEqual(await emitAck(caller, 'end-call', { callId }), { success: true });
      }
    } finally {
      caller.disconnect();
      callee.disconnect();
    }
  });

  test('a PeerConnection closed mid-call ends the call (peer-disconnected to the other side, error to its own socket); a new call works', async () => {
    const { alice, bob, callId } = await activeCall('pc-a', 'pc-b');
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    const endedA = alice.nextEvent('call-ended', await alice.eventCount());
    const endedB = bob.nextEvent('call-ended', await bob.eventCount());
    const closed = Date.now();
    await alice.evaluate(() => window.demo.pc.close());     // the socket stays
    assert.deepEqual(await endedB, { callId, reason: 'peer-disconnected' });
    assert.ok(Date.now() - closed < GRACE_S * 1000, 'no reconnect grace for a PeerConnection that hung up');
    assert.deepEqual(await endedA, { callId, reason: 'error' });
    assert.equal(await alice.evaluate(() => window.demo.socket.connected), true);
    // Both are free again: bob calls alice on the same sockets.
    const again = await callBetween(bob, alice);
    assert.notEqual(again.callId, callId);
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    await bob.demo(() => window.demo.hangup());
    await closePages(alice, bob);
  });

  test('mute stops the other side\'s inbound bytes of that kind, unmute restarts them, sequence numbers running on', async () => {
    const { alice, bob, callId } = await activeCall('mute-a', 'mute-b');
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    for (const kind of ['audio', 'video']) {
      const lostBefore = (await audioLoss(bob, kind)).packetsLost;
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
      // The gateway renumbers across the pause: 1.5 s of dropped packets are no gap to the receiver.
      const lost = (await audioLoss(bob, kind)).packetsLost - lostBefore;
      assert.ok(lost < 5, `${lost} ${kind} packets counted lost across the pause`);
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
    assert.deepEqual(await reregistered, { success: true, userId: 'grace-b' });
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
    const accomplice = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    try {
      assert.deepEqual(await emitAck(accomplice, 'register', 'accomplice'), { success: true, userId: 'accomplice' });
      assert.deepEqual(await emitAck(mallory, 'start-call', { toUserId: 'bad-b', callType: 'video', jsep: fakeOffer() }),
        { error: 'Socket not registered' });
      assert.deepEqual(await emitAck(mallory, 'register', 'mallory'), { success: true, userId: 'mallory' });
      // Each SDP case on a fresh socket: the core applies an offer to the handle
      // before the plugin sees the request, so one bad SDP can spoil the next.
      const opus = { kind: 'audio', codecs: [[111, 'opus/48000/2']] };
      const offerOf = (sdp) => ({ type: 'offer', sdp });
      // The pattern the ack's error must match; null: the call starts.
      const cases = [
        // The Janus core refuses these before the plugin sees their SDP (the
        // call the plugin reserved for them is then off: 'x' is not busy after).
        [{ jsep: offerOf('this is not sdp') }, /^Invalid SDP \(doesn't start with v=\)$/],
        [{ jsep: offerOf('v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\n') }, /^Missing mandatory lines \(o=, s= or m=\)$/],
        // An answer never reaches the core: the plugin refuses it first.
        [{ jsep: { type: 'answer', sdp: fakeOffer().sdp } }, /^start-call needs a jsep offer$/],
        [{ toUserId: 'x'.repeat(900000), jsep: fakeOffer() }, /^toUserId must be 1 to 128 characters$/],
        // The core hands the plugin its own rewrite of the offer, whose writer
        // cuts every attribute line at 512 bytes: one huge attribute never
        // reaches the plugin's limit, and the call starts.
        [{ jsep: offerOf(`${fakeOffer().sdp}a=x:${'y'.repeat(900000)}\r\n`) }, null],
        // ~7 kB in each of 10 m-lines (under the writer's 8 kB per m-line) does.
        [{ jsep: customOffer(Array.from({ length: 10 }, () => ({ ...opus, padding: 60 }))) }, /^Invalid offer: missing or too large$/],
        [{ jsep: customOffer(Array.from({ length: 9 }, () => opus)) }, /^Invalid offer: more than 8 m-lines$/],
        [{ jsep: customOffer([{ kind: 'audio', codecs: [[0, 'PCMU/8000']] }, { kind: 'video', codecs: [[45, 'AV1/90000']] }]) },
          /^Invalid offer: no audio or video with a supported codec$/],
        [{ toUserId: 'fresh-8', jsep: fakeOffer() }, /^Cannot call yourself$/],
      ];
      for (const [i, [payload, pattern]] of cases.entries()) {
        const fresh = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
        assert.deepEqual(await emitAck(fresh, 'register', `fresh-${i}`), { success: true, userId: `fresh-${i}` });
        const ack = await emitAck(fresh, 'start-call', { toUserId: 'x', callType: 'video', ...payload });
        if (pattern === null) assert.ok(ack.callId && !ack.error, JSON.stringify(ack).slice(0, 200));
        else assert.match(String(ack.error), pattern, JSON.stringify(ack).slice(0, 200));
        fresh.disconnect();
      }
      // A failed start-call leaves the handle ready for the next offer.
      assert.deepEqual(await emitAck(mallory, 'start-call', { toUserId: 'mallory', callType: 'audio', jsep: fakeOffer() }),
        { error: 'Cannot call yourself' });
      const retry = await emitAck(mallory, 'start-call', { toUserId: 'nobody-home', callType: 'audio', jsep: fakeOffer() });
      assert.ok(retry.callId, JSON.stringify(retry));
      assert.deepEqual(await emitAck(mallory, 'end-call', { callId: retry.callId }), { success: true });
      assert.deepEqual(await emitAck(mallory, 'end-call', { callId }), { error: 'Not your call' });
      assert.deepEqual(await emitAck(mallory, 'mute-audio', { callId, muted: true }), { error: 'Not your call' });
      assert.deepEqual(await emitAck(mallory, 'end-call', { callId: 'no-such-call' }), { error: 'Unknown call' });
      assert.deepEqual(await emitAck(mallory, 'accept-call', { callId: 42 }), { error: 'callId must be a string' });
      assert.deepEqual(await emitAck(mallory, 'end-call', {}), { error: 'Missing callId' });
      assert.deepEqual(await emitAck(mallory, 'mute-video', 'nonsense'), { error: 'Missing callId' });
      // A real SDP answer on someone else's call: mallory, called herself, has
      // a gateway offer to answer (so the core takes the answer), but not that call.
      const incoming = nextEvent(mallory, 'incoming-call');
      const own = await emitAck(accomplice, 'start-call', { toUserId: 'mallory', callType: 'video', jsep: fakeOffer({ video: true }) });
      assert.ok(own.callId, JSON.stringify(own));
      const { jsep } = await incoming;
      assert.deepEqual(await emitAck(mallory, 'accept-call', { callId, jsep: fakeAnswer(jsep.sdp) }), { error: 'Not your call' });
      assert.deepEqual(await emitAck(accomplice, 'end-call', { callId: own.callId }), { success: true });
    } finally {
      mallory.disconnect();
      accomplice.disconnect();
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
    await usersGone(ctx.janus, alice, bob);
  });

  ctx.cleanExitTest();
});

// Each codec alone: the gateway's offer to the callee has only it, so both
// browsers send it; getStats names the codec of what each one decodes.
for (const [setting, mimeType] of [['vp9', 'video/VP9'], ['h264', 'video/H264']]) {
  mediaSuite(`JSEP calls with video_codecs = "${setting}"`, { video_codecs: setting }, (env) => {
    test(`video is ${mimeType} both ways and decodes, audio flows both ways`, async () => {
      const { browser, janus } = env();
      const { alice, bob } = await newCall(browser, janus, `${setting}-a`, `${setting}-b`);
      await Promise.all([videoCodecIs(alice, mimeType), videoCodecIs(bob, mimeType), mediaFlows(alice), mediaFlows(bob)]);
      await alice.demo(() => window.demo.hangup());
      await closePages(alice, bob);
      await usersGone(janus, alice, bob);
    });
  });
}

mediaSuite('JSEP calls with video_codecs = "h264,vp8"', { video_codecs: 'h264,vp8' }, (env) => {
  test('the configured order wins over the caller\'s: Chromium offers VP8 first, the call uses H.264', async () => {
    const { browser, janus } = env();
    const { alice, bob, offer } = await newCall(browser, janus, 'pref-a', 'pref-b');
    const offered = await alice.evaluate(() => window.demo.pc.localDescription.sdp);
    assert.equal(mlineCodecs(offered, 'video')[0].codec, 'VP8');
    assert.equal(mlineCodecs(offer.sdp, 'video')[0].codec, 'H264');
    assert.deepEqual([...new Set(mlineCodecs(offer.sdp, 'video').map((c) => c.codec))].sort(), ['H264', 'VP8', 'rtx']);
    await Promise.all([videoCodecIs(alice, 'video/H264'), videoCodecIs(bob, 'video/H264')]);
    await alice.demo(() => window.demo.hangup());
    await closePages(alice, bob);
    await usersGone(janus, alice, bob);
  });
});

// Without a cap the estimates go past 3x this: the first test of 'calls between two browsers (JSEP)'.
mediaSuite(`JSEP calls with max_bitrate = ${CAPPED_BITRATE}`, { max_bitrate: CAPPED_BITRATE }, (env) => {
  test('the REMB cap holds each sender\'s bandwidth estimate and its video bitrate at the cap', async () => {
    const { browser, janus } = env();
    const { alice, bob } = await newCall(browser, janus, 'remb-a', 'remb-b');
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    const rates = await Promise.all([videoSendRate(alice, 2000), videoSendRate(bob, 2000)]);
    for (const { bitrate, availableOutgoingBitrate } of rates) {
      assert.ok(availableOutgoingBitrate !== null && availableOutgoingBitrate <= CAPPED_BITRATE, JSON.stringify(rates));
      assert.ok(bitrate > 0 && bitrate <= CAPPED_BITRATE * 1.1, JSON.stringify(rates));
    }
    await alice.demo(() => window.demo.hangup());
    await closePages(alice, bob);
    await usersGone(janus, alice, bob);
  });
});

// The default ring timeout: the offer again comes after the refused PeerConnection has closed.
mediaSuite('JSEP calls with default settings', {}, (env) => {
  test('a receiver\'s keyframe request (PLI/FIR) reaches the sender of that video', async () => {
    const { alice, bob } = await newCall(env().browser, env().janus, 'ask-a', 'ask-b');
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    await sleep(1000);      // past the requests of the start
    const asked = (await videoReceiver(bob)).keyframeRequests, got = (await videoSend(alice)).keyframeRequests;
    assert.equal(await requestKeyframe(bob), 'sent');
    await waitFor(async () => (await videoSend(alice)).keyframeRequests > got, { timeoutMs: 3000, what: 'alice getting bob\'s request' });
    assert.ok((await videoReceiver(bob)).keyframeRequests > asked, 'bob sent it');
    await alice.demo(() => window.demo.hangup());
    await closePages(alice, bob);
    await usersGone(env().janus, alice, bob);
  });

  test('receivers that can\'t ask for keyframes still start on one and get one after the sender unmutes: the gateway asks', async () => {
    const alice = await userPage(env().browser, env().janus, 'kf-a');
    const bob = await userPage(env().browser, env().janus, 'kf-b');
    for (const page of [alice, bob]) await strikeKeyframeFeedback(page);
    const incoming = bob.nextEvent('incoming-call');
    await alice.demo(() => window.demo.call('kf-b', 'video'));
    await incoming;
    assert.deepEqual(await bob.demo(() => window.demo.accept()), { success: true });
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    // Muted for longer than a burst of in-flight frames: what comes after refers to frames bob never got.
    assert.deepEqual(await alice.demo(() => window.demo.mute('video', true)), { success: true });
    await sleep(1000);
    const before = await videoReceiver(bob);
    assert.deepEqual(await alice.demo(() => window.demo.mute('video', false)), { success: true });
    await waitFor(async () => (await videoReceiver(bob)).framesDecoded > before.framesDecoded + 5,
      { timeoutMs: 3000, what: 'bob decoding again after the unmute' });
    for (const page of [alice, bob]) assert.equal((await videoReceiver(page)).keyframeRequests, 0, `${page.user} asked for a keyframe`);
    await alice.demo(() => window.demo.hangup());
    await closePages(alice, bob);
    await usersGone(env().janus, alice, bob);
  });

  test('a callee whose answer is refused gets the call offered again, and accepting that offer works', async () => {
    const alice = await userPage(env().browser, env().janus, 'retry-a');
    const bob = await userPage(env().browser, env().janus, 'retry-b');
    const first = bob.nextEvent('incoming-call');
    const { callId } = await alice.demo(() => window.demo.call('retry-b', 'video'));
    const offer = await first;
    const since = await bob.eventCount();
    // An answer with one m-line fewer: the core takes it, the plugin can't.
    const ack = await bob.evaluate(async (call) => {
      const pc = new RTCPeerConnection();
      await pc.setRemoteDescription(call.jsep);
      await pc.setLocalDescription(await pc.createAnswer());
      const sdp = `${pc.localDescription.sdp.split(/\r\n(?=m=video)/)[0]}\r\n`;
      pc.close();
      return window.demo.socket.emitWithAck('accept-call', { callId: call.callId, fromUserId: call.fromUserId,
        jsep: { type: 'answer', sdp } });
    }, offer);
    assert.deepEqual(ack, { error: "Invalid answer: its m-lines or codecs don't match the offer" });
    const again = await bob.nextEvent('incoming-call', since);
    assert.deepEqual([again.callId, again.fromUserId, again.callType, again.jsep?.type], [callId, 'retry-a', 'video', 'offer']);
    const accepted = alice.nextEvent('call-accepted', await alice.eventCount());
    assert.deepEqual(await bob.demo(() => window.demo.accept()), { success: true });
    assert.equal((await accepted).callId, callId);
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    await alice.demo(() => window.demo.hangup());
    await closePages(alice, bob);
    await usersGone(env().janus, alice, bob);
  });
});
