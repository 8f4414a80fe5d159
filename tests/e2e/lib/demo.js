// Drives the demo page (html/, served by the Socket.IO transport itself) in
// headless Chromium: one page per user, each with its own RTCPeerConnection.
import { join } from 'node:path';
import { ROOT } from './janus.js';
import { launchBrowser } from './browser.js';

export const DEMO_FOLDER = join(ROOT, 'html');

export async function demoBrowser(janus) {
  return launchBrowser({ secureOrigins: [janus.sioUrl] });
}

// A page registered as user; returns the playwright page with helpers.
// janus.pageUrl: where the page is, if not served by the transport itself.
export async function userPage(browser, janus, user) {
  const page = await browser.newPage(janus.pageUrl ?? `${janus.sioUrl}/`);
  await page.waitForFunction(() => window.demo && window.io);
  const ack = await page.evaluate(([u, url]) => window.demo.connect(u, url), [user, janus.sioUrl]);
  if (!ack?.success) throw new Error(`register ${user}: ${JSON.stringify(ack)}`);
  page.user = user;
  page.demo = (fn, arg) => page.evaluate(fn, arg);
  // Resolves with the next server event of that name (already received ones count from `since`).
  // 20 s: a first page in a fresh browser on a loaded 2-core machine can be slow to start its call.
  page.nextEvent = (name, since = 0, timeoutMs = 20000) => waitForEvent(name, since, timeoutMs).catch(async (e) => {
    // Janus's logger writes asynchronously: give it a moment, and show every page's own log.
    await new Promise((r) => setTimeout(r, 1500));
    // Each page's Engine.IO transport first: a page stuck mid-upgrade sends nothing.
    const logs = await Promise.all(browser.context.pages().map(async (p) => {
      const state = await engineState(p).catch(() => null);
      const log = await p.evaluate(() => (document.getElementById('log')?.textContent ?? '').split('\n').slice(0, 15).join(' | '))
        .catch(() => '?');
      return `${JSON.stringify(state)} ${log}`;
    }));
    e.message += `\n--- pages' transports and logs, newest first ---\n${logs.join('\n')}\n--- janus log tail ---\n${janus.log().slice(-6000)}`;
    throw e;
  });
  const waitForEvent = (name, since, timeoutMs) => page.evaluate(([n, s, t]) => new Promise((resolve, reject) => {
    const found = window.demo.events.find((e, i) => i >= s && e.name === n);
    if (found) { resolve(found.payload); return; }
    // What the page went through, for a failure that doesn't come back.
    const timer = setTimeout(() => {
      const recent = (document.getElementById('log')?.textContent ?? '').split('\n').slice(0, 12).join(' | ');
      reject(new Error(`no ${n} within ${t} ms (socket ${window.demo.socket?.connected ? 'connected' : 'not connected'}; `
        + `page log, newest first: ${recent})`));
    }, t);
    window.demo.addEventListener(n, (e) => { clearTimeout(timer); resolve(e.detail); }, { once: true });
  }), [name, since, timeoutMs]);
  page.eventCount = () => page.evaluate(() => window.demo.events.length);
  page.inbound = () => page.evaluate(() => window.demo.inbound());
  page.videoCodecs = () => videoCodecs(page);
  page.videoSend = () => videoSend(page);
  return page;
}

// The page's Engine.IO transport and whether it is in the middle of an upgrade (null before it connects).
export function engineState(page) {
  return page.evaluate(() => {
    const engine = window.demo?.socket?.io.engine;
    return engine ? { transport: engine.transport?.name ?? null, upgrading: engine.upgrading } : null;
  });
}

// The codec of the page's video in each direction, from getStats
// (inbound-rtp / outbound-rtp codecId → codec mimeType), and what decoded.
export function videoCodecs(page) {
  return page.evaluate(async () => {
    const stats = await window.demo.pc.getStats();
    const out = { inbound: null, outbound: null, framesDecoded: 0, framesEncoded: 0 };
    stats.forEach((s) => {
      if (s.kind !== 'video' || (s.type !== 'inbound-rtp' && s.type !== 'outbound-rtp')) return;
      const mime = stats.get(s.codecId)?.mimeType ?? null;
      if (s.type === 'inbound-rtp') { out.inbound = mime; out.framesDecoded += s.framesDecoded || 0; }
      else { out.outbound = mime; out.framesEncoded += s.framesEncoded || 0; }
    });
    return out;
  });
}

