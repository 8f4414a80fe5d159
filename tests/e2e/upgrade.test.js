// The upgrade from long-polling to WebSocket when the page reads the noop
// that releases its GET before the "3probe" on the WebSocket: socket.io-client
// then polls again, and on "3probe" stops sending (it buffers every emit)
// until that new GET comes back. A server that releases only the first GET
// of an upgrade holds the new one until it has something to say; a caller
// that has registered waits for nothing more, so its start-call stays in the
// page: no ack, no incoming-call for the callee (the CI flake of a suite's
// first call, where a fresh browser on a busy machine opens its WebSocket
// late). Here the page reads its WebSocket's messages late on purpose.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useJanus } from './lib/janus.js';
import { DEMO_FOLDER, demoBrowser, userPage, engineState } from './lib/demo.js';
import { waitFor } from './lib/sio.js';

// Longer than a registration takes, so the page has nothing left to hear when "3probe" comes.
const WS_READ_DELAY_MS = 1500;

// Every message of the page's WebSockets reaches its handler WS_READ_DELAY_MS late (in order).
function lateWebSocketMessages(delayMs) {
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    set onmessage(handler) {
      super.onmessage = handler && ((event) => setTimeout(() => handler.call(this, event), delayMs));
    }

    get onmessage() { return super.onmessage; }
  };
}

describe('an upgrade whose "3probe" the page reads after the noop that released its GET', () => {
  const ctx = useJanus({ demoFolder: DEMO_FOLDER });
  let browser;
  before(async () => {
    browser = await demoBrowser(ctx.janus);
    await browser.context.addInitScript(lateWebSocketMessages, WS_READ_DELAY_MS);
  });
  after(async () => { await browser?.close(); });

  test('the caller\'s first call, sent while its upgrade waits for that GET, gets its ack and rings the callee; both pages upgrade', async () => {
    const alice = await userPage(browser, ctx.janus, 'late-ws-a');
    const bob = await userPage(browser, ctx.janus, 'late-ws-b');
    // Registered over polling; now the page reads "3probe" (or is past it).
    await waitFor(async () => {
      const s = await engineState(alice);
      return s.upgrading || s.transport === 'websocket';
    }, { timeoutMs: WS_READ_DELAY_MS + 5000, what: 'alice reading "3probe"' });
    const incoming = bob.nextEvent('incoming-call', await bob.eventCount());
    incoming.catch(() => {});   // (awaited below, once the ack is in)
    let timer;
    const noAck = new Promise((resolve) => { timer = setTimeout(resolve, 15000, { error: 'no ack' }); });
    const ack = await Promise.race([alice.demo(() => window.demo.call('late-ws-b', 'video')), noAck]);
    clearTimeout(timer);
    assert.equal(ack.error, undefined, `start-call: ${JSON.stringify(ack)}, alice ${JSON.stringify(await engineState(alice))}`);
    assert.equal((await incoming).callId, ack.callId);
    for (const page of [alice, bob]) assert.deepEqual(await engineState(page), { transport: 'websocket', upgrading: false }, page.user);
    await alice.demo(() => window.demo.hangup());
  });

  ctx.cleanExitTest();
});
