// Benchmark: janus.transport.socketio in Janus against the reference Node
// socket.io 4.8 server with an equivalent echo handler, side by side in one
// run on this machine: acked-event round trips per second, p50/p99 latency
// and server CPU per acked event with 1, 50 and 500 connected clients, and
// resident memory per idle connected socket; and oicall's own register against
// the reference's (ratios against the reference's figure for the same event).
// Janus answers through two stock plugins:
//   - EchoTest, which answers on its own thread like most plugins (and oicall);
//   - VideoRoom's "exists", answered inside handle_message: the fewest thread
//     hand-offs the Janus core allows an event (the floor for any plugin).
// Run it with tools/bench-socketio (which builds first and uses a private
// network namespace).
import { fork, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startJanus, JANUS_IP } from '../lib/janus.js';
import { cpuSeconds, rssKiB } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const CLIENT_COUNTS = (process.env.BENCH_CLIENTS || '1,50,500').split(',').map(Number);
const IDLE = Number(process.env.BENCH_IDLE || 1000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A process's CPU time, and the part of it spent on the Socket.IO transport's
// own thread ("socketio lws"; everything else in Janus is the core and the plugin).
function serverCpu(pid) {
  let transport = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() === 'socketio lws')
        transport += cpuSeconds(`${pid}/task/${tid}`);
    } catch { /* a thread that just ended */ }
  }
  return { total: cpuSeconds(pid), transport };
}

// One load run; the server's and the load generator's CPU are read over the measured window.
function run(url, pid, clients, event) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, 'load.mjs'), url, String(clients), String(SECONDS), ...event],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let buffered = '';
    let start;
    let result;
    child.stdout.on('data', (d) => {
      buffered += d;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line === 'measuring') {
          start = { server: serverCpu(pid), load: cpuSeconds(child.pid) };
        } else {
          result = JSON.parse(line);
          const end = serverCpu(pid);
          result.serverCpuUsPerAck = ((end.total - start.server.total) * 1e6) / result.acks;
          result.transportCpuUsPerAck = ((end.transport - start.server.transport) * 1e6) / result.acks;
          result.loadCpuShare = (cpuSeconds(child.pid) - start.load) / result.seconds;
        }
      }
    });
    child.on('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`load exited ${code}`))));
  });
}

// settle(): lets the server drop its garbage before a reading (the reference collects on request).
async function idleBytes(url, pid, mode, settle) {
  await sleep(1000);
  await settle();
  const before = rssKiB(pid);
  const child = spawn(process.execPath, [join(here, 'load.mjs'), url, String(IDLE), mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve) => child.stdout.on('data', (d) => { if (String(d).includes('connected')) resolve(); }));
  await sleep(2000);
  await settle();
  const after = rssKiB(pid);
  child.stdin.end();
  await new Promise((r) => child.on('exit', r));
  return ((after - before) * 1024) / IDLE;
}

// memory: also the resident memory per idle connection.
async function measure(name, url, pid, event = [], settle = async () => {}, memory = true) {
  const result = { name, runs: {} };
  for (const n of CLIENT_COUNTS) {
    result.runs[n] = await run(url, pid, n, event);
    await sleep(500);
  }
  if (memory) {
    result.bytesPerIdleSocket = await idleBytes(url, pid, 'idle', settle);
    result.bytesPerIdleEngineIO = await idleBytes(url, pid, 'idle-eio', settle);
  }
  return result;
}

async function measureJanus(name, plugin, event, memory = true) {
  const stock = plugin !== 'oicall';
  const janus = await startJanus({ plugins: stock ? [plugin] : [], debugLevel: 3,
    // Every simulated client comes from this one address.
    transport: { general: { plugin: `janus.plugin.${plugin}` }, limits: { max_per_address: 0, events_per_second: 0 } } });
  try {
    return await measure(name, janus.sioUrl, janus.process.pid, event, undefined, memory);
  } finally {
    await janus.stop();
  }
}

// oicall's own request: each client registers as its own user, again and again.
const REGISTER = ['register', '"bench-%ID%"'];
const echo = await measureJanus('oicall transport + EchoTest', 'echotest', []);
const floor = await measureJanus('oicall transport + VideoRoom exists', 'videoroom', ['exists', '{"room":1234}']);
const oicall = await measureJanus('oicall transport + oicall register', 'oicall', REGISTER, false);
const refPort = 8700;
const reference = fork(join(here, 'reference-server.mjs'), [JANUS_IP, String(refPort)],
  { stdio: 'inherit', execArgv: ['--expose-gc'] });
await new Promise((r) => reference.once('message', r));
const collect = () => new Promise((r) => { reference.once('message', r); reference.send('gc'); });
let ref, refRegister;
try {
  const url = `http://${JANUS_IP}:${refPort}`;
  ref = await measure('reference (Node socket.io 4.8)', url, reference.pid, [], collect);
  refRegister = await measure('reference register', url, reference.pid, REGISTER, collect, false);
} finally {
  reference.kill();
}

const f = (x, d = 0) => x.toFixed(d);
console.log(`\nSocket.IO acked-event round trips (${SECONDS} s per run, closed loop, one request in flight per client)`);
console.log('clients | server                               | acks/s | ratio | p50/p99 ms    | server CPU µs/ack | ratio | of which transport thread | load gen CPU');
for (const n of CLIENT_COUNTS) {
  for (const [side, against] of [[echo, ref], [floor, ref], [ref, ref], [oicall, refRegister], [refRegister, refRegister]]) {
    const a = side.runs[n];
    const b = against.runs[n];
    console.log(`${String(n).padStart(7)} | ${side.name.padEnd(36)} | ${f(a.rate).padStart(6)} | ${f(a.rate / b.rate, 2)} | ` +
      `${`${f(a.p50, 2)}/${f(a.p99, 2)}`.padEnd(13)} | ${f(a.serverCpuUsPerAck, 1).padStart(17)} | ` +
      `${f(a.serverCpuUsPerAck / b.serverCpuUsPerAck, 2)} | ${f(a.transportCpuUsPerAck, 1).padStart(25)} | ` +
      `${f(a.loadCpuShare * 100)} %`);
  }
}
console.log(`\nResident memory per idle connection (${IDLE} connections): Socket.IO socket / Engine.IO only`);
for (const side of [echo, floor, ref]) {
  console.log(`${side.name.padEnd(36)} ${f(side.bytesPerIdleSocket).padStart(6)} B (ratio ${f(side.bytesPerIdleSocket / ref.bytesPerIdleSocket, 2)})` +
    ` / ${f(side.bytesPerIdleEngineIO).padStart(6)} B (ratio ${f(side.bytesPerIdleEngineIO / ref.bytesPerIdleEngineIO, 2)})`);
}
console.log(JSON.stringify({ echo, floor, oicall, ref, refRegister }));
process.exit(0);
