// Video under random loss of RTP/RTCP: every receiver, in both dialects,
// gets retransmissions it can use, and a playout-delay floor (the RTP header
// extension) that gives them time to arrive. In the mediasoup-client flow that takes
// RTX negotiated the same way on both sides of every transport (the core's
// SDP and the client's, the consumer's ack naming the RTX SSRC the core
// really sends on); the receiver's getStats() then counts RTX packets on an
// rtxSsrc. Counts, not timings.
//
// The namespace gets a real round trip (nfq-delay, 2 x 20 ms): Janus 1.1.2
// keeps a medium's retransmit buffer at 0 ms until an RTCP receiver report
// gives it a round-trip time of at least 1 ms, which a bare veth/loopback path
// (well under a millisecond) only sometimes does; a real network always does.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useJanus, sleep } from './lib/janus.js';
import { launchBrowser } from './lib/browser.js';
import { waitFor } from './lib/sio.js';
import { mediaFlows, userPage, strikeKeyframeFeedback, videoReceiver, videoSend } from './lib/demo.js';
import { msPageFolder, msUserPage } from './lib/mediasoup.js';
import { canShapeTraffic, addLoss, addSsrcLoss, addDelay } from './lib/netem.js';

const LOSS = 0.05;
const DELAY_MS = 20;        // each way: a 40 ms round trip
// Seconds of video under loss: about 3 of every 60 packets a second go per
// direction, so even a receiver whose video froze for a while has dozens to ask for.
const LOSSY_SECONDS = 12;
// ... the last of which show the playout-delay floor in the receivers' jitter buffers.
const PLAYOUT_SECONDS = 4;

const folder = await msPageFolder();
const shaping = canShapeTraffic();

// The sections of an SDP: [{ kind, port, mid, direction, lines }].
function sections(sdp) {
  return sdp.split('\r\nm=').slice(1).map((text) => {
    const lines = `m=${text}`.split('\r\n').filter(Boolean);
    const [kind, port] = lines[0].slice(2).split(' ');
    return { kind, port: Number(port), mid: lines.find((l) => l.startsWith('a=mid:'))?.slice(6),
      direction: lines.find((l) => /^a=(sendonly|recvonly|sendrecv|inactive)$/.test(l))?.slice(2) ?? 'sendrecv', lines };
  });
}

