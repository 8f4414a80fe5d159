// 1,000 call start/end cycles leave Janus's memory flat: every call, its
// two PeerConnections (offers, answers, ICE agents) and its state go away.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { useJanus } from './lib/janus.js';
import { connect, emitAck, nextEvent } from './lib/sio.js';
import { fakeOffer, fakeAnswer } from './lib/sdp.js';

// Fewer under the sanitizers, which look for what is left behind (RSS means nothing there).
const CYCLES = Number(process.env.OICALL_CYCLES || (process.env.OICALL_SANITIZERS === '1' ? 300 : 1000));
const PAIRS = 10;           // concurrent caller/callee pairs, CYCLES / PAIRS calls each
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

async function pair(janus, n) {
  const caller = await connect(janus.sioUrl, { transports: ['websocket'] });
  const callee = await connect(janus.sioUrl, { transports: ['websocket'] });
  await emitAck(caller, 'register', `cycle-a${n}`);
  await emitAck(callee, 'register', `cycle-b${n}`);
  const cycle = async (i) => {
    const incoming = nextEvent(callee, 'incoming-call');
    const { callId, error } = await emitAck(caller, 'start-call', { toUserId: `cycle-b${n}`, callType: 'video',
      jsep: fakeOffer({ video: true }) });
    assert.equal(error, undefined, `pair ${n} cycle ${i}`);
    const offer = await incoming;
    const accepted = nextEvent(caller, 'call-accepted');
    assert.deepEqual(await emitAck(callee, 'accept-call', { callId, jsep: fakeAnswer(offer.jsep.sdp) }), { success: true });
    assert.equal((await accepted).jsep.type, 'answer');
    const ended = nextEvent(callee, 'call-ended');
    assert.deepEqual(await emitAck(caller, 'end-call', { callId }), { success: true });
    await ended;
  };
  return {
    async run(count) { for (let i = 0; i < count; i++) await cycle(i); },
    close() { caller.disconnect(); callee.disconnect(); },
  };
}

describe('call start/end cycles', () => {
  // Each pair places its calls back to back: no call-start limit here.
  const ctx = useJanus({ debugLevel: 3, plugin: { general: { max_call_starts_per_minute: 0 } } });

  test(`${CYCLES} calls started, accepted and ended leave memory flat and nothing behind`, async () => {
    const pairs = await Promise.all(Array.from({ length: PAIRS }, (_, n) => pair(ctx.janus, n)));
    const perPair = CYCLES / PAIRS;
    const warmup = Math.ceil(perPair / 5);
    await Promise.all(pairs.map((p) => p.run(warmup)));
    const warm = rssKiB(ctx.janus.process.pid);
    await Promise.all(pairs.map((p) => p.run(perPair - warmup)));
    await new Promise((r) => setTimeout(r, 2500));     // the core closes PeerConnections on a timer
    const end = rssKiB(ctx.janus.process.pid);
    const growthPerCall = ((end - warm) * 1024) / (CYCLES - warmup * PAIRS);
    console.log(`Janus RSS after ${warmup * PAIRS} calls ${warm} KiB, after ${CYCLES} ${end} KiB: ${growthPerCall.toFixed(0)} B per call`);
    // A call holds two PeerConnections (ICE agents, DTLS, buffers: ~100 kB): anything
    // of it left behind shows far above this allocator noise. Small leaks are the
    // sanitizer build's job (leak check at exit; its quarantine makes RSS useless here).
    if (process.env.OICALL_SANITIZERS !== '1')
      assert.ok(growthPerCall < 4096, `memory grows by ${growthPerCall.toFixed(0)} B per call`);
    const sessions = await ctx.janus.admin({ janus: 'list_sessions' });
    assert.equal(sessions.sessions.length, 2 * PAIRS, 'only the sockets\' own sessions remain');
    for (const id of sessions.sessions) {
      const { handles } = await ctx.janus.admin({ janus: 'list_handles', session_id: id });
      assert.equal(handles.length, 1, `session ${id} has only its socket's handle`);
      const info = await ctx.janus.admin({ janus: 'handle_info', session_id: id, handle_id: handles[0] });
      assert.equal(info.info.plugin_specific?.call, null, `handle ${handles[0]} is in no call: ${JSON.stringify(info.info.plugin_specific)}`);
      assert.equal(info.info.webrtc?.media, undefined, `handle ${handles[0]} has no PeerConnection left`);
    }
    const calls = await ctx.janus.admin({ janus: 'message_plugin', plugin: 'janus.plugin.oicall', request: { request: 'list-calls' } });
    assert.deepEqual(calls.response, { calls: [] });
    for (const p of pairs) p.close();
  });

  ctx.cleanExitTest();
});
