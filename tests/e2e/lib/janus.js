// Starts Debian's /usr/bin/janus with the freshly built oicall modules in a
// private runtime folder (tools/janus-runtime), waits until it answers, and
// stops it again, failing when it crashed or a sanitizer reported anything.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test, before, after } from 'node:test';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BUILD_DIR = resolve(process.env.OICALL_BUILD_DIR || join(ROOT, 'build'));
// Inside tests/e2e/netns-run.sh: Janus listens on the veth address so that
// ICE has a non-loopback interface; clients are on 10.213.0.2. Inside
// tests/e2e/netns-nat.sh the topology names the addresses, and clients reach
// Janus at its public address only.
export const JANUS_IP = process.env.OICALL_JANUS_IP || (process.env.OICALL_NETNS ? '10.213.0.1' : '127.0.0.1');
export const CLIENT_IP = process.env.OICALL_CLIENT_IP || (process.env.OICALL_NETNS ? '10.213.0.2' : '127.0.0.1');
export const PUBLIC_IP = process.env.OICALL_PUBLIC_IP || JANUS_IP;
const ICE_IFACE = process.env.OICALL_ICE_IFACE || 'veth0';
export const ADMIN_SECRET = 'oicall-test-admin';

const running = new Set();
process.on('exit', () => { for (const j of running) j.process.kill('SIGKILL'); });

let instanceCount = 0;

