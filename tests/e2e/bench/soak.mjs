// Soak: SOAK_CALLS concurrent 1:1 calls through janus.plugin.oicall for
// SOAK_MINUTES, each lasting a uniformly random SOAK_MIN_CALL_S to
// SOAK_MAX_CALL_S, a new call starting as soon as one ends (the first ones
// staggered). The calls come from webrtc-load.py (JSEP over Socket.IO, VP8
// about 1.5 Mbit/s and Opus both ways; two new users a call), which counts
// what each side receives. A call is lost when its setup fails (no ack, or
// not every stream flowing both ways within 20 s), a direction goes
// SOAK_MEDIA_GAP_S without a packet, a side gets call-ended or is
// disconnected unasked, or the other side is not told of the hang-up.
// Every 10 s Janus's RSS and CPU time are read from /proc; after
// SOAK_WARMUP_S the RSS's least-squares slope is the figure. At the end:
// Janus's [ERR] log lines, what is left in Janus, and (OICALL_SANITIZERS=1)
// any sanitizer report. Exits 1 when a call was lost or anything was
// reported. Not a test: run it with tools/bench-soak.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { startJanus, sleep } from '../lib/janus.js';
import { cpuSeconds, machineJiffies, median, generator, encodedClip, rssKiB } from './common.mjs';

const SANITIZERS = process.env.OICALL_SANITIZERS === '1';
const MINUTES = Number(process.env.SOAK_MINUTES || (SANITIZERS ? 5 : 30));
const CALLS = Number(process.env.SOAK_CALLS || (SANITIZERS ? 6 : 12));
const MIN_CALL_S = Number(process.env.SOAK_MIN_CALL_S || 20);
const MAX_CALL_S = Number(process.env.SOAK_MAX_CALL_S || 120);
// Long enough for the first calls to have ended and been replaced; a third of a short run.
const WARMUP_S = Number(process.env.SOAK_WARMUP_S || Math.min(300, MINUTES * 20));
const GAP_S = Number(process.env.SOAK_MEDIA_GAP_S || 5);
// tools/run-server's setting (one loop per core); 0: a thread per handle.
const EVENT_LOOPS = Number(process.env.SOAK_EVENT_LOOPS ?? cpus().length);
const PAIRS_PER_PROCESS = Number(process.env.BENCH_PAIRS_PER_PROCESS || 6);
const SAMPLE_S = 10;

const MiB = (kib) => `${(kib / 1024).toFixed(1)} MiB`;
const deferred = () => { let resolve; const promise = new Promise((r) => { resolve = r; }); return { promise, resolve }; };
// A timer that resolves with value and can be cancelled (so that no long hold outlives the run).
function timer(ms, value) {
  let id;
  return { promise: new Promise((r) => { id = setTimeout(r, ms, value); }), cancel: () => clearTimeout(id) };
}
async function within(promise, ms, value) {
  const t = timer(ms, value);
  try { return await Promise.race([promise, t.promise]); } finally { t.cancel(); }
}

// Least-squares slope of y over x.
function slope(points) {
  const mx = points.reduce((a, p) => a + p.x, 0) / points.length;
  const my = points.reduce((a, p) => a + p.y, 0) / points.length;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxx ? points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / sxx : 0;
}

const calls = new Map();   // name -> { started, lost, ended }: what the generator says of it
const totals = { started: 0, completed: 0, lost: [], setupMs: [], directions: [] };
let serial = 0;
let aborted = null;

// One call of the soak, start to end; resolves once the generator has let it go.
async function oneCall(gen, stopAt) {
  const name = `c${++serial}`;
  const call = { started: deferred(), lost: deferred(), ended: deferred() };
  calls.set(name, call);
  totals.started++;
  gen.send(`start ${name}`);
  const start = await within(call.started.promise, 60000, { event: 'failed', why: 'no answer in 60 s' });
  let why = start.event === 'failed' ? `setup: ${start.why}` : null;
  if (!why) {
    totals.setupMs.push(start.setup_ms);
    const hold = timer(Math.min(MIN_CALL_S + Math.random() * (MAX_CALL_S - MIN_CALL_S), (stopAt - Date.now()) / 1000) * 1000);
    why = (await Promise.race([hold.promise, call.lost.promise]))?.why ?? null;
    hold.cancel();
  }
  // Either side hangs up.
  gen.send(`end ${name} ${Math.random() < 0.5 ? 'a' : 'b'}`);
  const ended = await within(call.ended.promise, 30000, { lost: 'no answer to end in 30 s', directions: [] });
  calls.delete(name);
  const gap = Math.max(0, ...ended.directions.map((d) => d.gap_s));
  why ??= ended.lost ?? (gap > GAP_S ? `no media for ${gap} s in a direction` : null);
  if (why) totals.lost.push(`${name}: ${why}`);
  else totals.completed++;
  totals.directions.push(...ended.directions);
}

