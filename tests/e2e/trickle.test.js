// ICE candidates trickled both ways as ice-candidate events. The demo page's
// trickle mode sends its offers and answers without candidates and each
// candidate on its own; against the default (half-trickle) Janus the
// gateway's SDPs still carry its candidates, against a full-trickle Janus
// (--full-trickle) they carry none and the gateway's candidates come as
// ice-candidate events too, except to mediasoup-client, which can't take
// them: its transport parameters must carry them instead.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useJanus, JANUS_IP } from './lib/janus.js';
import { DEMO_FOLDER, demoBrowser, userPage, mediaFlows, bytesOver } from './lib/demo.js';
import { waitFor } from './lib/sio.js';
import { msPageFolder, msUserPage } from './lib/mediasoup.js';

const folder = await msPageFolder();
after(() => folder.remove());

const candidateLines = (sdp) => sdp.split('\r\n').filter((line) => line.startsWith('a=candidate:'));

// A demo page in trickle mode.
async function tricklePage(browser, janus, user) {
  const page = await userPage(browser, janus, user);
  await page.demo(() => { window.demo.trickle = true; });
  return page;
}

// What a demo page sent and got: the SDPs it sent, its ice-candidates with
// their acks, the ice-candidate events it received (those for its
// PeerConnection, without a transportId), what it handed to its
// PeerConnection (with the PeerConnection's refusal, if any), and the names
// of all events in the order they came.
const trickled = (page) => page.demo(() => ({
  sdps: window.demo.sentDescriptions.map((d) => d.sdp),
  sent: window.demo.sentCandidates,
  received: window.demo.events.filter((e) => e.name === 'ice-candidate' && !e.payload.transportId).map((e) => e.payload),
  added: window.demo.addedCandidates,
  order: window.demo.events.map((e) => e.name),
}));

// The page's ICE pair in use: the local and remote candidate, from getStats.
const selectedPair = (page) => page.demo(async () => {
  const stats = await window.demo.pc.getStats();
  let pair = null;
  stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
  const candidate = (id) => {
    const c = stats.get(id);
    return c && { type: c.candidateType, address: c.address, port: c.port, protocol: c.protocol };
  };
  return pair && { state: pair.state, local: candidate(pair.localCandidateId), remote: candidate(pair.remoteCandidateId) };
});

// Waits until the page has sent its end of candidates and has every ack; returns what it sent.
async function allSent(page) {
  return waitFor(async () => {
    const { sent } = await trickled(page);
    return sent.length > 0 && sent.at(-1).candidate === null && sent.every((s) => s.ack !== null) && sent;
  }, { timeoutMs: 5000, what: `${page.user}'s candidates and their acks` });
}

// Each page sent ≥ 1 real candidate, then the end of candidates, all for the
// call and all acknowledged { success: true }.
async function assertSentCandidates(page, callId) {
  const sent = await allSent(page);
  const real = sent.slice(0, -1);
  assert.ok(real.length >= 1, `${page.user} sent no candidate before the end: ${JSON.stringify(sent)}`);
  for (const { candidate } of real) {
    assert.match(candidate.candidate, /^candidate:/, JSON.stringify(candidate));
    assert.ok(candidate.sdpMid !== undefined || candidate.sdpMLineIndex !== undefined, JSON.stringify(candidate));
  }
  for (const s of sent) {
    assert.equal(s.callId, callId);
    assert.deepEqual(s.ack, { success: true }, `ack to ${JSON.stringify(s.candidate)}`);
  }
  return real.map((s) => s.candidate);
}

