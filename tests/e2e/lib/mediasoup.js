// Pages that run OIChat's mediasoup-client flow (ms-page.js, bundled here
// with esbuild for the browser) against the Socket.IO transport, which
// serves them as its demo folder, beside the plain-WebRTC demo page.
import { build } from 'esbuild';
import { mkdtempSync, writeFileSync, rmSync, cpSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { DEMO_FOLDER } from './demo.js';
import { janusRequest } from './janus.js';

const HERE = dirname(fileURLToPath(import.meta.url));

// A folder with the demo page (index.html, for JSEP users) and ms.html with
// the bundle (for mediasoup-client users); returns { dir, remove() }.
export async function msPageFolder() {
  const dir = mkdtempSync(join(tmpdir(), 'oicall-ms-page-'));
  cpSync(DEMO_FOLDER, dir, { recursive: true, filter: (src) => !src.includes('node_modules') });
  await build({
    entryPoints: [join(HERE, 'ms-page.js')], bundle: true, format: 'iife', platform: 'browser',
    target: 'chrome110', outfile: join(dir, 'ms.js'), logLevel: 'error',
  });
  writeFileSync(join(dir, 'ms.html'), '<!doctype html><meta charset="utf-8"><title>oicall mediasoup-client test</title>'
    + '<script src="ms.js"></script>\n');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// A page registered as user; page.msc(fn, arg) runs fn in the page (window.msc is the client).
export async function msUserPage(browser, janus, user) {
  const page = await browser.newPage(`${janus.sioUrl}/ms.html`);
  await page.waitForFunction(() => window.msc);
  const ack = await page.evaluate((u) => window.msc.connect(u), user);
  if (!ack?.success) throw new Error(`register ${user}: ${JSON.stringify(ack)}`);
  page.user = user;
  page.msc = (fn, arg) => page.evaluate(fn, arg);
  page.nextEvent = (name, since = 0, timeoutMs = 10000) => page.evaluate(([n, s, t]) => new Promise((resolve, reject) => {
    const found = window.msc.events.find((e, i) => i >= s && e.name === n);
    if (found) { resolve(found.payload); return; }
    const timer = setTimeout(() => reject(new Error(`no ${n} within ${t} ms`)), t);
    window.msc.addEventListener(n, (e) => { clearTimeout(timer); resolve(e.detail); }, { once: true });
  }), [name, since, timeoutMs]);
  page.eventCount = () => page.evaluate(() => window.msc.events.length);
  page.inbound = () => page.evaluate(() => window.msc.inbound());
  page.request = (event, payload) => page.evaluate(([e, p]) => window.msc.request(e, p), [event, payload]);
  return page;
}

// A mediasoup-style client on Janus's HTTP API that is also its own courier:
// it attaches the transport handles the plugin asks for and carries the
// core's SDPs back and forth as the Socket.IO transport does, except that
// it can hold any of them (hold(transportId, 'local-sdp' | 'remote-sdp')),
// which makes a round time out at will. It records every SDP it carried.
const FIXTURES = join(HERE, '../../unit/fixtures/ortc');
const fixture = (name) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
export const DEVICE_CAPS = fixture('device-rtp-capabilities.json');

// create-producer rtpParameters as real mediasoup-client sent them, with another mid and SSRCs.
export function producerParameters(kind, mid, ssrc) {
  const { rtpParameters } = fixture(`create-producer-${kind}.json`);
  rtpParameters.mid = mid;
  rtpParameters.encodings[0].ssrc = ssrc;
  if (rtpParameters.encodings[0].rtx) rtpParameters.encodings[0].rtx.ssrc = ssrc + 1;
  return rtpParameters;
}

// connect-transport's dtlsParameters with made-up ICE credentials and fingerprint.
export function connectParameters() {
  const hex = () => Math.floor(Math.random() * 256).toString(16).toUpperCase().padStart(2, '0');
  return { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: Array.from({ length: 32 }, hex).join(':') }],
    iceParameters: { usernameFragment: `u${Math.random().toString(36).slice(2, 8)}`, password: 'p'.repeat(24) } };
}

// The m-lines of an SDP: [{ kind, port, mid, direction }].
export function mlines(sdp) {
  return sdp.split(/\r\nm=/).slice(1).map((section) => {
    const [kind, port] = section.split(' ');
    return { kind, port: Number(port), mid: /\r\na=mid:(\S+)/.exec(section)?.[1] ?? null,
      direction: /\r\na=(sendonly|recvonly|sendrecv|inactive)\r\n/.exec(section)?.[1] ?? null };
  });
}