// Every SAMPLE_S: Janus's RSS and CPU time; each call's media, a stalled direction losing the call.
async function sample(janus, gens, t0, samples) {
  const pid = janus.process.pid;
  samples.push({ t: (Date.now() - t0) / 1000, rss: rssKiB(pid), cpu: cpuSeconds(pid),
    gens: gens.reduce((a, g) => a + cpuSeconds(g.pid), 0), machine: machineJiffies(), up: calls.size });
  for (const { calls: stats } of await Promise.all(gens.map((g) => g.ask('calls')))) {
    for (const [name, directions] of Object.entries(stats)) {
      const stalled = directions.find((d) => d.streams < 2 || d.gap_s > GAP_S);
      if (stalled) calls.get(name)?.lost.resolve({ why: `a direction with ${stalled.streams} streams went ${stalled.gap_s} s without a packet` });
    }
  }
}

function summary(samples, endT) {
  const steady = samples.filter((s) => s.t >= WARMUP_S && s.t <= endT);
  const [a, b] = [steady[0], steady.at(-1)];
  const perMin = steady.length > 2 ? slope(steady.map((s) => ({ x: s.t / 60, y: s.rss }))) : NaN;
  const seconds = b ? b.t - a.t : 0;
  const busy = b ? (b.machine[0] - a.machine[0]) / (b.machine[1] - a.machine[1]) : NaN;
  const received = totals.directions;
  const packets = received.reduce((x, d) => x + d.packets, 0);
  const expected = received.reduce((x, d) => x + d.expected, 0);
  const jitter = received.flatMap((d) => d.jitter_ms);
  return {
    perMin, seconds,
    growth: b ? b.rss - a.rss : NaN,
    rssAt: a?.rss, rssEnd: b?.rss,
    janusCpu: seconds ? (b.cpu - a.cpu) / seconds : NaN,
    gensCpu: seconds ? (b.gens - a.gens) / seconds : NaN,
    others: busy * cpus().length - (seconds ? (b.cpu - a.cpu + b.gens - a.gens) / seconds : NaN),
    busy, packets,
    loss: expected ? (expected - packets) / expected : 0,
    worstLoss: Math.max(0, ...received.map((d) => (d.expected - d.packets) / d.expected)),
    jitterMedian: jitter.length ? median(jitter) : NaN,
    jitterMax: jitter.length ? Math.max(...jitter) : NaN,
    gapMax: Math.max(0, ...received.map((d) => d.gap_s)),
  };
}

const clip = await encodedClip();
const janus = await startJanus({
  debugLevel: 4, rtpPorts: '20000-40000', eventLoops: EVENT_LOOPS || undefined,
  transport: { limits: { max_per_address: 0, events_per_second: 0 } },
});
const pid = janus.process.pid;
const problems = [];
let quitting = false;
const gens = [];
const samples = [];
let rssBefore = 0;
let rssAfter = 0;
let left = '';
let endT = 0;
try {
  rssBefore = rssKiB(pid);
  const onCall = (m) => calls.get(m.call)?.[m.event === 'failed' ? 'started' : m.event]?.resolve(m);
  for (let k = 0; k < Math.ceil(CALLS / PAIRS_PER_PROCESS); k++) {
    const gen = generator(['--media', clip.path, '--plugin', 'oicall', '--url', janus.sioUrl, '--pairs', '0',
      '--prefix', `soak${k}`], onCall);
    gen.exited.then((code) => {
      if (quitting) return;
      aborted ??= `a load generator exited (${code})`;
      for (const c of calls.values()) for (const d of [c.started, c.lost, c.ended]) d.resolve({ event: 'failed', why: aborted, lost: aborted, directions: [] });
    });
    gens.push(gen);
  }
  await Promise.all(gens.map((g) => g.next()));
  console.log(`soak: ${CALLS} calls for ${MINUTES} min, each ${MIN_CALL_S}-${MAX_CALL_S} s, warm-up ${WARMUP_S} s; ` +
    `Janus ${EVENT_LOOPS ? `on ${EVENT_LOOPS} event loops` : 'a thread per handle'}${SANITIZERS ? ', sanitizer build' : ''}; ` +
    `RSS ${MiB(rssBefore)} before; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  const t0 = Date.now();
  const stopAt = t0 + MINUTES * 60000;
  const stagger = (MIN_CALL_S * 1000) / CALLS;
  const slots = Array.from({ length: CALLS }, async (_, i) => {
    await sleep(i * stagger);
    while (Date.now() < stopAt && !aborted) await oneCall(gens[Math.floor(i / PAIRS_PER_PROCESS)], stopAt);
  });
  let running = true;
  const allEnded = Promise.all(slots).finally(() => { running = false; });
  for (let tick = 0; running; tick++) {
    await sample(janus, gens, t0, samples);
    if (tick % 6 === 0) {
      const s = samples.at(-1);
      console.log(`${(s.t / 60).toFixed(1).padStart(5)} min: ${s.up} calls up; ${totals.started} started, ` +
        `${totals.completed} completed, ${totals.lost.length} lost; Janus RSS ${MiB(s.rss)} (the generators' ` +
        `${MiB(gens.reduce((a, g) => a + rssKiB(g.pid), 0))})`);
    }
    await within(allEnded, t0 + (tick + 1) * SAMPLE_S * 1000 - Date.now());
  }
  await allEnded;
  endT = Math.min((Date.now() - t0) / 1000, MINUTES * 60);
  if (aborted) problems.push(aborted);
  // Every session, user and call gone once the sockets are (the calls' handles a second later).
  const plugin = async (request) => (await janus.admin({ janus: 'message_plugin', plugin: 'janus.plugin.oicall', request: { request } })).response;
  for (const deadline = Date.now() + 20000; ;) {
    const sessions = (await janus.admin({ janus: 'list_sessions' })).sessions ?? [];
    const users = (await plugin('list-users'))?.users ?? [];
    const inPlugin = (await plugin('list-calls'))?.calls ?? [];
    left = `${sessions.length} sessions, ${users.length} users, ${inPlugin.length} calls`;
    if (sessions.length + users.length + inPlugin.length === 0) break;
    if (Date.now() > deadline) { problems.push(`left in Janus 20 s after the last call: ${left}`); break; }
    await sleep(1000);
  }
  await sleep(5000);
  rssAfter = rssKiB(pid);
} catch (e) {
  aborted ??= e.message;
  problems.push(`the soak stopped: ${e.message}`);
} finally {
  quitting = true;
  await Promise.all(gens.map((g) => g.quit()));
  clip.remove();
}

