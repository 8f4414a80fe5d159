// janus.transport.socketio with the real socket.io-client 4.8: transports,
// upgrade, acks, disconnects, reconnects, many clients, Admin API counters.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { useJanus, startJanus, sleep } from './lib/janus.js';
import { connect, emitAck, nextEvent, waitFor } from './lib/sio.js';
import { fakeOffer } from './lib/sdp.js';

async function transportInfo(janus) {
  const reply = await janus.admin({ janus: 'query_transport', transport: 'janus.transport.socketio', request: {} });
  assert.equal(reply.janus, 'success', JSON.stringify(reply));
  return reply.response;
}

// Sockets of earlier tests close asynchronously: start each count from none.
async function idleTransport(janus) {
  let last;
  return waitFor(async () => {
    last = await transportInfo(janus);
    return last.sockets.total === 0 && last.sessions === 0 && last;
  }, { what: 'no sockets left', timeoutMs: 20000 }).catch((e) => {
    // What was left, for a failure that doesn't come back.
    throw new Error(`${e.message}: sockets ${JSON.stringify(last?.sockets)}, sessions ${last?.sessions}`);
  });
}

async function sessionIds(janus) {
  const reply = await janus.admin({ janus: 'list_sessions' });
  return reply.sessions;
}

describe('Socket.IO clients on janus.transport.socketio', () => {
  // "200 clients at once" come from one address: no per-address limit here.
  const ctx = useJanus({ transport: { limits: { max_per_address: 0 } } });

  test('a polling client upgrades to WebSocket and its events are acknowledged', async () => {
    const socket = io(ctx.janus.sioUrl, { path: '/calls', transports: ['polling', 'websocket'], autoConnect: false,
      reconnection: false, forceNew: true });
    let first = null;
    socket.io.on('open', () => { first = socket.io.engine.transport.name; });
    socket.connect();
    await nextEvent(socket, 'connect');
    assert.equal(first, 'polling');
    await waitFor(() => socket.io.engine.transport.name === 'websocket', { what: 'upgrade' });
    // The plugin answers every event; an unknown one with an error.
    assert.deepEqual(await emitAck(socket, 'no-such-request', { a: 1 }), { error: 'Unknown request' });
    socket.disconnect();
  });

  test('websocket-only and polling-only clients connect and get acks', async () => {
    const ws = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    const polling = await connect(ctx.janus.sioUrl, { transports: ['polling'], upgrade: false });
    assert.equal(ws.io.engine.transport.name, 'websocket');
    assert.equal(polling.io.engine.transport.name, 'polling');
    const [a, b] = await Promise.all([emitAck(ws, 'x', 'scalar'), emitAck(polling, 'y', [1, 2])]);
    assert.deepEqual(a, { error: 'Unknown request' });
    assert.deepEqual(b, { error: 'Unknown request' });
    ws.disconnect();
    polling.disconnect();
  });

  test('events without an ack are delivered and later acks still arrive in order', async () => {
    const socket = await connect(ctx.janus.sioUrl);
    for (let i = 0; i < 20; i++) socket.emit('fire-and-forget', { i });
    assert.deepEqual(await emitAck(socket, 'after', {}), { error: 'Unknown request' });
    socket.disconnect();
  });

  test('plugin events reach the right socket as Socket.IO events, jsep included', async () => {
    const alice = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    const bob = await connect(ctx.janus.sioUrl, { transports: ['polling'], upgrade: false });
    assert.deepEqual(await emitAck(alice, 'register', 'alice'), { success: true, userId: 'alice' });
    assert.deepEqual(await emitAck(bob, 'register', 'bob'), { success: true, userId: 'bob' });
    const incoming = nextEvent(bob, 'incoming-call');
    let aliceGotIt = false;
    alice.on('incoming-call', () => { aliceGotIt = true; });
    const { callId } = await emitAck(alice, 'start-call', { toUserId: 'bob', callType: 'audio', jsep: fakeOffer() });
    const event = await incoming;
    assert.equal(event.callId, callId);
    assert.equal(event.fromUserId, 'alice');
    assert.equal(event.callType, 'audio');
    assert.equal(event.jsep.type, 'offer');
    assert.match(event.jsep.sdp, /a=ice-ufrag:/, 'the gateway merged its ICE credentials in');
    const ended = nextEvent(alice, 'call-ended');
    assert.deepEqual(await emitAck(bob, 'end-call', { callId }), { success: true });
    assert.deepEqual(await ended, { callId, reason: 'rejected' });
    assert.equal(aliceGotIt, false);
    alice.disconnect();
    bob.disconnect();
  });

  test('query_transport counts sockets by transport, sessions, messages and bytes', async () => {
    const before = await idleTransport(ctx.janus);
    const ws = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    const polling = await connect(ctx.janus.sioUrl, { transports: ['polling'], upgrade: false });
    await emitAck(ws, 'count-me', {});
    const info = await waitFor(async () => {
      const i = await transportInfo(ctx.janus);
      return i.sockets.websocket === before.sockets.websocket + 1 && i.sockets.polling === before.sockets.polling + 1 && i;
    }, { what: 'socket counts' });
    assert.equal(info.sessions, before.sessions + 2);
    assert.equal(info.port, ctx.janus.ports.sio);
    assert.equal(info.path, '/calls');
    assert.equal(info.plugin, 'janus.plugin.oicall');
    assert.ok(info.messages.in > before.messages.in && info.messages.out > before.messages.out);
    assert.ok(info.bytes.in > before.bytes.in && info.bytes.out > before.bytes.out);
    assert.ok(info.events_in >= before.events_in + 1 && info.acks_out >= before.acks_out + 1);
    ws.disconnect();
    polling.disconnect();
    await waitFor(async () => (await transportInfo(ctx.janus)).sockets.total === before.sockets.total,
      { what: 'sockets gone' });
  });

  test('disconnecting destroys the Janus session', async () => {
    // Sessions of earlier tests may still be on their way out: look at this socket's own.
    const sessionsBefore = new Set(await sessionIds(ctx.janus));
    const socket = await connect(ctx.janus.sioUrl);
    await emitAck(socket, 'x', {});
    const ours = (await sessionIds(ctx.janus)).filter((id) => !sessionsBefore.has(id));
    assert.equal(ours.length, 1);
    socket.disconnect();
    await waitFor(async () => !(await sessionIds(ctx.janus)).includes(ours[0]), { what: 'session destroyed' });
  });

  test('Janus destroying the session disconnects the socket ("io server disconnect", so it does not reconnect)', async () => {
    // Over polling the DISCONNECT used to share its answer with Engine.IO's close, which the
    // client handled first: "transport close", and a reconnect.
    for (const transports of [['websocket'], ['polling'], ['websocket'], ['polling']]) {
      const before = new Set(await sessionIds(ctx.janus));
      const socket = await connect(ctx.janus.sioUrl, { transports });
      await emitAck(socket, 'x', {});
      const ours = (await sessionIds(ctx.janus)).filter((id) => !before.has(id));
      assert.equal(ours.length, 1);
      const gone = nextEvent(socket, 'disconnect');
      const reply = await ctx.janus.admin({ janus: 'destroy_session', session_id: ours[0] });
      assert.equal(reply.janus, 'success', JSON.stringify(reply));
      assert.equal(await gone, 'io server disconnect', transports[0]);
    }
  });

  test('200 clients at once', async () => {
    const before = await idleTransport(ctx.janus);
    const options = [{}, { transports: ['websocket'] }, { transports: ['polling'], upgrade: false }];
    const sockets = await Promise.all(Array.from({ length: 200 }, (_, i) => connect(ctx.janus.sioUrl, options[i % 3])));
    const acks = await Promise.all(sockets.map((s, i) => emitAck(s, 'hello', { i }, 30000)));
    assert.equal(acks.filter((a) => a.error === 'Unknown request').length, 200);
    const info = await transportInfo(ctx.janus);
    assert.equal(info.sockets.total, before.sockets.total + 200);
    assert.equal(info.sessions, before.sessions + 200);
    for (const s of sockets) s.disconnect();
    await waitFor(async () => (await transportInfo(ctx.janus)).sockets.total === before.sockets.total,
      { what: 'all 200 gone', timeoutMs: 20000 });
  });

  ctx.cleanExitTest();
});

