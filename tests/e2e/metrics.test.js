// /metrics and /healthz: Debian's Prometheus scrapes a running oicall during
// a call (a mediasoup-client caller and a plain-WebRTC callee) and its query
// API has the series; promtool accepts the page; /healthz says 503 when the
// transport is full, shutting down, or its plugin doesn't answer; and the
// metrics can move to a listener of their own.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useJanus, startJanus, sleep, JANUS_IP } from './lib/janus.js';
import { userPage, mediaFlows } from './lib/demo.js';
import { launchBrowser } from './lib/browser.js';
import { msPageFolder, msUserPage } from './lib/mediasoup.js';
import { connect, waitFor, RawPolling } from './lib/sio.js';
import WebSocket from 'ws';
import { startPrometheus, promtoolCheck } from './lib/prometheus.js';

const get = async (url) => {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};

// A sample's value on a metrics page (the line `series value`), or null.
function sample(text, series) {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : null;
}

const folder = await msPageFolder();

describe('Prometheus scrapes oicall during a call', () => {
  const ctx = useJanus({ demoFolder: folder.dir });
  let browser; let prom;
  before(async () => { browser = await launchBrowser({ secureOrigins: [ctx.janus.sioUrl] }); });
  after(async () => {
    await browser?.close();
    await prom?.stop();
    folder.remove();
  });

  test('/healthz is 200 "ok" and /metrics a page promtool accepts, before any client', async () => {
    assert.deepEqual(await get(`${ctx.janus.sioUrl}/healthz`), { status: 200, type: 'text/plain; charset=utf-8', text: 'ok\n' });
    const page = await get(`${ctx.janus.sioUrl}/metrics`);
    assert.equal(page.status, 200);
    assert.equal(page.type, 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(sample(page.text, 'oicall_plugin_up'), 1);
    assert.equal(sample(page.text, 'oicall_users_online'), 0);
    assert.equal(sample(page.text, 'oicall_call_setup_seconds_count'), 0);
    assert.deepEqual(promtoolCheck(page.text), { status: 0, output: '' });
    // Other methods are refused; the Socket.IO endpoint is unchanged.
    assert.equal((await fetch(`${ctx.janus.sioUrl}/metrics`, { method: 'POST', body: 'x' })).status, 405);
    assert.equal((await get(`${ctx.janus.sioUrl}/calls/?EIO=4&transport=polling`)).text[0], '0');
  });

  test('during a call, Prometheus\'s query API has users, calls, peers, producers, consumers, media, '
    + 'setup time, acks and handshakes', async () => {
    prom = await startPrometheus(`${JANUS_IP}:${ctx.janus.ports.sio}`);
    // A refused handshake (a POST without sid) is counted.
    assert.equal((await fetch(`${ctx.janus.sioUrl}/calls/?EIO=4&transport=polling`, { method: 'POST', body: '' })).status, 400);
    const alice = await msUserPage(browser, ctx.janus, 'prom-ms-a');
    const bob = await userPage(browser, ctx.janus, 'prom-jsep-b');
    const incoming = bob.nextEvent('incoming-call');
    const started = await alice.msc(() => window.msc.call('prom-jsep-b', 'video'));
    assert.equal(started.error, undefined, JSON.stringify(started));
    await incoming;
    await prom.until('oicall_calls{state="ringing",dialect="seed"}', (v) => v === 1, 'a ringing call');
    await waitFor(async () => (await alice.msc(() => Object.keys(window.msc.producers).length)) === 2,
      { what: 'the caller\'s producers' });
    assert.deepEqual(await bob.demo(() => window.demo.accept()), { success: true });
    await Promise.all([mediaFlows(alice, { timeoutMs: 10000 }), mediaFlows(bob, { timeoutMs: 10000 })]);

    await prom.until('oicall_users_online', (v) => v === 2, 'two users online');
    await prom.until('oicall_calls{state="active",dialect="mixed"}', (v) => v === 1, 'one active mixed call');
    assert.equal(await prom.value('sum(oicall_calls)'), 1);
    await prom.until('oicall_call_peers{dialect="seed"}', (v) => v === 1, 'a seed-dialect peer');
    await prom.until('oicall_call_peers{dialect="jsep"}', (v) => v === 1, 'a JSEP peer');
    // The caller's two producers and the JSEP side's two m-lines; the caller consumes the latter.
    await prom.until('oicall_producers{kind="video"}', (v) => v === 2, 'video producers');
    await prom.until('oicall_producers{kind="audio"}', (v) => v === 2, 'audio producers');
    await prom.until('oicall_consumers{kind="video"}', (v) => v === 1, 'a video consumer');
    await prom.until('oicall_consumers{kind="audio"}', (v) => v === 1, 'an audio consumer');
    await prom.until('oicall_relayed_packets_total{kind="video"}', (v) => v > 0, 'video relayed');
    await prom.until('oicall_relayed_bytes_total{kind="audio"}', (v) => v > 0, 'audio relayed');
    await prom.until('rate(oicall_relayed_packets_total{kind="audio"}[5s])', (v) => v > 10, 'audio flowing now');
    await prom.until('oicall_keyframe_requests_total{from="gateway"}', (v) => v > 0, 'the gateway\'s keyframe requests');
    // loss.test.js drops packets and checks this counts them; here only that it is there.
    assert.notEqual(await prom.value('oicall_packets_lost_total'), null);
    await prom.until('oicall_call_setup_seconds_count', (v) => v === 1, 'the call\'s setup time');
    const setup = await prom.value('oicall_call_setup_seconds_sum');
    assert.ok(setup > 0 && setup < 10, `setup took ${setup} s`);
    assert.equal(await prom.value('oicall_call_setup_seconds_bucket{le="+Inf"}'), 1);
    await prom.until('oicall_socketio_acks_total{event="register",error=""}', (v) => v === 2, 'register acks');
    await prom.until('oicall_socketio_acks_total{event="accept-call",error=""}', (v) => v === 1, 'the accept-call ack');
    // Both pages upgraded to WebSocket; the first test's bare handshake still polls.
    await prom.until('oicall_socketio_sockets{transport="websocket"}', (v) => v === 2, 'two WebSockets');
    await prom.until('oicall_socketio_janus_sessions', (v) => v === 2, 'two Janus sessions');
    await prom.until('oicall_socketio_rejected_handshakes_total', (v) => v === 1, 'the refused handshake');
    assert.equal(await prom.value('oicall_plugin_up'), 1);
    assert.equal(await prom.value('up{job="oicall"}'), 1);

    // An error ack, by its kind.
    const refused = await bob.demo(() => window.demo.socket.timeout(5000).emitWithAck('end-call', {}));
    assert.equal(refused.error, 'Missing callId');
    await prom.until('oicall_socketio_acks_total{event="end-call",error="Missing callId"}', (v) => v === 1, 'the error ack');
    const page = await get(`${ctx.janus.sioUrl}/metrics`);
    assert.deepEqual(promtoolCheck(page.text), { status: 0, output: '' });

    await alice.msc(() => window.msc.hangup());
    await prom.until('sum(oicall_calls)', (v) => v === 0, 'the call gone');
    assert.equal(await prom.value('oicall_call_setup_seconds_count'), 1);
    await alice.close();
    await bob.close();
    await prom.until('oicall_users_online', (v) => v === 0, 'nobody online');
  });

  ctx.cleanExitTest();
});

describe('/healthz says why oicall can\'t take clients', () => {
  const ctx = useJanus({ transport: { limits: { max_connections: 2 }, metrics: { drain_time: 8000 } } });

  test('503 "server full" at the connection limit, 200 again once a client left', async () => {
    assert.equal((await get(`${ctx.janus.sioUrl}/healthz`)).status, 200);
    const sockets = [await connect(ctx.janus.sioUrl, { transports: ['websocket'] })];
    assert.equal((await get(`${ctx.janus.sioUrl}/healthz`)).status, 200);
    sockets.push(await connect(ctx.janus.sioUrl, { transports: ['websocket'] }));
    assert.deepEqual(await get(`${ctx.janus.sioUrl}/healthz`), { status: 503, type: 'text/plain; charset=utf-8', text: 'server full\n' });
    for (const socket of sockets) socket.close();
    await waitFor(async () => (await get(`${ctx.janus.sioUrl}/healthz`)).status === 200, { what: 'healthz 200 again' });
  });

  test('503 "shutting down" while Janus stops (metrics.drain_time), Socket.IO still served meanwhile', async () => {
    const stopped = ctx.janus.stop();
    const health = await waitFor(async () => {
      const answer = await get(`${ctx.janus.sioUrl}/healthz`);
      return answer.status !== 200 && answer;
    }, { what: 'healthz failing' });
    assert.deepEqual(health, { status: 503, type: 'text/plain; charset=utf-8', text: 'shutting down\n' });
    const polling = new RawPolling(ctx.janus.sioUrl);
    assert.ok((await polling.open()).sid);
    await stopped;
  });
});

describe('metrics on a listener of their own (metrics.port)', () => {
  const metricsPort = 9600 + (process.pid % 300);
  let janus;
  before(async () => {
    janus = await startJanus({ transport: { general: { plugin: 'janus.plugin.absent' },
      metrics: { port: metricsPort, interface: JANUS_IP, path: '/prom', health_path: '/health' } } });
  });
  after(async () => { await janus?.stop().catch(() => {}); });

  test('/prom and /health there, nothing else; the Socket.IO port serves neither; '
    + 'a plugin that doesn\'t answer: oicall_plugin_up 0 and 503', async () => {
    const base = `http://${JANUS_IP}:${metricsPort}`;
    const page = await get(`${base}/prom`);
    assert.equal(page.status, 200);
    assert.equal(sample(page.text, 'oicall_plugin_up'), 0);
    assert.equal(sample(page.text, 'oicall_socketio_sockets{transport="polling"}'), 0);
    assert.equal(sample(page.text, 'oicall_users_online'), null);
    assert.deepEqual(promtoolCheck(page.text), { status: 0, output: '' });
    assert.deepEqual(await get(`${base}/health`), { status: 503, type: 'text/plain; charset=utf-8', text: 'plugin not answering\n' });
    assert.equal((await get(`${base}/calls/?EIO=4&transport=polling`)).status, 404);
    const upgrade = await new Promise((resolve) => {
      const ws = new WebSocket(`ws://${JANUS_IP}:${metricsPort}/calls/?EIO=4&transport=websocket`);
      ws.on('open', () => { ws.close(); resolve('open'); });
      ws.on('error', () => resolve('refused'));
    });
    assert.equal(upgrade, 'refused', 'no WebSocket on the metrics listener');
    assert.equal((await get(`${base}/metrics`)).status, 404);
    assert.equal((await get(`${janus.sioUrl}/prom`)).status, 404);
    assert.equal((await get(`${janus.sioUrl}/health`)).status, 404);
  });

  test('Janus exits cleanly (no crash, no sanitizer report)', async () => {
    if (process.env.OICALL_SANITIZERS === '1') await sleep(1500);
    await janus.stop();
  });
});

describe('metrics settings that clash with Socket.IO\'s', () => {
  const ctx = useJanus({ transport: { metrics: { health_path: '/calls' } } });

  test('the transport refuses to start, and the log says why', async () => {
    await waitFor(() => ctx.janus.log().includes('metrics.path and metrics.health_path must differ from general.path (/calls)'),
      { what: 'the reason in the log' });
    await assert.rejects(fetch(`${ctx.janus.sioUrl}/calls/?EIO=4&transport=polling`));
  });

  ctx.cleanExitTest();
});