// The core ends a handle's PeerConnection on its watchdog's next one-second tick:
// stopping before it leaves those handles to LeakSanitizer.
if (SANITIZERS) await sleep(1500);
let log;
let atExit = '';
try {
  log = await janus.stop();
} catch (e) {
  atExit = e.message;   // a crash, or sanitizer reports
  problems.push(`${e.message}\n(Janus's runtime folder, kept: ${janus.dir})`);
  log = janus.log();
}
const errors = log.split('\n').filter((l) => l.includes('[ERR]'));
const sanitizerLines = log.split('\n').filter((l) => /runtime error:|ERROR: (AddressSanitizer|LeakSanitizer)/.test(l));
problems.push(...errors.map((l) => `Janus log: ${l}`), ...sanitizerLines.map((l) => `Janus log: ${l}`), ...totals.lost.map((l) => `lost ${l}`));

const s = summary(samples, endT);
const pct = (x) => `${(x * 100).toFixed(1)} %`;
const rows = [
  ['run', `${(endT / 60).toFixed(1)} min, ${CALLS} calls at once, ${MIN_CALL_S}-${MAX_CALL_S} s each, ${SANITIZERS ? 'sanitizer build' : 'normal build'}, ` +
    `${EVENT_LOOPS ? `${EVENT_LOOPS} event loops` : 'a thread per handle'}`],
  ['calls', `${totals.started} started, ${totals.completed} completed, ${totals.lost.length} lost`],
  ['setup (start to media both ways)', totals.setupMs.length ? `median ${median(totals.setupMs)} ms, max ${Math.max(...totals.setupMs)} ms` : '-'],
  ['media', `${s.packets} packets received, loss ${(s.loss * 100).toFixed(3)} % (worst direction of a call ` +
    `${(s.worstLoss * 100).toFixed(2)} %), jitter median ${s.jitterMedian.toFixed(2)} ms / max ` +
    `${s.jitterMax.toFixed(2)} ms (streams at their call's end), longest gap ${s.gapMax.toFixed(2)} s`],
  ['Janus RSS', `${MiB(rssBefore)} before, ${MiB(s.rssAt)} after warm-up (${WARMUP_S} s), ${MiB(s.rssEnd)} at the end, ` +
    `${MiB(rssAfter)} 5 s after the last call`],
  ['RSS slope after warm-up', `${s.perMin.toFixed(1)} kB/min (least squares over ${samples.filter((x) => x.t >= WARMUP_S && x.t <= endT).length} samples ` +
    `in ${(s.seconds / 60).toFixed(1)} min); growth ${s.growth} kB`],
  ['CPU after warm-up', `Janus ${pct(s.janusCpu)} of a core (${pct(s.janusCpu / CALLS)} per call), generators ${pct(s.gensCpu)}, ` +
    `machine ${pct(s.busy)} busy, others ${s.others.toFixed(2)} cores`],
  ['left in Janus', left],
  ['Janus log', `${errors.length} [ERR] lines, ${log.split('\n').length} lines in all`],
  ['sanitizers', SANITIZERS ? `${sanitizerLines.length} reports in the log, ${/Sanitizer|runtime error:/.test(atExit) ? 'some' : 'none'} at exit`
    : 'not in this run'],
];
console.log('');
for (const [k, v] of rows) console.log(`${k.padEnd(34)} ${v}`);
if (problems.length) {
  console.log(`\nFAILED (${problems.length}):`);
  for (const p of problems) console.log(`  ${p}`);
  process.exitCode = 1;
} else console.log('\nOK: no call lost, no [ERR] in the Janus log, no sanitizer report');
process.exit();   // the timers of calls a failure cut short need not run out
