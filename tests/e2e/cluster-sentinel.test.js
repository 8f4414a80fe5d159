// The cluster's Redis run with a replica and a Sentinel (README, docs/cluster.md):
// a master, a replica of it and a Sentinel watching it, all on loopback
// ports of the test's own without persistence, and two Janus instances
// that find the master through the Sentinel. The master is killed with
// SIGKILL: the Sentinel promotes the replica and both instances must follow.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startJanus, sleep } from './lib/janus.js';
import { emitAck, nextEvent, waitFor } from './lib/sio.js';
import { fakeOffer } from './lib/sdp.js';
import { adminList, redisCli, redisJson, redisUp, registered, startInstance, startRedis } from './lib/cluster.js';

const BASE = 17000 + (process.pid % 500) * 4;
const MASTER = BASE, REPLICA = BASE + 1, SENTINEL = BASE + 2;
// Nothing listens there: the instances must go on to the next Sentinel.
const NO_SENTINEL = BASE + 3;

// The flags Sentinel shows for the replica on port (undefined: not known).
function replicaFlags(port) {
  const lines = redisCli(SENTINEL, 'SENTINEL', 'replicas', 'oicall').split('\n');
  let entry = {};
  for (let i = 0; i + 1 < lines.length; i += 2) {
    if (lines[i] === 'name') entry = {};
    entry[lines[i]] = lines[i + 1];
    if (entry.port === String(port) && entry.flags) return entry.flags;
  }
  return undefined;
}

const users = async (janus) => (await adminList(janus, 'list-users', true)).users.map((u) => [u.userId, u.node]).sort();
const up = async (...instances) => (await Promise.all(instances.map(redisUp))).every((v) => v === 1);

