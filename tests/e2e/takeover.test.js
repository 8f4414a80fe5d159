// A user who comes back on a new socket before the server noticed the old one
// gone (a network switch: the old socket only times out later) keeps the call:
// the old socket, which carries the call's media, closing afterwards starts no
// reconnect grace, and the call lasts past it.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useJanus, sleep } from './lib/janus.js';
import { connect, emitAck, nextEvent, waitFor } from './lib/sio.js';
import { fakeOffer, fakeAnswer } from './lib/sdp.js';

const GRACE_S = 2;

describe('a user who takes over on a new socket before the old one is gone', () => {
  // A 1 s session timeout in the core: the old socket's session, kept for the call's media, must
  // outlive it with no keepalive (its timeout is off) and go when the call ends.
  const ctx = useJanus({ plugin: { general: { reconnect_grace: GRACE_S } }, janusArgs: ['--session-timeout', '1'] });
  const admin = async (request) =>
    (await ctx.janus.admin({ janus: 'message_plugin', plugin: 'janus.plugin.oicall', request })).response;

  test('keeps the call when the old socket closes afterwards, past the grace', async () => {
    const alice = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    const bob = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    await emitAck(alice, 'register', 'to-alice');
    await emitAck(bob, 'register', 'to-bob');
    const incoming = nextEvent(bob, 'incoming-call');
    const { callId } = await emitAck(alice, 'start-call', { toUserId: 'to-bob', callType: 'video', jsep: fakeOffer({ video: true }) });
    const offer = await incoming;
    assert.deepEqual(await emitAck(bob, 'accept-call', { callId, jsep: fakeAnswer(offer.jsep.sdp) }), { success: true });
    const kept = (await admin({ request: 'list-users' })).users.find((u) => u.userId === 'to-bob').janusSessionId;
    const sessions = async () => (await ctx.janus.admin({ janus: 'list_sessions' })).sessions;

    const bobAgain = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    assert.deepEqual(await emitAck(bobAgain, 'register', 'to-bob'), { success: true, userId: 'to-bob' });
    let ended = null;
    alice.on('call-ended', (e) => { ended = e; });
    bob.disconnect();
    await sleep((GRACE_S + 2) * 1000);
    assert.equal(ended, null, 'alice was told the call ended');
    const call = (await admin({ request: 'call-info', callId }));
    assert.equal(call.state, 'active');
    assert.ok((await sessions()).includes(kept), 'the old socket\'s session is kept for the media');

    // It still ends like any call, for the user's new socket.
    const bobEnded = nextEvent(bobAgain, 'call-ended');
    assert.deepEqual(await emitAck(alice, 'end-call', { callId }), { success: true });
    assert.deepEqual(await bobEnded, { callId, reason: 'hangup' });
    await waitFor(async () => !(await sessions()).includes(kept), { what: 'the kept session released with the call' });
    alice.disconnect();
    bobAgain.disconnect();
  });

  ctx.cleanExitTest();
});
