// A call taken over by a new tab (resume-call): the user's tab closes mid-call
// and a new one, registered within the reconnect grace, brings the call's
// media up on its own socket. JSEP (the demo page) and the room dialect (real
// mediasoup-client), 1:1 and a group of three, in Chromium against the real server.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useJanus } from './lib/janus.js';
import { waitFor } from './lib/sio.js';
import { launchBrowser } from './lib/browser.js';
import { mediaFlows, framesGrow, userPage } from './lib/demo.js';
import { msPageFolder, msUserPage } from './lib/mediasoup.js';

const folder = await msPageFolder();

const pluginAdmin = (janus, request) =>
  janus.admin({ janus: 'message_plugin', plugin: 'janus.plugin.oicall', request }).then((r) => r.response);

// Waits until a mediasoup-client page decodes `more` video frames from a user than now, on its open consumers.
async function framesFrom(page, user, more = 20, timeoutMs = 10000) {
  const frames = async () => (await page.msc(() => window.msc.inboundByUser()))[user]?.framesDecoded ?? 0;
  const start = await frames();
  await waitFor(async () => (await frames()) >= start + more, { timeoutMs, intervalMs: 100, what: `${page.user}: video from ${user}` });
}

describe('a call taken over by a new tab', () => {
  const ctx = useJanus({ demoFolder: folder.dir, plugin: { general: { reconnect_grace: 15 } } });
  let browser;
  before(async () => { browser = await launchBrowser({ secureOrigins: [ctx.janus.sioUrl] }); });
  after(async () => { await browser?.close(); folder.remove(); });

  test('JSEP: the callee closes its tab, a new tab takes the call over: video both ways again, the old handle released', async () => {
    const alice = await userPage(browser, ctx.janus, 'res-a');
    const bob = await userPage(browser, ctx.janus, 'res-b');
    const incoming = bob.nextEvent('incoming-call');
    await alice.demo((to) => window.demo.call(to, 'video'), bob.user);
    const { callId } = await incoming;
    assert.deepEqual(await bob.demo(() => window.demo.accept()), { success: true });
    await Promise.all([mediaFlows(alice, { timeoutMs: 8000 }), mediaFlows(bob, { timeoutMs: 8000 })]);
    const before = await pluginAdmin(ctx.janus, { request: 'call-info', callId });
    await bob.close();
    const bob2 = await userPage(browser, ctx.janus, 'res-b');
    const resumed = await bob2.nextEvent('call-resumed');
    assert.deepEqual([resumed.callId, resumed.peerUserId, resumed.role], [callId, 'res-a', 'callee']);
    assert.equal(await bob2.demo(() => window.demo.mediaElsewhere), true);
    assert.deepEqual(await bob2.demo(() => window.demo.takeOver()), { success: true });
    await mediaFlows(bob2, { timeoutMs: 10000 });
    await framesGrow(bob2);
    await framesGrow(alice);
    // Again from the same socket: nothing moves.
    assert.deepEqual(await bob2.demo((id) => window.demo.socket.emitWithAck('resume-call', { callId: id }), callId),
      { success: true, alreadyResumed: true });
    const info = await pluginAdmin(ctx.janus, { request: 'call-info', callId });
    assert.equal(info.state, 'active');
    assert.notDeepEqual(JSON.stringify(info.peers[1]), JSON.stringify(before.peers[1]), 'bob\'s media is on another handle');
    const ended = alice.nextEvent('call-ended', await alice.eventCount());
    assert.deepEqual(await bob2.demo(() => window.demo.hangup()), { success: true });
    assert.equal((await ended).reason, 'hangup');
    await alice.close();
    await bob2.close();
  });

  test('room dialect: the caller closes its tab, a new tab takes the call over (resume-call, join-call, create-transport): video both ways again', async () => {
    const alice = await msUserPage(browser, ctx.janus, 'res-room-a');
    const bob = await msUserPage(browser, ctx.janus, 'res-room-b');
    const incoming = bob.nextEvent('incoming-call');
    const { callId } = await alice.msc((to) => window.msc.roomCall([to], 'video'), bob.user);
    await incoming;
    assert.equal((await bob.msc(() => window.msc.roomAccept())).success, true);
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    const oldProducers = (await alice.msc(() => Object.values(window.msc.producers).map((p) => p.id))).sort();
    const oldTransport = await alice.msc(() => window.msc.sendTransport.id);
    await alice.close();
    const alice2 = await msUserPage(browser, ctx.janus, 'res-room-a');
    const resumed = await alice2.nextEvent('call-resumed');
    assert.deepEqual([resumed.callId, resumed.peerUserId, resumed.role], [callId, 'res-room-b', 'caller']);
    const ack = await alice2.msc((id) => window.msc.roomResume(id, 'video'), callId);
    assert.equal(ack.success, true, JSON.stringify(ack));
    assert.ok(ack.rtpCapabilities?.codecs?.length && ack.sendTransport?.id && ack.recvTransport?.id, JSON.stringify(ack));
    assert.notEqual(ack.sendTransport.id, oldTransport);
    // bob hears the old producers closed, and consumes the new ones.
    await waitFor(async () => (await bob.msc(() => window.msc.events)).filter((e) => e.name === 'producer-closed').length === 2,
      { what: 'producer-closed twice' });
    const closed = (await bob.msc(() => window.msc.events)).filter((e) => e.name === 'producer-closed').map((e) => e.payload.producerId);
    assert.deepEqual(closed.sort(), oldProducers);
    await framesFrom(bob, 'res-room-a');
    await mediaFlows(alice2, { timeoutMs: 10000 });
    await framesGrow(alice2);
    const left = bob.nextEvent('call-ended');
    await alice2.msc(() => window.msc.leave());
    assert.equal((await left).reason, 'last-participant-left');
    await bob.close();
    await alice2.close();
  });

  test('seed dialect beside a JSEP caller: the callee closes its tab, a new tab takes over with new transports: video both ways again', async () => {
    const alice = await userPage(browser, ctx.janus, 'res-seed-a');
    const bob = await msUserPage(browser, ctx.janus, 'res-seed-b');
    const incoming = bob.nextEvent('incoming-call');
    await alice.demo((to) => window.demo.call(to, 'video'), bob.user);
    const { callId } = await incoming;
    assert.equal((await bob.msc(() => window.msc.accept())).success, true);
    await Promise.all([mediaFlows(alice, { timeoutMs: 8000 }), mediaFlows(bob, { timeoutMs: 8000 })]);
    await bob.close();
    const bob2 = await msUserPage(browser, ctx.janus, 'res-seed-b');
    assert.equal((await bob2.nextEvent('call-resumed')).callId, callId);
    const ack = await bob2.msc((id) => window.msc.seedResume(id, 'video'), callId);
    assert.ok(ack.success && ack.sendTransport?.id && ack.recvTransport?.id, JSON.stringify(ack));
    await mediaFlows(bob2, { timeoutMs: 10000 });
    await framesGrow(bob2);
    await framesGrow(alice);
    assert.deepEqual(await bob2.msc(() => window.msc.errors), []);
    const ended = alice.nextEvent('call-ended', await alice.eventCount());
    await bob2.request('end-call', { callId });
    assert.equal((await ended).reason, 'hangup');
    await alice.close();
    await bob2.close();
  });

  test('a group of three (room dialect and a JSEP peer): the JSEP peer closes its tab, a new tab takes over: everyone gets everyone again', async () => {
    const [a, c] = await Promise.all(['res-g-a', 'res-g-c'].map((u) => msUserPage(browser, ctx.janus, u)));
    const b = await userPage(browser, ctx.janus, 'res-g-b');
    const rings = [b.nextEvent('incoming-call'), c.nextEvent('incoming-call')];
    const { callId } = await a.msc((to) => window.msc.roomCall(to, 'video'), [b.user, c.user]);
    await Promise.all(rings);
    assert.deepEqual(await b.demo(() => window.demo.accept()), { success: true });
    assert.equal((await c.msc(() => window.msc.roomAccept())).success, true);
    await framesFrom(a, b.user, 5);
    await framesFrom(c, b.user, 5);
    await b.close();
    const b2 = await userPage(browser, ctx.janus, 'res-g-b');
    assert.equal((await b2.nextEvent('call-resumed')).callId, callId);
    assert.deepEqual(await b2.demo(() => window.demo.takeOver()), { success: true });
    // b2's PeerConnection gets the others' streams in renegotiate offers, a tile per user.
    const fromB2 = async (user) => (await b2.demo(() => window.demo.inboundByUser()))[user]?.framesDecoded ?? 0;
    await waitFor(async () => (await fromB2(a.user)) > 20 && (await fromB2(c.user)) > 20,
      { timeoutMs: 15000, intervalMs: 200, what: 'b2 decodes a and c' });
    await Promise.all([framesFrom(a, b.user), framesFrom(c, b.user)]);
    const info = await pluginAdmin(ctx.janus, { request: 'call-info', callId });
    assert.deepEqual(info.peers.map((p) => p.state), ['in', 'in', 'in']);
    await a.close();
    await c.close();
    await b2.close();
  });

  ctx.cleanExitTest();
});
