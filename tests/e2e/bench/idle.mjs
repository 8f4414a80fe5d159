// Benchmark: many idle registered sockets held for minutes (issue #13 part 4):
// every heartbeat answered, none dropped, Janus's resident memory per socket and
// its CPU while idle. Run it with tools/bench-idle; BENCH_IDLE_SOCKETS (20000)
// and BENCH_IDLE_MINUTES (10) tune it.
import { execFileSync, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startJanus } from '../lib/janus.js';
import { cpuSeconds, rssKiB } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const WANTED = Number(process.env.BENCH_IDLE_SOCKETS || 20000);
const MINUTES = Number(process.env.BENCH_IDLE_MINUTES || 10);
const PING_INTERVAL_S = 25;     // the transport's default pingInterval
const PER_PROCESS = 5000;
// The descriptors Janus may hold: this machine's hard limit (raising it needs CAP_SYS_RESOURCE).
const NOFILE = Number(execFileSync('sh', ['-c', 'ulimit -Hn']));
// Janus needs a few hundred descriptors of its own beside the sockets.
const SOCKETS = Math.min(WANTED, NOFILE - 500);
if (SOCKETS < WANTED)
  console.log(`note: ${SOCKETS} sockets, not ${WANTED}: the descriptor hard limit here is ${NOFILE} (raising it needs CAP_SYS_RESOURCE)`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const janus = await startJanus({
  debugLevel: 3,
  // An idle socket holds one descriptor.
  nofile: NOFILE,
  // Every simulated client comes from this one address.
  transport: { limits: { max_connections: SOCKETS + 100, max_per_address: 0, events_per_second: 0 } },
  // As tools/run-server runs it: a shared event loop per core, not a thread per handle.
  eventLoops: process.env.OICALL_EVENT_LOOPS ?? String(availableParallelism()),
});
const pid = janus.process.pid;
// Several client processes: a process may hold no more descriptors than the hard limit.
const groups = [];
try {
  await sleep(2000);
  const rssBefore = rssKiB(pid);
  for (let first = 0; first < SOCKETS; first += PER_PROCESS) {
    const count = Math.min(PER_PROCESS, SOCKETS - first);
    const child = spawn(process.execPath, [join(here, 'idle-clients.mjs'), janus.sioUrl, String(first), String(count)],
      { stdio: ['pipe', 'pipe', 'inherit'] });
    groups.push({ child, lines: createInterface({ input: child.stdout }) });
  }
  const next = (group, prefix) => new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`clients exited ${code}`));
    const onLine = (line) => {
      if (!line.startsWith(`${prefix} `)) return;
      group.lines.off('line', onLine);
      group.child.off('exit', onExit);
      resolve(JSON.parse(line.slice(prefix.length + 1)));
    };
    group.lines.on('line', onLine);
    group.child.once('exit', onExit);
  });
  // Every group's answer to a command, summed up.
  const ask = async (command) => {
    const parts = await Promise.all(groups.map((g) => { g.child.stdin.write(`${command}\n`); return next(g, command); }));
    return parts.reduce((a, b) => ({ minPings: Math.min(a.minPings, b.minPings), maxPings: Math.max(a.maxPings ?? 0, b.maxPings ?? 0),
      totalPings: a.totalPings + b.totalPings, closed: a.closed + b.closed, errors: a.errors + b.errors }));
  };
  const setup = await Promise.all(groups.map((g) => next(g, 'registered')));
  console.log(`${SOCKETS} sockets registered in ${Math.max(...setup.map((x) => x.seconds)).toFixed(1)} s (${groups.length} client processes)`);
  await sleep(5000);
  const rssAfter = rssKiB(pid);
  const transportInfo = async () => (await janus.admin({ janus: 'query_transport', transport: 'janus.transport.socketio', request: {} })).response;
  console.log(`Janus RSS ${(rssBefore / 1024).toFixed(1)} MB before, ${(rssAfter / 1024).toFixed(1)} MB with the sockets: ` +
    `${(((rssAfter - rssBefore) * 1024) / SOCKETS).toFixed(0)} B per registered socket`);
  console.log('minute | Janus CPU % of a core | RSS MB | sockets open | fewest pings a socket answered | sockets closed');
  const start = { cpu: cpuSeconds(pid), at: Date.now() };
  let last = { ...start };
  const cpuShares = [];
  for (let m = 1; m <= MINUTES; m++) {
    await sleep(start.at + m * 60000 - Date.now());
    const now = { cpu: cpuSeconds(pid), at: Date.now() };
    const share = (100 * (now.cpu - last.cpu)) / ((now.at - last.at) / 1000);
    cpuShares.push(share);
    last = now;
    const p = await ask('progress');
    const t = await transportInfo();
    console.log(`${String(m).padStart(6)} | ${share.toFixed(2).padStart(21)} | ${(rssKiB(pid) / 1024).toFixed(1).padStart(6)} | ` +
      `${String(t.sockets.total).padStart(12)} | ${String(p.minPings).padStart(30)} | ${p.closed}`);
  }
  const idleSeconds = (Date.now() - start.at) / 1000;
  const totalShare = (100 * (cpuSeconds(pid) - start.cpu)) / idleSeconds;
  const t = await transportInfo();
  const r = await ask('report');
  const expected = Math.floor(idleSeconds / PING_INTERVAL_S);
  const ok = r.closed === 0 && r.errors === 0 && r.minPings >= expected && t.sockets.total === SOCKETS;
  console.log(`\nover ${(idleSeconds / 60).toFixed(1)} min: Janus CPU ${totalShare.toFixed(2)} % of a core (target ≤ 2 %); ` +
    `pings per socket ${r.minPings}-${r.maxPings} (≥ ${expected} expected), ${r.totalPings} in all; ` +
    `${r.closed} closed, ${r.errors} errors; ${t.sockets.total} sockets open at the end`);
  console.log(JSON.stringify({ sockets: SOCKETS, minutes: idleSeconds / 60,
    bytesPerSocket: ((rssAfter - rssBefore) * 1024) / SOCKETS, cpuShare: totalShare, cpuShares, ...r, expectedPings: expected }));
  process.exitCode = ok ? 0 : 1;
} finally {
  for (const g of groups) g.child.kill();
  // The clients leave first, as they would: Janus then stops with few sessions left.
  const left = Date.now();
  while (Date.now() - left < 60000) {
    const t = await janus.admin({ janus: 'query_transport', transport: 'janus.transport.socketio', request: {} }).catch(() => null);
    if (!t?.response || t.response.sessions === 0) break;
    await sleep(500);
  }
  console.log(`the sockets' Janus sessions were gone ${((Date.now() - left) / 1000).toFixed(1)} s after the clients left`);
  const stopping = Date.now();
  await janus.stop();
  console.log(`Janus stopped in ${((Date.now() - stopping) / 1000).toFixed(1)} s`);
}
