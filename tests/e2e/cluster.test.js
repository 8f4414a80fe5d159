// Several Janus instances as one service through Redis (docs/cluster.md):
// a redis-server of the test's own (loopback, no persistence) and two
// instances, each on a veth pair and address of its own in the test's
// network namespace, reached with real socket.io-client.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startJanus, sleep } from './lib/janus.js';
import { emitAck, nextEvent, waitFor } from './lib/sio.js';
import { fakeOffer } from './lib/sdp.js';
import * as shared from './lib/cluster.js';
import { adminList, redisUp, registered } from './lib/cluster.js';

const REDIS_PORT = 16300 + (process.pid % 500);
const NODE_TTL_MS = 6000;
const USER_TTL_MS = 30000;

const redisCli = (...args) => shared.redisCli(REDIS_PORT, ...args);
const redisJson = (key) => shared.redisJson(REDIS_PORT, key);
const startRedis = () => shared.startRedis(REDIS_PORT);
const startInstance = (i, id) => shared.startInstance(i, id, { redis: `127.0.0.1:${REDIS_PORT}` });

const listUsers = (janus, cluster) => adminList(janus, 'list-users', cluster);
const listCalls = (janus, cluster) => adminList(janus, 'list-calls', cluster);

describe('cluster: presence across instances', { skip: !process.env.OICALL_NETNS && 'needs tests/e2e/netns-run.sh' }, () => {
  let redis, a, b;
  const sockets = [];
  before(async () => {
    redis = await startRedis();
    a = await startInstance(1, 'a');
    b = await startInstance(2, 'b');
  });
  after(async () => {
    for (const s of sockets) s.close();
    await a?.stop().catch(() => {});
    await b?.stop().catch(() => {});
    await redis?.stop();
  });

  test('each instance keeps its node key with a 6 s TTL', async () => {
    for (const [id, janus] of [['a', a], ['b', b]]) {
      const node = await waitFor(() => redisJson(`oicall:node:${id}`), { what: `oicall:node:${id}` });
      assert.equal(node.mediaAddress, janus.ip);
      assert.equal(node.calls, 0);
      assert.ok(node.startedAt > Date.now() - 60000 && node.startedAt <= Date.now());
      const ttl = Number(redisCli('PTTL', `oicall:node:${id}`));
      assert.ok(ttl > 0 && ttl <= NODE_TTL_MS, `PTTL ${ttl}`);
    }
    assert.equal(await redisUp(a), 1);
    assert.equal(await redisUp(b), 1);
    // Refreshed every 2 s: never far below the full TTL.
    await sleep(2500);
    assert.ok(Number(redisCli('PTTL', 'oicall:node:a')) > NODE_TTL_MS - 3000);
  });

  test('register writes oicall:user:{userId}; list-users with cluster: true sees every instance', async () => {
    sockets.push(await registered(a, 'alice'), await registered(b, 'bob'), await registered(b, 42));
    const alice = redisJson('oicall:user:alice');
    assert.equal(alice.node, 'a');
    assert.match(alice.session, /^[0-9]+$/);
    assert.ok(Math.abs(alice.registeredAt - Date.now()) < 10000);
    const ttl = Number(redisCli('PTTL', 'oicall:user:alice'));
    assert.ok(ttl > 0 && ttl <= USER_TTL_MS, `PTTL ${ttl}`);
    assert.equal(redisJson('oicall:user:42').node, 'b');
    for (const janus of [a, b]) {
      const { users } = await listUsers(janus, true);
      assert.deepEqual(users.map((u) => [u.userId, u.node]).sort(), [['42', 'b'], ['alice', 'a'], ['bob', 'b']]);
    }
    // Without cluster: true, each instance answers for itself as before.
    assert.deepEqual((await listUsers(a)).users.map((u) => u.userId), ['alice']);
  });

  test('a newer socket of the user on another instance replaces the older one (newest wins)', async () => {
    const [old] = sockets;
    const replaced = nextEvent(old, 'replaced');
    const gone = new Promise((r) => old.once('disconnect', r));
    const newer = await registered(b, 'alice');
    sockets.push(newer);
    assert.deepEqual(await replaced, { reason: 'registered-elsewhere' });
    await gone;
    assert.equal(redisJson('oicall:user:alice').node, 'b');
    await waitFor(async () => (await listUsers(a)).users.length === 0, { what: 'alice gone from a' });
    // The older instance's cleanup leaves the newer one's key alone.
    await sleep(1500);
    assert.equal(redisJson('oicall:user:alice').node, 'b');
    const { users } = await listUsers(a, true);
    assert.deepEqual(users.filter((u) => u.userId === 'alice').map((u) => u.node), ['b']);
  });

  test('a user whose socket goes is removed from Redis', async () => {
    const socket = await registered(a, 'carol');
    assert.equal(redisJson('oicall:user:carol').node, 'a');
    socket.close();
    await waitFor(() => redisJson('oicall:user:carol') === null, { timeoutMs: 5000, what: 'oicall:user:carol deleted' });
  });

  test('a call to a user on another instance is refused, in every dialect (not built yet); others ring as before', async () => {
    const dave = await registered(a, 'dave');
    sockets.push(dave);
    const across = 'bob is connected to another server of the cluster: calls across servers are not available yet';
    // JSEP (its offer never reaches Janus's core: the jsep gate), mediasoup-style, the room dialect.
    assert.deepEqual(await emitAck(dave, 'start-call', { toUserId: 'bob', callType: 'audio', jsep: fakeOffer() }),
      { error: across });
    assert.deepEqual(await emitAck(dave, 'start-call', { toUserId: 'bob', callType: 'audio' }), { error: across });
    assert.deepEqual(await emitAck(dave, 'start-call', { toUserIds: ['nobody', 'bob'], callType: 'audio' }), { error: across });
    // A numeric id is the same user as its string, as on one instance.
    assert.match((await emitAck(dave, 'start-call', { toUserId: 42, callType: 'audio' })).error, /^42 is connected to another server/);
    // A user offline everywhere still rings (and is offered the call when they register here).
    const offline = await emitAck(dave, 'start-call', { toUserId: 'nobody', callType: 'audio', jsep: fakeOffer() });
    assert.equal(offline.error, undefined, JSON.stringify(offline));
    assert.deepEqual(await emitAck(dave, 'end-call', { callId: offline.callId }), { success: true });
    // Bad input is the engine's to answer, as before.
    assert.match((await emitAck(dave, 'start-call', { toUserIds: 'bob', callType: 'audio' })).error, /toUserIds must be/);
  });

  test('each call has an oicall:call key naming its host; list-calls with cluster: true sees every instance', async () => {
    const dave = sockets[sockets.length - 1];
    const [bob, n42] = [sockets[1], sockets[2]];
    // A call ringing on a (dave to someone offline) and one answered on b (bob and 42, both there).
    const onA = await emitAck(dave, 'start-call', { toUserId: 'nobody', callType: 'video', jsep: fakeOffer({ video: true }) });
    const ringing = nextEvent(n42, 'incoming-call');
    const onB = await emitAck(bob, 'start-call', { toUserId: 42, callType: 'audio' });
    assert.equal(onB.error, undefined, JSON.stringify(onB));
    assert.equal((await ringing).callId, onB.callId);
    const expected = [
      { callId: onA.callId, host: 'a', state: 'ringing', callType: 'video', peers: ['dave', 'nobody'] },
      { callId: onB.callId, host: 'b', state: 'ringing', callType: 'audio', peers: ['bob', '42'] },
    ].sort((x, y) => x.host.localeCompare(y.host));
    const sorted = (calls) => [...calls].sort((x, y) => x.host.localeCompare(y.host));
    const listsBoth = async (janus) => {
      try { assert.deepEqual(sorted((await listCalls(janus, true)).calls), expected); return true; } catch { return false; }
    };
    for (const janus of [a, b]) await waitFor(() => listsBoth(janus), { timeoutMs: 5000, what: 'both calls listed' });
    const ttl = Number(redisCli('PTTL', `oicall:call:${onA.callId}`));
    assert.ok(ttl > 0 && ttl <= USER_TTL_MS, `PTTL ${ttl}`);
    assert.equal((await listCalls(a)).calls.length, 1);
    // Ended: its key goes.
    assert.deepEqual(await emitAck(dave, 'end-call', { callId: onA.callId }), { success: true });
    assert.deepEqual(await emitAck(bob, 'end-call', { callId: onB.callId }), { success: true });
    await waitFor(async () => (await listCalls(b, true)).calls.length === 0, { timeoutMs: 5000, what: 'calls gone' });
    assert.equal(redisJson(`oicall:call:${onA.callId}`), null);
  });

  test('Redis restarted: each instance writes its keys again', async () => {
    await redis.stop();
    const dave = sockets[sockets.length - 1];
    assert.deepEqual(await emitAck(dave, 'start-call', { toUserId: 'bob', callType: 'audio', jsep: fakeOffer() }),
      { error: 'The cluster is unavailable: try again' });
    // Meanwhile what needs Redis says so at once.
    const refused = await listUsers(a, true);
    assert.equal(refused.error, 'The cluster is unavailable: try again');
    assert.equal(refused.error_code, 492);
    await waitFor(async () => (await redisUp(a)) === 0, { timeoutMs: 5000, what: 'oicall_cluster_redis_up 0' });
    redis = await startRedis();
    await waitFor(async () => (await redisUp(a)) === 1, { timeoutMs: 5000, what: 'oicall_cluster_redis_up 1' });
    assert.equal(redisJson('oicall:user:bob'), null);
    await waitFor(() => redisJson('oicall:node:a') && redisJson('oicall:node:b'), { timeoutMs: 5000, what: 'node keys back' });
    // User keys come back with their refresh (every 10 s).
    await waitFor(() => redisJson('oicall:user:bob')?.node === 'b', { timeoutMs: 15000, what: 'oicall:user:bob back' });
    const { users } = await listUsers(a, true);
    assert.deepEqual(users.map((u) => [u.userId, u.node]).sort(), [['42', 'b'], ['alice', 'b'], ['bob', 'b']]);
  });

  test('an instance killed with SIGKILL drops out of list-users within the node TTL', async () => {
    const killedAt = Date.now();
    b.process.kill('SIGKILL');
    await waitFor(async () => !(await listUsers(a, true)).users.some((u) => u.node === 'b'),
      { timeoutMs: NODE_TTL_MS + 3000, what: "b's users gone" });
    assert.deepEqual((await listUsers(a, true)).users.map((u) => [u.userId, u.node]), [['dave', 'a']]);
    // Its users are offline now: they ring as any offline user.
    const dave = sockets[sockets.length - 1];
    const call = await emitAck(dave, 'start-call', { toUserId: 'bob', callType: 'audio', jsep: fakeOffer() });
    assert.equal(call.error, undefined, JSON.stringify(call));
    assert.deepEqual(await emitAck(dave, 'end-call', { callId: call.callId }), { success: true });
    assert.ok(Date.now() - killedAt <= NODE_TTL_MS + 2000);
    assert.equal(redisJson('oicall:node:b'), null);
    b.stopped = Promise.resolve('');   // killed on purpose: nothing to check at its exit
  });

  test('instance a exits cleanly (no crash, no sanitizer report)', async () => {
    for (const s of sockets) s.close();
    if (process.env.OICALL_SANITIZERS === '1') await sleep(1500);
    assert.ok(redisJson('oicall:node:a'));
    await a.stop();
    // Stopped (not killed): its node key went with it, not up to 6 s later.
    assert.equal(redisJson('oicall:node:a'), null);
  });
});

describe('cluster: off unless configured', () => {
  let janus;
  before(async () => { janus = await startJanus({}); });
  after(async () => { await janus?.stop().catch(() => {}); });

  test('without cluster.redis, the cluster-wide lists say so and nothing else changes', async () => {
    const socket = await registered(janus, 'alone');
    assert.deepEqual(await listUsers(janus, true), { error: 'No cluster configured', error_code: 492 });
    assert.deepEqual(await listCalls(janus, true), { error: 'No cluster configured', error_code: 492 });
    assert.deepEqual((await listUsers(janus)).users.map((u) => u.userId), ['alone']);
    // No figure of a cluster either.
    assert.doesNotMatch(await (await fetch(`${janus.sioUrl}/metrics`)).text(), /oicall_cluster/);
    socket.close();
    await waitFor(async () => (await listUsers(janus)).users.length === 0, { what: 'alone gone' });
    if (process.env.OICALL_SANITIZERS === '1') await sleep(1500);
    await janus.stop();
  });
});