function jcfg(sections) {
  // { general: { a: 1, b: "x" } } -> Janus jcfg text
  const value = (v) => (typeof v === 'string' ? JSON.stringify(v) : String(v));
  return Object.entries(sections).map(([cat, items]) =>
    `${cat}: {\n${Object.entries(items).map(([k, v]) => `\t${k} = ${value(v)}`).join('\n')}\n}\n`).join('\n');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Start a Janus. Options:
 *  plugin:    { category: { key: value } } for janus.plugin.oicall.jcfg
 *  transport: { category: { key: value } } for janus.transport.socketio.jcfg (port is set for you)
 *  plugins:   extra stock plugins to load, e.g. ['echotest']
 *  eventHandlers: stock event handlers, e.g. ['sampleevh']
 *  extraConfigs: { 'janus.eventhandler.sampleevh.jcfg': 'text' }
 *  reusePortsOf: a stopped instance, to restart on the same ports
 *  debugLevel: Janus log level (default 4)
 *  janusArgs: extra command-line arguments for /usr/bin/janus, e.g. ['--full-trickle']
 *  nofile:    the file descriptor limit Janus runs with (prlimit)
 *  rtpPorts:  its RTP port range, e.g. '20000-40000' (default: 200 ports of its own)
 *  publicIp:  the address announced in its ICE candidates (nat_1_1_mapping)
 *  runtimeArgs: more tools/janus-runtime options, e.g. ['--ice-tcp']
 *  ip, iceIface: the address it listens and gathers ICE candidates on, and that
 *             address's interface (default JANUS_IP on veth0), for several
 *             instances on addresses of their own (the cluster test)
 */
export async function startJanus(opts = {}) {
  const n = instanceCount++;
  const base = 8100 + (process.pid % 50) * 100 + n * 5;
  // reusePortsOf: a stopped instance whose ports a restart takes over.
  const ports = opts.reusePortsOf ? { ...opts.reusePortsOf.ports } : { http: base, admin: base + 1, sio: base + 2 };
  const dir = mkdtempSync(join(tmpdir(), 'oicall-janus-'));
  const ip = opts.ip ?? JANUS_IP;
  const args = [dir, '--build', BUILD_DIR, '--http-port', ports.http, '--admin-port', ports.admin,
    '--sio-port', ports.sio, '--admin-secret', ADMIN_SECRET, '--bind', ip,
    '--rtp-ports', opts.rtpPorts ?? `${20000 + n * 200}-${20199 + n * 200}`,
    '--debug-level', String(process.env.OICALL_JANUS_DEBUG ?? opts.debugLevel ?? 4)];
  if (process.env.OICALL_NETNS) args.push('--interface', ip, '--ice-enforce', opts.iceIface ?? ICE_IFACE);
  if (opts.publicIp) args.push('--public-ip', opts.publicIp);
  // OICALL_EVENT_LOOPS: every test's Janus on shared event loops, as tools/run-server runs it.
  const eventLoops = opts.eventLoops ?? process.env.OICALL_EVENT_LOOPS;
  if (eventLoops) args.push('--event-loops', eventLoops);
  args.push(...(opts.runtimeArgs || []));
  for (const p of opts.plugins || []) args.push('--plugin', p);
  for (const e of opts.eventHandlers || []) args.push('--event-handler', e);
  if (opts.demoFolder) args.push('--demo-folder', opts.demoFolder);
  execFileSync(join(ROOT, 'tools/janus-runtime'), args.map(String), { stdio: ['ignore', 'ignore', 'inherit'] });

  const transport = { ...(opts.transport || {}) };
  transport.general = { port: ports.sio, interface: ip, ...(transport.general || {}) };
  if (opts.demoFolder) transport.general.demo_folder = opts.demoFolder;
  writeFileSync(join(dir, 'janus.transport.socketio.jcfg'), jcfg(transport));
  if (opts.plugin) writeFileSync(join(dir, 'janus.plugin.oicall.jcfg'), jcfg(opts.plugin));
  for (const [name, text] of Object.entries(opts.extraConfigs || {})) writeFileSync(join(dir, name), text);

  const env = { ...process.env };
  const sanitizerLog = join(dir, 'sanitizer');
  if (process.env.OICALL_SANITIZERS === '1') {
    // The modules are built with ASan/UBSan but /usr/bin/janus is not: preload the runtime.
    env.LD_PRELOAD = [process.env.OICALL_ASAN_LIB, env.LD_PRELOAD].filter(Boolean).join(':');
    env.ASAN_OPTIONS = `log_path=${sanitizerLog}:detect_leaks=1:abort_on_error=0${process.env.OICALL_SLOW_UNWIND ? ":fast_unwind_on_malloc=0" : ""}:detect_odr_violation=0`;
    env.UBSAN_OPTIONS = `log_path=${sanitizerLog}:print_stacktrace=1:halt_on_error=1`;
  }
  const logFile = join(dir, 'janus.log');
  const janusArgs = ['-C', join(dir, 'janus.jcfg'), '-F', dir, '-L', logFile, '-N', '-o', ...(opts.janusArgs || [])];
  // nofile: Janus's file descriptor limit (prlimit execs Janus: same pid).
  // OICALL_JANUS_WRAPPER: a profiler to run Janus under (e.g. "heaptrack -o /tmp/janus"), benches only.
  const wrapper = (process.env.OICALL_JANUS_WRAPPER || '').split(' ').filter(Boolean);
  const command = [...(opts.nofile ? ['prlimit', `--nofile=${opts.nofile}:${opts.nofile}`] : []), ...wrapper, '/usr/bin/janus'];
  const proc = spawn(command[0], [...command.slice(1), ...janusArgs], { env, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  const janus = {
    dir, ports, ip, process: proc, logFile,
    sioUrl: `http://${ip}:${ports.sio}`,
    publicSioUrl: `http://${PUBLIC_IP}:${ports.sio}`,
    httpUrl: `http://${ip}:${ports.http}/janus`,
    adminUrl: `http://${ip}:${ports.admin}/admin`,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    admin: (request) => adminRequest(janus, request),
    stopped: null,
    // Idempotent: a suite's last test calls it to check the exit, after() again to be sure.
    stop: () => (janus.stopped ??= stopJanus(janus, exited, sanitizerLog, () => stderr)),
  };
  running.add(janus);
  const deadline = Date.now() + 30000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null)
      throw new Error(`janus exited at start-up (${proc.exitCode ?? proc.signalCode}):\n${stderr}\n${janus.log().slice(-4000)}`);
    try {
      const info = await janus.admin({ janus: 'info' });
      if (info.janus === 'server_info') break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`janus did not answer within 30 s:\n${janus.log().slice(-4000)}`);
    }
    await sleep(100);
  }
  return janus;
}

let transactionCount = 0;
export async function adminRequest(janus, request) {
  const body = { transaction: `t${++transactionCount}`, admin_secret: ADMIN_SECRET, ...request };
  const res = await fetch(janus.adminUrl, { method: 'POST', body: JSON.stringify(body) });
  return res.json();
}