describe('idle sockets: the core never times their Janus sessions out', () => {
  // A 2 s session timeout (the core looks every 2 s): a session the transport
  // kept alive with keepalives (every 15 s) would go within 4 s.
  const ctx = useJanus({ janusArgs: ['--session-timeout', '2'] });

  test('registered idle sockets outlive several session timeouts; their sessions have timeout 0 and go with them', async () => {
    const pluginAdmin = async (request) =>
      (await ctx.janus.admin({ janus: 'message_plugin', plugin: 'janus.plugin.oicall', request })).response;
    const sockets = await Promise.all([connect(ctx.janus.sioUrl, { transports: ['websocket'] }),
      connect(ctx.janus.sioUrl, { transports: ['polling'], upgrade: false })]);
    const dropped = [];
    const names = ['idle-ws', 'idle-polling'];
    for (const [i, socket] of sockets.entries()) {
      socket.on('disconnect', (reason) => dropped.push(`${names[i]}: ${reason}`));
      assert.deepEqual(await emitAck(socket, 'register', names[i]), { success: true, userId: names[i] });
    }
    const usersOf = async () => (await pluginAdmin({ request: 'list-users' })).users
      .filter((u) => names.includes(u.userId)).map((u) => ({ userId: u.userId, session: u.janusSessionId, handle: u.janusHandleId }));
    const users = await usersOf();
    assert.equal(users.length, 2);
    for (const user of users) {
      const info = await ctx.janus.admin({ janus: 'handle_info', session_id: user.session, handle_id: user.handle });
      assert.equal(info.janus, 'success', JSON.stringify(info));
      assert.equal(info.info.session_timeout, 0, user.userId);
    }
    await sleep(7000);
    assert.deepEqual(dropped, []);
    assert.deepEqual(await usersOf(), users, 'still registered, on the same sessions');
    const sessions = await sessionIds(ctx.janus);
    for (const user of users) assert.ok(sessions.includes(user.session), user.userId);
    for (const socket of sockets) socket.disconnect();
    await waitFor(async () => {
      const left = await sessionIds(ctx.janus);
      return users.every((u) => !left.includes(u.session));
    }, { what: 'their sessions destroyed' });
  });

  ctx.cleanExitTest();
});