// caller calls callee, callee accepts; returns the call id, the gateway's
// offer to the callee, its answer to the caller and when the callee accepted.
async function callBetween(caller, callee) {
  const incoming = callee.nextEvent('incoming-call', await callee.eventCount());
  const { callId, error } = await caller.demo((to) => window.demo.call(to, 'video'), callee.user);
  assert.equal(error, undefined);
  const offer = await incoming;
  assert.equal(offer.callId, callId);
  const accepted = caller.nextEvent('call-accepted', await caller.eventCount());
  assert.deepEqual(await callee.demo(() => window.demo.accept()), { success: true });
  const acceptedAt = Date.now();
  const answer = await accepted;
  assert.equal(answer.callId, callId);
  return { callId, offer: offer.jsep, answer: answer.jsep, acceptedAt };
}

async function mediaWithin5s(pages, acceptedAt) {
  await Promise.all(pages.map((p) => mediaFlows(p)));
  const elapsed = Date.now() - acceptedAt;
  assert.ok(elapsed < 5000, `media after ${elapsed} ms`);
}

async function closePages(...pages) {
  for (const p of pages) await p.close().catch(() => {});
}

async function callInfo(janus, callId) {
  const res = await janus.admin({ janus: 'message_plugin', plugin: 'janus.plugin.oicall', request: { request: 'call-info', callId } });
  return res.response;
}

// The remote candidates libnice has for a JSEP side's PeerConnection (handle_info).
async function gatewayRemoteCandidates(janus, callId, side) {
  const info = await callInfo(janus, callId);
  const handle = info.peers[side].handles.find((h) => h.role === 'jsep');
  assert.ok(handle, `${info.peers[side].userId} has a jsep handle: ${JSON.stringify(info.peers[side])}`);
  const res = await janus.admin({ janus: 'handle_info', session_id: handle.janusSessionId, handle_id: handle.janusHandleId });
  return res.info?.webrtc?.ice?.['remote-candidates'] ?? [];
}

// "candidate:1 1 udp 2122 10.0.0.1 5000 typ host ..." -> { address, port }
const addressOf = (line) => {
  const f = line.replace(/^candidate:/, '').split(' ');
  return { address: f[4], port: Number(f[5]) };
};

describe('trickled candidates with the default (half-trickle) Janus', () => {
  const ctx = useJanus({ demoFolder: DEMO_FOLDER });
  let browser;
  before(async () => { browser = await demoBrowser(ctx.janus); });
  after(async () => { await browser?.close(); });

  test('both pages trickle: no candidate in their SDPs, each sends candidates and the end, all acked; media both ways within 5 s', async () => {
    const alice = await tricklePage(browser, ctx.janus, 'ht-a');
    const bob = await tricklePage(browser, ctx.janus, 'ht-b');
    const { callId, offer, answer, acceptedAt } = await callBetween(alice, bob);
    await mediaWithin5s([alice, bob], acceptedAt);
    // Half-trickle: the gateway's own SDPs have its candidates, and none come as events.
    assert.ok(candidateLines(offer.sdp).length > 0, 'the gateway\'s offer carries its candidates');
    assert.ok(candidateLines(answer.sdp).length > 0, 'the gateway\'s answer carries its candidates');
    for (const [side, page] of [alice, bob].entries()) {
      const { sdps, received } = await trickled(page);
      assert.equal(sdps.length, 1);
      assert.deepEqual(candidateLines(sdps[0]), [], `${page.user}'s SDP has no candidates`);
      assert.deepEqual(received, []);
      const sent = await assertSentCandidates(page, callId);
      // The gateway's ICE agent took every UDP one (its ICE-TCP is off) of
      // the bundle's transport: the first m-line's (an offerer gathers for
      // each m-line until the answer confirms the bundle; the gateway rightly
      // drops the others). Media alone proves nothing here: the gateway
      // learns the page's addresses from its checks anyway, as peer-reflexive
      // candidates, which are listed without the page's own candidate line.
      const remote = await gatewayRemoteCandidates(ctx.janus, callId, side);
      const bundled = sent.filter((x) => x.sdpMLineIndex === 0 && / udp /i.test(x.candidate));
      assert.ok(bundled.length >= 1, `${page.user} sent no UDP candidate for the first m-line: ${JSON.stringify(sent)}`);
      for (const c of bundled) {
        assert.ok(remote.includes(c.candidate.replace(/^candidate:/, '')),
          `${page.user}'s ${c.candidate} is not among the gateway's remote candidates: ${JSON.stringify(remote)}`);
      }
    }
    await closePages(alice, bob);
  });

  test('an ice-candidate that is no candidate gets a clean { error }; the call keeps its media', async () => {
    const alice = await tricklePage(browser, ctx.janus, 'ht-bad-a');
    const bob = await tricklePage(browser, ctx.janus, 'ht-bad-b');
    const { callId, acceptedAt } = await callBetween(alice, bob);
    await mediaWithin5s([alice, bob], acceptedAt);
    await allSent(alice);
    // (A well-formed candidate whose line Janus can't parse is acked
    // { success: true }: the core only logs it.)
    for (const candidate of [{ candidate: 42 }, { candidate: { sdpMid: '0' } }, 'candidate:1 1 udp 1 10.213.0.2 9 typ host', 7]) {
      const ack = await alice.demo(([id, c]) => window.demo.socket.timeout(5000).emitWithAck('ice-candidate', { callId: id, candidate: c }),
        [callId, candidate]);
      assert.deepEqual(Object.keys(ack), ['error'], `${JSON.stringify(candidate)}: ${JSON.stringify(ack)}`);
      assert.equal(typeof ack.error, 'string');
    }
    for (const page of [alice, bob]) {
      assert.ok(await bytesOver(page, 'video', 700) > 0, `${page.user} still receives video`);
      assert.ok(await bytesOver(page, 'audio', 700) > 0, `${page.user} still receives audio`);
    }
    await closePages(alice, bob);
  });

  ctx.cleanExitTest();
});

