// Group calls: one call of up to 11 peers, each receiving every other's
// audio and video through the gateway's relay. Real mediasoup-client pages in
// Chromium speaking both dialects (the room dialect of OIChat's current app,
// and the seed's), and socket.io clients for what needs no media: per-invitee
// rings, declines, cancels, busy invitees, sockets dropping, bad input.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useJanus, sleep, callAudioStreams } from './lib/janus.js';
import { connect, emitAck, nextEvent, waitFor } from './lib/sio.js';
import { launchBrowser, audioDecodes } from './lib/browser.js';
import { audioRed } from './lib/sdp.js';
import { msPageFolder, msUserPage } from './lib/mediasoup.js';
import { userPage } from './lib/demo.js';

const folder = await msPageFolder();
const RING_S = 4;
const GRACE_S = 3;

describe('group calls', () => {
  const ctx = useJanus({ demoFolder: folder.dir, plugin: { general: { reconnect_grace: GRACE_S, ring_timeout: RING_S } } });
  let browser;
  before(async () => { browser = await launchBrowser({ secureOrigins: [ctx.janus.sioUrl] }); });
  after(async () => { await browser?.close(); folder.remove(); });

  const plugin = async (request) => (await ctx.janus.admin({ janus: 'message_plugin', plugin: 'janus.plugin.oicall', request })).response;

  async function sioUser(user) {
    const socket = await connect(ctx.janus.sioUrl);
    assert.deepEqual(await emitAck(socket, 'register', user), { success: true, userId: user });
    return socket;
  }

  // Every page decodes video and hears audio from each of the others (keys of inboundByUser), growing over a second.
  async function everyoneHearsEveryone(pages, extra = {}) {
    const want = (page) => [...pages.filter((p) => p !== page).map((p) => p.user), ...(extra[page.user] ?? [])].sort();
    // mediasoup-client pages count per consumer, demo (JSEP) pages per m-line the gateway named.
    const snapshot = () => Promise.all(pages.map((p) => (p.msc ? p.msc(() => window.msc.inboundByUser())
      : p.demo(() => window.demo.inboundByUser()))));
    let first;
    await waitFor(async () => {
      first = await snapshot();
      return pages.every((page, i) => want(page).every((u) => first[i][u]?.framesDecoded > 0
        && (u.endsWith('/screen') || first[i][u]?.audioPackets > 0)));
    }, { timeoutMs: 20000, what: 'media from every peer' }).catch(async (e) => {
      const report = await Promise.all(pages.map(async (p, i) => ({ user: p.user, want: want(p), got: first?.[i],
        errors: await (p.msc ? p.msc(() => window.msc.errors) : p.demo(() => [window.demo.error, window.demo.renegotiations, window.demo.events.map((e) => e.name)])) })));
      throw new Error(`${e.message}: ${JSON.stringify(report)}`);
    });
    await sleep(1000);
    const later = await snapshot();
    pages.forEach((page, i) => {
      for (const u of want(page)) assert.ok(later[i][u].framesDecoded > first[i][u].framesDecoded, `${page.user} still decodes ${u}`);
    });
  }

  test('a group of four (room and seed dialects): everyone gets everyone; one leaves, one is added, a screen is shared, reactions reach all', async () => {
    const [a, b, c, d] = await Promise.all(['g-a', 'g-b', 'g-c', 'g-d'].map((u) => msUserPage(browser, ctx.janus, u)));
    const incoming = [b, c, d].map((p) => p.nextEvent('incoming-call'));
    const started = await a.msc((to) => window.msc.roomCall(to, 'video'), ['g-b', 'g-c', 'g-d']);
    assert.equal(started.error, undefined, JSON.stringify(started));
    const { callId } = started;
    for (const offer of await Promise.all(incoming)) {
      assert.equal(offer.callId, callId);
      assert.deepEqual(offer.participants, ['g-a', 'g-b', 'g-c', 'g-d']);
    }
    // b and d answer as the room dialect does, c as the seed's flow does (transports from incoming-call).
    for (const page of [b, d]) assert.equal((await page.msc(() => window.msc.roomAccept())).success, true);
    assert.equal((await c.msc(() => window.msc.accept())).success, true);
    await everyoneHearsEveryone([a, b, c, d]);

    const info = await plugin({ request: 'call-info', callId });
    assert.deepEqual(info.peers.map((p) => [p.userId, p.state, p.roomDialect]),
      [['g-a', 'in', true], ['g-b', 'in', true], ['g-c', 'in', false], ['g-d', 'in', true]]);
    assert.equal(info.group, true);
    // Each producer is relayed to the three others: its stream lists three forwards... or at least reaches each one.
    for (const peer of info.peers) {
      const consumers = peer.handles.flatMap((h) => h.streams).filter((s) => s.type === 'consumer');
      assert.equal(consumers.length, 6, `${peer.userId}: audio and video from three peers`);
    }

    // Reactions reach every joined peer, the sender too.
    const reactions = [a, b, c, d].map((p) => p.nextEvent('call-reaction'));
    assert.deepEqual(await d.request('call-reaction', { callId, emoji: '👍' }), { success: true });
    for (const r of await Promise.all(reactions)) assert.deepEqual([r.callId, r.userId, r.emoji, typeof r.ts], [callId, 'g-d', '👍', 'number']);

    // b leaves: the others hear it, drop its media, and keep each other's.
    const left = [a, c, d].map((p) => p.nextEvent('participant-left'));
    const closed = [a, c, d].map((p) => p.nextEvent('producer-closed'));
    await b.msc(() => window.msc.leave());
    for (const l of await Promise.all(left)) assert.deepEqual([l.callId, l.userId], [callId, 'g-b']);
    for (const p of await Promise.all(closed)) assert.equal(p.userId, 'g-b');
    await everyoneHearsEveryone([a, c, d]);
    await b.close();

    // e is added mid-call by c, rings, answers in the room dialect, and everyone gets everyone.
    const e = await msUserPage(browser, ctx.janus, 'g-e');
    const ringing = e.nextEvent('incoming-call');
    const invited = a.nextEvent('participant-invited');
    const added = await c.request('add-participants', { callId, participantIds: ['g-e', 'g-d'] });
    assert.deepEqual(added, { success: true, addedParticipants: ['g-e'], busyUserIds: [] });
    assert.deepEqual(await invited, { callId, byUserId: 'g-c', userIds: ['g-e'] });
    assert.deepEqual((await ringing).participants.sort(), ['g-a', 'g-c', 'g-d', 'g-e']);
    assert.equal((await e.msc(() => window.msc.roomAccept())).success, true);
    await everyoneHearsEveryone([a, c, d, e]);

    // a shares a screen: everyone gets it as a third stream; a second share in the call is refused.
    const since = Object.fromEntries(await Promise.all([c, d, e].map(async (p) => [p.user, await p.eventCount()])));
    const screenHeard = [c, d, e].map((p) => p.nextEvent('new-producer', since[p.user], 10000));
    const screen = await a.msc(() => window.msc.shareScreen());
    assert.equal(screen.error, undefined, JSON.stringify(screen));
    await Promise.all(screenHeard);
    await everyoneHearsEveryone([a, c, d, e], { 'g-c': ['g-a/screen'], 'g-d': ['g-a/screen'], 'g-e': ['g-a/screen'] });
    const second = await d.msc(() => window.msc.shareScreen());
    assert.match(second.error, /one screen share at a time/);
    const stopped = [c, e].map((p) => p.nextEvent('producer-closed', since[p.user], 10000));
    assert.deepEqual(await a.msc(() => window.msc.stopScreen()), { success: true });
    for (const p of await Promise.all(stopped)) assert.deepEqual([p.producerId, p.source], [screen.producerId, 'screen']);
    await everyoneHearsEveryone([a, c, d, e]);

    // One by one they leave; the last one is told the call is over.
    for (const page of [a, c, d]) await page.msc(() => window.msc.leave());
    assert.deepEqual(await e.nextEvent('call-ended'), { callId, reason: 'last-participant-left' });
    assert.equal((await plugin({ request: 'list-calls' })).calls.filter((x) => x.callId === callId).length, 0);
    for (const page of [a, c, d, e]) {
      assert.deepEqual(await page.msc(() => window.msc.errors), [], page.user);
      await page.close();
    }
  });

  test('plain WebRTC (JSEP) peers in a group: the gateway renegotiates their PeerConnection as peers and screens come and go', async () => {
    const j1 = await userPage(browser, ctx.janus, 'gj-1');
    const [r, sd] = await Promise.all(['gj-r', 'gj-s'].map((u) => msUserPage(browser, ctx.janus, u)));
    const j2 = await userPage(browser, ctx.janus, 'gj-2');
    const rings = [r, sd].map((p) => p.nextEvent('incoming-call')).concat(j2.nextEvent('incoming-call'));
    const started = await j1.demo(() => window.demo.call('gj-r,gj-s,gj-2', 'video'));
    assert.equal(started.error, undefined, JSON.stringify(started));
    const { callId } = started;
    await Promise.all(rings);
    assert.equal((await r.msc(() => window.msc.roomAccept())).success, true);
    assert.equal((await j2.demo(() => window.demo.accept())).success, true);
    assert.equal((await sd.msc(() => window.msc.accept())).success, true);
    await everyoneHearsEveryone([j1, r, sd, j2]);
    const info = await plugin({ request: 'call-info', callId });
    assert.equal(info.signalling, 'mixed');
    // A screen from the seed-dialect peer reaches the JSEP peers on an m-line of its own.
    const screen = await sd.msc(() => window.msc.shareScreen());
    assert.equal(screen.error, undefined, JSON.stringify(screen));
    await everyoneHearsEveryone([j1, r, sd, j2], { 'gj-1': ['gj-s/screen'], 'gj-2': ['gj-s/screen'], 'gj-r': ['gj-s/screen'] });
    // r leaves: the JSEP peers' m-lines for it go inactive, the rest flows.
    const left = [j1, j2].map((p) => p.nextEvent('participant-left'));
    await r.msc(() => window.msc.leave());
    await Promise.all(left);
    await everyoneHearsEveryone([j1, sd, j2], { 'gj-1': ['gj-s/screen'], 'gj-2': ['gj-s/screen'] });
    const tiles = (p) => p.demo(() => [...document.querySelectorAll('#remotes figure')].map((f) => f.dataset.user).sort());
    for (const p of [j1, j2]) assert.ok(!(await tiles(p)).includes('gj-r'), `${p.user} dropped r's tile`);
    await r.close();
    // The JSEP caller adds e: e's streams take the m-lines r's left, everyone gets everyone.
    const e = await msUserPage(browser, ctx.janus, 'gj-e');
    const ringing = e.nextEvent('incoming-call');
    assert.deepEqual(await j1.demo((id) => window.demo.socket.emitWithAck('add-participants', { callId: id, participantIds: ['gj-e'] }), callId),
      { success: true, addedParticipants: ['gj-e'], busyUserIds: [] });
    await ringing;
    assert.equal((await e.msc(() => window.msc.roomAccept())).success, true);
    await everyoneHearsEveryone([j1, sd, j2, e], { 'gj-1': ['gj-s/screen'], 'gj-2': ['gj-s/screen'], 'gj-e': ['gj-s/screen'] });
    // The screen stops: its tile goes from the JSEP pages.
    assert.deepEqual(await sd.msc(() => window.msc.stopScreen()), { success: true });
    for (const p of [j1, j2]) await waitFor(async () => !(await tiles(p)).includes('gj-s (screen)'), { what: `${p.user} drops the screen tile` });
    await everyoneHearsEveryone([j1, sd, j2, e]);
    // A reaction reaches the JSEP pages too.
    const reactions = [j1, j2].map((p) => p.nextEvent('call-reaction'));
    assert.deepEqual(await e.request('call-reaction', { callId, emoji: '🎉' }), { success: true });
    for (const reaction of await Promise.all(reactions)) assert.equal(reaction.userId, 'gj-e');
    for (const p of [j1, j2]) assert.equal(await p.demo(() => window.demo.error), '');
    for (const p of [j1, j2]) await p.demo(() => window.demo.hangup());
    for (const p of [sd, e]) await p.msc(() => window.msc.leave());
    await waitFor(async () => (await plugin({ request: 'list-calls' })).calls.every((x) => x.callId !== callId), { what: 'the call gone' });
    for (const p of [j1, sd, j2, e]) await p.close();
  });

  test('JSEP peers with and without Opus RED in a group: RED goes as it is to those that took it, unwrapped to the others; '
    + 'everyone hears everyone', async () => {
    const pages = [];
    for (const user of ['red-a', 'red-b', 'red-c']) pages.push(await userPage(browser, ctx.janus, user));
    const [ra, rb, plain] = pages;
    // plain's browser takes no RED (as one without it would): its answers leave it out.
    await plain.demo(() => {
      const createAnswer = RTCPeerConnection.prototype.createAnswer;
      const codecs = RTCRtpReceiver.getCapabilities('audio').codecs.filter((x) => x.mimeType.toLowerCase() !== 'audio/red');
      RTCPeerConnection.prototype.createAnswer = function createAnswerWithoutRed(...args) {
        for (const t of this.getTransceivers()) if (!t.stopped && t.receiver.track.kind === 'audio') t.setCodecPreferences(codecs);
        return createAnswer.apply(this, args);
      };
    });
    const rings = [rb, plain].map((p) => p.nextEvent('incoming-call'));
    const started = await ra.demo(() => window.demo.call('red-b,red-c', 'audio'));
    assert.equal(started.error, undefined, JSON.stringify(started));
    await Promise.all(rings);
    for (const p of [rb, plain]) assert.equal((await p.demo(() => window.demo.accept())).success, true);
    // Each page's audio m-lines for the two others, once the gateway has added them.
    const others = (page) => pages.filter((p) => p !== page).map((p) => p.user).sort();
    const audioMids = (page) => page.demo(() => Object.entries(window.demo.streams).filter(([, s]) => s.kind === 'audio')
      .map(([mid, s]) => [mid, s.userId]));
    for (const page of pages) {
      await waitFor(async () => JSON.stringify((await audioMids(page)).map(([, u]) => u).sort()) === JSON.stringify(others(page)),
        { timeoutMs: 20000, what: `${page.user}'s m-lines for the others` });
    }
    // What the gateway gets and sends (call-info: the payload type of the last packet in and out): RED from
    // the two that took it, and as it is between them; Opus to plain, and from plain to the others, whose
    // m-lines for it carry Opus only (plain's Chromium sends RED all the same: it was offered RED, and an
    // answerer may send any codec it was offered; the relay unwraps that too).
    const { red, opus } = audioRed(await ra.demo(() => window.demo.pc.localDescription.sdp));
    const expected = (s, owner) => (s.user === 'red-c' || owner[s.id] === 'red-c' ? opus : red);
    let streams;
    await waitFor(async () => {
      streams = await callAudioStreams(ctx.janus, started.callId);
      const owner = Object.fromEntries(streams.filter((s) => s.type === 'producer').map((s) => [s.id, s.user]));
      return streams.length === 9 && streams.every((s) => (s.type === 'producer' && s.user === 'red-c') || s.payloadType === expected(s, owner));
    }, { timeoutMs: 5000, what: 'RED and Opus where they belong' }).catch((e) => { e.message += `: ${JSON.stringify(streams)}`; throw e; });
    // The m-lines the gateway added carry RED to the pages that took it (RED first when its sender sends it), not to plain.
    for (const page of pages) {
      const remote = await page.demo(() => window.demo.pc.remoteDescription.sdp);
      for (const [mid, user] of await audioMids(page)) {
        const section = remote.split(/\r\n(?=m=)/).find((m) => m.includes(`\r\na=mid:${mid}\r\n`));
        const carried = audioRed(section);
        if (page === plain || user === 'red-c') assert.equal(carried, null, `${page.user}'s m-line for ${user}:\n${section}`);
        else assert.ok(carried?.first, `${page.user}'s m-line for ${user}:\n${section}`);
      }
    }
    // Everyone decodes everyone's audio.
    await Promise.all(pages.map(async (page) => audioDecodes(page, 'window.demo.pc', (await audioMids(page)).map(([mid]) => mid))));
    for (const p of pages) assert.equal(await p.demo(() => window.demo.error), '');
    for (const p of pages) await p.demo(() => window.demo.hangup());
    await waitFor(async () => (await plugin({ request: 'list-calls' })).calls.every((x) => x.callId !== started.callId), { what: 'the call gone' });
    for (const p of pages) await p.close();
  });

  test('each invitee rings on its own timer; declines, no-answers and the last one left end the call', async () => {
    const [a, b, c, d] = await Promise.all(['r-a', 'r-b', 'r-c', 'r-d'].map(sioUser));
    const offers = [b, c, d].map((s) => nextEvent(s, 'incoming-call'));
    const { callId } = await emitAck(a, 'start-call', { toUserIds: ['r-b', 'r-c', 'r-d'], callType: 'audio' });
    await Promise.all(offers);
    assert.equal((await emitAck(a, 'join-call', { callId })).success, true);
    // b answers; c declines: a and b hear why; d never answers.
    assert.equal((await emitAck(b, 'accept-call', { callId })).success, true);
    assert.equal((await emitAck(b, 'join-call', { callId })).success, true);
    const declined = [a, b].map((s) => nextEvent(s, 'participant-no-answer'));
    c.emit('leave-call', { callId });
    for (const n of await Promise.all(declined)) assert.deepEqual(n, { callId, userId: 'r-c', reason: 'declined' });
    const expired = nextEvent(d, 'call-expired', (RING_S + 3) * 1000);
    const timedOut = nextEvent(a, 'participant-no-answer', (RING_S + 3) * 1000);
    assert.deepEqual(await expired, { callId, reason: 'timeout' });
    assert.deepEqual(await timedOut, { callId, userId: 'r-d', reason: 'timeout' });
    // c can be invited again and take part.
    const again = nextEvent(c, 'incoming-call');
    assert.deepEqual(await emitAck(a, 'add-participants', { callId, participantIds: ['r-c'] }),
      { success: true, addedParticipants: ['r-c'], busyUserIds: [] });
    await again;
    assert.equal((await emitAck(c, 'accept-call', { callId })).success, true);
    // a and b leave: c, the last one, hears the call is over.
    const ended = nextEvent(c, 'call-ended');
    a.emit('leave-call', { callId });
    b.emit('leave-call', { callId });
    assert.deepEqual(await ended, { callId, reason: 'hangup' });
    for (const s of [a, b, c, d]) s.close();
  });

  test('a caller hanging up while everyone rings stops every ring; busy invitees are named, an all-busy call is refused', async () => {
    const [a, b, c, d, x] = await Promise.all(['c-a', 'c-b', 'c-c', 'c-d', 'c-x'].map(sioUser));
    // d is busy in a call with x.
    const xd = nextEvent(d, 'incoming-call');
    await emitAck(x, 'start-call', { toUserId: 'c-d', callType: 'audio' });
    await xd;
    const offers = [b, c].map((s) => nextEvent(s, 'incoming-call'));
    const started = await emitAck(a, 'start-call', { toUserIds: ['c-b', 'c-c', 'c-d'], callType: 'video' });
    assert.deepEqual(started.busyUserIds, ['c-d']);
    await Promise.all(offers);
    const cancelled = [b, c].map((s) => nextEvent(s, 'call-ended'));
    a.emit('leave-call', { callId: started.callId });
    for (const e of await Promise.all(cancelled)) assert.deepEqual(e, { callId: started.callId, reason: 'cancelled' });
    // Everyone it would ring is busy: refused, as a 1:1 call to a busy user is.
    const refused = await emitAck(b, 'start-call', { toUserIds: ['c-d', 'c-x'], callType: 'video' });
    assert.equal(refused.error, 'busy');
    for (const s of [a, b, c, d, x]) s.close();
  });

  test("an invitee's socket dropping: inside the grace it goes on, past it the others hear it left", async () => {
    const [a, b, c] = await Promise.all(['d-a', 'd-b', 'd-c'].map(sioUser));
    const offers = [b, c].map((s) => nextEvent(s, 'incoming-call'));
    const { callId } = await emitAck(a, 'start-call', { toUserIds: ['d-b', 'd-c'], callType: 'audio' });
    await Promise.all(offers);
    await emitAck(a, 'join-call', { callId });
    for (const s of [b, c]) {
      assert.equal((await emitAck(s, 'accept-call', { callId })).success, true);
      assert.equal((await emitAck(s, 'join-call', { callId })).success, true);
    }
    // c drops and is back within the grace: nothing happened.
    c.close();
    await sleep(1000);
    const c2 = await sioUser('d-c');
    await sleep(GRACE_S * 1000 + 500);
    const info = await plugin({ request: 'call-info', callId });
    assert.deepEqual(info.peers.map((p) => p.state), ['in', 'in', 'in']);
    // b drops for good: a and c hear it left, the call goes on.
    const left = [a, c2].map((s) => nextEvent(s, 'participant-left', (GRACE_S + 5) * 1000));
    b.close();
    for (const l of await Promise.all(left)) assert.deepEqual(l, { callId, userId: 'd-b', reason: 'disconnected' });
    assert.equal((await plugin({ request: 'call-info', callId })).state, 'active');
    a.emit('leave-call', { callId });
    assert.deepEqual(await nextEvent(c2, 'call-ended'), { callId, reason: 'last-participant-left' });
    for (const s of [a, c2]) s.close();
  });

  test('bad input to every group request gets a clear error, and the call goes on', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, (_, i) => sioUser(`b-${i}`)));
    const [a, b] = users;
    const mallory = await sioUser('b-mallory');
    const offer = nextEvent(b, 'incoming-call');
    const { callId } = await emitAck(a, 'start-call', { toUserIds: ['b-1'], callType: 'video' });
    await offer;
    await emitAck(a, 'join-call', { callId });
    assert.equal((await emitAck(b, 'accept-call', { callId })).success, true);
    await emitAck(b, 'join-call', { callId });
    const error = async (socket, event, payload, pattern) => {
      const ack = await emitAck(socket, event, payload);
      assert.equal(typeof ack.error, 'string', `${event} ${JSON.stringify(payload)}: ${JSON.stringify(ack)}`);
      assert.match(ack.error, pattern, `${event} ${JSON.stringify(payload)}`);
    };
    for (const participantIds of [undefined, 'b-2', [], {}, [null], [true], [{}]]) {
      await error(a, 'add-participants', { callId, participantIds }, /participantIds/);
    }
    await error(a, 'add-participants', { participantIds: ['b-2'] }, /Missing callId/);
    await error(a, 'add-participants', { callId: 'nope', participantIds: ['b-2'] }, /Unknown call/);
    await error(mallory, 'add-participants', { callId, participantIds: ['b-2'] }, /Not your call/);
    await error(mallory, 'join-call', { callId }, /Not your call/);
    await error(mallory, 'call-reaction', { callId, emoji: 'x' }, /Not your call/);
    // A 12th peer is one too many, whether all at once or one more.
    await error(a, 'add-participants', { callId, participantIds: users.slice(2).map((_, i) => `b-${i + 2}`) }, /at most 11 participants/);
    const ten = users.slice(2, 11).map((_, i) => `b-${i + 2}`);
    assert.equal((await emitAck(a, 'add-participants', { callId, participantIds: ten })).addedParticipants.length, 9);
    await error(a, 'add-participants', { callId, participantIds: ['b-11'] }, /at most 11 participants/);
    for (const emoji of [undefined, '', 7, null, '👍'.repeat(9), { e: 1 }]) await error(b, 'call-reaction', { callId, emoji }, /emoji/);
    for (const producerId of [undefined, 7, 'nope']) await error(b, 'close-producer', { callId, producerId }, /producerId/);
    // renegotiate-answer is for a JSEP peer answering the gateway's offer: nobody here has one pending.
    await error(b, 'renegotiate-answer', { callId }, /needs a jsep answer/);
    await error(b, 'renegotiate-answer', { callId, jsep: { type: 'offer', sdp: 'v=0' } }, /./);
    await error(b, 'renegotiate-answer', { jsep: { type: 'answer', sdp: 'v=0' } }, /./);
    await error(mallory, 'renegotiate-answer', { callId }, /Not your call/);
    // Nothing else changed: the call and its two peers are there, the ten invitees ring.
    const info = await plugin({ request: 'call-info', callId });
    assert.equal(info.state, 'active');
    assert.deepEqual(info.peers.map((p) => p.state), ['in', 'in', ...Array(9).fill('ringing')]);
    const reacted = nextEvent(a, 'call-reaction');
    assert.deepEqual(await emitAck(b, 'call-reaction', { callId, emoji: '🎉' }), { success: true });
    assert.equal((await reacted).emoji, '🎉');
    a.emit('end-call', { callId });
    for (const s of [...users, mallory]) s.close();
  });
});
