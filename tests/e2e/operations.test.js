// Operating oicall: call lifecycle events through Janus's stock HTTP event
// handler, the Admin API (handle_info, message_plugin), and signed-token
// authentication on the Socket.IO transport and in the plugin.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { io } from 'socket.io-client';
import { useJanus, httpPluginClient, CLIENT_IP, sleep } from './lib/janus.js';
import { connect, emitAck, nextEvent, waitFor } from './lib/sio.js';
import { fakeOffer, fakeAnswer } from './lib/sdp.js';
import { DEMO_FOLDER, demoBrowser, userPage, mediaFlows } from './lib/demo.js';

// A backend that collects what Janus's sample event handler posts.
async function eventReceiver() {
  const events = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      for (const e of [].concat(JSON.parse(body))) events.push(e);
      res.writeHead(200).end();
    });
  });
  await new Promise((r) => server.listen(0, CLIENT_IP, r));
  return { events, url: `http://${CLIENT_IP}:${server.address().port}/events`, close: () => server.close() };
}

async function callUntilAccepted(caller, callee, calleeId) {
  const incoming = nextEvent(callee, 'incoming-call');
  const { callId } = await emitAck(caller, 'start-call', { toUserId: calleeId, callType: 'video', jsep: fakeOffer({ video: true }) });
  const offer = await incoming;
  assert.deepEqual(await emitAck(callee, 'accept-call', { callId, jsep: fakeAnswer(offer.jsep.sdp) }), { success: true });
  return callId;
}

describe('call lifecycle events reach Janus event handlers', () => {
  let receiver;
  const ctx = useJanus(async () => {
    receiver = await eventReceiver();
    return {
      eventHandlers: ['sampleevh'],
      plugin: { general: { ring_timeout: 2 } },
      extraConfigs: {
        'janus.eventhandler.sampleevh.jcfg':
          `general: {\n\tenabled = true\n\tevents = "plugins"\n\tgrouping = false\n\tjson = "plain"\n\tbackend = "${receiver.url}"\n}\n`,
      },
    };
  });
  after(() => receiver?.close());

  const oicallEvents = () => receiver.events
    .filter((e) => e.type === 64 && e.event?.plugin === 'janus.plugin.oicall')
    .map((e) => e.event.data);

  test('a completed call: call-started, call-ringing, call-accepted, call-ended', async () => {
    const alice = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    const bob = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    await emitAck(alice, 'register', 'ev-alice');
    await emitAck(bob, 'register', 'ev-bob');
    const callId = await callUntilAccepted(alice, bob, 'ev-bob');
    await sleep(1100);
    await emitAck(alice, 'end-call', { callId });
    await waitFor(() => oicallEvents().some((e) => e.event === 'call-ended' && e.callId === callId), { what: 'call-ended event' });
    const sequence = oicallEvents().filter((e) => e.callId === callId);
    assert.deepEqual(sequence.map((e) => e.event), ['call-started', 'call-ringing', 'call-accepted', 'call-ended']);
    assert.deepEqual(sequence[0], { event: 'call-started', callId, caller: 'ev-alice', callee: 'ev-bob', callType: 'video', calleeOnline: true });
    assert.deepEqual(sequence[1], { event: 'call-ringing', callId, callee: 'ev-bob' });
    assert.deepEqual(sequence[2], { event: 'call-accepted', callId, caller: 'ev-alice', callee: 'ev-bob' });
    const ended = sequence[3];
    assert.equal(ended.reason, 'hangup');
    assert.equal(ended.endedBy, 'ev-alice');
    assert.ok(ended.duration >= 1000 && ended.duration < 5000, `duration ${ended.duration} ms`);
    const users = oicallEvents().filter((e) => e.event === 'user-registered').map((e) => e.userId);
    assert.ok(users.includes('ev-alice') && users.includes('ev-bob'));
    alice.disconnect();
    await waitFor(() => oicallEvents().some((e) => e.event === 'user-gone' && e.userId === 'ev-alice'), { what: 'user-gone' });
    bob.disconnect();
  });

  test('an expired call to an offline callee: call-started (calleeOnline false), call-expired, call-ended', async () => {
    const alice = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    await emitAck(alice, 'register', 'ev-alice2');
    const { callId } = await emitAck(alice, 'start-call', { toUserId: 'ev-nobody', callType: 'audio', jsep: fakeOffer() });
    const ended = await nextEvent(alice, 'call-ended', 5000);
    assert.deepEqual(ended, { callId, reason: 'timeout' });
    await waitFor(() => oicallEvents().some((e) => e.event === 'call-ended' && e.callId === callId), { what: 'call-ended event' });
    const sequence = oicallEvents().filter((e) => e.callId === callId);
    assert.deepEqual(sequence.map((e) => e.event), ['call-started', 'call-expired', 'call-ended']);
    assert.equal(sequence[0].calleeOnline, false, 'what a backend needs to send a push notification');
    assert.deepEqual(sequence[1], { event: 'call-expired', callId, caller: 'ev-alice2', callee: 'ev-nobody' });
    assert.deepEqual(sequence[2], { event: 'call-ended', callId, caller: 'ev-alice2', callee: 'ev-nobody', reason: 'timeout',
      duration: 0, endedBy: sequence[2].endedBy });
    alice.disconnect();
  });

  test('a group call: one call-invited per invitee (calleeOnline for a push), and the end of each ring', async () => {
    const alice = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    const online = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    await emitAck(alice, 'register', 'ev-ga');
    await emitAck(online, 'register', 'ev-g1');
    const incoming = nextEvent(online, 'incoming-call');
    const { callId } = await emitAck(alice, 'start-call', { toUserIds: ['ev-g1', 'ev-g2'], callType: 'audio' });
    await incoming;
    online.emit('leave-call', { callId });
    assert.deepEqual(await nextEvent(alice, 'call-ended', 5000), { callId, reason: 'timeout' });
    await waitFor(() => oicallEvents().some((e) => e.event === 'call-ended' && e.callId === callId), { what: 'call-ended event' });
    const sequence = oicallEvents().filter((e) => e.callId === callId);
    assert.deepEqual(sequence.map((e) => e.event), ['call-started', 'call-invited', 'call-invited', 'call-ringing',
      'call-ring-ended', 'participant-left', 'call-expired', 'call-ended']);
    assert.deepEqual(sequence[0].invitees, ['ev-g1', 'ev-g2']);
    assert.deepEqual(sequence.slice(1, 3).map((e) => [e.callee, e.calleeOnline, e.byUserId]), [['ev-g1', true, 'ev-ga'], ['ev-g2', false, 'ev-ga']]);
    assert.deepEqual(sequence[4], { event: 'call-ring-ended', callId, callee: 'ev-g1', reason: 'declined' });
    assert.deepEqual(sequence[6], { event: 'call-expired', callId, caller: 'ev-ga', callee: 'ev-g2' });
    assert.equal(sequence[7].reason, 'timeout');
    alice.disconnect();
    online.disconnect();
  });

  ctx.cleanExitTest();
});