describe('trickled candidates with a full-trickle Janus', () => {
  const ctx = useJanus({ demoFolder: folder.dir, janusArgs: ['--full-trickle'] });
  let browser;
  before(async () => { browser = await demoBrowser(ctx.janus); });
  after(async () => { await browser?.close(); });

  // The ice-candidate events a JSEP page got for its PeerConnection (call it
  // once the page has its remote description, so it hands each candidate
  // over as it comes): ≥ 1 real candidate, then the end (candidate: null),
  // all with the call's id and for the first m-line (the bundle's):
  // sdpMLineIndex 0 and, when there is an sdpMid, that m-line's mid (Janus
  // leaves sdpMid out of a candidate it gathered before it had read its SDP's
  // mids; browsers then go by sdpMLineIndex). Every one handed to the
  // PeerConnection and none refused. The page drops those that come before it
  // knows the call (before start-call's ack, before incoming-call), so
  // "handed" also checks that none did. Returns the real ones.
  async function assertReceivedCandidates(page, callId, gatewaySdp) {
    const { received, added, order } = await waitFor(async () => {
      const t = await trickled(page);
      return t.received.at(-1)?.candidate === null && t;
    }, { timeoutMs: 5000, what: `${page.user}: the gateway's end of candidates` })
      .catch(async (e) => { throw new Error(`${e.message}: ${JSON.stringify(await trickled(page))}`); });
    const real = received.slice(0, -1);
    assert.ok(real.length >= 1, `${page.user} got no candidate before the end: ${JSON.stringify(received)}`);
    for (const r of received) assert.equal(r.callId, callId, JSON.stringify(r));
    const firstMid = /\r\na=mid:(\S+)/.exec(gatewaySdp)?.[1];
    for (const { candidate } of real) {
      assert.equal(typeof candidate.candidate, 'string', JSON.stringify(candidate));
      assert.match(candidate.candidate, /^candidate:/);
      assert.ok(candidate.sdpMLineIndex === 0 && (candidate.sdpMid === undefined || candidate.sdpMid === firstMid),
        `${page.user}: ${JSON.stringify(candidate)} is not for the gateway SDP's first m-line (mid ${firstMid})`);
    }
    // A callee hears of the call first: no candidate, not even one of the transports, before incoming-call.
    if (order.includes('incoming-call')) {
      assert.ok(order.indexOf('ice-candidate') > order.indexOf('incoming-call'), `${page.user}'s events: ${order.join(', ')}`);
    }
    assert.deepEqual(added, received.map((r) => ({ candidate: r.candidate, error: null })),
      `${page.user}: what it got is not what it could use (some came before it knew the call?)`);
    return real.map((r) => r.candidate);
  }

  // The page's ICE pair uses one of the gateway's trickled candidates as a
  // host candidate: not a peer-reflexive one learnt from the gateway's checks,
  // which is what the browser would be left with had it not applied them.
  async function assertPairUses(page, candidates) {
    const pair = await selectedPair(page);
    assert.ok(pair, `${page.user} has no selected ICE pair`);
    assert.equal(pair.remote.type, 'host', JSON.stringify(pair));
    assert.ok(candidates.some((c) => {
      const { address, port } = addressOf(c.candidate);
      return address === pair.remote.address && port === pair.remote.port;
    }), `${JSON.stringify(pair)} is none of ${JSON.stringify(candidates)}`);
  }

  test('a JSEP call: the gateway\'s SDPs carry no candidates, they come as ice-candidate with the callId, then null; media both ways within 5 s', async () => {
    const alice = await tricklePage(browser, ctx.janus, 'ft-a');
    const bob = await tricklePage(browser, ctx.janus, 'ft-b');
    const { callId, offer, answer, acceptedAt } = await callBetween(alice, bob);
    assert.deepEqual(candidateLines(offer.sdp), [], 'incoming-call\'s SDP has no candidates');
    assert.deepEqual(candidateLines(answer.sdp), [], 'call-accepted\'s SDP has no candidates');
    // The candidates first: without them media can't flow, and they say why.
    const received = [await assertReceivedCandidates(alice, callId, answer.sdp), await assertReceivedCandidates(bob, callId, offer.sdp)];
    await mediaWithin5s([alice, bob], acceptedAt);
    for (const [i, page] of [alice, bob].entries()) {
      const { sdps } = await trickled(page);
      assert.deepEqual(candidateLines(sdps[0]), [], `${page.user}'s SDP has no candidates`);
      await assertSentCandidates(page, callId);
      await assertPairUses(page, received[i]);
    }
    await closePages(alice, bob);
  });

  // a calls b with mediasoup-client (as mediasoup.test.js's activeCall); the
  // pages also keep the ice-candidate events they get, which
  // mediasoup-client has no use for, each with whether the page knew the call
  // by then: a caller once start-call's ack came (its callback runs as the
  // packet is read, unlike the continuation of ms-page.js's await), a callee
  // once incoming-call came.
  async function msCall(alice, bob) {
    for (const page of [alice, bob]) {
      await page.msc(() => {
        const { msc } = window;
        msc.trickled = [];
        let acked = false;
        const emit = msc.socket.emit.bind(msc.socket);
        msc.socket.emit = (event, ...args) => {
          const ack = args.at(-1);
          if (event === 'start-call' && typeof ack === 'function') {
            const wrapped = (...reply) => { acked = true; return ack(...reply); };
            wrapped.withError = ack.withError;
            args[args.length - 1] = wrapped;
          }
          return emit(event, ...args);
        };
        msc.socket.on('ice-candidate', (payload) => msc.trickled.push({ payload, callKnown: acked || msc.incoming !== null }));
      });
    }
    const incoming = bob.nextEvent('incoming-call');
    const started = await alice.msc((to) => window.msc.call(to, 'video'), bob.user);
    assert.equal(started.error, undefined, JSON.stringify(started));
    const offer = await incoming;
    assert.equal(offer.callId, started.callId);
    const accepted = alice.nextEvent('call-accepted');
    const acceptedAt = Date.now();
    const ack = await bob.msc(() => window.msc.accept());
    assert.ok(ack.rtpCapabilities, JSON.stringify(ack));
    assert.deepEqual(await accepted, { callId: started.callId, calleeUserId: bob.user });
    return { callId: started.callId, acceptedAt };
  }

  // The transport parameters a mediasoup-client page got (start-call's ack or
  // incoming-call) list the gateway's candidates, and its connects were accepted.
  async function assertTransportCandidates(page) {
    const { params, connectAcks, errors } = await page.msc(() => ({ params: window.msc.params, connectAcks: window.msc.connectAcks,
      errors: window.msc.errors }));
    for (const key of ['sendTransport', 'recvTransport']) {
      const { iceCandidates } = params[key];
      assert.ok(Array.isArray(iceCandidates) && iceCandidates.length > 0, `${page.user}'s ${key}: ${JSON.stringify(params[key])}`);
      for (const c of iceCandidates) {
        assert.equal(c.ip ?? c.address, JANUS_IP, JSON.stringify(c));
        assert.ok(c.port > 0 && c.protocol && c.type, JSON.stringify(c));
      }
    }
    assert.deepEqual(connectAcks, [{ success: true }, { success: true }]);
    assert.deepEqual(errors, []);
  }

  test('a mediasoup-client call: the transport parameters carry the gateway\'s candidates; media both ways within 5 s', async () => {
    const alice = await msUserPage(browser, ctx.janus, 'ft-ms-a');
    const bob = await msUserPage(browser, ctx.janus, 'ft-ms-b');
    const { callId, acceptedAt } = await msCall(alice, bob);
    await mediaWithin5s([alice, bob], acceptedAt);
    for (const page of [alice, bob]) {
      await assertTransportCandidates(page);
      // What trickles to a mediasoup-style client names the call, and each of
      // its transports gets candidates and their end; all after the page knew
      // the call. (A callee also gets those of the SDP offer that
      // incoming-call carries for JSEP clients, without a transportId.)
      const { trickled: events, ids } = await page.msc(() => ({ trickled: window.msc.trickled,
        ids: [window.msc.sendTransport.id, window.msc.recvTransport.id] }));
      for (const { payload } of events) assert.equal(payload.callId, callId, JSON.stringify(payload));
      for (const id of ids) {
        const mine = events.filter((e) => e.payload.transportId === id).map((e) => e.payload.candidate);
        assert.ok(mine.length >= 2 && mine.at(-1) === null && mine.slice(0, -1).every((c) => /^candidate:/.test(c?.candidate)),
          `${page.user}'s transport ${id}: ${JSON.stringify(mine)}`);
      }
      assert.deepEqual(events.filter((e) => !e.callKnown).map((e) => e.payload), [],
        `${page.user} got these before it knew the call`);
    }
    await closePages(alice, bob);
  });

  test('a trickling JSEP caller and a mediasoup-client callee: media both ways within 5 s', async () => {
    const alice = await tricklePage(browser, ctx.janus, 'ft-mix-a');
    const bob = await msUserPage(browser, ctx.janus, 'ft-mix-b');
    const incoming = bob.nextEvent('incoming-call');
    const { callId, error } = await alice.demo((to) => window.demo.call(to, 'video'), bob.user);
    assert.equal(error, undefined);
    assert.equal((await incoming).callId, callId);
    const accepted = alice.nextEvent('call-accepted');
    const acceptedAt = Date.now();
    assert.ok((await bob.msc(() => window.msc.accept())).rtpCapabilities);
    const { jsep } = await accepted;
    assert.deepEqual(candidateLines(jsep.sdp), [], 'call-accepted\'s SDP has no candidates');
    const received = await assertReceivedCandidates(alice, callId, jsep.sdp);
    await mediaWithin5s([alice, bob], acceptedAt);
    await assertSentCandidates(alice, callId);
    await assertPairUses(alice, received);
    await assertTransportCandidates(bob);
    await closePages(alice, bob);
  });

  ctx.cleanExitTest();
});
