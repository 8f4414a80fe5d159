// OIChat's own flow with the real mediasoup-client and socket.io-client in
// two headless Chromium pages: start-call, device.load, send and recv
// transports, connect-transport, create-producer, create-consumer (paused),
// resume-consumer; Janus does ICE, DTLS and SRTP.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useJanus, sleep, callAudioStreams } from './lib/janus.js';
import { waitFor } from './lib/sio.js';
import { launchBrowser, audioDecodes } from './lib/browser.js';
import { audioRed } from './lib/sdp.js';
import { mediaFlows, bytesOver, userPage, strikeKeyframeFeedback, videoReceiver } from './lib/demo.js';
import { msPageFolder, msUserPage, courierClient, producerParameters, connectParameters, mlines, DEVICE_CAPS } from './lib/mediasoup.js';

const folder = await msPageFolder();

describe('calls with mediasoup-client', () => {
  const GRACE_S = 4;
  const ctx = useJanus({ demoFolder: folder.dir, plugin: { general: { reconnect_grace: GRACE_S } } });
  let browser;
  before(async () => { browser = await launchBrowser({ secureOrigins: [ctx.janus.sioUrl] }); });
  after(async () => { await browser?.close(); folder.remove(); });

  // a calls b, b accepts; both produce and consume. prepare(alice, bob) runs before the call.
  async function activeCall(a, b, callType = 'video', prepare = async () => {}) {
    const alice = await msUserPage(browser, ctx.janus, a);
    const bob = await msUserPage(browser, ctx.janus, b);
    await prepare(alice, bob);
    const incoming = bob.nextEvent('incoming-call');
    const started = await alice.msc(([to, type]) => window.msc.call(to, type), [b, callType]);
    assert.equal(started.error, undefined, JSON.stringify(started));
    const offer = await incoming;
    assert.equal(offer.callId, started.callId);
    assert.equal(offer.fromUserId, a);
    assert.equal(offer.callType, callType);
    for (const key of ['rtpCapabilities', 'sendTransport', 'recvTransport']) assert.ok(offer[key], `incoming-call has ${key}`);
    const accepted = alice.nextEvent('call-accepted');
    const acceptedAt = Date.now();
    const ack = await bob.msc(() => window.msc.accept());
    assert.ok(ack.rtpCapabilities, JSON.stringify(ack));
    assert.deepEqual(await accepted, { callId: started.callId, calleeUserId: b });
    return { alice, bob, callId: started.callId, acceptedAt };
  }

  async function closePages(...pages) {
    for (const p of pages) await p.close().catch(() => {});
  }

  async function pluginAdmin(request) {
    const res = await ctx.janus.admin({ janus: 'message_plugin', plugin: 'janus.plugin.oicall', request });
    return res.response;
  }

  // How many Janus handles the sessions of these users have.
  async function handlesOf(users) {
    const { users: online } = await pluginAdmin({ request: 'list-users' });
    let count = 0;
    for (const u of online.filter((x) => users.includes(x.userId))) {
      const res = await ctx.janus.admin({ janus: 'list_handles', session_id: u.janusSessionId });
      count += res.handles?.length ?? 0;
    }
    return count;
  }

  async function pageErrors(page) {
    return page.msc(() => window.msc.errors);
  }

  test('a video call: each page decodes the other\'s video and receives its audio within 5 s of accept', async () => {
    const { alice, bob, acceptedAt } = await activeCall('ms-a', 'ms-b');
    const [a, b] = await Promise.all([mediaFlows(alice), mediaFlows(bob)]).catch(async (e) => {
      // What the receivers saw, to tell a missing keyframe from a wrong payload type.
      for (const page of [alice, bob]) console.log(page.user, JSON.stringify(await page.msc(() => window.msc.inboundDetails())));
      throw e;
    });
    const elapsed = Date.now() - acceptedAt;
    assert.ok(elapsed < 5000, `media after ${elapsed} ms`);
    assert.ok(a.framesDecoded > 0 && a.audioPackets > 0 && b.framesDecoded > 0 && b.audioPackets > 0);
    // Every connect-transport carried the adapter's ICE credentials and was accepted.
    for (const page of [alice, bob]) {
      assert.deepEqual(await page.msc(() => window.msc.connectAcks), [{ success: true }, { success: true }]);
      assert.deepEqual(await pageErrors(page), []);
    }
    await closePages(alice, bob);
  });

  test('a consumer gets nothing until resume-consumer, then what its ack described, starting on a keyframe the gateway asked for; '
    + 'new-producer names the producer and its user', async () => {
    // The callee's consumers have no PLI/FIR feedback: they ask only once their video has stalled.
    const { alice, bob, callId } = await activeCall('ms-pause-a', 'ms-pause-b', 'video',
      (_, callee) => callee.msc(() => { window.msc.autoResume = false; window.msc.keyframeRequests = false; }));
    await waitFor(async () => (await bob.msc(() => window.msc.consumerAcks.length)) === 2, { what: 'the callee\'s consumers' });
    await mediaFlows(alice);
    // Each side heard of exactly the other's producers, with the other's user id.
    for (const [page, other] of [[alice, bob], [bob, alice]]) {
      const produced = await other.msc(() => Object.values(window.msc.producers).map((p) => ({ producerId: p.id, kind: p.kind })));
      const heard = (await page.msc(() => window.msc.events)).filter((e) => e.name === 'new-producer').map((e) => e.payload);
      const key = (x) => x.kind;
      assert.deepEqual(heard.sort((x, y) => key(x).localeCompare(key(y))),
        produced.map((p) => ({ callId, ...p, userId: other.user, source: null })).sort((x, y) => key(x).localeCompare(key(y))));
    }
    // The callee's consumers exist but are paused: not one byte of either kind.
    await sleep(1500);
    const paused = await bob.inbound();
    assert.deepEqual([paused.videoBytes, paused.audioBytes], [0, 0], 'nothing flows before resume-consumer');
    assert.ok(await bytesOver(alice, 'video', 500) > 0, 'the caller\'s consumers flow meanwhile');
    // The caller's video started long ago; only the gateway's request on resume gives a keyframe to start on.
    await bob.msc(() => window.msc.resumePaused());
    await mediaFlows(bob);
    // What arrives is what create-consumer's ack said the gateway sends.
    const acks = await bob.msc(() => window.msc.consumerAcks);
    const arriving = await bob.msc(() => window.msc.inboundStreams());
    for (const ack of acks) {
      assert.deepEqual(arriving[ack.kind], { ssrc: ack.rtpParameters.encodings[0].ssrc,
        payloadType: ack.rtpParameters.codecs[0].payloadType, keyframeRequests: 0 }, `${ack.kind}: ${JSON.stringify(ack.rtpParameters)}`);
    }
    await closePages(alice, bob);
  });

  test('an audio-only call: audio both ways, no video producers', async () => {
    const { alice, bob, callId } = await activeCall('ms-audio-a', 'ms-audio-b', 'audio');
    await Promise.all([mediaFlows(alice, { video: false }), mediaFlows(bob, { video: false })]);
    for (const page of [alice, bob]) {
      assert.deepEqual(await page.msc(() => Object.keys(window.msc.producers)), ['audio']);
      assert.deepEqual(await page.msc(() => window.msc.consumers.map((c) => c.kind)), ['audio']);
    }
    const info = await pluginAdmin({ request: 'call-info', callId });
    assert.equal(info.signalling, 'mediasoup');
    assert.equal(info.callType, 'audio');
    await closePages(alice, bob);
  });

  test('mute-audio and mute-video pause the producer server-side; unmute resumes it', async () => {
    const { alice, bob, callId } = await activeCall('ms-mute-a', 'ms-mute-b');
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    for (const kind of ['audio', 'video']) {
      const mutedEvent = bob.nextEvent(kind === 'audio' ? 'remote-user-muted' : 'remote-user-video-muted', await bob.eventCount());
      assert.deepEqual(await alice.msc((k) => window.msc.mute(k, true), kind), { success: true });
      assert.deepEqual(await mutedEvent, { userId: 'ms-mute-a', callId });
      await sleep(500);
      assert.equal(await bytesOver(bob, kind, 1000), 0, `${kind} still arrives while muted`);
      assert.ok(await bytesOver(alice, kind, 500) > 0, `the other direction of ${kind} is untouched`);
      const unmutedEvent = bob.nextEvent(kind === 'audio' ? 'remote-user-unmuted' : 'remote-user-video-unmuted', await bob.eventCount());
      assert.deepEqual(await alice.msc((k) => window.msc.mute(k, false), kind), { success: true });
      assert.deepEqual(await unmutedEvent, { userId: 'ms-mute-a', callId });
      assert.ok(await bytesOver(bob, kind, 1000) > 0, `${kind} comes back after unmute`);
    }
    const before = (await bob.inbound()).framesDecoded;
    await sleep(1000);
    assert.ok((await bob.inbound()).framesDecoded > before, 'video still decodes after the pause');
    await closePages(alice, bob);
  });

  test('the Admin API shows both sides\' transports with their producers and consumers', async () => {
    const { alice, bob, callId } = await activeCall('ms-adm-a', 'ms-adm-b');
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    const info = await pluginAdmin({ request: 'call-info', callId });
    assert.equal(info.signalling, 'mediasoup');
    assert.equal(info.mediaFlowing, true);
    for (const [i, page] of [alice, bob].entries()) {
      const peer = info.peers[i];
      assert.equal(peer.userId, page.user);
      assert.equal(peer.mediaReady, true);
      const roles = Object.fromEntries(peer.handles.map((h) => [h.role, h]));
      const ids = await page.msc(() => ({ send: window.msc.sendTransport.id, recv: window.msc.recvTransport.id,
        producers: Object.values(window.msc.producers).map((p) => p.id).sort(),
        consumers: window.msc.consumers.map((c) => c.id).sort() }));
      assert.equal(roles['send transport'].transportId, ids.send);
      assert.equal(roles['recv transport'].transportId, ids.recv);
      const producers = roles['send transport'].streams.filter((s) => s.type === 'producer');
      assert.deepEqual(producers.map((s) => s.id).sort(), ids.producers);
      for (const s of producers) assert.ok(s.packetsIn > 0 && s.packetsRelayed > 0, JSON.stringify(s));
      const consumers = roles['recv transport'].streams.filter((s) => s.type === 'consumer');
      assert.deepEqual(consumers.map((s) => s.id).sort(), ids.consumers);
      for (const s of consumers) assert.ok(s.packets > 0 && s.paused === false, JSON.stringify(s));
      // handle_info on a transport handle says what it is.
      const handle = await ctx.janus.admin({ janus: 'handle_info', session_id: roles['recv transport'].janusSessionId,
        handle_id: roles['recv transport'].janusHandleId });
      assert.equal(handle.info.plugin_specific.transportId, ids.recv, JSON.stringify(handle));
      assert.equal(handle.info.plugin_specific.role, 'recv transport');
      // Two consumers were added by renegotiating, never by restarting ICE.
      const ufrag = await page.msc(() => window.msc.params.recvTransport.iceParameters.usernameFragment);
      assert.ok(handle.info.sdps.local.includes(`a=ice-ufrag:${ufrag}\r\n`), 'the gateway kept its ICE credentials');
      assert.ok(handle.info.sdps.local.split('m=').length - 1 >= 3, 'anchor and two consumers');
    }
    await closePages(alice, bob);
  });

  test('a socket dropped and re-registered within the grace: media goes on past the grace', async () => {
    const { alice, bob, callId } = await activeCall('ms-grace-a', 'ms-grace-b');
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    const reregistered = bob.evaluate(() => new Promise((resolve) => {
      window.msc.addEventListener('registered', (e) => resolve(e.detail), { once: true });
      window.msc.socket.io.engine.close();
    }));
    assert.deepEqual(await reregistered, { success: true, userId: 'ms-grace-b' });
    const before = [await alice.inbound(), await bob.inbound()];
    // Past the grace and past the time the old socket's session (with the transports) would have lingered.
    await sleep((GRACE_S + 5 + 2) * 1000);
    const after = [await alice.inbound(), await bob.inbound()];
    assert.ok(after[0].framesDecoded > before[0].framesDecoded && after[1].framesDecoded > before[1].framesDecoded,
      'video still flows both ways');
    assert.equal(await alice.msc(() => window.msc.events.filter((e) => e.name === 'call-ended').length), 0);
    // The new socket can still act on the call.
    const ended = alice.nextEvent('call-ended', await alice.eventCount());
    assert.deepEqual(await bob.msc(() => window.msc.hangup()), { success: true });
    assert.deepEqual(await ended, { callId, reason: 'hangup' });
    await closePages(alice, bob);
  });

  test('end-call: both sides get call-ended and the transports\' handles go', async () => {
    const { alice, bob, callId } = await activeCall('ms-end-a', 'ms-end-b');
    await mediaFlows(bob);
    const endedA = alice.nextEvent('call-ended', await alice.eventCount());
    const endedB = bob.nextEvent('call-ended', await bob.eventCount());
    assert.deepEqual(await bob.msc(() => window.msc.hangup()), { success: true });
    assert.deepEqual(await endedA, { callId, reason: 'hangup' });
    assert.deepEqual(await endedB, { callId, reason: 'hangup' });
    assert.deepEqual(await pluginAdmin({ request: 'call-info', callId }), { error: 'Unknown call', error_code: 492 });
    // Only the two control handles are left of this call's users.
    await waitFor(async () => (await handlesOf(['ms-end-a', 'ms-end-b'])) === 2, { what: 'transport handles detached' });
    await closePages(alice, bob);
  });

  test('bad input gets clean errors and the call carries on', async () => {
    const { alice, bob, callId } = await activeCall('ms-bad-a', 'ms-bad-b');
    const other = await activeCall('ms-bad-c', 'ms-bad-d');
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    const state = await alice.msc(() => ({ send: window.msc.sendTransport.id, recv: window.msc.recvTransport.id,
      producer: window.msc.requests.find((r) => r.event === 'create-producer' && r.payload.kind === 'video').payload,
      connect: window.msc.requests.find((r) => r.event === 'connect-transport').payload,
      caps: window.msc.device.rtpCapabilities }));
    const video = state.producer.rtpParameters;
    const variant = (change) => { const p = structuredClone(video); change(p); return p; };
    const produce = (rtpParameters, transportId = state.send) => alice.request('create-producer',
      { callId, transportId, kind: 'video', rtpParameters });
    const fresh = (p) => { p.mid = '9'; p.encodings[0].ssrc = 1111; if (p.encodings[0].rtx) p.encodings[0].rtx.ssrc = 1112; };
    const cases = [
      ['unknown payload type', produce(variant((p) => { fresh(p); p.codecs = [{ mimeType: 'video/AV1X', payloadType: 45, clockRate: 90000 }]; })), /codec|payload/i],
      ['duplicate SSRC', produce(variant((p) => { fresh(p); p.encodings[0].ssrc = video.encodings[0].ssrc; })), /SSRC/],
      ['missing mid', produce(variant((p) => { fresh(p); delete p.mid; })), /mid/],
      ['producer on a recv transport', produce(variant(fresh), state.recv), /send transport/],
      ['unknown transportId', produce(variant(fresh), 'no-such-transport'), /Unknown transportId/],
      ['connect-transport twice', alice.request('connect-transport', state.connect), /already connected/],
    ];
    const otherProducer = await other.alice.msc(() => Object.values(window.msc.producers)[0].id);
    cases.push(['consumer for another call\'s producer', alice.request('create-consumer',
      { callId, producerId: otherProducer, rtpCapabilities: state.caps, transportId: state.recv }), /Unknown producerId/]);
    cases.push(['consumer with capabilities that can\'t receive', alice.request('create-consumer',
      { callId, producerId: (await bob.msc(() => window.msc.producers.video.id)), rtpCapabilities: { codecs: [], headerExtensions: [] }, transportId: state.recv }), /^Cannot consume$/]);
    // The relay has one forward per producer: a second consumer would take the first one's media.
    cases.push(['a second consumer of a producer', alice.request('create-consumer',
      { callId, producerId: (await bob.msc(() => window.msc.producers.video.id)), rtpCapabilities: state.caps, transportId: state.recv }), /^Already consuming that producer$/]);
    for (const [what, pending, pattern] of cases) {
      const ack = await pending;
      assert.match(String(ack.error), pattern, `${what}: ${JSON.stringify(ack)}`);
    }
    // Nothing else was affected: media still flows both ways in both calls.
    for (const page of [alice, bob, other.alice, other.bob]) {
      assert.ok(await bytesOver(page, 'video', 700) > 0, `${page.user} still receives video`);
      assert.deepEqual(await pageErrors(page), []);
    }
    await closePages(alice, bob, other.alice, other.bob);
  });

  test('a plain-WebRTC (JSEP) caller and a mediasoup-client callee: media both ways within 5 s of accept; '
    + 'the gateway\'s answer leaves out the Opus RED the caller offered (nobody could receive it)', async () => {
    const alice = await userPage(browser, ctx.janus, 'mix-jsep-a');
    const bob = await msUserPage(browser, ctx.janus, 'mix-ms-b');
    const incoming = bob.nextEvent('incoming-call');
    const { callId, error } = await alice.demo(() => window.demo.call('mix-ms-b', 'video'));
    assert.equal(error, undefined);
    const offer = await incoming;
    assert.equal(offer.callId, callId);
    for (const key of ['rtpCapabilities', 'sendTransport', 'recvTransport', 'jsep']) assert.ok(offer[key], `incoming-call has ${key}`);
    const accepted = alice.nextEvent('call-accepted');
    const acceptedAt = Date.now();
    assert.ok((await bob.msc(() => window.msc.accept())).rtpCapabilities);
    const event = await accepted;
    assert.equal(event.jsep?.type, 'answer', 'the JSEP caller gets the gateway\'s answer');
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    assert.ok(Date.now() - acceptedAt < 5000, `media after ${Date.now() - acceptedAt} ms`);
    assert.deepEqual(await bob.msc(() => window.msc.consumers.map((c) => c.kind).sort()), ['audio', 'video']);
    // Chromium offers RED before Opus; a mediasoup-client callee can't take it, so the gateway's answer
    // leaves it out (in a 1:1 call nobody else could receive it) and the caller sends plain Opus.
    assert.ok(audioRed(await alice.demo(() => window.demo.pc.localDescription.sdp))?.red, 'Chromium offered RED');
    assert.equal(audioRed(event.jsep.sdp)?.red, undefined, event.jsep.sdp);
    const opus = Number(/a=rtpmap:(\d+) opus\/48000/i.exec(event.jsep.sdp)?.[1]);
    let streams;
    await waitFor(async () => {
      streams = await callAudioStreams(ctx.janus, callId);
      const from = streams.find((s) => s.user === 'mix-jsep-a' && s.type === 'producer');
      const to = streams.find((s) => s.user === 'mix-ms-b' && s.type === 'consumer');
      return from?.payloadType === opus && to?.payloadType > 0;
    }, { timeoutMs: 5000, what: 'Opus in from the caller, Opus out to the callee' }).catch((e) => { e.message += `: ${JSON.stringify(streams)}`; throw e; });
    const received = await audioDecodes(bob, 'window.msc.recvTransport._handler._pc');
    assert.deepEqual(Object.values(received.received).map((r) => r.mimeType), ['audio/opus']);
    await audioDecodes(alice, 'window.demo.pc');
    const info = await pluginAdmin({ request: 'call-info', callId });
    assert.equal(info.signalling, 'mixed');
    // The JSEP side mutes: the mediasoup side stops receiving that kind.
    const muted = bob.nextEvent('remote-user-video-muted', await bob.eventCount());
    assert.deepEqual(await alice.demo(() => window.demo.mute('video', true)), { success: true });
    await muted;
    await sleep(500);
    assert.equal(await bytesOver(bob, 'video', 1000), 0);
    const ended = alice.nextEvent('call-ended', await alice.eventCount());
    assert.deepEqual(await bob.msc(() => window.msc.hangup()), { success: true });
    assert.deepEqual(await ended, { callId, reason: 'hangup' });
    assert.deepEqual(await pageErrors(bob), []);
    await closePages(alice, bob);
  });

  test('a mediasoup-client caller and a plain-WebRTC (JSEP) callee: media both ways within 5 s of accept, '
    + 'the callee starting on a keyframe the gateway asked for', async () => {
    const alice = await msUserPage(browser, ctx.janus, 'mix-ms-a');
    const bob = await userPage(browser, ctx.janus, 'mix-jsep-b');
    await strikeKeyframeFeedback(bob);
    const incoming = bob.nextEvent('incoming-call');
    const started = await alice.msc(() => window.msc.call('mix-jsep-b', 'video'));
    assert.equal(started.error, undefined, JSON.stringify(started));
    const offer = await incoming;
    assert.equal(offer.callId, started.callId);
    assert.equal(offer.jsep?.type, 'offer', 'the JSEP callee gets the gateway\'s offer');
    // Opus with in-band FEC in both dialects: the gateway's own offer and the router's codec.
    const opus = /\r\na=rtpmap:(\d+) opus\/48000\/2\r\n/.exec(offer.jsep.sdp)?.[1];
    assert.ok(opus, offer.jsep.sdp);
    assert.match(offer.jsep.sdp, new RegExp(`\r\na=fmtp:${opus} [^\r]*useinbandfec=1`), 'the gateway\'s offer has Opus in-band FEC');
    assert.equal(offer.rtpCapabilities.codecs.find((c) => c.mimeType === 'audio/opus')?.parameters?.useinbandfec, 1);
    // The caller produces while it rings: its first keyframe is long gone when the callee's PeerConnection comes up.
    await waitFor(async () => (await alice.msc(() => Object.keys(window.msc.producers).length)) === 2, { what: 'the caller\'s producers' });
    await sleep(1500);
    const accepted = alice.nextEvent('call-accepted');
    const acceptedAt = Date.now();
    assert.deepEqual(await bob.demo(() => window.demo.accept()), { success: true });
    assert.deepEqual(await accepted, { callId: started.callId, calleeUserId: 'mix-jsep-b' });
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    assert.ok(Date.now() - acceptedAt < 5000, `media after ${Date.now() - acceptedAt} ms`);
    assert.deepEqual(await alice.msc(() => window.msc.consumers.map((c) => c.kind).sort()), ['audio', 'video']);
    assert.equal((await videoReceiver(bob)).keyframeRequests, 0, 'the callee had to ask for a keyframe');
    // Both ends of the audio use it: the mediasoup-client producer's and consumer's Opus, the callee's answer.
    const fec = await alice.msc(() => ({ producer: window.msc.producers.audio.rtpParameters.codecs[0].parameters.useinbandfec,
      consumer: window.msc.consumerAcks.find((a) => a.kind === 'audio').rtpParameters.codecs[0].parameters.useinbandfec }));
    assert.deepEqual(fec, { producer: 1, consumer: 1 });
    assert.match(await bob.demo(() => window.demo.pc.localDescription.sdp), new RegExp(`\r\na=fmtp:${opus} [^\r]*useinbandfec=1`));
    // The mediasoup side mutes its audio producer: the JSEP side stops receiving audio.
    const muted = bob.nextEvent('remote-user-muted', await bob.eventCount());
    assert.deepEqual(await alice.msc(() => window.msc.mute('audio', true)), { success: true });
    await muted;
    await sleep(500);
    assert.equal(await bytesOver(bob, 'audio', 1000), 0);
    assert.ok(await bytesOver(bob, 'video', 500) > 0);
    const ended = alice.nextEvent('call-ended', await alice.eventCount());
    assert.deepEqual(await bob.demo(() => window.demo.hangup()), { success: true });
    assert.deepEqual(await ended, { callId: started.callId, reason: 'hangup' });
    assert.deepEqual(await pageErrors(alice), []);
    await closePages(alice, bob);
  });

  // A mediasoup-client-style request through the Socket.IO connection of a page (window.msc or window.demo).
  const raw = (page, event, payload) => page.evaluate(([e, p]) => (window.msc?.socket ?? window.demo.socket)
    .timeout(10000).emitWithAck(e, p), [event, payload]);

  test('a ringing callee\'s transports take requests once it accepts; registering again replaces them cleanly', async () => {
    const alice = await msUserPage(browser, ctx.janus, 'ms-ring-a');
    const bob = await msUserPage(browser, ctx.janus, 'ms-ring-b');
    const incoming = bob.nextEvent('incoming-call');
    const { callId, error } = await alice.msc(() => window.msc.call('ms-ring-b', 'video'));
    assert.equal(error, undefined);
    const offer = await incoming;
    // mediasoup-client connects on its first produce: while it rings, that is refused...
    const early = await bob.msc(async () => {
      const m = window.msc;
      await m.setup(m.incoming.callId, m.incoming);
      try { await m.produce('audio'); return 'produced'; } catch (e) { return e.message; }
    });
    assert.match(early, /^Accept the call first/);
    // ...and so is a producer on the transport straight away.
    const producer = { callId, transportId: offer.sendTransport.id, kind: 'audio', rtpParameters: producerParameters('audio', '0', 5000) };
    assert.match((await raw(bob, 'create-producer', producer)).error, /^Accept the call first/);
    await bob.msc(() => window.msc.closeTransports());
    // Bob registers on another socket while it rings: new transports; the old ones are gone.
    const bob2 = await msUserPage(browser, ctx.janus, 'ms-ring-b');
    const again = await bob2.nextEvent('incoming-call');
    assert.equal(again.callId, callId);
    assert.notEqual(again.sendTransport.id, offer.sendTransport.id);
    const accepted = alice.nextEvent('call-accepted');
    assert.ok((await bob2.msc(() => window.msc.accept())).rtpCapabilities);
    await accepted;
    assert.match((await raw(bob2, 'create-producer', producer)).error, /^Unknown transportId$/);
    await Promise.all([mediaFlows(alice), mediaFlows(bob2)]);
    // Alice consumes what bob2 produces, and nothing else.
    const produced = await bob2.msc(() => Object.values(window.msc.producers).map((p) => p.id).sort());
    assert.deepEqual(await alice.msc(() => window.msc.consumers.map((c) => c.producerId).sort()), produced);
    const muted = alice.nextEvent('remote-user-muted', await alice.eventCount());
    assert.deepEqual(await bob2.msc(() => window.msc.mute('audio', true)), { success: true });
    await muted;
    await sleep(500);
    assert.equal(await bytesOver(alice, 'audio', 1000), 0, 'audio muted');
    assert.ok(await bytesOver(alice, 'video', 500) > 0, 'video still flows');
    for (const page of [alice, bob2]) assert.deepEqual(await pageErrors(page), []);
    await closePages(alice, bob, bob2);
  });

  test('a ringing JSEP callee can\'t produce on the transports of incoming-call; its SDP answer closes them', async () => {
    const alice = await msUserPage(browser, ctx.janus, 'ms-ring-jsep-a');
    const bob = await userPage(browser, ctx.janus, 'ms-ring-jsep-b');
    const incoming = bob.nextEvent('incoming-call');
    const { callId, error } = await alice.msc(() => window.msc.call('ms-ring-jsep-b', 'video'));
    assert.equal(error, undefined);
    const offer = await incoming;
    assert.ok(offer.jsep && offer.sendTransport, 'incoming-call has both');
    const producer = { callId, transportId: offer.sendTransport.id, kind: 'audio', rtpParameters: producerParameters('audio', '0', 6000) };
    assert.match((await raw(bob, 'create-producer', producer)).error, /^Accept the call first/);
    const accepted = alice.nextEvent('call-accepted');
    assert.deepEqual(await bob.demo(() => window.demo.accept()), { success: true });
    await accepted;
    assert.match((await raw(bob, 'create-producer', producer)).error, /^Unknown transportId$/);
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    // Alice got new-producer for bob's two m-lines only, and consumes them.
    const announced = await alice.msc(() => window.msc.events.filter((e) => e.name === 'new-producer').map((e) => e.payload.kind).sort());
    assert.deepEqual(announced, ['audio', 'video']);
    assert.deepEqual(await alice.msc(() => window.msc.consumers.map((c) => c.kind).sort()), ['audio', 'video']);
    const muted = alice.nextEvent('remote-user-video-muted', await alice.eventCount());
    assert.deepEqual(await bob.demo(() => window.demo.mute('video', true)), { success: true });
    await muted;
    assert.deepEqual(await alice.msc(() => window.msc.mute('audio', true)), { success: true });
    await sleep(500);
    assert.equal(await bytesOver(alice, 'video', 1000), 0, 'bob\'s video muted');
    assert.equal(await bytesOver(bob, 'audio', 1000), 0, 'alice\'s audio muted');
    assert.deepEqual(await pageErrors(alice), []);
    await closePages(alice, bob);
  });

  test('connect-transport takes the ICE credentials top-level or inside dtlsParameters; without them it says what is missing', async () => {
    const a = await courierClient(ctx.janus, 'ms-ice-a');
    const b = await courierClient(ctx.janus, 'ms-ice-b');
    const started = await a.request({ request: 'start-call', toUserId: 'ms-ice-b', callType: 'audio' });
    assert.ok(started.callId, JSON.stringify(started));
    const connect = (transport, params) => a.request({ request: 'connect-transport', callId: started.callId,
      transportId: transport.id, ...params });
    const { iceParameters, ...dtlsParameters } = connectParameters();
    assert.match((await connect(started.sendTransport, { dtlsParameters })).error,
      /^Missing iceParameters: Janus runs full ICE and needs the client's usernameFragment/);
    assert.match((await connect(started.sendTransport, { dtlsParameters, iceParameters: { usernameFragment: 'ab', password: 'short' } })).error,
      /^iceParameters need a usernameFragment \(4\+ ICE characters\) and a password \(22\+\)$/);
    assert.deepEqual(await connect(started.sendTransport, { dtlsParameters, iceParameters }), { success: true });
    assert.deepEqual(await connect(started.recvTransport, { dtlsParameters: connectParameters() }), { success: true });
    // The client's answer of each transport carries the credentials it was given.
    const answer = a.transports.get(started.sendTransport.id).answers.at(-1);
    assert.match(answer, new RegExp(`\r\na=ice-ufrag:${iceParameters.usernameFragment}\r\na=ice-pwd:${iceParameters.password}\r\n`));
    assert.deepEqual(await a.request({ request: 'end-call', callId: started.callId }), { success: true });
    await a.close();
    await b.close();
  });

  test('rounds the courier never finishes time out: the transports stay usable, connect can be tried again, '
    + 'failed m-lines are rejected in place and taken over', async () => {
    // Both users on Janus's HTTP API, each its own courier, which holds SDPs to make rounds time out.
    const a = await courierClient(ctx.janus, 'ms-to-a');
    const b = await courierClient(ctx.janus, 'ms-to-b');
    const started = await a.request({ request: 'start-call', toUserId: 'ms-to-b', callType: 'video' });
    assert.ok(started.callId, JSON.stringify(started));
    const { callId } = started;
    const incoming = await b.nextEvent('incoming-call');
    assert.ok((await b.request({ request: 'accept-call', callId, fromUserId: 'ms-to-a' })).rtpCapabilities);
    const aSend = started.sendTransport.id, bSend = incoming.sendTransport.id, bRecv = incoming.recvTransport.id;
    const produce = (c, transportId, kind, mid, ssrc) => c.request({ request: 'create-producer', callId, transportId, kind,
      rtpParameters: producerParameters(kind, mid, ssrc) });
    const consume = (producerId) => b.request({ request: 'create-consumer', callId, producerId, rtpCapabilities: DEVICE_CAPS,
      transportId: bRecv });
    const connect = () => b.request({ request: 'connect-transport', callId, transportId: bSend, dtlsParameters: connectParameters() });
    const audio = await produce(a, aSend, 'audio', '0', 1000);
    assert.ok(audio.producerId, JSON.stringify(audio));

    // Three transports whose courier goes quiet at once: two producers (in one round or two), a consumer, a connect.
    await a.hold(aSend, 'local-sdp');
    await b.hold(bRecv, 'local-sdp');
    await b.hold(bSend, 'remote-sdp');
    const failed = await Promise.all([produce(a, aSend, 'video', '1', 2000), produce(a, aSend, 'audio', '2', 3000),
      consume(audio.producerId), connect()]);
    for (const ack of failed) assert.match(String(ack.error), /^The transport did not answer in time$/, JSON.stringify(failed));

    // a's send transport: the same producer again (mid and SSRCs) takes its m-line over. What the
    // courier brings of the round that timed out comes too late and counts for nothing.
    const retry = produce(a, aSend, 'video', '1', 2000);
    await waitFor(() => a.held(aSend) === 2, { what: 'the retry\'s offer' });
    const late = await a.hold(aSend, 'local-sdp', false);
    assert.deepEqual(late.map((r) => r.error ?? 'applied'), ['No offer pending', 'applied']);
    const video = await retry;
    assert.ok(video.producerId, JSON.stringify(video));
    // The two producers took their m-lines in whichever order their requests reached the plugin
    // (the check over every offer below shows no index moved since).
    const placed = mlines(a.lastOffer(aSend)).map((m) => m.mid);
    assert.deepEqual([...placed].sort(), ['0', '1', '2', 'oicall']);
    // The failed audio producer's m-line is rejected where it was.
    const expected = { oicall: [true, 'inactive'], 0: [true, 'recvonly'], 1: [true, 'recvonly'], 2: [false, 'inactive'] };
    assert.deepEqual(mlines(a.lastOffer(aSend)).map((m) => [m.mid, m.port > 0, m.direction]),
      placed.map((mid) => [mid, ...expected[mid]]));
    const audio2 = await produce(a, aSend, 'audio', '2', 3000);
    assert.ok(audio2.producerId, JSON.stringify(audio2));
    assert.deepEqual(mlines(a.lastOffer(aSend)).map((m) => [m.mid, m.port > 0]), placed.map((mid) => [mid, true]));

    // b's send transport: the connect that timed out can be made again, and the transport works.
    const lateAnswer = await b.hold(bSend, 'remote-sdp', false);
    assert.notDeepEqual(lateAnswer, [{ success: true }], 'the late answer is not taken for a new one');
    assert.deepEqual(await connect(), { success: true });
    assert.match((await connect()).error, /^Transport already connected$/);
    // SSRCs are unique in the whole call: the other peer's are taken too.
    assert.match((await produce(b, bSend, 'audio', '0', 1000)).error, /^Duplicate SSRC: another producer of this call uses it/);
    const bAudio = await produce(b, bSend, 'audio', '0', 4000);
    assert.ok(bAudio.producerId, JSON.stringify(bAudio));
    // Once connected, the client's answer rejects what the offer rejects.
    assert.deepEqual(mlines(b.transports.get(bSend).answers.at(-1)).map((m) => [m.mid, m.port > 0]), [['oicall', true], ['0', true]]);

    // b's recv transport: a new consumer of that producer takes the failed one's m-line (and mid) over.
    await b.hold(bRecv, 'local-sdp', false);
    const consumer = await consume(audio.producerId);
    assert.ok(consumer.id, JSON.stringify(consumer));
    assert.equal(consumer.rtpParameters.mid, '0');
    assert.deepEqual(mlines(b.lastOffer(bRecv)).map((m) => [m.mid, m.port > 0, m.direction]),
      [['oicall', true, 'inactive'], ['0', true, 'sendonly']]);
    assert.match((await consume(audio.producerId)).error, /^Already consuming that producer$/);
    assert.deepEqual(await b.request({ request: 'resume-consumer', callId, consumerId: consumer.id }), { success: true });
    const videoConsumer = await consume(video.producerId);
    assert.equal(videoConsumer.rtpParameters?.mid, '1', JSON.stringify(videoConsumer));

    // Every offer of each transport kept each m-line's mid at its index (Janus ignores a changed one).
    for (const t of [...a.transports.values(), ...b.transports.values()]) {
      const last = mlines(t.offers.at(-1)).map((m) => m.mid);
      for (const sdp of t.offers) assert.deepEqual(mlines(sdp).map((m) => m.mid), last.slice(0, mlines(sdp).length));
    }
    assert.doesNotMatch(ctx.janus.log(), /mid on m-line #\d+ changed/);
    // The Admin API sees the live producers and consumers only.
    const info = await pluginAdmin({ request: 'call-info', callId });
    const streams = (peer, role, type) => info.peers[peer].handles.find((h) => h.role === role).streams
      .filter((x) => x.type === type).map((x) => x.id).sort();
    assert.deepEqual(streams(0, 'send transport', 'producer'), [audio.producerId, video.producerId, audio2.producerId].sort());
    assert.deepEqual(streams(1, 'recv transport', 'consumer'), [consumer.id, videoConsumer.id].sort());
    assert.deepEqual(await a.request({ request: 'mute-audio', callId, producerId: audio.producerId, muted: true }), { success: true });
    assert.deepEqual(await a.request({ request: 'end-call', callId }), { success: true });
    await a.close();
    await b.close();
  });

  ctx.cleanExitTest();
});
