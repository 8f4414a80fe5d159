// The demo page as a person uses it: only its own fields and buttons, and
// what it shows in words (html/index.html over html/demo.js), in headless
// Chromium against the real server.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useJanus } from './lib/janus.js';
import { launchBrowser } from './lib/browser.js';
import { DEMO_FOLDER, demoBrowser, mediaFlows, framesGrow } from './lib/demo.js';
import { connect, emitAck, nextEvent } from './lib/sio.js';
import { fakeOffer } from './lib/sdp.js';

const RING_S = 5;
const MEDIA_TIMEOUT_S = 3;
const BUTTONS = ['register', 'call-video', 'call-audio', 'accept', 'decline', 'hangup', 'mute-audio', 'mute-video'];

const admin = async (janus, request) =>
  (await janus.admin({ janus: 'message_plugin', plugin: 'janus.plugin.oicall', request })).response;

// What the page shows: its words and which controls are enabled.
// (On a page without an element, its older counterpart stands in, so that a
// check against an older page fails on what it shows, not on an id.)
const OLDER = { registration: 'status', 'call-status': 'incoming' };
const view = (page) => page.evaluate(([ids, older]) => {
  const text = (id) => (document.getElementById(id) ?? document.getElementById(older[id]))?.textContent ?? null;
  const enabled = {};
  for (const id of ids) {
    const el = document.getElementById(id);
    enabled[id] = Boolean(el) && !el.disabled;
  }
  return { registration: text('registration'), status: text('call-status'), error: text('error'),
    remote: `${text('remote-state') ?? ''} ${text('remote-caption') ?? ''}`, enabled };
}, [BUTTONS, OLDER]);

// The controls enabled, from the list above.
const enabledOf = async (page) => Object.entries((await view(page)).enabled).filter(([, on]) => on).map(([id]) => id).sort();

// Waits until the element's text contains the words.
async function shows(page, id, words, timeout = 10000) {
  try {
    await page.waitForFunction(([i, w, older]) => (document.getElementById(i) ?? document.getElementById(older[i]))?.textContent.includes(w),
      [id, words, OLDER], { timeout });
  } catch (e) {
    throw new Error(`${page.user ?? 'page'}: #${id} never said "${words}": ${JSON.stringify(await view(page))}`);
  }
}

async function openPage(browser, janus) {
  const page = await browser.newPage(`${janus.sioUrl}/`);
  await page.waitForFunction(() => window.demo && window.io);
  return page;
}

// Registers through the page's field and button.
async function registered(browser, janus, user) {
  const page = await openPage(browser, janus);
  await page.fill('#user', user);
  await page.click('#register');
  await shows(page, 'registration', `registered as ${user}`);
  page.user = user;
  page.inbound = () => page.evaluate(() => window.demo.inbound());
  return page;
}

async function dial(page, callee, button = '#call-video') {
  await page.fill('#callee', callee);
  await page.click(button);
}

// The caller's page calls through its button, the callee's accepts through its own.
async function accepted(caller, callee, button = '#call-audio') {
  await dial(caller, callee.user, button);
  await shows(callee, 'call-status', `${caller.user} is calling (${button === '#call-audio' ? 'audio' : 'video'})`);
  await callee.click('#accept');
  await shows(caller, 'call-status', `in call with ${callee.user}`);
}

// Counts the start-calls the page sends from now on.
const countStartCalls = (page) => page.evaluate(() => {
  window.startCalls = 0;
  const { socket } = window.demo;
  const emit = socket.emit.bind(socket);
  socket.emit = (name, ...args) => {
    if (name === 'start-call') window.startCalls++;
    return emit(name, ...args);
  };
});

const closePages = (...pages) => Promise.all(pages.map((p) => p.close()));

