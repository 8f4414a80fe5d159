// One client that opens connections far past every limit, on a Janus with a
// low file descriptor limit: Janus stays up, other clients connect and get
// acks, a call keeps its media, the log stays small, and the attacker's
// address is served again once it lets go. Also the global limit, the
// Socket.IO connect timeout and their answers.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { statSync } from 'node:fs';
import { useJanus, sleep, JANUS_IP, CLIENT_IP } from './lib/janus.js';
import { connect, emitAck, nextEvent, waitFor } from './lib/sio.js';
import { rawExchange, request } from './lib/http.js';
import { DEMO_FOLDER, demoBrowser, userPage, mediaFlows } from './lib/demo.js';

const EIO = '/calls/?EIO=4&transport=polling';
const UPGRADE = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' };

// Opens a TCP connection from localAddress, writes text (if any) and keeps it
// open until close(); resolves once the server answered or closed, or after 2 s.
function hold(port, localAddress, text) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: JANUS_IP, port, localAddress });
    let data = '';
    let done = false;
    const held = { socket, data: () => data, closed: false, close: () => socket.destroy() };
    const settle = () => { if (!done) { done = true; resolve(held); } };
    socket.on('connect', () => { if (text) socket.write(text); else setTimeout(settle, 50); });
    socket.on('data', (d) => {
      data += d;
      if (!data.includes('\r\n\r\n') || done) return;
      // Upgraded: send the Socket.IO CONNECT (a masked text frame "40"), so a Janus session stands behind it.
      if (data.startsWith('HTTP/1.1 101')) socket.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0x34, 0x30]));
      settle();
    });
    socket.on('error', () => {});
    socket.on('close', () => { held.closed = true; settle(); });
    setTimeout(settle, 2000);
  });
}

async function inBatches(n, batch, make) {
  const out = [];
  for (let i = 0; i < n; i += batch) out.push(...await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, k) => make(i + k))));
  return out;
}

async function transportInfo(janus) {
  return (await janus.admin({ janus: 'query_transport', transport: 'janus.transport.socketio', request: {} })).response;
}