describe('cluster: Redis with a replica and Sentinel', { skip: !process.env.OICALL_NETNS && 'needs tests/e2e/netns-run.sh' }, () => {
  let master, replica, sentinel, a, b, dir;
  const files = (port) => ['--dir', dir, '--dbfilename', `${port}.rdb`];
  const sockets = [];
  before(async () => {
    // A replica keeps the copy its master sends in a file, and Sentinel rewrites its config: a directory of the test's own.
    dir = mkdtempSync(join(tmpdir(), 'oicall-sentinel-'));
    master = await startRedis(MASTER, files(MASTER));
    replica = await startRedis(REPLICA, [...files(REPLICA), '--replicaof', '127.0.0.1', String(MASTER)]);
    await waitFor(() => /master_link_status:up/.test(redisCli(REPLICA, 'INFO', 'replication')),
      { what: 'the replica in sync' });
    // Quorum 1 (one Sentinel), down after 1 s: a failover within a few seconds.
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(conf, [`dir ${dir}`, `sentinel monitor oicall 127.0.0.1 ${MASTER} 1`,
      'sentinel down-after-milliseconds oicall 1000', 'sentinel failover-timeout oicall 3000', ''].join('\n'));
    sentinel = await startRedis(SENTINEL, [conf, '--sentinel']);
    await waitFor(() => redisCli(SENTINEL, 'SENTINEL', 'replicas', 'oicall').includes(String(REPLICA)),
      { what: 'the Sentinel knowing the replica' });
    const settings = { sentinels: `127.0.0.1:${NO_SENTINEL}, 127.0.0.1:${SENTINEL}`, sentinel_master: 'oicall' };
    a = await startInstance(1, 'a', settings);
    b = await startInstance(2, 'b', settings);
  });
  after(async () => {
    for (const s of sockets) s.close();
    await a?.stop().catch(() => {});
    await b?.stop().catch(() => {});
    for (const server of [sentinel, replica, master]) await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the instances write their keys on the master the Sentinel names; they reach the replica', async () => {
    await waitFor(() => up(a, b), { what: 'oicall_cluster_redis_up 1' });
    sockets.push(await registered(a, 'alice'), await registered(b, 'bob'));
    for (const [key, node] of [['oicall:node:a'], ['oicall:node:b'], ['oicall:user:alice', 'a'], ['oicall:user:bob', 'b']]) {
      assert.ok(redisJson(MASTER, key), key);
      if (node) assert.equal(redisJson(MASTER, key).node, node);
      await waitFor(() => redisJson(REPLICA, key), { what: `${key} on the replica` });
    }
    assert.deepEqual(await users(a), [['alice', 'a'], ['bob', 'b']]);
  });

  test('the master killed: the Sentinel promotes the replica and both instances follow', async (t) => {
    const killedAt = Date.now();
    master.proc.kill('SIGKILL');
    await waitFor(async () => !(await up(a)), { timeoutMs: 3000, what: 'oicall_cluster_redis_up 0' });
    await waitFor(() => up(a, b), { timeoutMs: 15000, intervalMs: 100, what: 'both instances on the new master' });
    const followed = Date.now() - killedAt;
    t.diagnostic(`SIGKILL to oicall_cluster_redis_up 1 on both: ${followed} ms`);
    assert.equal(redisCli(SENTINEL, 'SENTINEL', 'get-master-addr-by-name', 'oicall'), `127.0.0.1\n${REPLICA}`);
    assert.match(redisCli(REPLICA, 'ROLE'), /^master/);
    for (const janus of [a, b])
      assert.match(janus.log(), new RegExp(`Sentinel 127\\.0\\.0\\.1:${SENTINEL} says master oicall is at 127\\.0\\.0\\.1:${REPLICA}`));
    // The keys the replica had are kept by their refreshes (the node keys' every 2 s),
    // not left to expire.
    await sleep(2500);
    for (const [key, node] of [['oicall:user:alice', 'a'], ['oicall:user:bob', 'b']])
      assert.equal(redisJson(REPLICA, key)?.node, node, key);
    for (const key of ['oicall:node:a', 'oicall:node:b'])
      assert.ok(Number(redisCli(REPLICA, 'PTTL', key)) > 6000 - 3000, key);
    for (const janus of [a, b]) assert.deepEqual(await users(janus), [['alice', 'a'], ['bob', 'b']]);
    assert.ok(followed < 10000, `${followed} ms`);
  });

  test('after the failover, a register on the other instance replaces the older socket; calls gate as before', async () => {
    const [old] = sockets;
    const replaced = nextEvent(old, 'replaced');
    const newer = await registered(b, 'alice');
    sockets.push(newer);
    assert.deepEqual(await replaced, { reason: 'registered-elsewhere' });
    assert.equal(redisJson(REPLICA, 'oicall:user:alice').node, 'b');
    await waitFor(async () => JSON.stringify(await users(a)) === JSON.stringify([['alice', 'b'], ['bob', 'b']]),
      { timeoutMs: 5000, what: 'alice on b in list-users' });
    // The lookup reads the new master too: bob is on b, a call to him from a is refused as across instances.
    const carol = await registered(a, 'carol');
    sockets.push(carol);
    assert.match((await emitAck(carol, 'start-call', { toUserId: 'bob', callType: 'audio', jsep: fakeOffer() })).error,
      /^bob is connected to another server/);
  });

  test('the old master back as a replica, a planned failover (SENTINEL FAILOVER): the instances leave the demoted master at once', async (t) => {
    await master.stop();
    master = await startRedis(MASTER, [...files(MASTER), '--replicaof', '127.0.0.1', String(REPLICA)]);
    await waitFor(() => /master_link_status:up/.test(redisCli(MASTER, 'INFO', 'replication')), { what: 'in sync' });
    await waitFor(() => replicaFlags(MASTER) === 'slave', { timeoutMs: 15000, what: 'the Sentinel seeing the replica up' });
    await waitFor(() => { try { return redisCli(SENTINEL, 'SENTINEL', 'FAILOVER', 'oicall') === 'OK'; } catch { return false; } },
      { timeoutMs: 10000, intervalMs: 200, what: 'SENTINEL FAILOVER accepted' });
    const startedAt = Date.now();
    // The demoted master stays up, a master still, until Sentinel reconfigures it (8 s on): only
    // +switch-master tells the instances to leave it that soon.
    const moved = (janus) => new RegExp(`switched master oicall[^]*says master oicall is at 127\\.0\\.0\\.1:${MASTER}`)
      .test(janus.log());
    await waitFor(async () => moved(a) && moved(b) && await up(a, b), { timeoutMs: 6000, intervalMs: 100,
      what: 'both instances on the promoted master' });
    t.diagnostic(`SENTINEL FAILOVER to both instances on the new master: ${Date.now() - startedAt} ms`);
    assert.match(redisCli(MASTER, 'ROLE'), /^master/);
    await waitFor(() => redisJson(MASTER, 'oicall:node:a') && redisJson(MASTER, 'oicall:node:b'), { what: 'node keys' });
    for (const [user, node] of [['alice', 'b'], ['bob', 'b'], ['carol', 'a']])
      assert.equal(redisJson(MASTER, `oicall:user:${user}`)?.node, node, user);
    for (const janus of [a, b])
      assert.deepEqual(await users(janus), [['alice', 'b'], ['bob', 'b'], ['carol', 'a']]);
  });

  test('both instances exit cleanly (no crash, no sanitizer report), deleting their node keys', async () => {
    for (const s of sockets) s.close();
    if (process.env.OICALL_SANITIZERS === '1') await sleep(1500);
    await a.stop();
    await b.stop();
    assert.equal(redisJson(MASTER, 'oicall:node:a'), null);
    assert.equal(redisJson(MASTER, 'oicall:node:b'), null);
  });
});

describe('cluster: Redis settings that do not go together', () => {
  test('cluster.redis and cluster.sentinels both set: the log says so and the cluster stays off', async () => {
    const janus = await startJanus({ plugin: { cluster: { redis: '127.0.0.1:1', sentinels: '127.0.0.1:2',
      sentinel_master: 'oicall' } } });
    try {
      assert.match(janus.log(), /cluster\.redis and cluster\.sentinels exclude each other.*the cluster stays off/);
      assert.doesNotMatch(await (await fetch(`${janus.sioUrl}/metrics`)).text(), /oicall_cluster/);
      if (process.env.OICALL_SANITIZERS === '1') await sleep(1500);
    } finally {
      await janus.stop();
    }
  });
});
