// The Socket.IO transport as an HTTP/1.x server: idle long-polling clients
// on the default heartbeat (node and Chromium), Connection: close and
// keep-alive, HTTP/1.0, chunked bodies, pipelining, half-closed and
// aborted requests, Engine.IO error answers, refused WebSocket handshakes,
// and nginx in front (its default proxy settings and the WebSocket setup
// the Socket.IO documentation recommends) with a stress run of good and
// bad clients through it.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, existsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useJanus, sleep, JANUS_IP, CLIENT_IP } from './lib/janus.js';
import { connect, emitAck, waitFor } from './lib/sio.js';
import { rawExchange, request } from './lib/http.js';
import { launchBrowser } from './lib/browser.js';
import { DEMO_FOLDER } from './lib/demo.js';

const EIO = '/calls/?EIO=4&transport=polling';

// Watches a socket.io-client socket: pings seen, disconnects, reconnects.
function watch(socket) {
  const seen = { pings: 0, disconnects: [], id: socket.id, engineId: socket.io.engine.id };
  socket.io.on('ping', () => { seen.pings++; });
  socket.on('disconnect', (reason) => seen.disconnects.push(reason));
  return seen;
}

async function handshake(janus, headers = { Connection: 'close' }) {
  const { answers } = await rawExchange(janus.ip, janus.ports.sio, request('GET', EIO, { headers }));
  assert.equal(answers[0]?.status, 200, 'handshake answered');
  return JSON.parse(answers[0].body.slice(1)).sid;
}