describe('one address floods a Janus whose descriptor limit is 1024', () => {
  // The attacker is 10.213.0.2 (CLIENT_IP); everyone else connects from Janus's own address.
  const ctx = useJanus({ nofile: 1024, demoFolder: DEMO_FOLDER });

  test('Janus stays up; others connect, register and get acks; a call keeps its media; the log stays small; the address is served again after', { timeout: 180000 }, async (t) => {
    if (!process.env.OICALL_NETNS) return t.skip('needs the test namespace (two client addresses)');
    const janus = ctx.janus;
    const port = janus.ports.sio;
    const info = await transportInfo(janus);
    assert.equal(info.limits.max_connections, (1024 - 128) / 8, 'derived from the descriptor limit');
    assert.equal(info.limits.max_per_address, 50);

    const browser = await demoBrowser(janus);
    try {
      const alice = await userPage(browser, janus, 'flood-alice');
      const bob = await userPage(browser, janus, 'flood-bob');
      const incoming = bob.nextEvent('incoming-call', await bob.eventCount());
      await alice.demo(() => window.demo.call('flood-bob', 'video'));
      await incoming;
      assert.deepEqual(await bob.demo(() => window.demo.accept()), { success: true });
      await mediaFlows(alice, { timeoutMs: 10000 });
      await mediaFlows(bob, { timeoutMs: 10000 });
      const logBefore = statSync(janus.logFile).size;

      // The flood: idle TCP connections, polling sessions that never CONNECT, WebSockets that do, past every limit.
      const idle = await inBatches(600, 50, () => hold(port, CLIENT_IP));
      const polls = await inBatches(150, 25, () => rawExchange(JANUS_IP, port, request('GET', EIO, { headers: { Connection: 'close' } }),
        { localAddress: CLIENT_IP, timeoutMs: 3000 }));
      const sockets = await inBatches(200, 25, () => hold(port, CLIENT_IP, request('GET', '/calls/?EIO=4&transport=websocket', { headers: UPGRADE })));
      // Meanwhile everyone else is served.
      assert.equal(janus.process.exitCode, null, 'Janus is alive');
      const carol = await connect(janus.sioUrl, { transports: ['polling'] });
      assert.deepEqual(await emitAck(carol, 'register', 'flood-carol'), { success: true, userId: 'flood-carol' });
      for (let i = 0; i < 5; i++) assert.deepEqual(await emitAck(carol, 'no-such-request', {}), { error: 'Unknown request' });
      const before = (await alice.inbound()).framesDecoded;
      await sleep(1500);
      assert.ok((await alice.inbound()).framesDecoded > before, 'the call keeps decoding video');
      const refusedIdle = idle.filter((h) => h.closed).length;
      const refusedPolls = polls.filter((r) => r.answers[0]?.status === 503).length;
      const upgraded = sockets.filter((h) => h.data().startsWith('HTTP/1.1 101')).length;
      assert.ok(refusedIdle >= 500, `idle TCP connections past the per-address cap are refused (${refusedIdle} of 600)`);
      assert.ok(refusedPolls > 0 && polls.every((r) => [200, 503].includes(r.answers[0]?.status) || r.closed),
        'polling handshakes past the limit get 503');
      const refusal = polls.find((r) => r.answers[0]?.status === 503);
      assert.match(refusal.answers[0].body, /Too many connections from your address/);
      assert.ok(upgraded <= 50, `at most 50 sessions for one address (${upgraded} WebSockets upgraded)`);

      const refused = (await transportInfo(janus)).limits.refused;
      assert.ok(refused > 300, `refusals counted (${refused})`);
      const logGrowth = statSync(janus.logFile).size - logBefore;
      assert.ok(logGrowth < 64 * 1024, `the log grew ${logGrowth} bytes for ${refused} refusals`);

      // The attacker lets go: its address is served again.
      for (const h of [...idle, ...sockets]) h.close();
      await waitFor(async () => (await rawExchange(JANUS_IP, port, request('GET', EIO, { headers: { Connection: 'close' } }),
        { localAddress: CLIENT_IP })).answers[0]?.status === 200, { what: 'the address served again', timeoutMs: 60000, intervalMs: 500 });
      carol.disconnect();
      await alice.demo(() => window.demo.hangup());
    } finally {
      await browser.close();
    }
  });

  ctx.cleanExitTest();
});

describe('the event rate limit (default 50 a second, bursts of 150)', () => {
  const ctx = useJanus();

  test('a socket that floods events gets "slow down", then is disconnected; another user\'s acks keep coming', async () => {
    const flooder = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    const bystander = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    const answers = await Promise.all(Array.from({ length: 400 }, (_, i) => emitAck(flooder, 'burst', { i })));
    const count = (error) => answers.filter((a) => a.error === error).length;
    assert.ok(count('Unknown request') >= 150 && count('Unknown request') < 200, `a burst goes through (${count('Unknown request')})`);
    assert.equal(count('Unknown request') + count('Too many requests: slow down'), 400);
    assert.deepEqual(await emitAck(bystander, 'no-such-request', {}), { error: 'Unknown request' });
    // Events without acks count too; a flood that goes on ends the socket.
    const gone = new Promise((resolve, reject) => {
      flooder.once('disconnect', resolve);
      setTimeout(() => reject(new Error('the flooder is still connected')), 10000);
    });
    for (let i = 0; i < 3000 && flooder.connected; i++) flooder.emit('flood', { i });
    // A WebSocket flooder still sending when the server closes may lose the DISCONNECT: gone either way.
    assert.ok(['io server disconnect', 'transport close'].includes(await gone));
    assert.equal(flooder.connected, false);
    for (let i = 0; i < 5; i++) assert.deepEqual(await emitAck(bystander, 'no-such-request', {}), { error: 'Unknown request' });
    bystander.disconnect();
  });

  ctx.cleanExitTest();
});