describe('the demo page through its own buttons', () => {
  const ctx = useJanus({ demoFolder: DEMO_FOLDER,
    plugin: { general: { ring_timeout: RING_S, media_timeout: MEDIA_TIMEOUT_S } } });
  let browser;
  before(async () => { browser = await demoBrowser(ctx.janus); });
  after(async () => { await browser?.close(); });

  test('no default user ids; an empty id is refused in the page and never shown as registered', async () => {
    const page = await openPage(browser, ctx.janus);
    assert.deepEqual(await page.evaluate(() => [document.getElementById('user').value, document.getElementById('callee').value]),
      ['', ''], 'two tabs opened alike must not be the same user');
    assert.deepEqual(await enabledOf(page), ['register']);
    await page.click('#register');
    await shows(page, 'error', 'user id');
    const v = await view(page);
    assert.doesNotMatch(v.registration, /registered as/);
    assert.equal(await page.evaluate(() => window.demo.socket), null, 'nothing was sent');
    await page.fill('#user', 'dp-solo');
    await page.click('#register');
    await shows(page, 'registration', 'registered as dp-solo');
    assert.equal((await view(page)).error, '', 'the error goes once registered');
    assert.deepEqual(await enabledOf(page), ['call-audio', 'call-video', 'register']);
    assert.deepEqual(page.pageErrors, []);
    await closePages(page);
  });

  test('call, accept, mute (the other side shows it), hang up: states in words, only the buttons that make sense', async () => {
    const alice = await registered(browser, ctx.janus, 'dp-a');
    const bob = await registered(browser, ctx.janus, 'dp-b');
    await dial(alice, 'dp-b');
    await shows(alice, 'call-status', 'calling dp-b…');
    await shows(bob, 'call-status', 'dp-a is calling (video)');
    assert.deepEqual(await enabledOf(alice), ['hangup']);
    assert.deepEqual(await enabledOf(bob), ['accept', 'decline']);

    await bob.click('#accept');
    await shows(bob, 'call-status', 'in call with dp-a');
    await shows(alice, 'call-status', 'in call with dp-b');
    for (const page of [alice, bob]) assert.deepEqual(await enabledOf(page), ['hangup', 'mute-audio', 'mute-video']);
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);

    await alice.check('#mute-audio');
    await shows(bob, 'remote-state', 'microphone muted');
    await alice.check('#mute-video');
    await shows(bob, 'remote-state', 'camera off');
    await alice.uncheck('#mute-audio');
    await alice.uncheck('#mute-video');
    await bob.waitForFunction(() => document.getElementById('remote-state').textContent === '');

    await bob.click('#hangup');
    await shows(alice, 'call-status', 'dp-b hung up');
    await shows(bob, 'call-status', 'you hung up');
    for (const page of [alice, bob]) {
      assert.deepEqual(await enabledOf(page), ['call-audio', 'call-video', 'register']);
      assert.equal((await view(page)).error, '');
      assert.deepEqual(page.pageErrors, []);
    }

    await closePages(alice, bob);
  });

  test('the log never shows an ICE password or a whole SDP, of what the page received or sent', async () => {
    const alice = await registered(browser, ctx.janus, 'dp-log-a');
    const bob = await registered(browser, ctx.janus, 'dp-log-b');
    const ack = await alice.evaluate(() => window.demo.call('dp-log-b', 'video'));
    assert.ok(ack.callId, JSON.stringify(ack));
    await bob.waitForFunction(() => window.demo.incoming);
    assert.deepEqual(await bob.evaluate(() => window.demo.accept()), { success: true });
    await Promise.all([mediaFlows(alice), mediaFlows(bob)]);
    for (const page of [alice, bob]) {
      const { text, secrets } = await page.evaluate(() => {
        const found = [];
        const collect = (v) => {
          if (typeof v === 'string') found.push(...[...v.matchAll(/a=ice-pwd:(\S+)/g)].map((m) => m[1]));
          else if (v && typeof v === 'object') {
            for (const [k, x] of Object.entries(v)) if (k === 'password' && typeof x === 'string') found.push(x); else collect(x);
          }
        };
        collect(window.demo.events.map((e) => e.payload));
        collect(window.demo.sentDescriptions.map((d) => d.sdp));
        return { text: document.getElementById('log').textContent, secrets: found };
      });
      assert.ok(secrets.length >= 1, 'the call had ICE passwords');
      for (const secret of secrets) assert.ok(!text.includes(secret), `${page.user}'s log shows an ICE password`);
      assert.doesNotMatch(text, /v=0|a=fingerprint|a=candidate/, 'an SDP in the log');
      assert.match(text, /start-call|incoming-call/);
    }
    await alice.evaluate(() => window.demo.hangup());
    await closePages(alice, bob);
  });

  test('decline: the caller reads that it was declined; an unanswered call: "no answer" and a missed call', async () => {
    const alice = await registered(browser, ctx.janus, 'dp-dec-a');
    const bob = await registered(browser, ctx.janus, 'dp-dec-b');
    await dial(alice, 'dp-dec-b', '#call-audio');
    await shows(bob, 'call-status', 'dp-dec-a is calling (audio)');
    await bob.click('#decline');
    await shows(alice, 'call-status', 'dp-dec-b declined the call');
    await shows(bob, 'call-status', 'you declined');
    for (const page of [alice, bob]) assert.deepEqual(await enabledOf(page), ['call-audio', 'call-video', 'register']);

    await dial(alice, 'dp-dec-b', '#call-audio');
    await shows(bob, 'call-status', 'dp-dec-a is calling (audio)');
    await shows(alice, 'call-status', 'no answer', (RING_S + 5) * 1000);
    await shows(bob, 'call-status', 'missed call from dp-dec-a');
    for (const page of [alice, bob]) assert.deepEqual(await enabledOf(page), ['call-audio', 'call-video', 'register']);
    assert.deepEqual(await admin(ctx.janus, { request: 'list-calls' }).then((r) => r.calls.filter((c) => c.caller === 'dp-dec-a')), []);
    await closePages(alice, bob);
  });

  test('busy: a third page calling someone in a call reads that they are busy, and can call again', async () => {
    const alice = await registered(browser, ctx.janus, 'dp-busy-a');
    const bob = await registered(browser, ctx.janus, 'dp-busy-b');
    const carol = await registered(browser, ctx.janus, 'dp-busy-c');
    await accepted(alice, bob);
    await dial(carol, 'dp-busy-b');
    await shows(carol, 'call-status', 'dp-busy-b is busy');
    assert.deepEqual(await enabledOf(carol), ['call-audio', 'call-video', 'register']);
    await shows(bob, 'call-status', 'in call with dp-busy-a');
    await alice.click('#hangup');
    await shows(bob, 'call-status', 'dp-busy-a hung up');
    await closePages(alice, bob, carol);
  });

  test('errors are shown in the page: calling yourself, calling nobody', async () => {
    const alice = await registered(browser, ctx.janus, 'dp-err-a');
    await dial(alice, 'dp-err-a');
    await shows(alice, 'error', 'Cannot call yourself');
    assert.doesNotMatch((await view(alice)).status, /calling/);
    assert.deepEqual(await enabledOf(alice), ['call-audio', 'call-video', 'register']);
    await dial(alice, '');
    await shows(alice, 'error', 'Enter the user id to call');
    assert.deepEqual(await alice.evaluate(() => window.demo.localStream), null, 'the camera is off again');
    await closePages(alice);
  });

  for (const [n, [what, clicks]] of [
    ['a double click on "Video call"', (page) => page.dblclick('#call-video')],
    ['two clicks within one task', (page) => page.evaluate(() => { for (let i = 0; i < 2; i++) document.getElementById('call-video').click(); })],
    ['"Video call" then "Audio call"', (page) => page.evaluate(() => {
      document.getElementById('call-video').click();
      document.getElementById('call-audio').click();
    })],
  ].entries()) {
    test(`${what} sends one start-call: one call, accepted, media both ways`, async () => {
      const alice = await registered(browser, ctx.janus, `dp-dbl${n}-a`);
      const bob = await registered(browser, ctx.janus, `dp-dbl${n}-b`);
      await countStartCalls(alice);
      await alice.fill('#callee', bob.user);
      await clicks(alice);
      await shows(bob, 'call-status', `${alice.user} is calling (video)`);
      await bob.click('#accept');
      await bob.waitForFunction(() => window.demo.callId);
      await Promise.all([mediaFlows(alice, { timeoutMs: 8000 }), mediaFlows(bob, { timeoutMs: 8000 })]);
      assert.equal(await alice.evaluate(() => window.startCalls), 1);
      const calls = (await admin(ctx.janus, { request: 'list-calls' })).calls.filter((c) => c.caller === alice.user);
      assert.deepEqual(calls.map((c) => [c.state, c.callType]), [['active', 'video']]);
      await shows(alice, 'call-status', `in call with ${bob.user}`);
      assert.equal((await view(alice)).error, '');
      await alice.click('#hangup');
      await shows(bob, 'call-status', `${alice.user} hung up`);
      await closePages(alice, bob);
    });
  }

  test('a call whose other side sends nothing: "call ended: media-timeout"', async () => {
    // A scripted caller whose offer has no reachable candidates: no packet of it ever arrives.
    const caller = await connect(ctx.janus.sioUrl, { transports: ['websocket'] });
    assert.deepEqual(await emitAck(caller, 'register', 'dp-mt-a'), { success: true, userId: 'dp-mt-a' });
    const bob = await registered(browser, ctx.janus, 'dp-mt-b');
    const ack = await emitAck(caller, 'start-call', { toUserId: 'dp-mt-b', callType: 'audio', jsep: fakeOffer() });
    assert.ok(ack.callId, JSON.stringify(ack));
    await shows(bob, 'call-status', 'dp-mt-a is calling (audio)');
    const ended = nextEvent(caller, 'call-ended', (MEDIA_TIMEOUT_S + 8) * 1000);
    await bob.click('#accept');
    await shows(bob, 'call-status', 'in call with dp-mt-a');
    assert.deepEqual(await ended, { callId: ack.callId, reason: 'media-timeout' });
    await shows(bob, 'call-status', 'call ended: media-timeout');
    assert.deepEqual(await enabledOf(bob), ['call-audio', 'call-video', 'register']);
    caller.close();
    await closePages(bob);
  });

  test('a second tab of the same user: the first reads it was replaced; a kicked user reads it was removed', async () => {
    const first = await registered(browser, ctx.janus, 'dp-tab');
    const second = await registered(browser, ctx.janus, 'dp-tab');
    await shows(first, 'registration', 'replaced by another tab');
    assert.doesNotMatch((await view(first)).registration, /registered as/);
    assert.deepEqual(await enabledOf(first), ['register']);
    assert.deepEqual(await admin(ctx.janus, { request: 'kick-user', userId: 'dp-tab' }).then((r) => r.error), undefined);
    await shows(second, 'registration', 'removed by the server');
    assert.doesNotMatch((await view(second)).registration, /registered as/);
    assert.deepEqual(await enabledOf(second), ['register']);
    await closePages(first, second);
  });

  test('a second tab takes over mid-call: the first says the call moved; the second takes the media over (both ways), the first reads the call ended', async () => {
    const first = await registered(browser, ctx.janus, 'dp-take-a');
    const bob = await registered(browser, ctx.janus, 'dp-take-b');
    await accepted(first, bob, '#call-video');
    await Promise.all([mediaFlows(first), mediaFlows(bob)]);
    const second = await registered(browser, ctx.janus, 'dp-take-a');
    await shows(first, 'registration', 'replaced by another tab');
    await shows(first, 'call-status', 'your other tab');
    await shows(second, 'call-status', 'in call with dp-take-b: its media is in the tab or device you used before');
    assert.deepEqual(await enabledOf(first), []);
    assert.deepEqual(await enabledOf(second), ['hangup'], 'this tab has no media to mute');
    await second.click('#takeover');
    await shows(second, 'call-status', 'in call with dp-take-b (video)');
    // The gateway closes the first tab's PeerConnection (its DTLS): its call view ends.
    await shows(first, 'call-status', 'the call ended');
    assert.equal(await first.evaluate(() => window.demo.localStream), null, 'the first tab let its microphone go');
    // Media both ways again, bob's from the second tab only now.
    await mediaFlows(second, { timeoutMs: 10000 });
    await framesGrow(bob);
    await framesGrow(second);
    assert.deepEqual(await enabledOf(second), ['hangup', 'mute-audio', 'mute-video']);
    await second.click('#hangup');
    await shows(bob, 'call-status', 'dp-take-a hung up');
    await shows(second, 'call-status', 'you hung up');
    await closePages(first, second, bob);
  });

  test('glare: both click "Video call" at once; one call rings, the other page says so and answers it, media both ways', async () => {
    const alice = await registered(browser, ctx.janus, 'dp-glare-a');
    const bob = await registered(browser, ctx.janus, 'dp-glare-b');
    await alice.fill('#callee', bob.user);
    await bob.fill('#callee', alice.user);
    await Promise.all([countStartCalls(alice), countStartCalls(bob)]);
    const at = Date.now() + 300;
    const click = (page) => page.evaluate((when) => new Promise((resolve) => setTimeout(() => {
      document.getElementById('call-video').click();
      resolve();
    }, when - Date.now())), at);
    await Promise.all([click(alice), click(bob)]);
    // Whichever start-call the server took first rings at the other page.
    await Promise.race([shows(alice, 'call-status', 'dp-glare-b is calling (video)'), shows(bob, 'call-status', 'dp-glare-a is calling (video)')]);
    const aliceRings = (await view(alice)).status.includes('is calling');
    const [caller, callee] = aliceRings ? [bob, alice] : [alice, bob];
    await shows(callee, 'call-status', `${caller.user} is calling (video): you both called at once`);
    await shows(caller, 'call-status', `calling ${callee.user}…`);
    assert.deepEqual(await enabledOf(callee), ['accept', 'decline']);
    await callee.click('#accept');
    await shows(caller, 'call-status', `in call with ${callee.user}`);
    await Promise.all([mediaFlows(alice, { timeoutMs: 8000 }), mediaFlows(bob, { timeoutMs: 8000 })]);
    // Both pages did call (a glare, not one page seeing the other's call first).
    assert.deepEqual([await alice.evaluate(() => window.startCalls), await bob.evaluate(() => window.startCalls)], [1, 1]);
    const calls = (await admin(ctx.janus, { request: 'list-calls' })).calls.filter((c) => [alice.user, bob.user].includes(c.caller));
    assert.deepEqual(calls.map((c) => [c.caller, c.state]), [[caller.user, 'active']]);
    await caller.click('#hangup');
    await shows(callee, 'call-status', `${caller.user} hung up`);
    await closePages(alice, bob);
  });

  test('opened on an address that is not a secure context: the page says why the camera needs localhost or https', async (t) => {
    if (!process.env.OICALL_NETNS) { t.skip('needs the namespace address (127.0.0.1 is a secure context)'); return; }
    const plain = await launchBrowser();   // no --unsafely-treat-insecure-origin-as-secure
    try {
      const page = await plain.newPage(`${ctx.janus.sioUrl}/`);
      await page.waitForFunction(() => window.demo);
      assert.equal(await page.evaluate(() => window.isSecureContext), false);
      await shows(page, 'camera-warning', 'localhost');
      assert.match(await page.textContent('#camera-warning'), /https/);
      assert.equal(await page.isVisible('#camera-warning'), true);
      await page.fill('#user', 'dp-plain');
      await page.click('#register');
      await shows(page, 'registration', 'registered as dp-plain');
      assert.deepEqual(await enabledOf(page), ['register'], 'no call buttons without a camera');
    } finally {
      await plain.close();
    }
  });

  ctx.cleanExitTest();
});
