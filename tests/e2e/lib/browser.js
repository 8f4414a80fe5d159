// Debian's headless Chromium (playwright-core, no downloaded browser) with a
// fake camera and microphone, for the media tests. Runs in the test's
// network namespace like everything else.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.OICALL_CHROMIUM || '/usr/bin/chromium';

/**
 * launchBrowser({ secureOrigins: ['http://10.213.0.1:8501'] }) -> { browser, newPage(url), close() }
 * getUserMedia needs a secure context: pages on 127.0.0.1 are, other
 * origins must be listed in secureOrigins. extraArgs: more Chromium flags.
 */
export async function launchBrowser({ secureOrigins = [], extraArgs = [] } = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'oicall-chromium-'));
  const args = [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--autoplay-policy=no-user-gesture-required',
  ];
  if (secureOrigins.length) args.push(`--unsafely-treat-insecure-origin-as-secure=${secureOrigins.join(',')}`);
  args.push(...extraArgs);
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args,
    permissions: ['camera', 'microphone'],
  });
  const pages = [];
  return {
    context,
    async newPage(url) {
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e));
      page.pageErrors = errors;
      pages.push(page);
      if (url) await page.goto(url);
      return page;
    },
    async close() {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// Polls the page's RTCPeerConnection stats until inbound video has decoded
// frames and inbound audio has packets, or fails after timeoutMs.
// pcExpr is a page expression yielding the RTCPeerConnection (or an array of them).
export async function waitForMedia(page, pcExpr, { timeoutMs = 5000, audio = true, video = true } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await inboundStats(page, pcExpr);
    if ((!video || last.framesDecoded > 0) && (!audio || last.audioPackets > 0)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no media within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

// Sums inbound-rtp stats over the given peer connection(s).
export async function inboundStats(page, pcExpr) {
  return page.evaluate(async (expr) => {
    // eslint-disable-next-line no-eval
    const value = (0, eval)(expr);
    const pcs = (Array.isArray(value) ? value : [value]).filter(Boolean);
    const out = { framesDecoded: 0, videoBytes: 0, audioPackets: 0, audioBytes: 0 };
    for (const pc of pcs) {
      const stats = await pc.getStats();
      stats.forEach((s) => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'video') { out.framesDecoded += s.framesDecoded || 0; out.videoBytes += s.bytesReceived || 0; }
        if (s.kind === 'audio') { out.audioPackets += s.packetsReceived || 0; out.audioBytes += s.bytesReceived || 0; }
      });
    }
    return out;
  }, pcExpr);
}

// Audio over the given peer connection(s) (a page expression, as above): per
// inbound audio stream (by mid) its codec (Chromium names Opus for RED too),
// packets, samples played out and samples concealed.
export async function audioStats(page, pcExpr) {
  return page.evaluate(async (expr) => {
    // eslint-disable-next-line no-eval
    const value = (0, eval)(expr);
    const out = { received: {} };
    for (const pc of (Array.isArray(value) ? value : [value]).filter(Boolean)) {
      const stats = await pc.getStats();
      stats.forEach((s) => {
        if (s.kind !== 'audio') return;
        const mimeType = stats.get(s.codecId)?.mimeType;
        if (s.type === 'inbound-rtp') {
          out.received[s.mid ?? s.ssrc] = { mimeType, packets: s.packetsReceived || 0,
            samples: s.totalSamplesReceived || 0, concealed: s.concealedSamples || 0 };
        }
      });
    }
    return out;
  }, pcExpr);
}

// Asserts that audio arrives and decodes on every inbound audio stream of the
// given RTCPeerConnection(s) (those of mids, if given) over a second: packets
// and samples grow, and few of the new samples are concealed. Audio is decoded
// only where it is played: its tracks are played first. Returns the later stats.
export async function audioDecodes(page, pcExpr, mids = null) {
  await page.evaluate((expr) => {
    // eslint-disable-next-line no-eval
    const value = (0, eval)(expr);
    const tracks = (Array.isArray(value) ? value : [value]).filter(Boolean)
      .flatMap((pc) => pc.getReceivers().map((r) => r.track).filter((t) => t.kind === 'audio'));
    const sink = new Audio();
    sink.srcObject = new MediaStream(tracks);
    (window.audioSinks ??= []).push(sink);  // kept: a sink collected stops playing
    return sink.play();
  }, pcExpr);
  const pick = (stats) => Object.entries(stats.received).filter(([mid]) => !mids || mids.includes(mid));
  const first = await audioStats(page, pcExpr);
  await new Promise((r) => setTimeout(r, 1000));
  const later = await audioStats(page, pcExpr);
  const streams = pick(later);
  if (streams.length === 0 || (mids && streams.length !== mids.length)) {
    throw new Error(`${page.user}: not every inbound audio stream is there: ${JSON.stringify(later)}`);
  }
  for (const [mid, now] of streams) {
    const before = first.received[mid] ?? { packets: 0, samples: 0, concealed: 0 };
    const samples = now.samples - before.samples;
    const concealed = now.concealed - before.concealed;
    if (now.packets <= before.packets || samples <= 0 || concealed > samples * 0.3) {
      throw new Error(`${page.user}: audio on mid ${mid} doesn't decode: ${JSON.stringify({ before, now })}`);
    }
  }
  return later;
}
