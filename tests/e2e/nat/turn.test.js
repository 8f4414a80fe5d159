// TURN the way WebRTC deployments do it: coturn from Debian with a shared
// secret (use-auth-secret, the TURN REST API convention), and oicall handing
// every client short-lived credentials as iceServers (turn.secret, turn.urls,
// turn.lifetime in janus.plugin.oicall.jcfg). The client namespace of
// tests/e2e/netns-nat.sh gets its UDP dropped (iptables): only coturn, over
// TCP (turn: on 3478, or turns: on 443 with TLS), carries its media. coturn runs beside Janus, so its relayed addresses
// reach Janus's private one directly (Janus announces that one here).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startJanus, httpPluginClient, sleep, JANUS_IP, PUBLIC_IP } from '../lib/janus.js';
import { connect, emitAck, nextEvent } from '../lib/sio.js';
import { userPage } from '../lib/demo.js';
import { CLIENT_NETNS, inNetns, selectedPairs, useClients } from './topology.js';

const SECRET = 'coturn-and-oicall-share-this-secret';
const TURN_PORT = 3478;
const TURN_UDP = `turn:${PUBLIC_IP}:${TURN_PORT}?transport=udp`;
const TURN_TCP = `turn:${PUBLIC_IP}:${TURN_PORT}?transport=tcp`;
const TURNS_PORT = 443;
const TURNS = `turns:${PUBLIC_IP}:${TURNS_PORT}?transport=tcp`;
const LIFETIME = 600;
const credential = (secret, username) => createHmac('sha1', secret).update(username).digest('base64');

