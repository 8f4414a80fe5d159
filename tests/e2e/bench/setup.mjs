// Benchmark: how soon each side of a 1:1 call sees the other, in each
// dialect: JSEP (the demo page), the seed's mediasoup-style flow and the room
// dialect (mediasoup-client in the page, as OIChat's app). SETUP_CALLS calls
// one after another per dialect between two headless Chromium pages (fake
// camera and microphone, 320x240@15); for each side, the time from the
// callee's Accept (the accept action starting in its page, before any of its
// requests) to the first decoded video frame on that side. Not a test: it
// prints median and max per side and dialect. Run it with tools/bench-calls --setup.
import { startJanus, sleep } from '../lib/janus.js';
import { launchBrowser } from '../lib/browser.js';
import { userPage } from '../lib/demo.js';
import { msPageFolder, msUserPage } from '../lib/mediasoup.js';
import { CAMERA, median } from './common.mjs';

const CALLS = Number(process.env.SETUP_CALLS || 10);

// In the page: note when the first frame is decoded, polling getStats every 20 ms.
const watchFirstFrame = (page, inbound) => page.evaluate((fn) => {
  const read = new Function(`return ${fn}()`);
  window.firstFrameAt = null;
  const timer = setInterval(async () => {
    if ((await read()).framesDecoded > 0) { window.firstFrameAt = Date.now(); clearInterval(timer); }
  }, 20);
}, inbound);

async function firstFrameAt(page, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const at = await page.evaluate(() => window.firstFrameAt);
    if (at) return at;
    if (Date.now() > deadline) throw new Error(`${page.user}: no frame decoded within ${timeoutMs} ms`);
    await sleep(50);
  }
}

// Each dialect: how its pages are made, how a call is placed, accepted and ended.
const DIALECTS = {
  jsep: {
    page: (browser, janus, user) => userPage(browser, janus, user),
    inbound: 'window.demo.inbound',
    call: (a, b) => a.demo((to) => window.demo.call(to, 'video'), b.user),
    accept: (b) => b.demo(() => window.demo.accept()),
    hangup: (a) => a.demo(() => window.demo.hangup()),
  },
  mediasoup: {
    page: msUserPage,
    inbound: 'window.msc.inbound',
    call: (a, b) => a.msc((to) => window.msc.call(to, 'video'), b.user),
    accept: (b) => b.msc(() => window.msc.accept()),
    hangup: (a) => a.msc(() => window.msc.hangup()),
  },
  room: {
    page: msUserPage,
    inbound: 'window.msc.inbound',
    call: (a, b) => a.msc((to) => window.msc.roomCall([to], 'video'), b.user),
    accept: (b) => b.msc(() => window.msc.roomAccept()),
    hangup: (a) => a.msc(() => window.msc.hangup()),
  },
};

async function measure(browser, janus, name) {
  const d = DIALECTS[name];
  const times = { caller: [], callee: [] };
  for (let c = 0; c < CALLS; c++) {
    const a = await d.page(browser, janus, `setup-${name}-${c}-a`);
    const b = await d.page(browser, janus, `setup-${name}-${c}-b`);
    if (name !== 'jsep') await Promise.all([a, b].map((p) => p.msc((cam) => { window.msc.video = cam; }, CAMERA)));
    const incoming = b.nextEvent('incoming-call');
    const started = await d.call(a, b);
    if (started?.error) throw new Error(`${name}: start-call: ${started.error}`);
    await incoming;
    await Promise.all([a, b].map((p) => watchFirstFrame(p, d.inbound)));
    const t0 = Date.now();
    const ack = await d.accept(b);
    if (ack?.error) throw new Error(`${name}: accept-call: ${ack.error}`);
    const [ta, tb] = await Promise.all([firstFrameAt(a), firstFrameAt(b)]);
    times.caller.push(ta - t0);
    times.callee.push(tb - t0);
    await d.hangup(a);
    await Promise.all([a.close(), b.close()]);
    await sleep(1500);    // the call's teardown stays out of the next one's figures
  }
  return times;
}

const folder = await msPageFolder();
const janus = await startJanus({ debugLevel: 3, demoFolder: folder.dir,
  plugin: { general: { max_call_starts_per_minute: 0, max_unanswered_calls: 0 } } });
const browser = await launchBrowser({ secureOrigins: [janus.sioUrl] });
try {
  console.log(`1:1 call set-up, ${CALLS} calls per dialect, one after another: Accept → first decoded frame (ms)`);
  const results = {};
  for (const name of Object.keys(DIALECTS)) {
    const t = await measure(browser, janus, name);
    results[name] = t;
    const line = (xs) => `median ${median(xs)}, max ${Math.max(...xs)}`;
    console.log(`${name.padEnd(9)}: caller sees the callee: ${line(t.caller)}; callee sees the caller: ${line(t.callee)}`);
  }
  console.log(JSON.stringify(results));
} finally {
  await browser.close();
  await janus.stop();
  folder.remove();
}