export async function courierClient(janus, userId) {
  const session = (await janusRequest(janus, '', { janus: 'create' })).data.id;
  const attach = async () => (await janusRequest(janus, `/${session}`, { janus: 'attach', plugin: 'janus.plugin.oicall' })).data.id;
  const control = await attach();
  const answers = new Map();    // transaction -> resolve
  const early = new Map();      // transaction -> answer that came before the ack did
  const transports = new Map(); // transportId -> { id, handle, offers, answers, hold, held }
  const byHandle = new Map();
  const events = [];
  const listeners = [];
  let polling = true;

  const send = async (handle, body, jsep) => {
    const reply = await janusRequest(janus, `/${session}/${handle}`, { janus: 'message', body, ...(jsep ? { jsep } : {}) });
    if (reply.janus === 'success') return reply.plugindata.data;
    if (reply.janus !== 'ack') return { janusError: reply.error };
    if (early.has(reply.transaction)) return early.get(reply.transaction);
    // The plugin answers every request within its 10 s round timeout: a hang is a failure, not a wait.
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ error: `no answer to ${body.request} within 15 s` }), 15000);
      answers.set(reply.transaction, (data) => { clearTimeout(timer); resolve(data); });
    });
  };
  const deliver = (t, item) => (item.kind === 'local-sdp'
    ? send(t.handle, { request: 'local-sdp', sdp: item.jsep.sdp })
    : send(t.handle, { request: 'remote-sdp-applied' }, item.jsep));
  // In the order they came, each once the plugin answered the one before.
  const deliverHeld = async (t, kind) => {
    const items = t.held.filter((i) => i.kind === kind);
    t.held = t.held.filter((i) => i.kind !== kind);
    const replies = [];
    for (const item of items) replies.push(await deliver(t, item));
    return replies;
  };
  const carry = (t, item) => {
    (item.kind === 'local-sdp' ? t.offers : t.answers).push(item.jsep.sdp);
    if (t.hold.has(item.kind)) t.held.push(item); else deliver(t, item);
  };
  const instruction = async (event, sio) => {
    if (sio.attach) {
      const handle = await attach();
      const t = { id: sio.attach.transportId, handle, offers: [], answers: [], hold: new Set(), held: [] };
      transports.set(t.id, t);
      byHandle.set(handle, t);
      send(handle, { request: 'bind-transport', transportId: t.id, nonce: sio.attach.nonce, janusSessionId: session, janusHandleId: handle });
      return;
    }
    const t = byHandle.get(event.sender);
    if (t && sio['local-sdp'] && event.jsep) carry(t, { kind: 'local-sdp', jsep: event.jsep });
    else if (t && sio['remote-sdp']) carry(t, { kind: 'remote-sdp', jsep: sio['remote-sdp'] });
  };
  const onEvent = (event) => {
    const data = event.plugindata?.data;
    if (event.janus !== 'event' || !data) return;
    if (event.transaction && answers.has(event.transaction)) {
      answers.get(event.transaction)(data);
      answers.delete(event.transaction);
    } else if (event.transaction) {
      early.set(event.transaction, data);
    } else if (data.sio) {
      instruction(event, data.sio);
    } else if (data.event) {
      const { event: name, ...payload } = data;
      events.push({ name, payload });
      for (const l of listeners.splice(0)) l();
    }
  };
  (async () => {
    // Until closed, or Janus is stopped (a test that failed before close() must not keep node alive).
    while (polling && !janus.stopped) {
      try {
        const got = await (await fetch(`${janus.httpUrl}/${session}?maxev=20`)).json();
        for (const e of [].concat(got)) onEvent(e);
      } catch { await new Promise((r) => setTimeout(r, 50)); }
    }
  })();

  const client = {
    userId, session, control, events, transports,
    request: (body) => send(control, body),
    nextEvent: async (name, since = 0, timeoutMs = 10000) => {
      for (const deadline = Date.now() + timeoutMs; ;) {
        const found = events.find((e, i) => i >= since && e.name === name);
        if (found) return found.payload;
        if (Date.now() > deadline) throw new Error(`${userId}: no ${name} within ${timeoutMs} ms`);
        await new Promise((r) => { listeners.push(r); setTimeout(r, 100); });
      }
    },
    // Holds (on) or passes on (off) that kind of SDP for a transport; off releases
    // what was held, in order, and resolves with the plugin's replies to them.
    hold: (transportId, kind, on = true) => {
      const t = transports.get(transportId);
      if (on) { t.hold.add(kind); return Promise.resolve([]); }
      t.hold.delete(kind);
      return deliverHeld(t, kind);
    },
    held: (transportId) => transports.get(transportId).held.length,
    lastOffer: (transportId) => transports.get(transportId).offers.at(-1),
    close: async () => { polling = false; await janusRequest(janus, `/${session}`, { janus: 'destroy' }).catch(() => {}); },
  };
  const ack = await client.request({ request: 'register', userId, janusSessionId: session, janusHandleId: control });
  if (!ack?.success) throw new Error(`register ${userId}: ${JSON.stringify(ack)}`);
  return client;
}
