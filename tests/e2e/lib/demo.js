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
export async function userPage(browser, janus, user) {
  const page = await browser.newPage(`${janus.sioUrl}/`);
  await page.waitForFunction(() => window.demo && window.io);
  const ack = await page.evaluate((u) => window.demo.connect(u), user);
  if (!ack?.success) throw new Error(`register ${user}: ${JSON.stringify(ack)}`);
  page.user = user;
  page.demo = (fn, arg) => page.evaluate(fn, arg);
  // Resolves with the next server event of that name (already received ones count from `since`).
  page.nextEvent = (name, since = 0, timeoutMs = 10000) => page.evaluate(([n, s, t]) => new Promise((resolve, reject) => {
    const found = window.demo.events.find((e, i) => i >= s && e.name === n);
    if (found) { resolve(found.payload); return; }
    const timer = setTimeout(() => reject(new Error(`no ${n} within ${t} ms`)), t);
    window.demo.addEventListener(n, (e) => { clearTimeout(timer); resolve(e.detail); }, { once: true });
  }), [name, since, timeoutMs]);
  page.eventCount = () => page.evaluate(() => window.demo.events.length);
  page.inbound = () => page.evaluate(() => window.demo.inbound());
  return page;
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

// Inbound bytes of one kind over an interval.
export async function bytesOver(page, kind, ms) {
  const key = kind === 'video' ? 'videoBytes' : 'audioBytes';
  const before = (await page.inbound())[key];
  await new Promise((r) => setTimeout(r, ms));
  return (await page.inbound())[key] - before;
}
