// Capacity: N concurrent 1:1 calls at 720p-like rates (VP8 about 1.5 Mbit/s
// and Opus, both ways) through janus.plugin.oicall, then the same N through
// Janus's VideoCall plugin in the same Janus, for N stepping up. The calls
// come from webrtc-load.py (GStreamer's webrtcbin sending pre-encoded media:
// no browser, no per-frame encoding). For each plugin and N it prints
// Janus's CPU per call over a steady window (from /proc), its busiest
// thread, the load generator's own CPU, how busy the machine was, and the
// loss, jitter and bitrate the receivers saw; then the ratio. It stops when
// loss passes 0.5 %, Janus fills a core, or the machine is full (then the
// generator is the limit). Not a test: it prints figures. Run it with
// tools/bench-capacity.
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { startJanus, sleep } from '../lib/janus.js';
import { cpuSeconds, median, WINDOW_S, machineJiffies, generator, encodedClip } from './common.mjs';

const STEPS = (process.env.BENCH_STEPS || '1,2,4,6,8,12,16,20,24').split(',').map(Number);
const PAIRS_PER_PROCESS = Number(process.env.BENCH_PAIRS_PER_PROCESS || 6);
const EVENT_LOOPS = Number(process.env.BENCH_EVENT_LOOPS || 0);   // 0: a thread per handle, Janus's default
const DEADLINE = Date.now() + Number(process.env.BENCH_MAX_SECONDS || 1200) * 1000;
const LOSS_LIMIT = 0.005;

// CPU seconds of each of a process's threads.
function threadSeconds(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try { out.set(tid, cpuSeconds(`${pid}/task/${tid}`)); } catch { /* the thread ended */ }
  }
  return out;
}

async function snapshot(janus, gens) {
  const stats = await Promise.all(gens.map((g) => g.ask('stats')));
  return {
    stats,
    janus: cpuSeconds(janus.process.pid),
    threads: threadSeconds(janus.process.pid),
    gens: gens.map((g) => cpuSeconds(g.pid)).reduce((a, b) => a + b, 0),
    machine: machineJiffies(),
    at: Date.now(),
  };
}

const sum = (xs, f) => xs.reduce((a, x) => a + f(x), 0);

// The SRTP profiles the handles' DTLS negotiated (Admin API handle_info).
async function srtpProfiles(janus) {
  const profiles = new Set();
  for (const session of (await janus.admin({ janus: 'list_sessions' })).sessions) {
    for (const handle of (await janus.admin({ janus: 'list_handles', session_id: session })).handles) {
      const info = (await janus.admin({ janus: 'handle_info', session_id: session, handle_id: handle })).info;
      if (info?.webrtc?.dtls?.['srtp-profile']) profiles.add(info.webrtc.dtls['srtp-profile']);
    }
  }
  return [...profiles].join(', ');
}

async function measure(janus, plugin, calls, clip) {
  const url = plugin === 'oicall' ? janus.sioUrl : janus.httpUrl;
  const gens = [];
  for (let placed = 0, k = 0; placed < calls; placed += PAIRS_PER_PROCESS, k++) {
    const pairs = Math.min(PAIRS_PER_PROCESS, calls - placed);
    gens.push(generator(['--media', clip, '--plugin', plugin, '--url', url, '--pairs', String(pairs),
      '--prefix', `${plugin}-${calls}-${k}`]));
  }
  try {
    await Promise.all(gens.map((g) => g.next()));   // every call placed
    // Every stream flowing (4 per call: video and audio, each way).
    for (const deadline = Date.now() + 30000; ;) {
      const stats = await Promise.all(gens.map((g) => g.ask('stats')));
      if (sum(stats, (s) => s.streams) === 4 * calls) break;
      if (Date.now() > deadline) throw new Error(`${plugin}: ${sum(stats, (s) => s.streams)} of ${4 * calls} streams flowing after 30 s`);
      await sleep(500);
    }
    await sleep(3000);   // past ramp-up
    const a = await snapshot(janus, gens);
    await sleep(WINDOW_S * 1000);
    const b = await snapshot(janus, gens);
    const srtp = await srtpProfiles(janus);
    const seconds = (b.at - a.at) / 1000;
    const packets = sum(b.stats, (s) => s.packets) - sum(a.stats, (s) => s.packets);
    // Lost: the packets expected from the sequence numbers and not received, in the window.
    const lost = sum(b.stats, (s) => s.expected) - sum(a.stats, (s) => s.expected) - packets;
    const jitter = b.stats.flatMap((s) => s.jitter_ms);
    const busiest = Math.max(...[...b.threads].map(([tid, t]) => (t - (a.threads.get(tid) ?? 0)) / seconds));
    return {
      plugin, calls, srtp,
      janusPerCall: (b.janus - a.janus) / seconds / calls,
      janusTotal: (b.janus - a.janus) / seconds,
      busiestThread: busiest,
      janusThreads: b.threads.size,
      genPerCall: (b.gens - a.gens) / seconds / calls,
      machineBusy: (b.machine[0] - a.machine[0]) / (b.machine[1] - a.machine[1]),
      // What else ran meanwhile (other people's work on a shared machine), in cores.
      others: (b.machine[0] - a.machine[0]) / (b.machine[1] - a.machine[1]) * cpus().length - (b.janus - a.janus + b.gens - a.gens) / seconds,
      loss: packets + lost > 0 ? lost / (packets + lost) : 0,
      jitterMedian: median(jitter),
      jitterMax: Math.max(...jitter),
      kbpsPerCall: (sum(b.stats, (s) => s.bytes) - sum(a.stats, (s) => s.bytes)) * 8 / seconds / 1000 / calls,
      keyframeRequests: sum(b.stats, (s) => s.keyframe_requests) - sum(a.stats, (s) => s.keyframe_requests),
      keyframeRequestsInAll: sum(b.stats, (s) => s.keyframe_requests),
    };
  } finally {
    await Promise.all(gens.map((g) => g.quit()));
    await sleep(3000);   // teardown stays out of the next window
  }
}