// coturn in the server namespace, configured through a file (its secret stays off the command line).
async function startCoturn() {
  const dir = mkdtempSync(join(tmpdir(), 'oicall-coturn-'));
  const conf = join(dir, 'turnserver.conf');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', `/CN=${PUBLIC_IP}`,
    '-addext', `subjectAltName=IP:${PUBLIC_IP}`], { stdio: 'ignore' });
  writeFileSync(conf, [`listening-ip=${JANUS_IP}`, `listening-port=${TURN_PORT}`, `relay-ip=${JANUS_IP}`,
    'min-port=49152', 'max-port=49251', 'use-auth-secret', `static-auth-secret=${SECRET}`, 'realm=oicall.test',
    `tls-listening-port=${TURNS_PORT}`, `cert=${join(dir, 'cert.pem')}`, `pkey=${join(dir, 'key.pem')}`,
    'fingerprint', 'no-dtls', 'no-cli', 'no-multicast-peers', `userdb=${join(dir, 'turndb')}`,
    `pidfile=${join(dir, 'turnserver.pid')}`, `log-file=${join(dir, 'turn.log')}`, 'simple-log', 'verbose', ''].join('\n'));
  const proc = spawn('/usr/bin/turnserver', ['-c', conf], { stdio: 'ignore' });
  const exited = new Promise((r) => proc.on('exit', r));
  for (const deadline = Date.now() + 10000; ;) {
    if (proc.exitCode !== null) throw new Error(`turnserver exited at start (${proc.exitCode})`);
    const up = await new Promise((r) => {
      const s = createConnection(TURN_PORT, JANUS_IP, () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (up) break;
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error('turnserver did not listen within 10 s'); }
    await sleep(100);
  }
  return {
    log: () => (existsSync(join(dir, 'turn.log')) ? readFileSync(join(dir, 'turn.log'), 'utf8') : ''),
    async stop() { proc.kill('SIGTERM'); await exited; rmSync(dir, { recursive: true, force: true }); },
  };
}

function assertIceServers(servers, user) {
  assert.equal(servers?.length, 1, JSON.stringify(servers));
  const [{ urls, username, credential: given, ...rest }] = servers;
  assert.deepEqual(urls, [TURN_UDP, TURN_TCP, TURNS]);
  assert.deepEqual(rest, {});
  const [expiry, name] = [username.slice(0, username.indexOf(':')), username.slice(username.indexOf(':') + 1)];
  assert.equal(name, user);
  const left = Number(expiry) - Date.now() / 1000;
  assert.ok(left > LIFETIME - 60 && left <= LIFETIME + 1, `expires in ${left} s`);
  assert.equal(given, credential(SECRET, username));
}

describe('TURN with short-lived credentials, for clients whose UDP is blocked', () => {
  const clients = useClients({ plugin: { turn: { secret: SECRET, urls: `${TURN_UDP},${TURN_TCP},${TURNS}`, lifetime: LIFETIME } } },
    // coturn's certificate is self-signed: Chromium takes it only so.
    { blockUdp: true, browserArgs: ['--ignore-certificate-errors'] });
  const { ctx } = clients;
  let coturn;
  before(async () => { coturn = await startCoturn(); });
  after(async () => { await coturn?.stop(); });

  test('register, start-call, accept-call and join-call acks and incoming-call carry credentials for the user; '
    + 'so does register over Janus\'s HTTP API; the secret is never logged', async () => {
    const a = await connect(ctx.janus.sioUrl);
    const b = await connect(ctx.janus.sioUrl);
    try {
      assertIceServers((await emitAck(a, 'register', 'turn-a')).iceServers, 'turn-a');
      assertIceServers((await emitAck(b, 'register', 'turn-b')).iceServers, 'turn-b');
      // The room dialect: start-call, incoming-call, accept-call, join-call.
      const ringing = nextEvent(b, 'incoming-call');
      const started = await emitAck(a, 'start-call', { toUserIds: ['turn-b'], callType: 'audio' });
      assert.ok(started.callId, JSON.stringify(started));
      assertIceServers(started.iceServers, 'turn-a');
      assertIceServers((await ringing).iceServers, 'turn-b');
      assertIceServers((await emitAck(a, 'join-call', { callId: started.callId })).iceServers, 'turn-a');
      const accepted = await emitAck(b, 'accept-call', { callId: started.callId, fromUserId: 'turn-a' });
      assert.equal(accepted.success, true, JSON.stringify(accepted));
      assertIceServers(accepted.iceServers, 'turn-b');
      assertIceServers((await emitAck(b, 'join-call', { callId: started.callId })).iceServers, 'turn-b');
      // Refusals carry none.
      const refused = await emitAck(a, 'start-call', { toUserId: 'turn-a', callType: 'audio' });
      assert.ok(refused.error && !refused.iceServers, JSON.stringify(refused));
      await emitAck(a, 'end-call', { callId: started.callId });
    } finally {
      a.close();
      b.close();
    }
    const http = await httpPluginClient(ctx.janus);
    assertIceServers((await http.message({ request: 'register', userId: 'turn-http' })).iceServers, 'turn-http');
    await http.destroy();
    assert.ok(!ctx.janus.log().includes(SECRET), 'the TURN secret is in the Janus log');
  });

  test('a mediasoup-client call, the caller relay-only: media both ways over TURN on TCP (or TLS)', async () => {
    const { alice, bob } = await clients.msCall('turn-ms-a', 'turn-ms-b',
      (caller) => caller.msc(() => { window.msc.iceTransportPolicy = 'relay'; }));
    for (const page of [alice, bob]) {
      const pairs = await selectedPairs(page, '[window.msc.sendTransport, window.msc.recvTransport]');
      assert.equal(pairs.length, 2, JSON.stringify(pairs));
      // Its UDP is blocked: TURN over TCP or over TLS, whichever allocation ICE nominated first (CI saw both).
      for (const p of pairs) {
        assert.equal(p.local.type, 'relay', `${page.user}: ${JSON.stringify(p)}`);
        assert.ok(['tcp', 'tls'].includes(p.relayProtocol), `${page.user}: ${JSON.stringify(p)}`);
      }
    }
    await alice.close();
    await bob.close();
  });

  test('a JSEP call from a network that lets TURN through on 443 only, the callee relay-only: media both ways over '
    + 'TURN/TLS; the demo page never logs the credential', async () => {
    const only443 = ['OUTPUT', '-d', PUBLIC_IP, '-p', 'tcp', '--dport', String(TURN_PORT), '-j', 'REJECT'];
    assert.ok(inNetns(CLIENT_NETNS, 'iptables', ['-A', ...only443]).ok);
    // Candidates trickle: the pages need not wait for the TURN allocations that never answer.
    const { alice, bob, started, incoming, ack } = await clients.jsepCall('turn-jsep-a', 'turn-jsep-b', async (caller, callee) => {
      await caller.demo(() => { window.demo.trickle = true; });
      await callee.demo(() => { window.demo.trickle = true; window.demo.iceTransportPolicy = 'relay'; });
    }).finally(() => inNetns(CLIENT_NETNS, 'iptables', ['-D', ...only443]));
    assertIceServers(started.iceServers, 'turn-jsep-a');
    assertIceServers(incoming.iceServers, 'turn-jsep-b');
    assertIceServers(ack.iceServers, 'turn-jsep-b');
    for (const [page, { credential: secret }] of [[alice, started.iceServers[0]], [bob, ack.iceServers[0]]]) {
      const log = await page.evaluate(() => document.getElementById('log').textContent);
      assert.ok(log.includes('iceServers') && !log.includes(secret), `${page.user}'s log shows its TURN credential`);
    }
    for (const page of [alice, bob]) {
      const pairs = await selectedPairs(page, 'window.demo.pc');
      assert.equal(pairs.length, 1, JSON.stringify(pairs));
      assert.deepEqual([pairs[0].local.type, pairs[0].relayProtocol], ['relay', 'tls'], `${page.user}: ${JSON.stringify(pairs)}`);
    }
    await alice.close();
    await bob.close();
  });

  test('coturn refuses expired and forged credentials and accepts the handed-out ones', async () => {
    const page = await userPage(clients.browser, clients.site, 'turn-creds');
    const given = await page.demo(() => window.demo.iceServers[0]);
    // What Chromium's TURN allocation over TCP gives: a relay candidate, or the error it got.
    const allocate = (server) => page.evaluate((s) => new Promise((resolve) => {
      const pc = new RTCPeerConnection({ iceServers: [s], iceTransportPolicy: 'relay' });
      const out = { relay: 0, errors: [] };
      pc.onicecandidate = (e) => {
        if (e.candidate?.type === 'relay') { out.relay++; out.relayProtocol = e.candidate.relayProtocol; }
        if (!e.candidate) { pc.close(); resolve(out); }
      };
      pc.onicecandidateerror = (e) => out.errors.push(e.errorCode);
      pc.createDataChannel('x');
      pc.createOffer().then((o) => pc.setLocalDescription(o));
    }), server);
    const expiredName = `${Math.floor(Date.now() / 1000) - 60}:turn-creds`;
    const cases = {
      handedOut: { ...given, urls: [TURN_TCP] },
      handedOutTls: { ...given, urls: [TURNS] },
      expired: { urls: [TURN_TCP], username: expiredName, credential: credential(SECRET, expiredName) },
      forged: { urls: [TURN_TCP], username: given.username, credential: credential('another-secret-altogether', given.username) },
      otherUser: { urls: [TURN_TCP], username: given.username.replace(/:.*/, ':someone-else'), credential: given.credential },
    };
    const results = {};
    for (const [name, server] of Object.entries(cases)) results[name] = await allocate(server);
    assert.deepEqual([results.handedOut.relay > 0, results.handedOut.relayProtocol], [true, 'tcp'], JSON.stringify(results));
    assert.deepEqual([results.handedOutTls.relay > 0, results.handedOutTls.relayProtocol], [true, 'tls'], JSON.stringify(results));
    for (const name of ['expired', 'forged', 'otherUser']) {
      assert.equal(results[name].relay, 0, `${name}: ${JSON.stringify(results)}`);
      assert.ok(results[name].errors.includes(401), `${name}: ${JSON.stringify(results)}`);
    }
    await page.close();
  });

  test('bad turn settings are logged at start, the secret\'s value never, and no iceServers are handed out', async () => {
    const janus = await startJanus({ plugin: { turn: { secret: 'short-secret', urls: TURN_TCP } } });
    try {
      const socket = await connect(janus.sioUrl);
      const ack = await emitAck(socket, 'register', 'turn-bad');
      socket.close();
      assert.deepEqual(ack, { success: true, userId: 'turn-bad' });
    } finally {
      const log = await janus.stop();
      assert.match(log, /invalid turn\.secret, using the default\n/);
      assert.match(log, /turn\.secret \(at least 16 characters\) and turn\.urls go together: with only one of them, no iceServers/);
      assert.ok(!log.includes('short-secret'), 'the secret is in the log');
    }
  });

  ctx.cleanExitTest();
});