describe('idle clients on the default heartbeat (pingInterval 25 s, pingTimeout 20 s)', () => {
  const ctx = useJanus({ demoFolder: DEMO_FOLDER });

  // The two wait at the same time (the heartbeat's 45 s once, not twice).
  test('idle clients', { concurrency: true, timeout: 120000 }, async (t) => { await Promise.all([
  t.test('polling, upgrading and WebSocket clients in node and a polling client in Chromium stay connected past pingInterval + pingTimeout', async () => {
    const url = ctx.janus.sioUrl;
    const polling = await connect(url, { transports: ['polling'] });
    const noUpgrade = await connect(url, { transports: ['polling', 'websocket'], upgrade: false });
    const upgraded = await connect(url, { transports: ['polling', 'websocket'] });
    const ws = await connect(url, { transports: ['websocket'] });
    const sockets = { polling, noUpgrade, upgraded, ws };
    const watched = Object.fromEntries(Object.entries(sockets).map(([k, s]) => [k, watch(s)]));
    await waitFor(() => upgraded.io.engine.transport.name === 'websocket', { what: 'upgrade' });

    const browser = await launchBrowser();
    try {
      const page = await browser.newPage(`${url}/index.html`);
      await page.evaluate((u) => new Promise((resolve, reject) => {
        const s = io(u, { path: '/calls', transports: ['polling'], reconnection: false });
        window.idle = { socket: s, pings: 0, disconnects: [] };
        s.io.on('ping', () => { window.idle.pings++; });
        s.on('disconnect', (r) => window.idle.disconnects.push(r));
        s.once('connect', resolve);
        s.once('connect_error', (e) => reject(new Error(e.message)));
      }), url);
      const pageId = await page.evaluate(() => window.idle.socket.io.engine.id);

      // Idle: nothing but heartbeats for longer than pingInterval + pingTimeout.
      await sleep(47000);

      for (const [name, seen] of Object.entries(watched)) {
        assert.deepEqual(seen.disconnects, [], `${name} was disconnected`);
        assert.ok(seen.pings >= 1, `${name} saw a ping`);
        assert.equal(sockets[name].io.engine.id, seen.engineId, `${name} kept its Engine.IO session`);
        assert.deepEqual(await emitAck(sockets[name], 'no-such-request', {}), { error: 'Unknown request' });
      }
      assert.equal(polling.io.engine.transport.name, 'polling');
      assert.equal(noUpgrade.io.engine.transport.name, 'polling');
      const inPage = await page.evaluate(async () => ({
        pings: window.idle.pings, disconnects: window.idle.disconnects,
        id: window.idle.socket.io.engine.id, transport: window.idle.socket.io.engine.transport.name,
        ack: await window.idle.socket.timeout(5000).emitWithAck('no-such-request', {}),
      }));
      assert.deepEqual(inPage.disconnects, []);
      assert.ok(inPage.pings >= 1, 'the page saw a ping');
      assert.equal(inPage.id, pageId);
      assert.equal(inPage.transport, 'polling');
      assert.deepEqual(inPage.ack, { error: 'Unknown request' });
    } finally {
      await browser.close();
      for (const s of Object.values(sockets)) s.disconnect();
    }
  }),

  t.test('a held GET is answered with the ping at pingInterval, not dropped', async () => {
    const sid = await handshake(ctx.janus);
    const open = await rawExchange(ctx.janus.ip, ctx.janus.ports.sio,
      request('POST', `${EIO}&sid=${sid}`, { headers: { Connection: 'close' }, body: '40' }));
    assert.equal(open.answers[0].body, 'ok');
    const first = await rawExchange(ctx.janus.ip, ctx.janus.ports.sio, request('GET', `${EIO}&sid=${sid}`));
    assert.match(first.answers[0].body, /^40\{"sid":/);
    // Held on a keep-alive connection until the server's ping.
    const held = await rawExchange(ctx.janus.ip, ctx.janus.ports.sio, request('GET', `${EIO}&sid=${sid}`), { timeoutMs: 30000 });
    assert.equal(held.answers.length, 1, `held GET answered (${held.data.length} bytes, closed ${held.closed})`);
    assert.equal(held.answers[0].body, '2');
  })]); });

  ctx.cleanExitTest();
});

// A demo folder with a page, a link that stays inside and one that leads out.
function demoFolderWithLinks() {
  const dir = mkdtempSync(join(tmpdir(), 'oicall-demo-'));
  writeFileSync(join(dir, 'index.html'), '<p>demo</p>');
  writeFileSync(`${dir}-secret`, 'secret');
  symlinkSync(join(dir, 'index.html'), join(dir, 'alias.html'));
  symlinkSync(`${dir}-secret`, join(dir, 'escape.html'));
  return dir;
}

describe('HTTP/1.x connection handling', () => {
  // Every request here comes from one address; the per-address limit is abuse.test.js's subject.
  const ctx = useJanus(() => ({ demoFolder: demoFolderWithLinks(), transport: { limits: { max_per_address: 0 } } }));
  const ex = (chunks, opts) => rawExchange(ctx.janus.ip, ctx.janus.ports.sio, chunks, opts);

  test('Connection: close is honoured after every kind of answer; keep-alive connections take the next request', async () => {
    const closeHeaders = { Connection: 'close' };
    const cases = [
      request('GET', EIO, { headers: closeHeaders }),
      request('GET', `${EIO}&sid=nosuchsid`, { headers: closeHeaders }),
      request('POST', `${EIO}&sid=nosuchsid`, { headers: closeHeaders, body: '40' }),
      request('GET', '/calls/?EIO=3&transport=polling', { headers: closeHeaders }),
      request('GET', '/calls/?EIO=4&transport=carrier-pigeon', { headers: closeHeaders }),
      request('OPTIONS', EIO, { headers: { ...closeHeaders, Origin: 'http://page.example' } }),
      request('GET', '/no/such/file', { headers: closeHeaders }),
    ];
    for (const text of cases) {
      const r = await ex(text);
      assert.equal(r.answers.length, 1, `one answer to ${text.split('\r\n')[0]}`);
      assert.equal(r.answers[0].headers.connection, 'close', text.split('\r\n')[0]);
      assert.ok(r.closed, `closed after ${text.split('\r\n')[0]}`);
      assert.ok(!r.reset, 'closed cleanly, not reset');
    }
    // Keep-alive: three requests one after the other on one connection.
    const sid = await handshake(ctx.janus);
    const r = await ex([request('GET', `${EIO}&sid=nosuchsid`), request('POST', `${EIO}&sid=${sid}`, { body: '40' }),
      request('GET', `${EIO}&sid=${sid}`, { headers: closeHeaders })], { sequential: true });
    assert.deepEqual(r.answers.map((a) => a.status), [400, 200, 200]);
    assert.equal(r.answers[1].body, 'ok');
    assert.match(r.answers[2].body, /^40\{"sid":/);
  });

  test('CORS with allow_origins "*" answers as the Node server\'s cors { origin: "*" }: "*" and no credentials', async () => {
    for (const origin of ['https://page.example', 'null']) {
      const r = await ex(request('GET', EIO, { headers: { Connection: 'close', Origin: origin } }));
      assert.equal(r.answers[0].status, 200);
      assert.equal(r.answers[0].headers['access-control-allow-origin'], '*');
      assert.equal(r.answers[0].headers['access-control-allow-credentials'], undefined);
    }
  });

  test('demo files: a link inside the folder is served, one leading out of it is 404', async () => {
    const page = await ex(request('GET', '/alias.html', { headers: { Connection: 'close' } }));
    assert.equal(page.answers[0].status, 200);
    assert.equal(page.answers[0].body, '<p>demo</p>');
    const escape = await ex(request('GET', '/escape.html', { headers: { Connection: 'close' } }));
    assert.equal(escape.answers[0].status, 404);
    assert.doesNotMatch(escape.data.toString(), /secret/);
  });

  test('HTTP/1.0 clients are answered and the connection closed unless they ask for keep-alive', async () => {
    const r = await ex(request('GET', EIO, { version: 'HTTP/1.0' }));
    assert.equal(r.answers[0].status, 200);
    assert.equal(r.answers[0].headers.connection, 'close');
    assert.ok(r.closed);
    const kept = await ex([request('GET', `${EIO}&sid=x`, { version: 'HTTP/1.0', headers: { Connection: 'keep-alive' } }),
      request('GET', EIO, { version: 'HTTP/1.0' })]);
    assert.deepEqual(kept.answers.map((a) => a.status), [400, 200]);
  });

  test('pipelined GETs are answered in order', async () => {
    const r = await ex(request('GET', `${EIO}&sid=nosuchsid`) + request('GET', EIO) +
      request('GET', '/calls/?EIO=3&transport=polling', { headers: { Connection: 'close' } }));
    assert.deepEqual(r.answers.map((a) => a.status), [400, 200, 400]);
    assert.equal(JSON.parse(r.answers[0].body).message, 'Session ID unknown');
    assert.match(r.answers[1].body, /^0\{"sid":/);
    assert.equal(JSON.parse(r.answers[2].body).message, 'Unsupported protocol version');
    assert.ok(r.closed);
  });

  test('a POST pipelined behind another request never stalls the server (lws 4.1 loops on it): answered or refused, then closed', async () => {
    for (const first of [request('GET', `${EIO}&sid=nosuchsid`), request('GET', EIO), 'POST']) {
      const sid = await handshake(ctx.janus);
      const post = request('POST', `${EIO}&sid=${sid}`, { body: '40' });
      const r = await ex(first === 'POST' ? post + request('GET', `${EIO}&sid=nosuchsid`) : first + post, { timeoutMs: 3000 });
      assert.ok(r.closed, 'the connection closed after the answers');
      assert.ok(r.answers.length >= 1);
      // Its session is not to blame if lws lost the body: it is still there (a close packet is taken).
      const alive = await ex(request('POST', `${EIO}&sid=${sid}`, { body: '1', headers: { Connection: 'close' } }));
      assert.equal(alive.answers[0]?.status, 200, `the session survives ${first.slice(0, 40)}: ${r.data.toString()}`);
      // The service thread is free: a new client is served at once.
      const next = await ex(request('GET', EIO, { headers: { Connection: 'close' } }), { timeoutMs: 3000 });
      assert.equal(next.answers[0]?.status, 200, 'a new handshake is answered');
    }
  });

  test('a client that half-closes after its request still gets the answer', async () => {
    const r = await ex(request('GET', EIO), { halfClose: true });
    assert.equal(r.answers[0]?.status, 200, r.data.toString());
  });

  test('a POST with a chunked body is decoded (and framing errors answered 400, other codings 501)', async () => {
    const sid = await handshake(ctx.janus);
    const chunked = { 'Transfer-Encoding': 'chunked', 'Content-Type': 'text/plain;charset=UTF-8' };
    // Split across writes, with an extension and a trailer.
    const r = await ex([request('POST', `${EIO}&sid=${sid}`, { headers: chunked }), '1;x=y\r\n4\r\n', '1\r\n0\r\n0\r\nX-T: 1\r\n\r\n']);
    assert.equal(r.answers[0]?.status, 200, r.data.toString());
    assert.equal(r.answers[0].body, 'ok');
    const answer = await ex(request('GET', `${EIO}&sid=${sid}`, { headers: { Connection: 'close' } }));
    assert.match(answer.answers[0].body, /^40\{"sid":/, 'the decoded CONNECT reached the Socket.IO layer');

    const bad = await ex(request('POST', `${EIO}&sid=${sid}`, { headers: chunked, body: 'zz\r\n40\r\n0\r\n\r\n' }));
    assert.equal(bad.answers[0]?.status, 400);
    assert.ok(bad.closed);
    const gzip = await ex(request('POST', `${EIO}&sid=${sid}`, { headers: { 'Transfer-Encoding': 'gzip, chunked' }, body: '0\r\n\r\n' }));
    assert.equal(gzip.answers[0]?.status, 501);
    // The session outlived both broken requests.
    const still = await ex(request('POST', `${EIO}&sid=${sid}`, { body: '42["x"]' }));
    assert.equal(still.answers[0].body, 'ok');
  });

  test('a POST whose body is not an Engine.IO payload gets the reference server\'s 400, also with Connection: close', async () => {
    for (const headers of [{ Connection: 'close' }, {}]) {
      const sid = await handshake(ctx.janus);
      const r = await ex(request('POST', `${EIO}&sid=${sid}`, { headers, body: 'abc' }));
      assert.equal(r.answers[0]?.status, 400, r.data.toString());
      assert.deepEqual(JSON.parse(r.answers[0].body), { code: 3, message: 'Bad request' });
    }
  });

  test('a refused WebSocket handshake is answered 400 with the reason, as the reference server does', async () => {
    const upgrade = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' };
    const cases = [
      ['/calls/?EIO=4&transport=websocket&sid=nosuchsid', 'Session ID unknown'],
      ['/calls/?EIO=3&transport=websocket', 'Unsupported protocol version'],
      ['/calls/?EIO=4&transport=pigeon', 'Transport unknown'],
      ['/calls/?EIO=4&transport=polling', 'Bad request'],
    ];
    for (const [path, message] of cases) {
      const r = await ex(request('GET', path, { headers: upgrade }));
      assert.equal(r.answers[0]?.status, 400, path);
      assert.equal(r.answers[0].body, message);
      assert.ok(r.closed);
    }
  });

  test('one client\'s refused requests never reset the next connection (Connection: close, no pause)', async () => {
    const refused = [
      request('GET', `${EIO}&sid=nosuchsid`, { headers: { Connection: 'close' } }),
      request('POST', `${EIO}&sid=nosuchsid`, { headers: { Connection: 'close' }, body: '40' }),
      request('GET', '/calls/?EIO=3&transport=polling', { headers: { Connection: 'close' } }),
      request('POST', EIO, { headers: { Connection: 'close' }, body: '40' }),
    ];
    let good = 0;
    for (let i = 0; i < 60; i++) {
      const [bad, next] = await Promise.all([ex(refused[i % refused.length]), ex(request('GET', EIO, { headers: { Connection: 'close' } }))]);
      assert.ok(!bad.reset && bad.answers.length === 1, `refused request ${i} answered`);
      assert.ok(!next.reset, `handshake ${i} reset`);
      if (next.answers[0]?.status === 200) good++;
    }
    assert.equal(good, 60);
  });

  // The reset as filed: Node >= 19's default agent (and node-fetch on it)
  // keeps sockets alive, and a request's own "Connection: close" does not
  // stop it pooling the socket unless the answer says "close" too. An answer
  // that closed without saying so left a dead socket in the client's pool,
  // and the client's next request, sent on it within a few ms, was reset.
  test('a keep-alive client that sends Connection: close is told so in every answer: its next request is never reset', async () => {
    const { ip, ports } = ctx.janus;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (method, path, body) => new Promise((resolve) => {
      const req = http.request({ host: ip, port: ports.sio, method, path, agent, headers: { Connection: 'close' } }, (res) => {
        let text = '';
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, body: text }));
      });
      req.on('error', (e) => resolve({ error: e.code ?? e.message }));
      req.end(body);
    });
    const sid = JSON.parse((await send('GET', EIO)).body.slice(1)).sid;
    const cases = [
      ['GET', `${EIO}&sid=nosuchsid`], ['POST', `${EIO}&sid=nosuchsid`, '40'], ['GET', '/calls/?EIO=3&transport=polling'],
      ['GET', '/calls/?EIO=4&transport=pigeon'], ['POST', `${EIO}&sid=${sid}`, 'abc'], ['OPTIONS', EIO],
      ['GET', '/no/such/file'], ['GET', EIO],
    ];
    try {
      for (let i = 0; i < 48; i++) {
        const [method, path, body] = cases[i % cases.length];
        const first = await send(method, path, body);
        assert.ok(!first.error, `${method} ${path}: ${first.error}`);
        assert.equal(first.connection, 'close', `${method} ${path} answered ${first.status} without Connection: close`);
        const next = await send('GET', EIO);
        assert.equal(next.error, undefined, `the request after ${method} ${path} (${first.status}) was reset`);
        assert.equal(next.status, 200);
      }
    } finally {
      agent.destroy();
    }
  });

  ctx.cleanExitTest();
});

describe('a short heartbeat (pingInterval 300 ms, pingTimeout 200 ms)', () => {
  const ctx = useJanus({ transport: { engineio: { ping_interval: 300, ping_timeout: 200 } } });
  const ex = (chunks, opts) => rawExchange(ctx.janus.ip, ctx.janus.ports.sio, chunks, opts);

  test('the heartbeat closes a silent long-polling session on time', async () => {
    // ping at 300 ms, no pong: gone at 500 ms (checked with slack for a loaded machine).
    const sid = await handshake(ctx.janus);
    await sleep(150);
    const alive = await ex(request('GET', `${EIO}&sid=${sid}`, { headers: { Connection: 'close' } }), { timeoutMs: 2000 });
    assert.equal(alive.answers[0]?.body, '2', 'the ping, at 300 ms');
    await sleep(600);
    const gone = await ex(request('GET', `${EIO}&sid=${sid}`, { headers: { Connection: 'close' } }));
    assert.equal(JSON.parse(gone.answers[0].body).message, 'Session ID unknown');
  });

  ctx.cleanExitTest();
});

// ---- nginx in front ------------------------------------------------------

const NGINX = '/usr/sbin/nginx';

function nginxConfig(dir, janus, ports) {
  const upstream = `http://${janus.ip}:${janus.ports.sio}`;
  return `worker_processes 1;
daemon off;
user root;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  # Default proxy settings: HTTP/1.0 to the upstream, Connection: close, no Upgrade.
  server {
    listen ${CLIENT_IP}:${ports.plain};
    location / { proxy_pass ${upstream}; }
  }
  # As the Socket.IO documentation recommends for WebSocket.
  server {
    listen ${CLIENT_IP}:${ports.ws};
    location / {
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header Host $host;
      proxy_pass ${upstream};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
    }
  }
}
`;
}

async function startNginx(janus) {
  const dir = mkdtempSync(join(tmpdir(), 'oicall-nginx-'));
  const ports = { plain: janus.ports.sio + 1000, ws: janus.ports.sio + 1001 };
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, janus, ports));
  execFileSync(NGINX, ['-t', '-q', '-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const proc = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  const nginx = {
    proc, dir,
    plainUrl: `http://${CLIENT_IP}:${ports.plain}`, wsUrl: `http://${CLIENT_IP}:${ports.ws}`, ports,
    errors: () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : ''),
    async stop() {
      proc.kill('SIGQUIT');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await waitFor(async () => (await fetch(`${nginx.plainUrl}${EIO}`).catch(() => null))?.status === 200,
    { what: 'nginx up', timeoutMs: 10000 });
  return nginx;
}

describe('behind nginx', () => {
  // nginx reaches Janus from Janus's own address (both are local to the namespace).
  const ctx = useJanus({ transport: { limits: { trusted_proxies: JANUS_IP } } });
  let nginx;
  before(async () => { nginx = await startNginx(ctx.janus); });
  after(async () => { await nginx?.stop(); });

  test('socket.io-client through the default proxy settings: polling works, the upgrade falls back, websocket-only fails cleanly', async () => {
    const upgrading = await connect(nginx.plainUrl, { transports: ['polling', 'websocket'] });
    const polling = await connect(nginx.plainUrl, { transports: ['polling'] });
    for (const s of [upgrading, polling]) {
      assert.deepEqual(await emitAck(s, 'register', 'nginx-default-' + s.id), { success: true, userId: 'nginx-default-' + s.id });
      assert.deepEqual(await emitAck(s, 'no-such-request', {}), { error: 'Unknown request' });
    }
    // nginx's default setup does not pass Upgrade: the client stays on polling.
    await sleep(500);
    assert.equal(upgrading.io.engine.transport.name, 'polling');
    await assert.rejects(connect(nginx.plainUrl, { transports: ['websocket'], timeout: 3000 }));
    upgrading.disconnect();
    polling.disconnect();
  });

  test('socket.io-client through the recommended WebSocket setup: polling-then-upgrade, polling-only and websocket-only', async () => {
    const upgrading = await connect(nginx.wsUrl, { transports: ['polling', 'websocket'] });
    const polling = await connect(nginx.wsUrl, { transports: ['polling'] });
    const ws = await connect(nginx.wsUrl, { transports: ['websocket'] });
    await waitFor(() => upgrading.io.engine.transport.name === 'websocket', { what: 'upgrade through nginx' });
    for (const s of [upgrading, polling, ws]) {
      assert.deepEqual(await emitAck(s, 'register', 'nginx-ws-' + s.id), { success: true, userId: 'nginx-ws-' + s.id });
      assert.deepEqual(await emitAck(s, 'no-such-request', {}), { error: 'Unknown request' });
      s.disconnect();
    }
  });

  test('stress through the proxy: a third of the clients send garbage, unknown sids and aborted requests; every good ack arrives', { timeout: 120000 }, async () => {
    const GOOD = 24, BAD = 12, EVENTS = 40;
    let stop = false;
    const badHost = CLIENT_IP;
    const badPorts = [nginx.ports.plain, nginx.ports.ws];
    const bad = async (i) => {
      const port = badPorts[i % 2];
      const abuses = [
        () => rawExchange(badHost, port, request('GET', `${EIO}&sid=nosuchsid${i}`, { headers: { Connection: 'close' } })),
        () => rawExchange(badHost, port, request('POST', `${EIO}&sid=nosuchsid${i}`, { headers: { Connection: 'close' }, body: 'garbage' })),
        () => rawExchange(badHost, port, '\x16\x03\x01 not http at all\r\n\r\n'),
        () => rawExchange(badHost, port, 'GET /calls/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Half', { abortAfterMs: 20 }),
        () => rawExchange(badHost, port, request('POST', `${EIO}&sid=x`, { headers: { 'Content-Length': '1000' }, body: 'x' }), { abortAfterMs: 20 }),
        async () => { // a real session whose held GET is aborted
          const r = await rawExchange(badHost, port, request('GET', EIO, { headers: { Connection: 'close' } }));
          const sid = JSON.parse(r.answers[0].body.slice(1)).sid;
          await rawExchange(badHost, port, request('GET', `${EIO}&sid=${sid}`), { abortAfterMs: 50 });
        },
        () => rawExchange(badHost, port, request('GET', '/calls/?EIO=4&transport=websocket&sid=nope',
          { headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } }),
          { untilAnswers: 1 }),
      ];
      let n = 0;
      while (!stop) { await abuses[(i + n++) % abuses.length]().catch(() => {}); }
      return n;
    };
    const good = async (i) => {
      const transports = [['polling'], ['polling', 'websocket'], ['websocket']][i % 3];
      // WebSocket passes only the recommended setup.
      const url = transports[0] === 'websocket' || i % 2 ? nginx.wsUrl : nginx.plainUrl;
      const s = await connect(url, { transports });
      const seen = watch(s);
      const acks = [await emitAck(s, 'register', `stress-${i}`, 20000)];
      for (let e = 0; e < EVENTS; e++) {
        acks.push(await emitAck(s, 'no-such-request', { e }, 20000));
        await sleep(50);
      }
      const disconnects = [...seen.disconnects];
      s.disconnect();
      return { acks, disconnects };
    };
    const badRuns = Array.from({ length: BAD }, (_, i) => bad(i));
    const results = await Promise.all(Array.from({ length: GOOD }, (_, i) => good(i)));
    stop = true;
    const abuses = (await Promise.all(badRuns)).reduce((a, b) => a + b, 0);
    assert.ok(abuses > BAD * 10, `the bad clients kept going (${abuses} requests)`);
    for (const [i, { acks, disconnects }] of results.entries()) {
      assert.deepEqual(acks[0], { success: true, userId: `stress-${i}` }, `client ${i} registered`);
      assert.equal(acks.filter((a) => a.error === 'Unknown request').length, EVENTS, `client ${i} got every ack`);
      assert.deepEqual(disconnects, [], `client ${i} kept its connection`);
    }
    // Janus still serves a fresh client directly.
    const after = await connect(ctx.janus.sioUrl, { transports: ['polling'] });
    assert.deepEqual(await emitAck(after, 'no-such-request', {}), { error: 'Unknown request' });
    after.disconnect();
  });

  ctx.cleanExitTest();
});
