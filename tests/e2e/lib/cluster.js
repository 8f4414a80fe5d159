// What the cluster's tests share (docs/cluster.md): redis-server processes
// of their own on loopback, without persistence, and Janus instances on veth
// pairs of their own in the test's network namespace.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { startJanus } from './janus.js';
import { connect, emitAck, waitFor } from './sio.js';

export function redisCli(port, ...args) {
  return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--raw', ...args],
    { encoding: 'utf8', timeout: 5000 }).trim();
}

export const redisJson = (port, key) => { const v = redisCli(port, 'GET', key); return v ? JSON.parse(v) : null; };

// A redis-server (or, with a config file and --sentinel in args, a Sentinel)
// that only this test talks to; resolves once it answers.
export async function startRedis(port, args = []) {
  const proc = spawn('redis-server', [...args, '--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
  const exited = new Promise((r) => proc.on('exit', r));
  await waitFor(() => { try { return redisCli(port, 'PING') === 'PONG'; } catch { return false; } },
    { timeoutMs: 10000, what: `redis-server on ${port}` });
  return { proc, port, stop: async () => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); await exited; } };
}

// Instance i's own veth pair and address (10.213.1i.1), as netns-run.sh makes veth0 for one Janus.
function instanceLink(i) {
  const a = `vethc${i}a`, b = `vethc${i}b`;
  const ip = (...args) => execFileSync('ip', args);
  try { ip('link', 'del', a); } catch { /* not there yet */ }
  ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b);
  ip('addr', 'add', `10.213.1${i}.1/24`, 'dev', a);
  ip('addr', 'add', `10.213.1${i}.2/24`, 'dev', b);
  ip('link', 'set', a, 'up');
  ip('link', 'set', b, 'up');
  return { ip: `10.213.1${i}.1`, iceIface: a };
}

// cluster: the plugin's cluster settings but for instance_id and media_address.
export function startInstance(i, id, cluster, extra = {}) {
  const link = instanceLink(i);
  return startJanus({ ...link, ...extra,
    plugin: { general: { reconnect_grace: 2 }, cluster: { ...cluster, instance_id: id, media_address: link.ip } } });
}

export const adminList = async (janus, request, cluster) => (await janus.admin({ janus: 'message_plugin',
  plugin: 'janus.plugin.oicall', request: { request, ...(cluster ? { cluster: true } : {}) } })).response;
// The gauge on the transport's /metrics page.
export const redisUp = async (janus) => Number((await (await fetch(`${janus.sioUrl}/metrics`)).text())
  .match(/^oicall_cluster_redis_up (\d+)$/m)?.[1]);

export async function registered(janus, userId) {
  const socket = await connect(janus.sioUrl);
  const ack = await emitAck(socket, 'register', { userId });
  assert.equal(ack.error, undefined, JSON.stringify(ack));
  return socket;
}