describe('the Admin API shows users, calls, handles and streams, and acts on them', () => {
  const ctx = useJanus({ demoFolder: DEMO_FOLDER });
  let browser;
  before(async () => { browser = await demoBrowser(ctx.janus); });
  after(async () => { await browser?.close(); });

  const pluginAdmin = async (request) => {
    const reply = await ctx.janus.admin({ janus: 'message_plugin', plugin: 'janus.plugin.oicall', request });
    assert.equal(reply.janus, 'success', JSON.stringify(reply));
    return reply.response;
  };

  test('list-users, list-calls, call-info and handle_info describe a live call', async () => {
    const alice = await userPage(browser, ctx.janus, 'adm-alice');
    const bob = await userPage(browser, ctx.janus, 'adm-bob');
    const incoming = bob.nextEvent('incoming-call');
    const { callId } = await alice.demo(() => window.demo.call('adm-bob', 'video'));
    await incoming;
    await bob.demo(() => window.demo.accept());
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    await sleep(500);

    const { users } = await pluginAdmin({ request: 'list-users' });
    const sessions = (await ctx.janus.admin({ janus: 'list_sessions' })).sessions;
    for (const name of ['adm-alice', 'adm-bob']) {
      const user = users.find((u) => u.userId === name);
      assert.ok(user, name);
      assert.equal(user.callId, callId);
      assert.ok(sessions.includes(user.janusSessionId), 'a real Janus session id');
    }

    const { calls } = await pluginAdmin({ request: 'list-calls' });
    const call = calls.find((c) => c.callId === callId);
    assert.deepEqual({ ...call, ageSeconds: 0 }, { callId, state: 'active', caller: 'adm-alice', callee: 'adm-bob',
      callType: 'video', ageSeconds: 0, mediaFlowing: true, group: false, participants: ['adm-alice', 'adm-bob'] });

    const info = await pluginAdmin({ request: 'call-info', callId });
    assert.equal(info.peers.length, 2);
    for (const peer of info.peers) {
      assert.equal(peer.online, true);
      assert.equal(peer.mediaReady, true);
      const streams = peer.handles.flatMap((h) => h.streams);
      const producers = streams.filter((s) => s.type === 'producer');
      const consumers = streams.filter((s) => s.type === 'consumer');
      assert.deepEqual(producers.map((s) => s.kind).sort(), ['audio', 'video']);
      assert.deepEqual(consumers.map((s) => s.kind).sort(), ['audio', 'video']);
      for (const s of producers) {
        assert.ok(s.packetsIn > 0 && s.bytesRelayed > 0 && s.ssrc > 0, JSON.stringify(s));
        assert.equal(s.codec, s.kind === 'audio' ? 'opus' : 'vp8');
        assert.equal(s.paused, false);
      }
    }

    // handle_info on alice's handle
    const user = users.find((u) => u.userId === 'adm-alice');
    const handle = await ctx.janus.admin({ janus: 'handle_info', session_id: user.janusSessionId, handle_id: user.janusHandleId });
    const ps = handle.info.plugin_specific;
    assert.equal(ps.userId, 'adm-alice');
    assert.equal(ps.role, 'jsep');
    assert.deepEqual(ps.call, { callId, state: 'active', side: 'caller', peer: 'adm-bob', mediaHere: true,
      participants: ['adm-alice', 'adm-bob'] });
    assert.ok(ps.streams.find((s) => s.type === 'consumer' && s.kind === 'video').packets > 0);

    // mute shows as paused
    await alice.demo(() => window.demo.mute('audio', true));
    const paused = await pluginAdmin({ request: 'call-info', callId });
    assert.equal(paused.peers[0].handles[0].streams.find((s) => s.type === 'producer' && s.kind === 'audio').paused, true);

    // end-call from the Admin API: reason admin for both
    const endedA = alice.nextEvent('call-ended', await alice.eventCount());
    const endedB = bob.nextEvent('call-ended', await bob.eventCount());
    assert.deepEqual(await pluginAdmin({ request: 'end-call', callId }), { success: true });
    assert.deepEqual(await endedA, { callId, reason: 'admin' });
    assert.deepEqual(await endedB, { callId, reason: 'admin' });
    assert.equal((await pluginAdmin({ request: 'list-calls' })).calls.length, 0);
    await alice.close();
    await bob.close();
  });

  test('kick-user disconnects that user\'s socket and ends their call', async () => {
    const alice = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    const bob = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    await emitAck(alice, 'register', 'kick-alice');
    await emitAck(bob, 'register', 'kick-bob');
    const callId = await callUntilAccepted(alice, bob, 'kick-bob');
    // Fake SDPs: the call is up but no media ever flows, and the Admin API says so.
    const listed = (await pluginAdmin({ request: 'list-calls' })).calls.find((c) => c.callId === callId);
    assert.equal(listed.mediaFlowing, false);
    // A user who only signals has a control handle.
    const carol = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    await emitAck(carol, 'register', 'kick-carol');
    const carolUser = (await pluginAdmin({ request: 'list-users' })).users.find((u) => u.userId === 'kick-carol');
    const carolHandle = await ctx.janus.admin({ janus: 'handle_info', session_id: carolUser.janusSessionId,
      handle_id: carolUser.janusHandleId });
    const { session: _session, ...carolInfo } = carolHandle.info.plugin_specific;
    assert.deepEqual(carolInfo, { userId: 'kick-carol', registered: true, role: 'control', call: null, mediaReady: false,
      mediaFlowing: false, streams: [] });
    carol.disconnect();
    const gone = nextEvent(bob, 'disconnect');
    const ended = nextEvent(alice, 'call-ended');
    assert.deepEqual(await pluginAdmin({ request: 'kick-user', userId: 'kick-bob' }), { success: true });
    assert.equal(await gone, 'io server disconnect');
    assert.deepEqual(await ended, { callId, reason: 'peer-disconnected' });
    assert.ok(!(await pluginAdmin({ request: 'list-users' })).users.some((u) => u.userId === 'kick-bob'));
    alice.disconnect();
  });

  test('bad Admin API requests get clean errors', async () => {
    assert.deepEqual(await pluginAdmin({ request: 'call-info', callId: 'nope' }), { error: 'Unknown call', error_code: 492 });
    assert.deepEqual(await pluginAdmin({ request: 'end-call' }), { error: 'Missing callId', error_code: 490 });
    assert.deepEqual(await pluginAdmin({ request: 'kick-user', userId: 'nobody' }), { error: 'Unknown user', error_code: 492 });
    assert.deepEqual(await pluginAdmin({ request: 'kick-user', userId: {} }), { error: 'userId must be a string or a number', error_code: 490 });
    assert.deepEqual(await pluginAdmin({ request: 'make-coffee' }), { error: 'Unknown request', error_code: 491 });
    assert.deepEqual(await pluginAdmin({}), { error: 'Missing request', error_code: 490 });
    // The Admin API's own secret protects all of it.
    const res = await fetch(ctx.janus.adminUrl, { method: 'POST', body: JSON.stringify({ janus: 'message_plugin',
      transaction: 'x', plugin: 'janus.plugin.oicall', request: { request: 'list-users' } }) });
    const reply = await res.json();
    assert.equal(reply.janus, 'error');
    assert.equal(reply.error.code, 403);   // JANUS_ERROR_UNAUTHORIZED
    assert.equal(reply.response, undefined);
  });

  ctx.cleanExitTest();
});