// Waits until video in both directions uses a codec whose mimeType matches
// and frames decode; returns the last videoCodecs() reading.
export async function videoCodecIs(page, mimeType, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  let codecs;
  while (Date.now() < deadline) {
    codecs = await videoCodecs(page);
    if (codecs.inbound && codecs.outbound && codecs.framesDecoded > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (codecs.inbound?.toLowerCase() !== mimeType.toLowerCase() || codecs.outbound?.toLowerCase() !== mimeType.toLowerCase() ||
      !(codecs.framesDecoded > 0))
    throw new Error(`${page.user}: expected ${mimeType} both ways with decoded frames: ${JSON.stringify(codecs)}`);
  return codecs;
}

// Strikes PLI/FIR feedback from every remote description the page's
// PeerConnections take: then a browser asks for a keyframe only once its
// video has stalled, so a request it counts means the gateway's keyframe didn't come first.
export function strikeKeyframeFeedback(page) {
  return page.evaluate(() => {
    const apply = RTCPeerConnection.prototype.setRemoteDescription;
    RTCPeerConnection.prototype.setRemoteDescription = function (d) {
      return apply.call(this, { type: d.type, sdp: d.sdp.replace(/a=rtcp-fb:\d+ (nack pli|ccm fir)\r\n/g, '') });
    };
  });
}

// Has the page's video receiver ask for a keyframe now (RTCRtpScriptTransform's
// sendKeyFrameRequest, in a worker that passes the frames through).
export function requestKeyframe(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const receiver = window.demo.pc.getReceivers().find((r) => r.track.kind === 'video');
    const code = `onrtctransform = (e) => {
      const t = e.transformer;
      t.readable.pipeTo(t.writable);
      t.sendKeyFrameRequest().then(() => postMessage('sent'), (err) => postMessage(err.message));
    };`;
    const worker = new Worker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })));
    worker.onmessage = (e) => resolve(e.data);
    receiver.transform = new RTCRtpScriptTransform(worker, {});
  }));
}

// Keyframe requests the page's video receiver sent (PLI + FIR), and its decoded frames.
export function videoReceiver(page) {
  return page.evaluate(async () => {
    const out = { keyframeRequests: 0, framesDecoded: 0 };
    (await window.demo.pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.keyframeRequests += (s.pliCount || 0) + (s.firCount || 0);
        out.framesDecoded += s.framesDecoded || 0;
      }
    });
    return out;
  });
}

// Inbound packets of a kind received and lost (RTCP-style count: gaps in the
// sequence numbers) on the page's PeerConnection.
export function audioLoss(page, kind = 'audio') {
  return page.evaluate(async (k) => {
    const out = { packetsReceived: 0, packetsLost: 0 };
    (await window.demo.pc.getStats()).forEach((s) => {
      if (s.type !== 'inbound-rtp' || s.kind !== k) return;
      out.packetsReceived += s.packetsReceived || 0;
      out.packetsLost += s.packetsLost || 0;
    });
    return out;
  }, kind);
}

// What the page's video sender has sent (bytes, ms timestamp), the keyframe
// requests (PLI + FIR) it got, and its estimate of the bandwidth (selected
// candidate pair, bit/s).
export function videoSend(page) {
  return page.evaluate(async () => {
    const stats = await window.demo.pc.getStats();
    const out = { bytesSent: 0, at: 0, keyframeRequests: 0, availableOutgoingBitrate: null };
    let pairId = null;
    stats.forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        out.bytesSent += s.bytesSent || 0;
        out.at = s.timestamp;
        out.keyframeRequests += (s.pliCount || 0) + (s.firCount || 0);
      }
      if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
    });
    const pair = pairId ? stats.get(pairId) : null;
    if (pair?.availableOutgoingBitrate !== undefined) out.availableOutgoingBitrate = pair.availableOutgoingBitrate;
    return out;
  });
}

// The page's outgoing video bitrate (bit/s) over an interval.
export async function videoSendRate(page, ms) {
  const a = await videoSend(page);
  await new Promise((r) => setTimeout(r, ms));
  const b = await videoSend(page);
  return { bitrate: ((b.bytesSent - a.bytesSent) * 8 * 1000) / (b.at - a.at), availableOutgoingBitrate: b.availableOutgoingBitrate };
}

// Polls inbound stats until video frames are decoded and audio packets arrive.
export async function mediaFlows(page, { timeoutMs = 5000, video = true, audio = true } = {}) {
  const deadline = Date.now() + timeoutMs;
  let stats;
  while (Date.now() < deadline) {
    stats = await page.inbound();
    if ((!video || stats.framesDecoded > 0) && (!audio || stats.audioPackets > 0)) return stats;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${page.user}: no media within ${timeoutMs} ms: ${JSON.stringify(stats)}`);
}

// Waits until the page (any with page.inbound()) decodes `more` video frames
// than now: some seconds of the 15 fps camera.
export async function framesGrow(page, more = 20, timeoutMs = 10000) {
  const start = (await page.inbound()).framesDecoded;
  const deadline = Date.now() + timeoutMs;
  let now = start;
  while (Date.now() < deadline) {
    now = (await page.inbound()).framesDecoded;
    if (now >= start + more) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${page.user}: ${now - start} video frames decoded in ${timeoutMs} ms, not ${more}`);
}

// Inbound bytes of one kind over an interval.
export async function bytesOver(page, kind, ms) {
  const key = kind === 'video' ? 'videoBytes' : 'audioBytes';
  const before = (await page.inbound())[key];
  await new Promise((r) => setTimeout(r, ms));
  return (await page.inbound())[key] - before;
}