const pct = (x) => `${(x * 100).toFixed(2)} %`;
function print(r) {
  console.log(`${r.plugin.padEnd(9)} ${String(r.calls).padStart(3)} calls: Janus ${pct(r.janusPerCall)} of a core per call ` +
    `(${pct(r.janusTotal)} in all, busiest thread ${pct(r.busiestThread)}, ${r.janusThreads} threads); ` +
    `generator ${pct(r.genPerCall)} per call; machine ${pct(r.machineBusy)} busy (others ${r.others.toFixed(2)} cores); loss ${(r.loss * 100).toFixed(3)} %; ` +
    `jitter ${r.jitterMedian.toFixed(2)} / ${r.jitterMax.toFixed(2)} ms (median / max of the streams); ${r.kbpsPerCall.toFixed(0)} kbit/s received per call; ` +
    `keyframe requests answered ${r.keyframeRequests} (${r.keyframeRequestsInAll} since the calls began); SRTP ${r.srtp}`);
}

const clip = await encodedClip();
const janus = await startJanus({
  plugins: ['videocall'], debugLevel: 3, rtpPorts: '20000-29999', eventLoops: EVENT_LOOPS || undefined,
  transport: { limits: { max_per_address: 0, events_per_second: 0 } },
});
const rows = [];
let stop = '';
try {
  console.log(`clip: ${JSON.stringify(clip.info)}`);
  console.log(`Janus: ${EVENT_LOOPS ? `${EVENT_LOOPS} shared event loops` : 'a thread per handle'}; ` +
    `${WINDOW_S} s windows; load average at start ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  for (const calls of STEPS) {
    if (Date.now() > DEADLINE) { stop = 'the time limit (BENCH_MAX_SECONDS)'; break; }
    const pair = [];
    for (const plugin of ['oicall', 'videocall']) {
      const r = await measure(janus, plugin, calls, clip.path);
      print(r);
      pair.push(r);
    }
    rows.push(pair);
    const [o, v] = pair;
    console.log(`          ${String(calls).padStart(3)} calls: CPU per call oicall / VideoCall ${(o.janusPerCall / v.janusPerCall).toFixed(2)}`);
    if (pair.some((r) => r.loss > LOSS_LIMIT)) { stop = 'loss above 0.5 %'; break; }
    if (pair.some((r) => r.busiestThread > 0.9 || r.janusTotal > 0.9)) { stop = 'Janus filling a core'; break; }
    if (pair.some((r) => r.machineBusy > 0.9)) { stop = 'the machine full (the load generator is the limit)'; break; }
  }
} finally {
  await janus.stop();
  clip.remove();
}
if (rows.length) {
  // The largest step measures best: the most calls over the fixed costs and the clock ticks.
  const [o, v] = rows.at(-1);
  console.log(`stopped by ${stop || 'the last step'}; at ${o.calls} calls: oicall ${pct(o.janusPerCall)}, VideoCall ` +
    `${pct(v.janusPerCall)} of a core per call, ratio ${(o.janusPerCall / v.janusPerCall).toFixed(2)}; at that cost one core ` +
    `carries about ${Math.floor(1 / o.janusPerCall)} oicall calls (extrapolated; Janus's busiest thread ${pct(o.busiestThread)})`);
}
