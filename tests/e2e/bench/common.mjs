// What the benchmarks share: a process's CPU time and memory from /proc,
// summary statistics, the browserless load generator (webrtc-load.py), and
// the page-side glue for clients of Janus's stock plugins over its HTTP API.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../lib/janus.js';

export const WINDOW_S = Number(process.env.BENCH_WINDOW || 15);
export const ROUNDS = Number(process.env.BENCH_ROUNDS || 2);
// The demo page's camera (html/demo.js), for every page of every benchmark.
export const CAMERA = { width: 320, height: 240, frameRate: 15 };

// A process's (or, as PID/task/TID, a thread's) CPU time (user + system), in seconds.
export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;   // utime, stime in clock ticks (USER_HZ = 100)
}

// A process's resident memory, in KiB.
export function rssKiB(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
}

// Janus's CPU over a steady WINDOW_S window, in CPU seconds per second.
export async function steadyCpu(janus) {
  await sleep(3000);    // past ramp-up (bandwidth estimation)
  const before = cpuSeconds(janus.process.pid);
  await sleep(WINDOW_S * 1000);
  return (cpuSeconds(janus.process.pid) - before) / WINDOW_S;
}

// The machine's busy share of all its cores since boot, as [busy, total] jiffies.
export function machineJiffies() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).filter(Boolean);
  const values = fields.map(Number);
  const idle = values[3] + values[4];   // idle, iowait
  return [values.reduce((a, b) => a + b, 0) - idle, values.reduce((a, b) => a + b, 0)];
}

const LOADGEN = join(dirname(fileURLToPath(import.meta.url)), 'webrtc-load.py');

// One webrtc-load.py process: its JSON lines in order, and commands to it.
// Lines about one call of the soak ({ call: NAME, ... }) go to onCall instead.
export function generator(args, onCall) {
  const proc = spawn(LOADGEN, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  proc.stdin.on('error', () => {});   // it exited first (--encode)
  const lines = createInterface({ input: proc.stdout });
  const queued = [];
  const waiting = [];
  lines.on('line', (line) => {
    const message = JSON.parse(line);
    if (onCall && message.call) onCall(message);
    else (waiting.length ? waiting.shift() : (m) => queued.push(m))(message);
  });
  const exited = new Promise((r) => proc.on('exit', r));
  exited.then(() => { for (const take of waiting.splice(0)) take({ error: 'the load generator exited' }); });
  const next = (timeoutMs = 60000) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the load generator did not answer')), timeoutMs);
    const take = (m) => { clearTimeout(timer); if (m.error) reject(new Error(m.error)); else resolve(m); };
    if (queued.length) take(queued.shift()); else waiting.push(take);
  });
  const send = (command) => proc.stdin.write(`${command}\n`);
  const ask = (command) => { send(command); return next(); };
  const quit = async () => {
    proc.stdin.end('quit\n');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15000);
    await exited;
    clearTimeout(timer);
  };
  return { pid: proc.pid, next, send, ask, quit, exited };
}

// The generator's looped media, encoded once into a temporary file: { path, info, remove() }.
export async function encodedClip() {
  const dir = mkdtempSync(join(tmpdir(), 'oicall-clip-'));
  const path = join(dir, 'clip.pkl');
  const encoder = generator(['--encode', path]);
  const info = await encoder.next();
  await encoder.quit();
  return { path, info, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// In a page: janusApi(url, body) posts one Janus API request; janusSession(url,
// onEvent) creates a session and long-polls its events; gathered(pc) waits for
// ICE gathering (these clients do not trickle); inboundOf(pcs) sums inbound stats.
export const JANUS_HTTP_JS = `
async function janusApi(url, body) {
  const r = await fetch(url, { method: 'POST', body: JSON.stringify({ transaction: String(Math.random()), ...body }) });
  return r.json();
}
async function janusSession(janusUrl, onEvent) {
  const session = (await janusApi(janusUrl, { janus: 'create' })).data.id;
  (async function poll() {
    for (;;) {
      const ev = await (await fetch(janusUrl + '/' + session + '?maxev=5')).json();
      for (const e of [].concat(ev)) onEvent(e);
    }
  })();
  return session;
}
const gathered = (pc) => new Promise((r) => { if (pc.iceGatheringState === 'complete') r(); pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); });
async function inboundOf(pcs) {
  const out = { framesDecoded: 0, videoBytes: 0, audioPackets: 0, audioBytes: 0 };
  for (const pc of pcs.filter(Boolean)) {
    (await pc.getStats()).forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') { out.framesDecoded += s.framesDecoded || 0; out.videoBytes += s.bytesReceived || 0; }
      if (s.kind === 'audio') { out.audioPackets += s.packetsReceived || 0; out.audioBytes += s.bytesReceived || 0; }
    });
  }
  return out;
}
`;

// ROUNDS rounds of each system in turn, the order alternating between rounds;
// run(name, round) sets one up and measures it, resolving with { pages, result }.
// Resolves with { name: [result of each round] }.
export async function alternateRounds(names, run) {
  const results = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const { pages, result } = await run(name, round);
      results[name].push(result);
      for (const p of pages) await p.close();
      await sleep(2000);    // the last calls' teardown stays out of the next one's figures
    }
  }
  return results;
}