const SECRET = 'oicall-test-shared-secret-0123456789';
const token = (user, expiresIn = 60, secret = SECRET) => {
  const expiry = Math.floor(Date.now() / 1000) + expiresIn;
  return `${user}:${expiry}:${createHmac('sha256', secret).update(`${user}:${expiry}`).digest('hex')}`;
};

describe('signed-token authentication', () => {
  // The deployment the README describes: both modules check tokens, with one secret.
  const ctx = useJanus({ transport: { auth: { enabled: true, secret: SECRET } },
    plugin: { auth: { enabled: true, secret: SECRET } } });

  const refused = (auth) => new Promise((resolve) => {
    const socket = io(ctx.janus.sioUrl, { path: '/calls', auth, reconnection: false, forceNew: true, transports: ['websocket'] });
    socket.once('connect', () => { socket.close(); resolve('connected'); });
    socket.once('connect_error', (err) => { socket.close(); resolve(err.message); });
  });

  test('a valid token connects, and registers its own user only', async () => {
    const socket = await connect(ctx.janus.sioUrl, { auth: { token: token('tok-alice') } });
    assert.deepEqual(await emitAck(socket, 'register', 'tok-bob'), { error: 'userId is not the user your token is for' });
    assert.deepEqual(await emitAck(socket, 'register', { userId: 'tok-bob', authUserId: 'tok-bob' }),
      { error: 'userId is not the user your token is for' });
    assert.deepEqual(await emitAck(socket, 'register', 'tok-alice'), { success: true, userId: 'tok-alice' });
    socket.disconnect();
  });

  test('a number user id in the token is the same user as the number', async () => {
    const socket = await connect(ctx.janus.sioUrl, { auth: { token: token('42') } });
    assert.deepEqual(await emitAck(socket, 'register', 42), { success: true, userId: '42' });
    socket.disconnect();
  });

  test('wrong signature, expired, malformed and missing tokens are refused with a clear message', async () => {
    const rejected = async () => (await ctx.janus.admin({ janus: 'query_transport', transport: 'janus.transport.socketio',
      request: {} })).response.rejected_handshakes;
    const before = await rejected();
    assert.equal(await refused({ token: token('tok-alice', 60, 'some other secret entirely') }), 'Invalid token: bad signature');
    assert.equal(await refused({ token: token('tok-alice', -5) }), 'Token expired');
    assert.equal(await refused({ token: 'tok-alice' }), 'Invalid token: expected userId:expiry:signature');
    assert.equal(await refused({}), 'Missing token');
    assert.equal(await refused(undefined), 'Missing token');
    const forged = token('tok-alice').replace(/^tok-alice/, 'tok-mallory');
    assert.equal(await refused({ token: forged }), 'Invalid token: bad signature');
    // socket.io-client sends CONNECT once per connection: each refusal is one rejected handshake.
    assert.equal(await rejected(), before + 6);
  });

  test("Janus's own HTTP API can't go around the transport: register needs a token there too", async () => {
    const client = await httpPluginClient(ctx.janus);
    assert.equal((await client.message({ request: 'register', userId: 'tok-alice' })).error, 'Missing token');
    assert.equal((await client.message({ request: 'register', userId: 'tok-alice', authUserId: 'tok-alice' })).error,
      'Missing token');
    assert.equal((await client.message({ request: 'register', userId: 'tok-alice', token: token('tok-alice').replace(/.$/, (c) => (c === '0' ? '1' : '0')) }))
      .error, 'Invalid token: bad signature');
    assert.equal((await client.message({ request: 'register', userId: 'tok-alice', token: token('tok-bob') })).error,
      'userId is not the user your token is for');
    assert.deepEqual(await client.message({ request: 'register', userId: 'tok-alice', token: token('tok-alice') }), { success: true, userId: 'tok-alice' });
    await client.destroy();
  });

  test('the secret never reaches the log', () => {
    assert.doesNotMatch(ctx.janus.log(), new RegExp(SECRET));
  });

  ctx.cleanExitTest();
});

