// Benchmark: janus.transport.socketio (in Janus, echoed by the stock
// EchoTest plugin) against the reference Node socket.io 4.8 server with an
// equivalent echo handler, side by side in one run on this machine.
// Acked-event round trips per second and p50/p99 latency with 1, 50 and
// 500 connected clients, and resident memory per idle connected socket.
// Run it with tools/bench-socketio (which builds first and uses a private
// network namespace).
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startJanus, JANUS_IP } from '../lib/janus.js';

const here = dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const CLIENT_COUNTS = (process.env.BENCH_CLIENTS || '1,50,500').split(',').map(Number);
const IDLE = Number(process.env.BENCH_IDLE || 1000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}

function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'load.mjs'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load exited ${code}`))));
  });
}

async function idleMemory(url, pid) {
  await sleep(1000);
  const before = rssKiB(pid);
  const child = spawn(process.execPath, [join(here, 'load.mjs'), url, String(IDLE), 'idle'], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve) => child.stdout.on('data', (d) => { if (String(d).includes('connected')) resolve(); }));
  await sleep(2000);
  const after = rssKiB(pid);
  child.stdin.end();
  await new Promise((r) => child.on('exit', r));
  return ((after - before) * 1024) / IDLE;
}

async function measure(name, url, pid) {
  const result = { name, runs: {} };
  for (const n of CLIENT_COUNTS) {
    result.runs[n] = await run([url, String(n), String(SECONDS)]);
    await sleep(500);
  }
  result.bytesPerIdleSocket = await idleMemory(url, pid);
  return result;
}

const janus = await startJanus({ plugins: ['echotest'], debugLevel: 3,
  transport: { general: { plugin: 'janus.plugin.echotest' } } });
const refPort = janus.ports.sio + 100;
const reference = fork(join(here, 'reference-server.mjs'), [JANUS_IP, String(refPort)], { stdio: 'inherit' });
await new Promise((r) => reference.once('message', r));

let ours;
let ref;
try {
  ours = await measure('oicall (Janus + janus.transport.socketio)', janus.sioUrl, janus.process.pid);
  ref = await measure('reference (Node socket.io 4.8)', `http://${JANUS_IP}:${refPort}`, reference.pid);
} finally {
  reference.kill();
  await janus.stop();
}

const f = (x, d = 0) => x.toFixed(d);
console.log(`\nSocket.IO acked-event round trips (${SECONDS} s per run, closed loop, one request in flight per client)`);
console.log('clients | oicall acks/s | ref acks/s | ratio | oicall p50/p99 ms | ref p50/p99 ms');
for (const n of CLIENT_COUNTS) {
  const a = ours.runs[n];
  const b = ref.runs[n];
  console.log(`${String(n).padStart(7)} | ${f(a.rate).padStart(13)} | ${f(b.rate).padStart(10)} | ${f(a.rate / b.rate, 2).padStart(5)} | ` +
    `${f(a.p50, 2)}/${f(a.p99, 2)} | ${f(b.p50, 2)}/${f(b.p99, 2)}`);
}
console.log(`\nResident memory per idle connected socket (${IDLE} sockets):`);
console.log(`oicall ${f(ours.bytesPerIdleSocket)} B, reference ${f(ref.bytesPerIdleSocket)} B, ratio ${f(ours.bytesPerIdleSocket / ref.bytesPerIdleSocket, 3)}`);
console.log(JSON.stringify({ ours, ref }));
process.exit(0);