describe('a client reconnects after the server drops it', () => {
  test('Janus restarts on the same port: socket.io-client reconnects by itself', async () => {
    let janus = await startJanus();
    const { port } = new URL(janus.sioUrl);
    const socket = io(janus.sioUrl, { path: '/calls', reconnectionDelay: 200, reconnectionDelayMax: 500 });
    try {
      await nextEvent(socket, 'connect');
      const firstId = socket.id;
      const dropped = nextEvent(socket, 'disconnect');
      await janus.stop();
      assert.equal(await dropped, 'transport close');
      // It may reconnect before startJanus returns: listen first.
      const reconnected = nextEvent(socket, 'connect', 20000);
      // Same ports: the restarted Janus is the same server to the client.
      janus = await startJanus({ reusePortsOf: janus });
      assert.equal(new URL(janus.sioUrl).port, port);
      await reconnected;
      assert.notEqual(socket.id, firstId);
      assert.deepEqual(await emitAck(socket, 'x', {}), { error: 'Unknown request' });
    } finally {
      socket.close();
      await janus.stop();
    }
  });
});

describe('a ping timeout closes the connection and the client reconnects', () => {
  const ctx = useJanus({ transport: { engineio: { ping_interval: 300, ping_timeout: 300 } } });

  test('a socket.io-client that stops answering pings is dropped, then comes back', async () => {
    const socket = io(ctx.janus.sioUrl, { path: '/calls', transports: ['websocket'], reconnectionDelay: 100 });
    try {
      await nextEvent(socket, 'connect');
      // Swallow the engine's pongs: the server must give up on this connection.
      const engine = socket.io.engine;
      const realSend = engine._sendPacket.bind(engine);
      engine._sendPacket = (type, ...rest) => (type === 'pong' ? undefined : realSend(type, ...rest));
      const reason = await nextEvent(socket, 'disconnect', 5000);
      assert.ok(['transport close', 'ping timeout'].includes(reason), reason);
      await nextEvent(socket, 'connect', 5000);
      assert.deepEqual(await emitAck(socket, 'x', {}), { error: 'Unknown request' });
    } finally {
      socket.close();
    }
  });

  ctx.cleanExitTest();
});

describe('TLS', () => {
  const ctx = useJanus(() => ({ transport: { tls: { enabled: true, ...tlsFiles() } } }));

  test('wss:// and https:// long-polling work with the configured certificate', async () => {
    const url = ctx.janus.sioUrl.replace('http:', 'https:');
    const ws = await connect(url, { transports: ['websocket'], rejectUnauthorized: false });
    const polling = await connect(url, { transports: ['polling'], upgrade: false, rejectUnauthorized: false });
    assert.deepEqual(await emitAck(ws, 'x', {}), { error: 'Unknown request' });
    assert.deepEqual(await emitAck(polling, 'x', {}), { error: 'Unknown request' });
    ws.disconnect();
    polling.disconnect();
  });

  test('the default TLS profile: 1.3, and 1.2 with ECDHE and AEAD only; old versions and weak suites refused', () => {
    const handshake = (...args) => {
      const r = spawnSync('openssl', ['s_client', '-connect', `${ctx.janus.ip}:${ctx.janus.ports.sio}`, ...args],
        { input: '', encoding: 'utf8', timeout: 10000 });
      return /^\s*Cipher is (?!\(NONE\))/m.test(r.stdout) || /New, TLSv1\.[23], Cipher is [A-Z]/.test(r.stdout);
    };
    assert.ok(handshake('-tls1_3'), 'TLS 1.3');
    assert.ok(handshake('-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'), 'TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256');
    assert.ok(!handshake('-tls1_2', '-cipher', 'AES128-SHA'), 'no forward secrecy, CBC/SHA-1: refused');
    assert.ok(!handshake('-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA'), 'CBC/SHA-1 with ECDHE: refused');
    assert.ok(!handshake('-tls1_2', '-cipher', 'AES128-GCM-SHA256'), 'no forward secrecy: refused');
    assert.ok(!handshake('-tls1_1', '-cipher', 'ALL:@SECLEVEL=0'), 'TLS 1.1: refused');
  });

  ctx.cleanExitTest();
});

// A fresh self-signed certificate for the TLS listener.
function tlsFiles() {
  const dir = mkdtempSync(join(tmpdir(), 'oicall-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=oicall-test'], { stdio: 'ignore' });
  return { cert_pem: cert, cert_key: key };
}
