// Benchmark: media relay cost of janus.plugin.oicall against Janus's own
// VideoCall plugin relaying the same media, in one Janus, in the same run.
// Each call is two headless Chromium pages with the fake camera and
// microphone (320x240@15 video, Opus audio). Prints, for each plugin, the
// time from accept to the first decoded frame on each side and Janus's CPU
// time per relayed call over a steady window; then the ratio.
// Run it with tools/bench-calls.
import { startJanus } from '../lib/janus.js';
import { launchBrowser } from '../lib/browser.js';
import { serveStatic } from '../lib/static.js';
import { DEMO_FOLDER, userPage, mediaFlows } from '../lib/demo.js';
import { VIDEOCALL_PAGE, videocallPair, CAMERA, ROUNDS, WINDOW_S, steadyCpu, alternateRounds, mean, median } from './common.mjs';

const CALLS = Number(process.env.BENCH_CALLS || 2);

// Sets up CALLS calls; returns the pages and the accept→first-frame times (ms).
async function oicallCalls(browser, janus, round) {
  const pages = [];
  const firstFrame = [];
  for (let c = 0; c < CALLS; c++) {
    const a = await userPage(browser, janus, `bench-${round}-${c}-a`);
    const b = await userPage(browser, janus, `bench-${round}-${c}-b`);
    const incoming = b.nextEvent('incoming-call');
    await a.demo((to) => window.demo.call(to, 'video'), b.user);
    await incoming;
    const t0 = Date.now();
    await b.demo(() => window.demo.accept());
    const times = await Promise.all([a, b].map(async (p) => { await mediaFlows(p, { timeoutMs: 10000 }); return Date.now() - t0; }));
    firstFrame.push(...times);
    pages.push(a, b);
  }
  return { pages, firstFrame };
}

async function videocallCalls(browser, site, janus, round) {
  const pages = [];
  const firstFrame = [];
  for (let c = 0; c < CALLS; c++) {
    const { a, b, accepted } = await videocallPair(browser, site, janus, [`vc-${round}-${c}-a`, `vc-${round}-${c}-b`]);
    const times = await Promise.all([a, b].map(async (p) => { await mediaFlows(p, { timeoutMs: 10000 }); return Date.now() - accepted; }));
    firstFrame.push(...times);
    pages.push(a, b);
  }
  return { pages, firstFrame };
}

const janus = await startJanus({ demoFolder: DEMO_FOLDER, plugins: ['videocall'], debugLevel: 3 });
const site = await serveStatic({ '/vc.html': VIDEOCALL_PAGE });
const browser = await launchBrowser({ secureOrigins: [janus.sioUrl] });
let results;
try {
  results = await alternateRounds(['oicall', 'videocall'], async (name, round) => {
    const { pages, firstFrame } = name === 'oicall'
      ? await oicallCalls(browser, janus, round) : await videocallCalls(browser, site, janus, round);
    return { pages, result: { firstFrame, cpu: await steadyCpu(janus) / CALLS } };   // CPU seconds per second per call
  });
} finally {
  await browser.close();
  await site.close();
  await janus.stop();
}

console.log(`\n${CALLS} concurrent calls, ${ROUNDS} rounds, ${WINDOW_S} s windows, ${CAMERA.width}x${CAMERA.height}@${CAMERA.frameRate} VP8 + Opus from Chromium's fake devices`);
for (const name of ['oicall', 'videocall']) {
  const r = { cpu: results[name].map((x) => x.cpu), firstFrame: results[name].flatMap((x) => x.firstFrame) };
  console.log(`${name.padEnd(9)}: accept → first decoded frame median ${median(r.firstFrame)} ms (max ${Math.max(...r.firstFrame)} ms); ` +
    `Janus CPU per relayed call ${(mean(r.cpu) * 100).toFixed(2)} % of a core (${r.cpu.map((x) => (x * 100).toFixed(2)).join(', ')})`);
}
const cpu = (name) => mean(results[name].map((x) => x.cpu));
console.log(`ratio oicall / VideoCall CPU per call: ${(cpu('oicall') / cpu('videocall')).toFixed(3)}`);
console.log(JSON.stringify(results));
process.exit(0);
