// Benchmark: media relay cost of janus.plugin.oicall against Janus's own
// VideoCall plugin relaying the same media, in one Janus, in the same run.
// Each call is two headless Chromium pages with the fake camera and
// microphone (320x240@15 video, Opus audio). Prints, for each plugin, the
// time from accept to the first decoded frame on each side and Janus's CPU
// time per relayed call over a steady window; then the ratio.
// Run it with tools/bench-calls.
import { readFileSync } from 'node:fs';
import { startJanus } from '../lib/janus.js';
import { launchBrowser } from '../lib/browser.js';
import { serveStatic } from '../lib/static.js';
import { DEMO_FOLDER, userPage, mediaFlows } from '../lib/demo.js';

const CALLS = Number(process.env.BENCH_CALLS || 2);
const WINDOW_S = Number(process.env.BENCH_WINDOW || 15);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Janus process CPU time (user + system), in seconds.
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;   // utime, stime in clock ticks (USER_HZ = 100)
}

// The same call through the VideoCall plugin, over Janus's HTTP API.
const VIDEOCALL_PAGE = `<!doctype html><script>
async function api(url, body) {
  const r = await fetch(url, { method: 'POST', body: JSON.stringify({ transaction: String(Math.random()), ...body }) });
  return r.json();
}
window.vc = { events: [] };
window.vc.start = async (janusUrl, username) => {
  const session = (await api(janusUrl, { janus: 'create' })).data.id;
  const handle = (await api(janusUrl + '/' + session, { janus: 'attach', plugin: 'janus.plugin.videocall' })).data.id;
  Object.assign(window.vc, { janusUrl, session, handle, url: janusUrl + '/' + session + '/' + handle });
  (async function poll() {
    for (;;) {
      const ev = await (await fetch(janusUrl + '/' + session + '?maxev=5')).json();
      for (const e of [].concat(ev)) { window.vc.events.push(e); window.dispatchEvent(new CustomEvent('vc', { detail: e })); }
    }
  })();
  await api(window.vc.url, { janus: 'message', body: { request: 'register', username } });
};
window.vc.media = async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240, frameRate: 15 } });
  const pc = new RTCPeerConnection();
  stream.getTracks().forEach((t) => pc.addTrack(t, stream));
  window.vc.pc = pc;
  return pc;
};
const gathered = (pc) => new Promise((r) => { if (pc.iceGatheringState === 'complete') r(); pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); });
const nextJsep = () => new Promise((r) => window.addEventListener('vc', function on(e) { if (e.detail.jsep) { window.removeEventListener('vc', on); r(e.detail.jsep); } }));
window.vc.call = async (username) => {
  const pc = await window.vc.media();
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const answer = nextJsep();
  await api(window.vc.url, { janus: 'message', body: { request: 'call', username }, jsep: pc.localDescription });
  await pc.setRemoteDescription(await answer);
};
window.vc.waitIncoming = () => nextJsep();
window.vc.accept = async (offer) => {
  const pc = await window.vc.media();
  await pc.setRemoteDescription(offer);
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  await api(window.vc.url, { janus: 'message', body: { request: 'accept' }, jsep: pc.localDescription });
};
window.demo = { inbound: async () => {
  const out = { framesDecoded: 0, videoBytes: 0, audioPackets: 0, audioBytes: 0 };
  if (!window.vc.pc) return out;
  (await window.vc.pc.getStats()).forEach((s) => {
    if (s.type !== 'inbound-rtp') return;
    if (s.kind === 'video') { out.framesDecoded += s.framesDecoded || 0; out.videoBytes += s.bytesReceived || 0; }
    if (s.kind === 'audio') { out.audioPackets += s.packetsReceived || 0; out.audioBytes += s.bytesReceived || 0; }
  });
  return out;
} };
</script>`;

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
    const a = await browser.newPage(`${site.url}/vc.html`);
    const b = await browser.newPage(`${site.url}/vc.html`);
    a.inbound = () => a.evaluate(() => window.demo.inbound());
    b.inbound = () => b.evaluate(() => window.demo.inbound());
    const [ua, ub] = [`vc-${round}-${c}-a`, `vc-${round}-${c}-b`];
    await a.evaluate(([url, u]) => window.vc.start(url, u), [janus.httpUrl, ua]);
    await b.evaluate(([url, u]) => window.vc.start(url, u), [janus.httpUrl, ub]);
    const incoming = b.evaluate(() => window.vc.waitIncoming());
    const calling = a.evaluate((u) => window.vc.call(u), ub);
    const offer = await incoming;
    const t0 = Date.now();
    await b.evaluate((o) => window.vc.accept(o), offer);
    await calling;
    const times = await Promise.all([a, b].map(async (p) => { await mediaFlows(p, { timeoutMs: 10000 }); return Date.now() - t0; }));
    firstFrame.push(...times);
    pages.push(a, b);
  }
  return { pages, firstFrame };
}

async function measureWindow(janus) {
  await sleep(3000);    // past ramp-up (bandwidth estimation)
  const before = cpuSeconds(janus.process.pid);
  await sleep(WINDOW_S * 1000);
  return (cpuSeconds(janus.process.pid) - before) / WINDOW_S / CALLS;   // CPU seconds per second per call
}

const janus = await startJanus({ demoFolder: DEMO_FOLDER, plugins: ['videocall'], debugLevel: 3 });
const site = await serveStatic({ '/vc.html': VIDEOCALL_PAGE });
const browser = await launchBrowser({ secureOrigins: [janus.sioUrl] });
const results = { oicall: { cpu: [], firstFrame: [] }, videocall: { cpu: [], firstFrame: [] } };
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? ['oicall', 'videocall'] : ['videocall', 'oicall']) {
      const { pages, firstFrame } = name === 'oicall'
        ? await oicallCalls(browser, janus, round) : await videocallCalls(browser, site, janus, round);
      results[name].firstFrame.push(...firstFrame);
      results[name].cpu.push(await measureWindow(janus));
      for (const p of pages) await p.close();
      await sleep(2000);
    }
  }
} finally {
  await browser.close();
  await site.close();
  await janus.stop();
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\n${CALLS} concurrent calls, ${ROUNDS} rounds, ${WINDOW_S} s windows, 320x240@15 VP8 + Opus from Chromium's fake devices`);
for (const name of ['oicall', 'videocall']) {
  const r = results[name];
  console.log(`${name.padEnd(9)}: accept → first decoded frame median ${median(r.firstFrame)} ms (max ${Math.max(...r.firstFrame)} ms); ` +
    `Janus CPU per relayed call ${(mean(r.cpu) * 100).toFixed(2)} % of a core (${r.cpu.map((x) => (x * 100).toFixed(2)).join(', ')})`);
}
console.log(`ratio oicall / VideoCall CPU per call: ${(mean(results.oicall.cpu) / mean(results.videocall.cpu)).toFixed(3)}`);
console.log(JSON.stringify(results));
process.exit(0);