describe('a secret alone turns authentication on (auth.enabled defaults to "auto")', () => {
  const ctx = useJanus({ transport: { auth: { secret: SECRET } }, plugin: { auth: { secret: SECRET } } });

  test('Socket.IO needs a token at CONNECT, and the HTTP API one at register', async () => {
    const refused = await new Promise((resolve) => {
      const socket = io(ctx.janus.sioUrl, { path: '/calls', reconnection: false, forceNew: true, transports: ['websocket'] });
      socket.once('connect', () => { socket.close(); resolve('connected'); });
      socket.once('connect_error', (err) => { socket.close(); resolve(err.message); });
    });
    assert.equal(refused, 'Missing token');
    const client = await httpPluginClient(ctx.janus);
    assert.equal((await client.message({ request: 'register', userId: 'auto-alice' })).error, 'Missing token');
    assert.deepEqual(await client.message({ request: 'register', userId: 'auto-alice', token: token('auto-alice') }),
      { success: true, userId: 'auto-alice' });
    await client.destroy();
  });

  ctx.cleanExitTest();
});

describe('signed-token authentication in the transport only', () => {
  const ctx = useJanus({ transport: { auth: { secret: SECRET } } });

  test('Janus warns at start that its own APIs reach the plugin without a token', () => {
    assert.match(ctx.janus.log(), /janus\.transport\.socketio checks tokens but this plugin does not/);
  });

  ctx.cleanExitTest();
});

