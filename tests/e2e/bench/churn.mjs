// Call churn through Socket.IO: one caller rings and ends calls back to back
// (the pattern of issue "abuse": 3,924 start/end cycles in 10 s took Janus
// from 41 to about 100 MB), then everything idles. Janus's RSS is printed
// before, every CHURN_REPORT cycles, after the churn and after idling, with
// the heap (glibc arenas) trimmed or not, to tell a leak from allocator
// growth. Not a test: it prints figures.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { startJanus, sleep } from '../lib/janus.js';
import { connect, emitAck } from '../lib/sio.js';

const CYCLES = Number(process.env.CHURN_CYCLES || 4000);
const REPORT = Number(process.env.CHURN_REPORT || 1000);
const PAIRS = Number(process.env.CHURN_PAIRS || 4);
const ROUNDS = Number(process.env.CHURN_ROUNDS || 1);
const EVENT_LOOPS = Number(process.env.CHURN_EVENT_LOOPS || 0); // 0: a thread per handle, Janus's default
const rssMiB = (pid) => (Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024).toFixed(1);

// Ended calls' handles hold their ports until the core frees them (a second later): a wide range.
const janus = await startJanus({ debugLevel: 3, rtpPorts: '20000-40000', eventLoops: EVENT_LOOPS,
  plugin: { general: { max_call_starts_per_minute: 0, max_unanswered_calls: 0 } },
  transport: { limits: { events_per_second: 0, max_per_address: 0 } } });
const pid = janus.process.pid;
try {
  const pairs = [];
  for (let p = 0; p < PAIRS; p++) {
    const caller = await connect(janus.sioUrl, { transports: ['websocket'] });
    const callee = await connect(janus.sioUrl, { transports: ['websocket'] });
    await emitAck(caller, 'register', `churn-a${p}`);
    await emitAck(callee, 'register', `churn-b${p}`);
    pairs.push({ caller, callee, to: `churn-b${p}` });
  }
  await sleep(1000);
  console.log(`before: ${rssMiB(pid)} MiB`);
  // Rounds of churn then idle: memory that a later round reuses without growing is not leaked.
  for (let round = 1; round <= ROUNDS; round++) {
    const start = Date.now();
    let done = 0;
    await Promise.all(pairs.map(async ({ caller, to }) => {
      while (done < CYCLES) {
        const { callId, error } = await emitAck(caller, 'start-call', { toUserId: to, callType: 'video' });
        if (error) throw new Error(error);
        await emitAck(caller, 'end-call', { callId });
        if (++done % REPORT === 0) console.log(`round ${round}: after ${done} cycles (${((Date.now() - start) / 1000).toFixed(1)} s): ${rssMiB(pid)} MiB`);
      }
    }));
    console.log(`round ${round}: churn over: ${rssMiB(pid)} MiB`);
    await sleep(10000);
    console.log(`round ${round}: 10 s idle: ${rssMiB(pid)} MiB`);
  }
  for (const { caller, callee } of pairs) { caller.disconnect(); callee.disconnect(); }
  await sleep(5000);
  console.log(`sockets gone: ${rssMiB(pid)} MiB`);
  const sessions = (await janus.admin({ janus: 'list_sessions' })).sessions ?? [];
  const calls = (await janus.admin({ janus: 'message_plugin', plugin: 'janus.plugin.oicall', request: { request: 'list-calls' } })).response?.calls ?? [];
  console.log(`left in Janus: ${sessions.length} sessions, ${calls.length} calls`);
  // What free() kept: glibc returns free pages inside the heap only on malloc_trim.
  try {
    execFileSync('gdb', ['-p', String(pid), '-batch', '-ex', 'call (int)malloc_trim(0)'], { stdio: 'ignore', timeout: 60000 });
    console.log(`after malloc_trim(0): ${rssMiB(pid)} MiB`);
  } catch { console.log('(no gdb: malloc_trim not tried)'); }
} finally {
  await janus.stop();
}