// The same call through the VideoCall plugin, over Janus's HTTP API.
export const VIDEOCALL_PAGE = `<!doctype html><script>${JANUS_HTTP_JS}
window.vc = { events: [] };
window.vc.start = async (janusUrl, username) => {
  const session = await janusSession(janusUrl, (e) => { window.vc.events.push(e); window.dispatchEvent(new CustomEvent('vc', { detail: e })); });
  const handle = (await janusApi(janusUrl + '/' + session, { janus: 'attach', plugin: 'janus.plugin.videocall' })).data.id;
  Object.assign(window.vc, { janusUrl, session, handle, url: janusUrl + '/' + session + '/' + handle });
  await janusApi(window.vc.url, { janus: 'message', body: { request: 'register', username } });
};
window.vc.media = async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: ${JSON.stringify(CAMERA)} });
  const pc = new RTCPeerConnection();
  stream.getTracks().forEach((t) => pc.addTrack(t, stream));
  window.vc.pc = pc;
  return pc;
};
const nextJsep = () => new Promise((r) => window.addEventListener('vc', function on(e) { if (e.detail.jsep) { window.removeEventListener('vc', on); r(e.detail.jsep); } }));
window.vc.call = async (username) => {
  const pc = await window.vc.media();
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const answer = nextJsep();
  await janusApi(window.vc.url, { janus: 'message', body: { request: 'call', username }, jsep: pc.localDescription });
  await pc.setRemoteDescription(await answer);
};
window.vc.waitIncoming = () => nextJsep();
window.vc.hangup = () => janusApi(window.vc.url, { janus: 'message', body: { request: 'hangup' } });
window.vc.accept = async (offer) => {
  const pc = await window.vc.media();
  await pc.setRemoteDescription(offer);
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  await janusApi(window.vc.url, { janus: 'message', body: { request: 'accept' }, jsep: pc.localDescription });
};
window.demo = { inbound: () => inboundOf([window.vc.pc]) };
</script>`;

// Two pages (serve VIDEOCALL_PAGE at site's /vc.html) in a VideoCall call, users
// [ua, ub]; resolves once the caller has the answer, with when the callee accepted.
export async function videocallPair(browser, site, janus, [ua, ub]) {
  const a = await browser.newPage(`${site.url}/vc.html`);
  const b = await browser.newPage(`${site.url}/vc.html`);
  for (const p of [a, b]) p.inbound = () => p.evaluate(() => window.demo.inbound());
  [a.user, b.user] = [ua, ub];
  await a.evaluate(([url, u]) => window.vc.start(url, u), [janus.httpUrl, ua]);
  await b.evaluate(([url, u]) => window.vc.start(url, u), [janus.httpUrl, ub]);
  const incoming = b.evaluate(() => window.vc.waitIncoming());
  const calling = a.evaluate((u) => window.vc.call(u), ub);
  const offer = await incoming;
  const accepted = Date.now();
  await b.evaluate((o) => window.vc.accept(o), offer);
  await calling;
  return { a, b, accepted };
}