describe('signed-token authentication in the plugin only', () => {
  const ctx = useJanus({ plugin: { auth: { enabled: true, secret: SECRET } } });

  test('a Socket.IO connection registers with its CONNECT token; without one, register is refused', async () => {
    const withToken = await connect(ctx.janus.sioUrl, { auth: { token: token('plug-alice') } });
    assert.deepEqual(await emitAck(withToken, 'register', 'plug-bob'), { error: 'userId is not the user your token is for' });
    assert.deepEqual(await emitAck(withToken, 'register', 'plug-alice'), { success: true, userId: 'plug-alice' });
    const without = await connect(ctx.janus.sioUrl);
    assert.deepEqual(await emitAck(without, 'register', 'plug-carol'), { error: 'Missing token' });
    assert.deepEqual(await emitAck(without, 'start-call', { toUserId: 'plug-alice', callType: 'audio' }),
      { error: 'Socket not registered' });
    // Even with an offer the plugin would refuse (no codec it takes): registration comes first.
    const pcmu = fakeOffer();
    pcmu.sdp = pcmu.sdp.replace('SAVPF 111', 'SAVPF 0').replace('a=rtpmap:111 opus/48000/2', 'a=rtpmap:0 PCMU/8000');
    assert.deepEqual(await emitAck(without, 'start-call', { toUserId: 'plug-alice', callType: 'audio', jsep: pcmu }),
      { error: 'Socket not registered' });
    const expired = await connect(ctx.janus.sioUrl, { auth: { token: token('plug-dave', -5) } });
    assert.deepEqual(await emitAck(expired, 'register', 'plug-dave'), { error: 'Token expired' });
    for (const s of [withToken, without, expired]) s.disconnect();
  });

  test('an HTTP API client registers with a valid token of its own', async () => {
    const client = await httpPluginClient(ctx.janus);
    assert.equal((await client.message({ request: 'register', userId: 'plug-erin', token: 'plug-erin' })).error,
      'Invalid token: expected userId:expiry:signature');
    assert.deepEqual(await client.message({ request: 'register', userId: 'plug-erin', token: token('plug-erin') }),
      { success: true, userId: 'plug-erin' });
    await client.destroy();
  });

  ctx.cleanExitTest();
});

describe('authentication off (the default)', () => {
  const ctx = useJanus({});

  test('any socket and any HTTP API client registers any user id, no token needed', async () => {
    const socket = await connect(ctx.janus.sioUrl);
    assert.deepEqual(await emitAck(socket, 'register', 'free-alice'), { success: true, userId: 'free-alice' });
    const client = await httpPluginClient(ctx.janus);
    assert.deepEqual(await client.message({ request: 'register', userId: 'free-bob' }), { success: true, userId: 'free-bob' });
    assert.deepEqual(await client.message({ request: 'register', userId: 'free-bob', token: 'not checked' }), { success: true, userId: 'free-bob' });
    socket.disconnect();
    await client.destroy();
  });

  ctx.cleanExitTest();
});
