// Bad input to janus.transport.socketio: every case gets a clean error and
// leaves the other sockets (and Janus) alone.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import WebSocket from 'ws';
import { useJanus } from './lib/janus.js';
import { connect, emitAck, RawPolling, waitFor } from './lib/sio.js';

const MAX_PAYLOAD = 20000;

describe('bad input to the Socket.IO transport', () => {
  const ctx = useJanus({
    transport: {
      engineio: { ping_interval: 1000, ping_timeout: 1000, max_payload: MAX_PAYLOAD },
      cors: { allow_origins: 'https://app.example' },
      // The in-flight limit is what the bursts here meet; abuse.test.js covers the rate limit.
      limits: { events_per_second: 0 },
    },
  });
  let bystander;  // a healthy client that must never notice anything
  before(async () => { bystander = await connect(ctx.janus.sioUrl, { transports: ['websocket'] }); });
  after(() => bystander?.disconnect());

  async function bystanderFine() {
    assert.ok(bystander.connected, 'the healthy socket is still connected');
    assert.deepEqual(await emitAck(bystander, 'still-there', {}), { error: 'Unknown request' });
  }

  async function engineio(query, init = {}) {
    const res = await fetch(`${ctx.janus.sioUrl}/calls/?${query}`, init);
    return { status: res.status, body: await res.text(), headers: res.headers };
  }

  test('handshake errors are worded like the reference server', async () => {
    assert.deepEqual(await engineio('EIO=4&transport=carrier-pigeon').then((r) => [r.status, JSON.parse(r.body)]),
      [400, { code: 0, message: 'Transport unknown' }]);
    assert.deepEqual(await engineio('EIO=4&transport=polling&sid=nope').then((r) => [r.status, JSON.parse(r.body)]),
      [400, { code: 1, message: 'Session ID unknown' }]);
    assert.deepEqual(await engineio('EIO=4&transport=polling', { method: 'POST', body: '40' }).then((r) => [r.status, JSON.parse(r.body)]),
      [400, { code: 2, message: 'Bad handshake method' }]);
    assert.deepEqual(await engineio('EIO=4&transport=websocket').then((r) => [r.status, JSON.parse(r.body)]),
      [400, { code: 3, message: 'Bad request' }]);
    assert.deepEqual(await engineio('EIO=3&transport=polling').then((r) => [r.status, JSON.parse(r.body)]),
      [400, { code: 5, message: 'Unsupported protocol version' }]);
    // The arguments in any order, after long ones (python-socketio puts transport first).
    assert.equal((await engineio(`transport=polling&pad=${'x'.repeat(500)}&EIO=4`)).status, 200);
    assert.deepEqual(await engineio('transport=polling&EIO=3').then((r) => [r.status, JSON.parse(r.body)]),
      [400, { code: 5, message: 'Unsupported protocol version' }]);
    const elsewhere = await fetch(`${ctx.janus.sioUrl}/not-calls/?EIO=4&transport=polling`);
    assert.equal(elsewhere.status, 404);
    await bystanderFine();
  });

  test('CORS: allowed origins get their headers, others are refused', async () => {
    const ok = await engineio('EIO=4&transport=polling', { headers: { origin: 'https://app.example' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(ok.headers.get('access-control-allow-credentials'), 'true');
    const preflight = await engineio('EIO=4&transport=polling', { method: 'OPTIONS', headers: { origin: 'https://app.example' } });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-methods'), /POST/);
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'content-type');
    // The headers a page asks for (socket.io-client's extraHeaders) are allowed, if they are only names.
    const asking = await engineio('EIO=4&transport=polling', { method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-headers': 'authorization,x-oichat-token' } });
    assert.equal(asking.headers.get('access-control-allow-headers'), 'authorization,x-oichat-token');
    const odd = await engineio('EIO=4&transport=polling', { method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-headers': 'x-a: 1' } });
    assert.equal(odd.headers.get('access-control-allow-headers'), 'content-type');
    const evil = await engineio('EIO=4&transport=polling', { headers: { origin: 'https://evil.example' } });
    assert.deepEqual([evil.status, JSON.parse(evil.body)], [403, { code: 4, message: 'Forbidden' }]);
    await assert.rejects(connect(ctx.janus.sioUrl, { transports: ['websocket'], extraHeaders: { origin: 'https://evil.example' } }));
    await bystanderFine();
  });

  test('garbage Engine.IO packets: 400, that session ends, nobody else notices', async () => {
    for (const garbage of ['', 'x', '9hello', '4hi\x1e\x1e4there', 'b!!!notbase64', '\x1e']) {
      const raw = new RawPolling(ctx.janus.sioUrl);
      await raw.open();
      const res = await raw.post(garbage);
      assert.equal(res.status, 400, `payload ${JSON.stringify(garbage)}`);
      assert.deepEqual(JSON.parse(res.text), { code: 3, message: 'Bad request' });
      assert.equal((await raw.get()).status, 400, 'session is gone');
    }
    await bystanderFine();
  });

  test('truncated and non-JSON Socket.IO events get an error ack; the socket lives on', async () => {
    const raw = new RawPolling(ctx.janus.sioUrl);
    await raw.open();
    assert.match(await raw.connectSocketIO(), /^40\{"sid":"/);
    assert.equal((await raw.post('421["start-call",{"toUserId":')).text, 'ok');
    assert.equal((await raw.get()).text, '431[{"error":"Invalid event: invalid JSON payload"}]');
    assert.equal((await raw.post('422hello')).text, 'ok');
    assert.equal((await raw.get()).text, '432[{"error":"Invalid event: invalid JSON payload"}]');
    assert.equal((await raw.post('423{"not":"an array"}')).text, 'ok');
    assert.match((await raw.get()).text, /^433\[\{"error":"Invalid event: /);
    // Without an ack id there is no one to tell; nothing breaks either.
    assert.equal((await raw.post('42["x"')).text, 'ok');
    assert.equal((await raw.post('424["alive?"]')).text, 'ok');
    assert.equal((await raw.get()).text, '434[{"error":"Unknown request"}]');
    await bystanderFine();
  });

  test('an ack id reused gets two answers', async () => {
    const raw = new RawPolling(ctx.janus.sioUrl);
    await raw.open();
    await raw.connectSocketIO();
    assert.equal((await raw.post('427["a"]\x1e427["b"]')).text, 'ok');
    let text = '';
    while (text.split('\x1e').length < 2) text += (text ? '\x1e' : '') + (await raw.get()).text;
    assert.deepEqual(text.split('\x1e'), ['437[{"error":"Unknown request"}]', '437[{"error":"Unknown request"}]']);
  });

  test('binary events are refused with an error ack', async () => {
    const socket = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    assert.deepEqual(await emitAck(socket, 'upload', Buffer.from([1, 2, 3])), { error: 'Binary payloads are not supported' });
    assert.deepEqual(await emitAck(socket, 'after', {}), { error: 'Unknown request' });
    socket.disconnect();
  });

  test('another namespace gets CONNECT_ERROR', async () => {
    const { io } = await import('socket.io-client');
    const socket = io(`${ctx.janus.sioUrl}/admin`, { path: '/calls', forceNew: true, reconnection: false });
    const err = await new Promise((resolve) => socket.once('connect_error', resolve));
    assert.equal(err.message, 'Invalid namespace');
    socket.close();
  });

  test('a POST larger than maxPayload: 413 and the session ends', async () => {
    const raw = new RawPolling(ctx.janus.sioUrl);
    await raw.open();
    const res = await raw.post(`4${'x'.repeat(MAX_PAYLOAD + 10)}`);
    assert.equal(res.status, 413);
    assert.equal((await raw.get()).status, 400);
    await bystanderFine();
  });

  test('a request body that never ends: 413 once past maxPayload, connection closed', async () => {
    const raw = new RawPolling(ctx.janus.sioUrl);
    await raw.open();
    const url = new URL(raw.url());
    const status = await new Promise((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { 'content-type': 'text/plain' } }, (res) => {
        clearInterval(timer);
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      let sent = 0;
      const timer = setInterval(() => {
        if (sent > 50 * MAX_PAYLOAD) { clearInterval(timer); reject(new Error('server kept reading')); return; }
        req.write('4'.padEnd(1000, 'y'));
        sent += 1000;
      }, 2);
    });
    assert.equal(status, 413);
    await bystanderFine();
  });

  test('a WebSocket message larger than maxPayload closes only that socket', async () => {
    const ws = new WebSocket(`${ctx.janus.sioUrl.replace('http', 'ws')}/calls/?EIO=4&transport=websocket`);
    await new Promise((resolve) => ws.once('message', resolve));
    const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(`4${'z'.repeat(MAX_PAYLOAD + 1)}`);
    assert.equal(await closed, 1009);
    await bystanderFine();
  });

  test('garbage WebSocket frames close only that socket', async () => {
    for (const garbage of ['', '7', 'hello', Buffer.from([0xff, 0xfe])]) {
      const ws = new WebSocket(`${ctx.janus.sioUrl.replace('http', 'ws')}/calls/?EIO=4&transport=websocket`);
      await new Promise((resolve) => ws.once('message', resolve));
      const closed = new Promise((resolve) => ws.once('close', resolve));
      ws.send(garbage);
      await closed;
    }
    await bystanderFine();
  });

  test('a WebSocket upgrade for an unknown sid is refused', async () => {
    const ws = new WebSocket(`${ctx.janus.sioUrl.replace('http', 'ws')}/calls/?EIO=4&transport=websocket&sid=unknown`);
    await new Promise((resolve) => { ws.once('error', resolve); ws.once('close', resolve); });
    assert.notEqual(ws.readyState, WebSocket.OPEN);
  });

  test('a client that never answers pings is dropped', async () => {
    const raw = new RawPolling(ctx.janus.sioUrl);
    const hs = await raw.open();
    assert.equal(hs.pingInterval, 1000);
    assert.equal(hs.pingTimeout, 1000);
    await raw.connectSocketIO();
    // Keep polling but never pong: the server pings, waits pingTimeout, then
    // closes (a close packet on the held GET, or the sid is unknown after).
    const started = Date.now();
    const seen = [];
    for (;;) {
      const { status, text } = await raw.get();
      seen.push(status === 200 ? text : status);
      if (status === 400 || text.split('\x1e').includes('1')) break;
      assert.ok(Date.now() - started < 8000, `still alive: ${JSON.stringify(seen)}`);
    }
    assert.ok(seen.includes('2'), `was pinged: ${JSON.stringify(seen)}`);
    assert.ok(Date.now() - started >= 1500, 'not before pingInterval + pingTimeout');
    await bystanderFine();
  });

  test('10,000 events in one burst: every one answered, nothing else disturbed', async () => {
    const socket = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    const answers = await Promise.all(Array.from({ length: 10000 }, (_, i) => emitAck(socket, 'burst', { i }, 120000)));
    const errors = new Map();
    for (const a of answers) errors.set(a.error, (errors.get(a.error) || 0) + 1);
    assert.deepEqual([...errors.keys()].sort(), [...errors.keys()].filter((e) =>
      e === 'Unknown request' || e === 'Too many requests in flight').sort(), JSON.stringify([...errors]));
    assert.equal(answers.length, 10000);
    await bystanderFine();
    assert.deepEqual(await emitAck(socket, 'after-burst', {}), { error: 'Unknown request' });
    socket.disconnect();
  });

  ctx.cleanExitTest();
});

describe('a client that does not read what it is sent', () => {
  // Default heartbeats (25 s + 20 s) and no event rate limit: within this test only the output
  // cap can drop a client.
  const ctx = useJanus({ transport: { limits: { events_per_second: 0 } } });

  test('is dropped once its unsent output passes the cap; the others go on', async () => {
    const bystander = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    const raw = new RawPolling(ctx.janus.sioUrl);
    await raw.open();
    await raw.connectSocketIO();
    // Events with acks, and never a GET: every answer stays queued for this client.
    const burst = Array.from({ length: 1000 }, (_, i) => `42${i}["unread",{}]`).join('\x1e');
    const statuses = [];
    for (let n = 0; n < 400; n++) {
      const { status } = await raw.post(burst);
      statuses.push(status);
      if (status !== 200) break;
    }
    assert.equal(statuses.at(-1), 400, `still accepted after ${statuses.length} posts`);
    assert.ok(statuses.length > 20, `dropped after only ${statuses.length} posts`);
    assert.equal((await raw.get()).status, 400);
    assert.deepEqual(await emitAck(bystander, 'still-there', {}), { error: 'Unknown request' });
    bystander.disconnect();
  });

  ctx.cleanExitTest();
});