describe('how often a user may call', () => {
  const ctx = useJanus({ plugin: { general: { max_call_starts_per_minute: 4, max_unanswered_calls: 2 } } });
  const user = async (name) => {
    const socket = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    assert.deepEqual(await emitAck(socket, 'register', name), { success: true, userId: name });
    return socket;
  };

  test('a caller declined twice may not ring that user again for a while; everyone else still can; too many starts a minute are refused', async () => {
    const [mallory, bob, carol] = await Promise.all([user('limit-mallory'), user('limit-bob'), user('limit-carol')]);
    for (let i = 0; i < 2; i++) {
      const incoming = nextEvent(bob, 'incoming-call');
      const { callId } = await emitAck(mallory, 'start-call', { toUserId: 'limit-bob', callType: 'audio' });
      await incoming;
      assert.deepEqual(await emitAck(bob, 'end-call', { callId }), { success: true });
    }
    assert.deepEqual(await emitAck(mallory, 'start-call', { toUserId: 'limit-bob', callType: 'audio' }),
      { error: 'They did not answer your last calls: try again later' });
    // bob is not made unreachable: carol's call rings.
    const incoming = nextEvent(bob, 'incoming-call');
    const { callId } = await emitAck(carol, 'start-call', { toUserId: 'limit-bob', callType: 'audio' });
    assert.equal((await incoming).fromUserId, 'limit-carol');
    assert.deepEqual(await emitAck(carol, 'end-call', { callId }), { success: true });
    // mallory has used 2 of 4 starts (the refused one does not count): 2 more, then no more this minute.
    for (const to of ['limit-x1', 'limit-x2']) {
      const ack = await emitAck(mallory, 'start-call', { toUserId: to, callType: 'audio' });
      assert.ok(ack.callId, JSON.stringify(ack));
      assert.deepEqual(await emitAck(mallory, 'end-call', { callId: ack.callId }), { success: true });
    }
    assert.deepEqual(await emitAck(mallory, 'start-call', { toUserId: 'limit-x3', callType: 'audio' }),
      { error: 'Too many calls: wait a moment' });
    for (const s of [mallory, bob, carol]) s.disconnect();
  });

  ctx.cleanExitTest();
});

describe('the global limit and the connect timeout', () => {
  const ctx = useJanus({ transport: { limits: { max_connections: 20, max_per_address: 0, connect_timeout: 1000 } } });

  test('past max_connections a polling handshake gets 503 and a WebSocket handshake 503; places come back when sessions end', async () => {
    const port = ctx.janus.ports.sio;
    const sockets = [];
    for (let i = 0; i < 20; i++) sockets.push(await connect(ctx.janus.sioUrl, { transports: ['websocket'] }));
    const poll = await rawExchange(ctx.janus.ip, port, request('GET', EIO, { headers: { Connection: 'close' } }));
    assert.equal(poll.answers[0].status, 503);
    assert.deepEqual(JSON.parse(poll.answers[0].body), { code: -1, message: 'Server full' });
    const ws = await rawExchange(ctx.janus.ip, port, request('GET', '/calls/?EIO=4&transport=websocket', { headers: UPGRADE }), { untilAnswers: 1 });
    assert.equal(ws.answers[0].status, 503);
    assert.equal(ws.answers[0].body, 'Server full');
    await assert.rejects(connect(ctx.janus.sioUrl, { transports: ['polling'], timeout: 3000 }));
    sockets.pop().disconnect();
    await waitFor(async () => (await rawExchange(ctx.janus.ip, port, request('GET', EIO, { headers: { Connection: 'close' } }))).answers[0]?.status === 200,
      { what: 'a place again' });
    for (const s of sockets) s.disconnect();
  });

  test('an Engine.IO session that never sends CONNECT is closed after connect_timeout; a connected one stays', async () => {
    await waitFor(async () => (await transportInfo(ctx.janus)).sockets.total === 0, { what: 'no sockets left', timeoutMs: 20000 });
    const handshake = await rawExchange(ctx.janus.ip, ctx.janus.ports.sio, request('GET', EIO, { headers: { Connection: 'close' } }));
    const sid = JSON.parse(handshake.answers[0].body.slice(1)).sid;
    const socket = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    await sleep(1600);
    const gone = await rawExchange(ctx.janus.ip, ctx.janus.ports.sio, request('GET', `${EIO}&sid=${sid}`, { headers: { Connection: 'close' } }));
    assert.equal(JSON.parse(gone.answers[0].body).message, 'Session ID unknown');
    assert.ok(socket.connected);
    assert.deepEqual(await emitAck(socket, 'no-such-request', {}), { error: 'Unknown request' });
    socket.disconnect();
  });

  ctx.cleanExitTest();
});
