// Benchmark: video and audio under random loss, for oicall's JSEP flow,
// oicall's mediasoup-client flow and Janus's own VideoCall plugin, in one
// Janus, in the same run. Each call is two headless Chromium pages with the
// fake camera and microphone (320x240@15 VP8, Opus); the namespace gets a
// 40 ms round trip (nfq-delay) and, once the call is up, random loss of
// RTP/RTCP in both directions (iptables, as tests/e2e/loss.test.js does). Over
// each window, per receiving page: frames decoded per second, seconds frozen
// (Chromium's totalFreezesDuration), audio concealment (concealed samples of
// those received) and the video jitter buffer (its mean delay). Run it with
// tools/bench-loss; BENCH_WINDOW (s, default 30), BENCH_ROUNDS (runs per
// cell, default 3), BENCH_LOSS (comma-separated percentages, default 0,3,10).
import { loadavg } from 'node:os';
import { startJanus, sleep } from '../lib/janus.js';
import { launchBrowser } from '../lib/browser.js';
import { serveStatic } from '../lib/static.js';
import { DEMO_FOLDER, userPage, mediaFlows } from '../lib/demo.js';
import { msPageFolder, msUserPage } from '../lib/mediasoup.js';
import { addLoss, addDelay, canShapeTraffic } from '../lib/netem.js';
import { VIDEOCALL_PAGE, videocallPair, CAMERA, mean } from './common.mjs';

const WINDOW_S = Number(process.env.BENCH_WINDOW || 30);
const RUNS = Number(process.env.BENCH_ROUNDS || 3);
const LOSSES = (process.env.BENCH_LOSS || '0,3,10').split(',').map(Number);
const DELAY_MS = 20;    // each way
const FLOWS = ['jsep', 'mediasoup', 'videocall'];

if (!canShapeTraffic()) throw new Error('needs root in the namespace (run it with tools/bench-loss)');

// The PeerConnection a page receives on.
const RECEIVING_PC = { jsep: 'window.demo.pc', mediasoup: 'window.msc.recvTransport._handler._pc', videocall: 'window.vc.pc' };

// What a page has received so far (cumulative getStats figures).
function received(page, expr) {
  return page.evaluate(async (e) => {
    // eslint-disable-next-line no-eval
    const stats = await (0, eval)(e).getStats();
    const out = { framesDecoded: 0, freezes: 0, frozenS: 0, jitterS: 0, jitterCount: 0, plis: 0, concealed: 0, samples: 0 };
    stats.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') {
        out.framesDecoded += s.framesDecoded || 0;
        out.freezes += s.freezeCount || 0;
        out.frozenS += s.totalFreezesDuration || 0;
        out.jitterS += s.jitterBufferDelay || 0;
        out.jitterCount += s.jitterBufferEmittedCount || 0;
        out.plis += (s.pliCount || 0) + (s.firCount || 0);
      } else {
        out.concealed += s.concealedSamples || 0;
        out.samples += s.totalSamplesReceived || 0;
      }
    });
    return out;
  }, expr);
}

// oicall's keyframe requests for loss no retransmission repaired, so far (metrics).
async function lossRequests(janus) {
  const text = await (await fetch(`${janus.sioUrl}/metrics`)).text();
  return Number(/\noicall_keyframe_requests_total\{from="loss"\} (\d+)/.exec(text)?.[1] ?? 0);
}

// A call in that flow between two new pages, media flowing both ways: { pages, hangup() }.
async function setUp(flow, ctx, name) {
  const [ua, ub] = [`${name}-a`, `${name}-b`];
  let a, b, hangup;
  if (flow === 'jsep') {
    [a, b] = [await userPage(ctx.browser, ctx.janus, ua), await userPage(ctx.browser, ctx.janus, ub)];
    const incoming = b.nextEvent('incoming-call');
    await a.demo((to) => window.demo.call(to, 'video'), ub);
    await incoming;
    await b.demo(() => window.demo.accept());
    hangup = () => a.demo(() => window.demo.hangup());
  } else if (flow === 'mediasoup') {
    [a, b] = [await msUserPage(ctx.browser, ctx.janus, ua), await msUserPage(ctx.browser, ctx.janus, ub)];
    for (const p of [a, b]) await p.msc((camera) => { window.msc.video = camera; }, CAMERA);
    const incoming = b.nextEvent('incoming-call');
    const started = await a.msc((to) => window.msc.call(to, 'video'), ub);
    if (started.error) throw new Error(JSON.stringify(started));
    await incoming;
    await b.msc(() => window.msc.accept());
    hangup = () => a.msc(() => window.msc.hangup());
  } else {
    ({ a, b } = await videocallPair(ctx.browser, ctx.site, ctx.janus, [ua, ub]));
    hangup = () => a.evaluate(() => window.vc.hangup());
  }
  await Promise.all([a, b].map((p) => mediaFlows(p, { timeoutMs: 15000 })));
  // Audio is decoded (and concealed) only where it is played: the same sink for every flow.
  for (const p of [a, b]) {
    await p.evaluate((e) => {
      // eslint-disable-next-line no-eval
      const tracks = (0, eval)(e).getReceivers().map((r) => r.track).filter((t) => t.kind === 'audio');
      const audio = new Audio();
      audio.srcObject = new MediaStream(tracks);
      return audio.play();
    }, RECEIVING_PC[flow]);
  }
  return { pages: [a, b], hangup };
}

