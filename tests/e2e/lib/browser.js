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
