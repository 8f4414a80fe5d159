// The room dialect (OIChat's current app, client/context/rtc.js): every call
// placed as a room with start-call { toUserIds }, join-call, create-transport
// recv and send, produce, get-producers, consume, and hung up with leave-call
// sent without an ack. Real mediasoup-client with the project's adapter in
// Chromium, beside seed-dialect and plain-WebRTC (JSEP) users on the same server.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useJanus, sleep } from './lib/janus.js';
import { connect, emitAck, nextEvent, waitFor } from './lib/sio.js';
import { launchBrowser } from './lib/browser.js';
import { mediaFlows, userPage } from './lib/demo.js';
import { msPageFolder, msUserPage } from './lib/mediasoup.js';

const folder = await msPageFolder();

describe('the room dialect', () => {
  const GRACE_S = 3;
  const ctx = useJanus({ demoFolder: folder.dir, plugin: { general: { reconnect_grace: GRACE_S } } });
  let browser;
  before(async () => { browser = await launchBrowser({ secureOrigins: [ctx.janus.sioUrl] }); });
  after(async () => { await browser?.close(); folder.remove(); });

  const closePages = async (...pages) => { for (const p of pages) await p.close().catch(() => {}); };
  const pageErrors = (page) => page.msc(() => window.msc.errors);
  // Media both ways; on failure, what each mediasoup-client page asked and heard.
  const bothFlow = (...pages) => Promise.all(pages.map((p) => mediaFlows(p))).catch(async (e) => {
    for (const page of pages.filter((p) => p.msc)) {
      console.log(page.user, JSON.stringify(await page.msc(() => ({ errors: window.msc.errors, events: window.msc.events.map((x) => x.name),
        requests: window.msc.requests.map((r) => [r.event, JSON.stringify(r.ack).slice(0, 120)]) }))));
    }
    throw e;
  });
  const roomCall = (page, to, type = 'video') => page.msc(([t, c]) => window.msc.roomCall([t], c), [to, type]);
  const roomAccept = (page) => page.msc(() => window.msc.roomAccept());

  async function sioUser(user) {
    const socket = await connect(ctx.janus.sioUrl);
    assert.deepEqual(await emitAck(socket, 'register', user), { success: true, userId: user });
    return socket;
  }

  test('a 1:1 video call placed as the app does: acks as it reads them, media both ways, leave-call (no ack) ends it for the other', async () => {
    const alice = await msUserPage(browser, ctx.janus, 'room-a');
    const bob = await msUserPage(browser, ctx.janus, 'room-b');
    assert.deepEqual((await alice.msc(() => window.msc.requests.find((r) => r.event === 'register').ack)),
      { success: true, userId: 'room-a' });
    const incoming = bob.nextEvent('incoming-call');
    const started = await roomCall(alice, 'room-b');
    assert.equal(started.error, undefined, JSON.stringify(started));
    const { callId } = started;
    // The caller's ack has no transports: it asks for them.
    const startAck = await alice.msc(() => window.msc.startAck);
    assert.deepEqual(Object.keys(startAck).sort(), ['callId', 'rtpCapabilities']);
    const offer = await incoming;
    assert.deepEqual([offer.callId, offer.fromUserId, offer.callType, offer.participants], [callId, 'room-a', 'video', ['room-a', 'room-b']]);
    assert.ok(offer.rtpCapabilities?.codecs?.length, 'incoming-call has rtpCapabilities');
    const joinAck = await alice.msc(() => window.msc.joinAck);
    assert.equal(joinAck.success, true);
    assert.ok(joinAck.rtpCapabilities?.codecs?.length);
    assert.deepEqual([joinAck.participants, joinAck.alreadyJoined, joinAck.creatorId, joinAck.participantsInfo],
      [['room-b'], [], 'room-a', {}]);

    const accepted = alice.nextEvent('call-accepted');
    const joined = alice.nextEvent('participant-joined');
    const ack = await roomAccept(bob);
    assert.equal(ack.success, true, JSON.stringify(ack));
    assert.ok(ack.rtpCapabilities?.codecs?.length);
    assert.deepEqual(await accepted, { callId, calleeUserId: 'room-b' });
    assert.deepEqual(await joined, { callId, userId: 'room-b' });
    assert.deepEqual(await bob.nextEvent('participant-joined'), { callId, userId: ['room-a'], initial: true });
    assert.deepEqual((await bob.msc(() => window.msc.joinAck)).alreadyJoined, ['room-a']);
    await bothFlow(alice, bob);
    for (const page of [alice, bob]) {
      assert.deepEqual(await page.msc(() => window.msc.consumers.map((c) => c.kind).sort()), ['audio', 'video']);
      assert.deepEqual(await page.msc(() => window.msc.connectAcks), [{ success: true }, { success: true }]);
      assert.deepEqual(await pageErrors(page), []);
    }
    // The same direction again: the same transport.
    for (const direction of ['send', 'recv']) {
      const again = await alice.request('create-transport', { callId, direction });
      assert.equal(again.transportOptions.id, await alice.msc((d) => window.msc[`${d}Transport`].id, direction));
    }
    // get-producers names the other peer's producers, with its user and source.
    const producers = (await bob.request('get-producers', { callId })).producers.sort((x, y) => x.kind.localeCompare(y.kind));
    const alices = await alice.msc(() => Object.values(window.msc.producers).map((p) => ({ producerId: p.id, kind: p.kind })));
    assert.deepEqual(producers, alices.sort((x, y) => x.kind.localeCompare(y.kind)).map((p) => ({ callId, ...p, userId: 'room-a', source: null })));
    // new-producer carried the same.
    const heard = (await bob.msc(() => window.msc.events)).filter((e) => e.name === 'new-producer').map((e) => e.payload);
    for (const p of heard) assert.equal(p.source, null);

    // call-info shows both peers as room-dialect peers that joined.
    const info = (await ctx.janus.admin({ janus: 'message_plugin', plugin: 'janus.plugin.oicall', request: { request: 'call-info', callId } })).response;
    assert.deepEqual(info.peers.map((p) => [p.userId, p.roomDialect, p.joined]), [['room-a', true, true], ['room-b', true, true]]);
    const left = bob.nextEvent('participant-left');
    const ended = bob.nextEvent('call-ended');
    await alice.msc(() => window.msc.leave());
    assert.deepEqual(await left, { callId, userId: 'room-a' });
    assert.deepEqual(await ended, { callId, reason: 'last-participant-left' });
    assert.deepEqual((await bob.request('get-producers', { callId })), { error: 'Call already ended' });
    assert.equal((await alice.msc(() => window.msc.events)).filter((e) => e.name === 'call-ended').length, 0, 'who left is not told');
    const { calls } = (await ctx.janus.admin({ janus: 'message_plugin', plugin: 'janus.plugin.oicall', request: { request: 'list-calls' } })).response;
    assert.equal(calls.filter((c) => c.callId === callId).length, 0, 'the call is gone');
    await closePages(alice, bob);
  });

  test('a room-dialect caller and a seed-dialect callee, then a seed-dialect caller and a room-dialect callee: media both ways', async () => {
    for (const [callerRoom, a, b] of [[true, 'rs-a', 'rs-b'], [false, 'sr-a', 'sr-b']]) {
      const alice = await msUserPage(browser, ctx.janus, a);
      const bob = await msUserPage(browser, ctx.janus, b);
      const incoming = bob.nextEvent('incoming-call');
      const started = callerRoom ? await roomCall(alice, b) : await alice.msc((to) => window.msc.call(to, 'video'), b);
      assert.equal(started.error, undefined, JSON.stringify(started));
      await incoming;
      const ack = callerRoom ? await bob.msc(() => window.msc.accept()) : await roomAccept(bob);
      assert.equal(ack.success, true, JSON.stringify(ack));
      await bothFlow(alice, bob);
      for (const page of [alice, bob]) assert.deepEqual(await pageErrors(page), []);
      // The seed-dialect side hangs up with end-call, the room-dialect side is told.
      const [seed, room] = callerRoom ? [bob, alice] : [alice, bob];
      const ended = room.nextEvent('call-ended');
      assert.deepEqual(await seed.msc(() => window.msc.hangup()), { success: true });
      assert.deepEqual(await ended, { callId: started.callId, reason: 'hangup' });
      await closePages(alice, bob);
    }
  });

  test('a room-dialect caller and a JSEP callee, then a JSEP caller and a room-dialect callee: media both ways; leave-call ends it for the JSEP side', async () => {
    for (const [callerRoom, a, b] of [[true, 'rj-a', 'rj-b'], [false, 'jr-a', 'jr-b']]) {
      const alice = callerRoom ? await msUserPage(browser, ctx.janus, a) : await userPage(browser, ctx.janus, a);
      const bob = callerRoom ? await userPage(browser, ctx.janus, b) : await msUserPage(browser, ctx.janus, b);
      const incoming = bob.nextEvent('incoming-call');
      const started = callerRoom ? await roomCall(alice, b) : await alice.demo((to) => window.demo.call(to, 'video'), b);
      assert.equal(started.error, undefined, JSON.stringify(started));
      await incoming;
      const ack = callerRoom ? await bob.demo(() => window.demo.accept()) : await roomAccept(bob);
      assert.equal(ack.success, true, JSON.stringify(ack));
      await bothFlow(alice, bob);
      const [jsep, room] = callerRoom ? [bob, alice] : [alice, bob];
      assert.deepEqual(await pageErrors(room), []);
      const ended = jsep.nextEvent('call-ended');
      await room.msc(() => window.msc.leave());
      assert.deepEqual(await ended, { callId: started.callId, reason: 'hangup' });
      await closePages(alice, bob);
    }
  });

  test('a room-dialect socket that drops and registers again keeps its call past the grace, and leaves it from the new socket', async () => {
    const alice = await msUserPage(browser, ctx.janus, 'room-grace-a');
    const bob = await msUserPage(browser, ctx.janus, 'room-grace-b');
    const incoming = bob.nextEvent('incoming-call');
    const { callId } = await roomCall(alice, 'room-grace-b');
    await incoming;
    assert.equal((await roomAccept(bob)).success, true);
    await bothFlow(alice, bob);
    // socket.io-client reconnects and the page registers again, as the app does.
    const reregistered = bob.evaluate(() => new Promise((resolve) => {
      window.msc.addEventListener('registered', (e) => resolve(e.detail), { once: true });
      window.msc.socket.io.engine.close();
    }));
    assert.deepEqual(await reregistered, { success: true, userId: 'room-grace-b' });
    const before = [await alice.inbound(), await bob.inbound()];
    // Past the grace and the time the old socket's session (with the transports) would have lingered.
    await sleep((GRACE_S + 5 + 2) * 1000);
    const after = [await alice.inbound(), await bob.inbound()];
    assert.ok(after[0].framesDecoded > before[0].framesDecoded && after[1].framesDecoded > before[1].framesDecoded,
      'video still flows both ways');
    assert.equal((await alice.msc(() => window.msc.events)).filter((e) => e.name.startsWith('participant-left') || e.name === 'call-ended').length, 0);
    assert.equal((await bob.request('get-producers', { callId })).producers.length, 2, 'the call is still the new socket\'s');
    const left = alice.nextEvent('participant-left');
    const ended = alice.nextEvent('call-ended');
    await bob.msc(() => window.msc.leave());
    assert.deepEqual(await left, { callId, userId: 'room-grace-b' });
    assert.deepEqual(await ended, { callId, reason: 'last-participant-left' });
    await closePages(alice, bob);
  });

  test('leave-call while it rings: by the callee it declines (the caller gets "rejected"), by the caller it cancels (the callee gets "cancelled")', async () => {
    for (const [leaver, reason] of [['callee', 'rejected'], ['caller', 'cancelled']]) {
      const alice = await sioUser(`ring-${leaver}-a`);
      const bob = await sioUser(`ring-${leaver}-b`);
      const incoming = nextEvent(bob, 'incoming-call');
      const { callId, error } = await emitAck(alice, 'start-call', { toUserIds: [`ring-${leaver}-b`], callType: 'audio' });
      assert.equal(error, undefined);
      assert.equal((await incoming).callId, callId);
      const [gone, told] = leaver === 'callee' ? [bob, alice] : [alice, bob];
      const ended = nextEvent(told, 'call-ended');
      gone.emit('leave-call', { callId });
      assert.deepEqual(await ended, { callId, reason });
      // It is over for both; a leave-call again is fine.
      assert.deepEqual(await emitAck(told, 'join-call', { callId }), { error: 'Call already ended' });
      assert.deepEqual(await emitAck(gone, 'leave-call', { callId }), { success: true });
      alice.close();
      bob.close();
    }
  });

  test('bad input to every room-dialect request gets a clear error, and the call goes on', async () => {
    const alice = await sioUser('bad-a');
    const bob = await sioUser('bad-b');
    const mallory = await sioUser('bad-m');
    const error = async (socket, event, payload, pattern) => {
      const ack = await emitAck(socket, event, payload);
      assert.equal(typeof ack.error, 'string', `${event} ${JSON.stringify(payload)}: ${JSON.stringify(ack)}`);
      if (pattern) assert.match(ack.error, pattern, `${event} ${JSON.stringify(payload)}`);
    };
    for (const toUserIds of ['bad-b', [], {}, [{}], [null], [true]]) await error(alice, 'start-call', { toUserIds, callType: 'video' }, /toUserIds/);
    await error(alice, 'start-call', { toUserIds: Array.from({ length: 11 }, (_, i) => `bad-${i}`), callType: 'video' }, /at most 11 participants/);
    await error(alice, 'start-call', { toUserIds: ['bad-a'], callType: 'video' }, /yourself/);
    await error(alice, 'start-call', { toUserIds: ['bad-b'], callType: 'screen' }, /callType/);

    const incoming = nextEvent(bob, 'incoming-call');
    const { callId } = await emitAck(alice, 'start-call', { toUserIds: ['bad-b'], callType: 'video' });
    await incoming;
    for (const event of ['join-call', 'create-transport', 'get-producers', 'leave-call']) {
      await error(alice, event, {}, /Missing callId/);
      await error(alice, event, { callId: 5 }, /callId must be a string/);
      await error(alice, event, { callId: 'no-such-call' }, /Unknown call/);
      await error(mallory, event, { callId }, /Not your call/);
    }
    // Not joined yet, or not accepted yet.
    await error(alice, 'create-transport', { callId, direction: 'send' }, /join-call/);
    await error(alice, 'get-producers', { callId }, /join-call/);
    await error(bob, 'join-call', { callId }, /Accept the call first/);
    assert.equal((await emitAck(alice, 'join-call', { callId })).success, true);
    for (const direction of [undefined, 'sideways', 5, ['send'], 'SEND']) {
      await error(alice, 'create-transport', { callId, direction }, /direction must be "send" or "recv"/);
    }
    const send = (await emitAck(alice, 'create-transport', { callId, direction: 'send' })).transportOptions;
    assert.equal(typeof send?.id, 'string');
    for (const appData of ['camera', 5, [1]]) {
      await error(alice, 'create-producer', { callId, transportId: send.id, kind: 'audio', rtpParameters: {}, appData }, /appData must be an object/);
    }
    for (const source of [5, '', 'x'.repeat(33), {}]) {
      await error(alice, 'create-producer', { callId, transportId: send.id, kind: 'audio', rtpParameters: {}, appData: { source } }, /appData.source/);
    }
    await error(mallory, 'create-transport', { callId, direction: 'recv' }, /Not your call/);
    // Nothing of that touched the call: bob accepts and joins it, both see each other joined.
    const joined = nextEvent(alice, 'participant-joined');
    const before = (await ctx.janus.admin({ janus: 'message_plugin', plugin: 'janus.plugin.oicall', request: { request: 'call-info', callId } })).response;
    assert.deepEqual(before.peers.map((p) => [p.roomDialect, p.joined]), [[true, true], [false, false]], 'bob rings, not joined yet');
    assert.equal((await emitAck(bob, 'accept-call', { callId, fromUserId: 'bad-a' })).success, true);
    const bobJoin = await emitAck(bob, 'join-call', { callId });
    assert.deepEqual([bobJoin.success, bobJoin.alreadyJoined, bobJoin.creatorId], [true, ['bad-a'], 'bad-a']);
    assert.deepEqual(await joined, { callId, userId: 'bad-b' });
    assert.equal(typeof (await emitAck(bob, 'create-transport', { callId, direction: 'recv' })).transportOptions?.id, 'string');
    assert.deepEqual(await emitAck(bob, 'get-producers', { callId }), { producers: [] });
    const ended = nextEvent(alice, 'call-ended');
    assert.deepEqual(await emitAck(bob, 'leave-call', { callId }), { success: true });
    assert.deepEqual(await ended, { callId, reason: 'last-participant-left' });
    for (const s of [alice, bob, mallory]) s.close();
    const { calls } = (await ctx.janus.admin({ janus: 'message_plugin', plugin: 'janus.plugin.oicall', request: { request: 'list-calls' } })).response;
    assert.equal(calls.filter((c) => c.callId === callId).length, 0, 'the call is gone');
  });
});