// A video section's codec payload type, its RTX payload type (apt = that codec) and FID group, if any.
function videoRtx(section) {
  const pts = section.lines[0].split(' ').slice(3).map(Number);
  const rtx = new Set(section.lines.filter((l) => /^a=rtpmap:\d+ rtx\//.test(l)).map((l) => Number(/:(\d+)/.exec(l)[1])));
  const codec = pts.find((pt) => !rtx.has(pt));
  const apt = section.lines.map((l) => /^a=fmtp:(\d+) apt=(\d+)$/.exec(l)).find((m) => m && Number(m[2]) === codec);
  const fid = section.lines.map((l) => /^a=ssrc-group:FID (\d+) (\d+)$/.exec(l)).find(Boolean);
  return { codec, rtxPt: apt && rtx.has(Number(apt[1])) ? Number(apt[1]) : null,
    fid: fid ? { ssrc: Number(fid[1]), rtx: Number(fid[2]) } : null };
}

describe(`retransmissions under ${LOSS * 100} % random RTP/RTCP loss`, { skip: !shaping && 'needs root in the test namespace (iptables, NFQUEUE)' }, () => {
  const ctx = useJanus({ demoFolder: folder.dir });
  let browser;
  let stopDelay;
  before(async () => {
    stopDelay = await addDelay(DELAY_MS);
    browser = await launchBrowser({ secureOrigins: [ctx.janus.sioUrl] });
  });
  after(async () => {
    await browser?.close();
    await stopDelay?.();
    folder.remove();
  });

  async function callInfo(callId) {
    const res = await ctx.janus.admin({ janus: 'message_plugin', plugin: 'janus.plugin.oicall', request: { request: 'call-info', callId } });
    return res.response;
  }

  // Every media handle of the call with Janus's handle_info: [{ user, role, info }].
  async function handles(callId) {
    const out = [];
    for (const peer of (await callInfo(callId)).peers) {
      for (const h of peer.handles) {
        const res = await ctx.janus.admin({ janus: 'handle_info', session_id: h.janusSessionId, handle_id: h.janusHandleId });
        assert.equal(res.janus, 'success', JSON.stringify(res));
        out.push({ user: peer.userId, role: h.role, info: res.info });
      }
    }
    return out;
  }

  // The handles' video media that Janus sends on, with their retransmit buffer (ms).
  async function sendingVideo(callId) {
    const out = [];
    for (const h of await handles(callId)) {
      for (const m of Object.values(h.info.webrtc?.media ?? {})) {
        if (m.type === 'video' && m.direction?.send) out.push({ handle: `${h.user} ${h.role}`, mid: m.mid, nackQueueMs: m['nack-queue-ms'] });
      }
    }
    return out;
  }

  // Janus stores what it sends for retransmission once RTCP gave it a round trip (see above).
  async function retransmitBuffersOn(callId) {
    await waitFor(async () => {
      const media = await sendingVideo(callId);
      return media.length > 0 && media.every((m) => m.nackQueueMs > 0);
    }, { timeoutMs: 15000, what: 'a retransmit buffer on every video Janus sends' }).catch(async (e) => {
      e.message += `: ${JSON.stringify(await sendingVideo(callId))}`;
      throw e;
    });
  }

  // For each handle, every live video m-line: the rtx payload type of its codec on
  // both sides (the core's local SDP and the client's remote one), and an FID group
  // on the side that sends it (a consumer: Janus; a producer: the client; JSEP: both),
  // whose RTX SSRC is the one the core sends on or expects.
  function checkSdps(list) {
    let videoLines = 0;
    for (const { user, role, info } of list) {
      const local = sections(info.sdps.local);
      const remote = sections(info.sdps.remote);
      const media = Object.values(info.webrtc.media);
      for (const [i, section] of local.entries()) {
        if (section.kind !== 'video' || section.port === 0) continue;
        videoLines++;
        const where = `${user} ${role} m-line ${i} (mid ${section.mid})`;
        const ours = videoRtx(section);
        const theirs = videoRtx(remote[i]);
        assert.ok(ours.rtxPt !== null, `${where}: the core's SDP has no rtx for ${ours.codec}:\n${section.lines.join('\n')}`);
        assert.equal(theirs.rtxPt, ours.rtxPt, `${where}: the client's SDP repairs ${theirs.codec} with ${theirs.rtxPt}, the core's with ${ours.rtxPt}`);
        const medium = media.find((m) => m.mid === section.mid);
        if (section.direction === 'sendonly' || section.direction === 'sendrecv') {
          assert.ok(ours.fid, `${where}: the core sends but its SDP has no ssrc-group:FID`);
          assert.deepEqual(ours.fid, { ssrc: medium.ssrc.ssrc, rtx: medium.ssrc['ssrc-rtx'] }, `${where}: ${JSON.stringify(medium.ssrc)}`);
        }
        if (section.direction === 'recvonly' || section.direction === 'sendrecv') {
          assert.ok(theirs.fid, `${where}: the client sends but its SDP has no ssrc-group:FID`);
          assert.deepEqual(theirs.fid, { ssrc: medium.ssrc['ssrc-peer'], rtx: medium.ssrc['ssrc-peer-rtx'] }, `${where}: ${JSON.stringify(medium.ssrc)}`);
        }
      }
    }
    return videoLines;
  }

  // A page's inbound video on a PeerConnection: RTX packets and the RTX SSRC.
  const inboundVideo = (page, pcExpr) => page.evaluate(async (expr) => {
    // eslint-disable-next-line no-eval
    const pc = (0, eval)(expr);
    const out = [];
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.push({ ssrc: s.ssrc, rtxSsrc: s.rtxSsrc, retransmittedPacketsReceived: s.retransmittedPacketsReceived ?? 0,
          nackCount: s.nackCount, packetsLost: s.packetsLost, framesDecoded: s.framesDecoded,
          jitterBufferDelay: s.jitterBufferDelay, jitterBufferEmittedCount: s.jitterBufferEmittedCount });
      }
    });
    return out;
  }, pcExpr);

  // Loss for LOSSY_SECONDS of media, then every receiver's inbound video, with
  // jitterMs: the mean time its frames spent in the jitter buffer over the
  // last PLAYOUT_SECONDS of the loss (the playout-delay floor is on by then),
  // and (callId given) out.floors: the call's playoutFloors while still lossy.
  async function underLoss(pages, callId) {
    const removeLoss = addLoss(LOSS);
    const before = {};
    const out = {};
    try {
      await sleep((LOSSY_SECONDS - PLAYOUT_SECONDS) * 1000);
      for (const [page, pcExpr] of pages) before[page.user] = await inboundVideo(page, pcExpr);
      await sleep(PLAYOUT_SECONDS * 1000);
      for (const [page, pcExpr] of pages) out[page.user] = await inboundVideo(page, pcExpr);
      if (callId) out.floors = await playoutFloors(callId);
    } finally {
      removeLoss();
    }
    for (const [page] of pages) {
      const [a, b] = [out[page.user][0], before[page.user][0]];
      if (a && b) a.jitterMs = (1000 * (a.jitterBufferDelay - b.jitterBufferDelay)) / (a.jitterBufferEmittedCount - b.jitterBufferEmittedCount);
    }
    return out;
  }

  // Every video consumer stream of the call's handles: its playout-delay floor
  // as the gateway tells the receiver (ms; -1 while none was).
  async function playoutFloors(callId) {
    return (await handles(callId)).flatMap((h) => (h.info.plugin_specific?.streams ?? [])
      .filter((s) => s.type === 'consumer' && s.kind === 'video')
      .map((s) => ({ handle: `${h.user} ${h.role}`, floor: s.playoutDelayFloor, rttMs: s.rttMs, lossPercent: s.lossPercent })));
  }

  // A lossy path's receivers hold video at least the configured floor (200 ms by default).
  function checkPlayoutFloor({ floors, ...inbound }, expectedStreams) {
    assert.equal(floors.length, expectedStreams, JSON.stringify(floors));
    for (const f of floors) assert.ok(f.floor >= 200 && f.rttMs > 0, `no playout-delay floor under loss: ${JSON.stringify(floors)}`);
    for (const [user, [video]] of Object.entries(inbound)) {
      // 40 ms of round trip and 5 % loss alone keep it well under that (about 60-75 ms).
      assert.ok(video.jitterMs >= 150, `${user}: video held ${video.jitterMs} ms on average: ${JSON.stringify(video)}`);
    }
  }

  test('mediasoup-client: caller and callee each get usable retransmissions; every transport negotiates RTX on both sides', async () => {
    const alice = await msUserPage(browser, ctx.janus, 'loss-ms-a');
    const bob = await msUserPage(browser, ctx.janus, 'loss-ms-b');
    const incoming = bob.nextEvent('incoming-call');
    const started = await alice.msc(([to, type]) => window.msc.call(to, type), [bob.user, 'video']);
    assert.equal(started.error, undefined, JSON.stringify(started));
    await incoming;
    const accepted = await bob.msc(() => window.msc.accept());
    assert.ok(accepted.rtpCapabilities, JSON.stringify(accepted));
    await Promise.all([mediaFlows(alice, { timeoutMs: 10000 }), mediaFlows(bob, { timeoutMs: 10000 })]);
    await retransmitBuffersOn(started.callId);

    const inbound = await underLoss([[alice, 'window.msc.recvTransport._handler._pc'], [bob, 'window.msc.recvTransport._handler._pc']], started.callId);
    for (const page of [alice, bob]) {
      const acks = (await page.msc(() => window.msc.consumerAcks)).filter((a) => a.kind === 'video');
      assert.equal(acks.length, 1, `${page.user}: one video consumer`);
      const { encodings } = acks[0].rtpParameters;
      assert.ok(encodings[0].rtx?.ssrc, `${page.user}: create-consumer's ack names an RTX SSRC: ${JSON.stringify(encodings)}`);
      assert.equal(inbound[page.user].length, 1, JSON.stringify(inbound[page.user]));
      const [video] = inbound[page.user];
      assert.equal(video.ssrc, encodings[0].ssrc, `${page.user}: ${JSON.stringify(video)}`);
      assert.equal(video.rtxSsrc, encodings[0].rtx.ssrc, `${page.user}: RTX arrives on the ack's RTX SSRC: ${JSON.stringify(video)}`);
      assert.ok(video.retransmittedPacketsReceived > 0, `${page.user}: no retransmission received: ${JSON.stringify(video)}`);
    }
    // What never reached the gateway in order is counted (metrics).
    assert.match(await (await fetch(`${ctx.janus.sioUrl}/metrics`)).text(), /\noicall_packets_lost_total [1-9]/);
    // Both sides' send and recv transports: four handles, a video m-line on each.
    const list = await handles(started.callId);
    assert.deepEqual(list.map((h) => h.role).sort(), ['recv transport', 'recv transport', 'send transport', 'send transport']);
    assert.equal(checkSdps(list), 4);
    checkPlayoutFloor(inbound, 2);
    await alice.close();
    await bob.close();
  });

  test('JSEP: caller and callee each get usable retransmissions; both PeerConnections negotiate RTX on both sides', async () => {
    const alice = await userPage(browser, ctx.janus, 'loss-jsep-a');
    const bob = await userPage(browser, ctx.janus, 'loss-jsep-b');
    const incoming = bob.nextEvent('incoming-call');
    const { callId, error } = await alice.demo(([to, type]) => window.demo.call(to, type), [bob.user, 'video']);
    assert.equal(error, undefined);
    await incoming;
    assert.deepEqual(await bob.demo(() => window.demo.accept()), { success: true });
    await Promise.all([mediaFlows(alice, { timeoutMs: 10000 }), mediaFlows(bob, { timeoutMs: 10000 })]);
    await retransmitBuffersOn(callId);

    const inbound = await underLoss([[alice, 'window.demo.pc'], [bob, 'window.demo.pc']], callId);
    for (const page of [alice, bob]) {
      assert.equal(inbound[page.user].length, 1, JSON.stringify(inbound[page.user]));
      const [video] = inbound[page.user];
      assert.ok(video.rtxSsrc, `${page.user}: no RTX SSRC: ${JSON.stringify(video)}`);
      assert.ok(video.retransmittedPacketsReceived > 0, `${page.user}: no retransmission received: ${JSON.stringify(video)}`);
    }
    const list = await handles(callId);
    assert.deepEqual(list.map((h) => h.role), ['jsep', 'jsep']);
    assert.equal(checkSdps(list), 2);
    checkPlayoutFloor(inbound, 2);
    await alice.close();
    await bob.close();
  });

  // The gateway's keyframe requests for loss no retransmission repaired (metrics).
  async function lossKeyframes() {
    const text = await (await fetch(`${ctx.janus.sioUrl}/metrics`)).text();
    return Number(/\noicall_keyframe_requests_total\{from="loss"\} (\d+)/.exec(text)?.[1] ?? NaN);
  }

  // The first video section's FID group of an SDP: { ssrc, rtx }.
  const videoFid = (sdp) => videoRtx(sections(sdp).find((m) => m.kind === 'video' && m.port !== 0)).fid;

  // Loss that retransmissions cannot repair, first on the way in (alice's own video
  // SSRC, her RTX SSRC dropped whole), then on the way out to bob (the gateway's video
  // SSRC to him, and half of its RTX): each time the gateway asks alice for a keyframe
  // at once. Neither browser can ask (their PLI/FIR feedback is struck), so every
  // request alice counts is the gateway's own.
  test('JSEP: loss past repair, on the way in or out, has the gateway ask the sender for a keyframe', async () => {
    const alice = await userPage(browser, ctx.janus, 'loss-kf-a');
    const bob = await userPage(browser, ctx.janus, 'loss-kf-b');
    for (const page of [alice, bob]) await strikeKeyframeFeedback(page);
    const incoming = bob.nextEvent('incoming-call');
    const { callId } = await alice.demo(([to, type]) => window.demo.call(to, type), [bob.user, 'video']);
    await incoming;
    assert.deepEqual(await bob.demo(() => window.demo.accept()), { success: true });
    await Promise.all([mediaFlows(alice, { timeoutMs: 10000 }), mediaFlows(bob, { timeoutMs: 10000 })]);
    await retransmitBuffersOn(callId);
    const sent = await alice.demo(() => window.demo.pc.localDescription.sdp);
    const toBob = await bob.demo(() => window.demo.pc.remoteDescription.sdp);
    const [aliceFid, bobFid] = [videoFid(sent), videoFid(toBob)];
    assert.ok(aliceFid && bobFid, `FID groups: ${JSON.stringify([aliceFid, bobFid])}`);

    for (const [where, rules] of [['in', [[aliceFid.ssrc, 0.1], [aliceFid.rtx, 1]]], ['out', [[bobFid.ssrc, 0.1], [bobFid.rtx, 0.5]]]]) {
      const [asked, got] = [await lossKeyframes(), (await videoSend(alice)).keyframeRequests];
      const removers = rules.map(([ssrc, p]) => addSsrcLoss(ssrc, p));
      try {
        await waitFor(async () => await lossKeyframes() > asked && (await videoSend(alice)).keyframeRequests > got,
          { timeoutMs: 10000, what: `a keyframe request for loss on the way ${where}` });
      } finally {
        removers.forEach((remove) => remove());
      }
    }
    for (const page of [alice, bob]) assert.equal((await videoReceiver(page)).keyframeRequests, 0, `${page.user} asked for a keyframe`);
    await alice.close();
    await bob.close();
  });

  ctx.cleanExitTest();
});