// One run of a cell: per receiving page, the window's figures.
async function measure(flow, loss, ctx, name) {
  const { pages, hangup } = await setUp(flow, ctx, name);
  const out = [];
  try {
    await sleep(3000);      // past ramp-up (bandwidth estimation)
    const removeLoss = loss > 0 ? addLoss(loss / 100) : () => {};
    try {
      const before = await Promise.all(pages.map((p) => received(p, RECEIVING_PC[flow])));
      const asked = await lossRequests(ctx.janus);
      loads.push(loadavg()[0]);
      await sleep(WINDOW_S * 1000);
      const after = await Promise.all(pages.map((p) => received(p, RECEIVING_PC[flow])));
      out.lossRequests = await lossRequests(ctx.janus) - asked;
      for (const [i, b] of before.entries()) {
        const a = after[i];
        out.push({
          fps: (a.framesDecoded - b.framesDecoded) / WINDOW_S,
          frozenS: (a.frozenS - b.frozenS) * 30 / WINDOW_S,      // per 30 s
          freezes: a.freezes - b.freezes,
          keyframeRequests: a.plis - b.plis,     // the receiver's own
          concealedPct: a.samples > b.samples ? (100 * (a.concealed - b.concealed)) / (a.samples - b.samples) : NaN,
          jitterMs: a.jitterCount > b.jitterCount ? (1000 * (a.jitterS - b.jitterS)) / (a.jitterCount - b.jitterCount) : NaN,
        });
      }
    } finally {
      removeLoss();
    }
  } finally {
    await hangup().catch(() => {});
    for (const p of pages) await p.close();
    await sleep(2000);      // the call's teardown stays out of the next one's figures
  }
  return out;
}

const folder = await msPageFolder();
const janus = await startJanus({ demoFolder: folder.dir, plugins: ['videocall'], debugLevel: 3 });
const site = await serveStatic({ '/vc.html': VIDEOCALL_PAGE });
const browser = await launchBrowser({ secureOrigins: [janus.sioUrl] });
const stopDelay = await addDelay(DELAY_MS);
const ctx = { janus, site, browser };
const results = {};     // `${flow} ${loss}` -> [per receiver figures]
const lossAsked = {};   // `${flow} ${loss}` -> [oicall's keyframe requests for loss per 30 s, per call]
const loadBefore = loadavg();
const loads = [];       // the 1-minute load average as each window starts
const started = Date.now();
try {
  for (let run = 0; run < RUNS; run++) {
    for (const loss of LOSSES) {
      // Each run takes the flows in another order, so that none is always first or last.
      const order = FLOWS.map((_, i) => FLOWS[(i + run) % FLOWS.length]);
      for (const flow of order) {
        const figures = await measure(flow, loss, ctx, `loss-${run}-${loss}-${flow}`);
        (results[`${flow} ${loss}`] ??= []).push(...figures);
        (lossAsked[`${flow} ${loss}`] ??= []).push((figures.lossRequests * 30) / WINDOW_S);
        console.error(`run ${run + 1}/${RUNS}, ${loss} % loss, ${flow}: ${JSON.stringify(figures)}; ` +
          `oicall's keyframe requests for loss: ${figures.lossRequests}`);
      }
    }
  }
} finally {
  await stopDelay();
  await browser.close();
  await site.close();
  await janus.stop();
  folder.remove();
}

const fmt = (xs, digits) => mean(xs.filter((x) => !Number.isNaN(x))).toFixed(digits);
console.log(`\n${RUNS} run(s) per cell, ${WINDOW_S} s windows, both directions of each call averaged; ` +
  `${CAMERA.width}x${CAMERA.height}@${CAMERA.frameRate} VP8 + Opus from Chromium's fake devices, ${2 * DELAY_MS} ms round trip`);
console.log(`load average (1 min, 2 cores): ${loadBefore[0].toFixed(2)} before, mean ${mean(loads).toFixed(2)} (max ` +
  `${Math.max(...loads).toFixed(2)}) as the windows started, ${loadavg()[0].toFixed(2)} after; ${((Date.now() - started) / 60000).toFixed(1)} min`);
console.log('| loss | flow | fps (of 15) | s frozen per 30 s | freezes per 30 s | audio concealed | video jitter buffer | receivers\' own keyframe requests per 30 s | oicall\'s for loss per 30 s (per call) |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const loss of LOSSES) {
  for (const flow of FLOWS) {
    const r = results[`${flow} ${loss}`];
    const per30 = (key) => fmt(r.map((x) => (x[key] * 30) / WINDOW_S), 1);
    console.log(`| ${loss} % | ${flow} | ${fmt(r.map((x) => x.fps), 1)} | ${fmt(r.map((x) => x.frozenS), 1)} | ${per30('freezes')} | ` +
      `${fmt(r.map((x) => x.concealedPct), 1)} % | ${fmt(r.map((x) => x.jitterMs), 0)} ms | ${per30('keyframeRequests')} | ${flow === 'videocall' ? '–' : fmt(lossAsked[`${flow} ${loss}`], 1)} |`);
  }
}
console.log(JSON.stringify(results));
process.exit(0);