// A call's audio streams as the plugin's call-info has them, each with its
// peer's user: [{ user, type: 'producer' | 'consumer', id, payloadType, ... }]
// (payloadType: of the last packet in from a producer's client, out to a consumer's).
export async function callAudioStreams(janus, callId) {
  const request = { request: 'call-info', callId };
  const info = (await adminRequest(janus, { janus: 'message_plugin', plugin: 'janus.plugin.oicall', request })).response;
  return info.peers.flatMap((peer) => peer.handles.flatMap((h) => h.streams.filter((s) => s.kind === 'audio')
    .map((s) => ({ user: peer.userId, ...s }))));
}

// Janus API over HTTP (the stock transport), for non-Socket.IO clients.
export async function janusRequest(janus, path, request) {
  const body = { transaction: `t${++transactionCount}`, ...request };
  const res = await fetch(`${janus.httpUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return res.json();
}

// A client of the plugin over Janus's HTTP API: a session with one handle.
// message(body) resolves with the plugin's answer (plugindata.data), whether
// it came at once or as a later event on the session's long poll.
export async function httpPluginClient(janus, plugin = 'janus.plugin.oicall') {
  const session = (await janusRequest(janus, '', { janus: 'create' })).data.id;
  const handle = (await janusRequest(janus, `/${session}`, { janus: 'attach', plugin })).data.id;
  const message = async (body) => {
    const reply = await janusRequest(janus, `/${session}/${handle}`, { janus: 'message', body });
    if (reply.janus === 'success') return reply.plugindata.data;
    if (reply.janus !== 'ack') throw new Error(`message refused: ${JSON.stringify(reply)}`);
    for (const deadline = Date.now() + 10000; Date.now() < deadline;) {
      const events = await (await fetch(`${janus.httpUrl}/${session}?maxev=10`)).json();
      const answer = [].concat(events).find((e) => e.transaction === reply.transaction && e.janus === 'event');
      if (answer) return answer.plugindata.data;
    }
    throw new Error(`no answer to ${JSON.stringify(body)}`);
  };
  const destroy = () => janusRequest(janus, `/${session}`, { janus: 'destroy' });
  return { session, handle, message, destroy };
}

// Any sanitizer report fails: ASan/UBSan errors and leaks alike (Janus
// itself exits leak-free in every suite here, so a leak is ours).
function sanitizerReports(sanitizerLog) {
  const dir = dirname(sanitizerLog);
  const prefix = sanitizerLog.slice(dir.length + 1);
  return readdirSync(dir).filter((f) => f.startsWith(`${prefix}.`))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .filter((text) => /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/.test(text));
}

async function stopJanus(janus, exited, sanitizerLog, stderr) {
  running.delete(janus);
  const { process: proc } = janus;
  if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15000);
  const { code, signal } = await exited;
  clearTimeout(timer);
  const log = janus.log();
  const problems = [];
  if (signal === 'SIGKILL') problems.push('janus did not exit within 15 s of SIGTERM');
  else if (signal) problems.push(`janus died of ${signal}`);
  else if (code !== 0) problems.push(`janus exited with code ${code}`);
  if (process.env.OICALL_SANITIZERS === '1') problems.push(...sanitizerReports(sanitizerLog));
  if (problems.length) {
    throw new Error(`${problems.join('\n')}\n--- stderr ---\n${stderr().slice(-4000)}\n--- log tail ---\n${log.slice(-4000)}`);
  }
  if (!process.env.OICALL_KEEP_RUNTIME) rmSync(janus.dir, { recursive: true, force: true });
  return log;
}

/**
 * Inside a describe(): starts Janus before the suite's tests and always
 * stops it after them. Call the returned cleanExitTest() as the suite's
 * last test so a crash or sanitizer report at shutdown fails a test.
 */
export function useJanus(opts = {}) {
  const ctx = { janus: null };
  before(async () => { ctx.janus = await startJanus(typeof opts === 'function' ? await opts() : opts); });
  after(async () => { await ctx.janus?.stop().catch(() => {}); });
  ctx.cleanExitTest = () => test('Janus exits cleanly (no crash, no sanitizer report)', async () => {
    // The core runs the end_session/close_pc a plugin asked for on its
    // watchdog's next one-second tick, holding a reference to the handle until
    // then; stopping before that tick leaves those handles to LeakSanitizer.
    if (process.env.OICALL_SANITIZERS === '1') await sleep(1500);
    await ctx.janus.stop();
  });
  return ctx;
}

export { sleep, jcfg };
