// Benchmark: a group call of four through janus.plugin.oicall (the room
// dialect, OIChat's mediasoup-client flow) against Janus's own VideoRoom
// plugin carrying the same four browsers, in one Janus, in the same run.
// Every page is headless Chromium with the fake camera and microphone at the
// demo page's settings (320x240@15 VP8, Opus). The four join one after the
// other, each once everyone before it sees everyone; for every pair (P sees
// Q) it notes, in the page, the first video packet and the first decoded
// frame of Q at P, polling getStats' framesDecoded every 20 ms, counted from
// the later of the two joins (the caller's start-call or an accept-call; the
// VideoRoom page's first request). Then Janus's CPU per peer over a steady
// window. Not a test: it prints figures. Run it with tools/bench-calls --group.
import { startJanus, httpPluginClient, sleep } from '../lib/janus.js';
import { launchBrowser } from '../lib/browser.js';
import { serveStatic } from '../lib/static.js';
import { msPageFolder, msUserPage } from '../lib/mediasoup.js';
import { JANUS_HTTP_JS, CAMERA, ROUNDS, WINDOW_S, steadyCpu, alternateRounds, mean, median } from './common.mjs';

const PEERS = 4;

// A VideoRoom client: publishes its camera, and subscribes to every other
// publisher over one subscriber PeerConnection (multistream, renegotiated as
// publishers come), in the order the oicall page does it (publish, then
// subscribe to who is there).
const VIDEOROOM_PAGE = `<!doctype html><script>${JANUS_HTTP_JS}
window.vr = (() => {
  const vr = { feeds: {}, timeline: [] };   // feeds: subscription mid -> publisher's display name
  const waiting = new Map();    // transaction -> resolve(event)
  let base, pub, sub, room, queue = Promise.resolve();
  const attach = async () => (await janusApi(base, { janus: 'attach', plugin: 'janus.plugin.videoroom' })).data.id;
  // A plugin request; resolves with the event that answers it, noting when.
  const request = async (handle, body, jsep) => {
    const transaction = String(Math.random());
    const answered = new Promise((r) => waiting.set(transaction, r));
    const reply = await janusApi(base + '/' + handle, { janus: 'message', transaction, body, jsep });
    if (reply.janus !== 'ack') throw new Error(JSON.stringify(reply));
    const event = await answered;
    vr.timeline.push([body.request + (body.ptype ? ' ' + body.ptype : ''), Date.now()]);
    return event;
  };
  // One negotiation at a time on the subscriber PeerConnection.
  const subscribe = (feeds) => (queue = queue.then(async () => {
    const streams = feeds.map((p) => ({ feed: p.id }));
    let offer;
    if (sub) offer = await request(sub, { request: 'subscribe', streams });
    else {
      sub = await attach();
      offer = await request(sub, { request: 'join', ptype: 'subscriber', room, streams });
    }
    for (const s of offer.plugindata.data.streams || []) if (s.feed_display) vr.feeds[s.mid] = s.feed_display;
    vr.subPc ??= new RTCPeerConnection();
    await vr.subPc.setRemoteDescription(offer.jsep);
    await vr.subPc.setLocalDescription(await vr.subPc.createAnswer());
    await gathered(vr.subPc);
    await request(sub, { request: 'start' }, vr.subPc.localDescription);
  }).catch((e) => { vr.error = e.message; }));
  const onEvent = (e) => {
    if (e.transaction && waiting.has(e.transaction)) { waiting.get(e.transaction)(e); waiting.delete(e.transaction); return; }
    const publishers = e.sender === pub && e.plugindata?.data?.publishers;
    if (publishers?.length) subscribe(publishers);
  };
  vr.join = async (janusUrl, roomId, user, camera) => {
    room = roomId;
    base = janusUrl + '/' + await janusSession(janusUrl, onEvent);
    vr.session = base;
    pub = await attach();
    const joined = await request(pub, { request: 'join', ptype: 'publisher', room, display: user });
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: camera });
    vr.pubPc = new RTCPeerConnection();
    stream.getTracks().forEach((t) => vr.pubPc.addTrack(t, stream));
    await vr.pubPc.setLocalDescription(await vr.pubPc.createOffer());
    await gathered(vr.pubPc);
    const answer = await request(pub, { request: 'publish' }, vr.pubPc.localDescription);
    await vr.pubPc.setRemoteDescription(answer.jsep);
    if (joined.plugindata.data.publishers.length) await subscribe(joined.plugindata.data.publishers);
  };
  // Inbound media per publisher, as window.msc.inboundByUser() gives it.
  vr.inboundByUser = async () => {
    const out = {};
    for (const t of vr.subPc?.getTransceivers() || []) {
      const user = vr.feeds[t.mid];
      if (!user) continue;
      const entry = out[user] ??= { framesDecoded: 0, videoPackets: 0, audioPackets: 0 };
      (await t.receiver.getStats()).forEach((s) => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'video') { entry.framesDecoded += s.framesDecoded || 0; entry.videoPackets += s.packetsReceived || 0; }
        if (s.kind === 'audio') entry.audioPackets += s.packetsReceived || 0;
      });
    }
    return out;
  };
  vr.inbound = () => inboundOf([vr.subPc]);
  vr.leave = () => janusApi(vr.session, { janus: 'destroy' });
  return vr;
})();
</script>`;

// In the page (api: 'msc' or 'vr'): every 20 ms until every other peer's
// first frame and both PeerConnections up, notes when each peer's first video packet and first decoded
// frame came, and when the page's send and receive PeerConnections connected.
function watch(page, api) {
  return page.evaluate(([name, others]) => {
    const client = window[name];
    const marks = { packet: {}, frame: {} };
    window.marks = marks;
    const pcs = () => (name === 'msc' ? [client.sendTransport, client.recvTransport] : [client.pubPc, client.subPc]);
    (async () => {
      while (Object.keys(marks.frame).length < others || !marks.sendUp || !marks.recvUp) {
        const now = Date.now();
        const [send, recv] = pcs();
        if (send?.connectionState === 'connected') marks.sendUp ??= now;
        if (recv?.connectionState === 'connected') marks.recvUp ??= now;
        for (const [user, s] of Object.entries(await client.inboundByUser())) {
          if (s.videoPackets > 0) marks.packet[user] ??= now;
          if (s.framesDecoded > 0) marks.frame[user] ??= now;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
  }, [api, PEERS - 1]);
}

const marksOf = (pages) => Promise.all(pages.map((p) => p.evaluate(() => window.marks)));

// Until every page of `pages` has a frame from every other one.
async function everyoneSeesEveryone(pages) {
  for (const deadline = Date.now() + 20000; ;) {
    const marks = await marksOf(pages);
    if (pages.every((p, i) => pages.every((q) => q === p || marks[i].frame[q.user]))) return;
    if (Date.now() > deadline) throw new Error(`no frames between all of ${pages.map((p) => p.user)}: ${JSON.stringify(marks)}`);
    await sleep(50);
  }
}

// Joins the pages one by one with join(page, i); measures, and returns the figures.
async function run(janus, pages, api, join) {
  for (const p of pages) await watch(p, api);
  const joinAt = {};
  const steps = [];   // per joiner: its requests' kinds -> when the last one was answered, after its join
  for (const [i, p] of pages.entries()) {
    joinAt[p.user] = Date.now();
    await join(p, i);
    await everyoneSeesEveryone(pages.slice(0, i + 1));
    if (i > 0) {
      steps.push(Object.fromEntries((await p.evaluate((name) => window[name].timeline, api))
        .map(([step, at]) => [step, at - joinAt[p.user]])));
    }
  }
  const marks = await marksOf(pages);
  const pairs = [];
  pages.forEach((p, i) => pages.forEach((q, j) => {
    if (q === p) return;
    const from = Math.max(joinAt[p.user], joinAt[q.user]);
    // sender and receiver by join order (0: the caller); i > j: the joiner sees one who was there.
    // afterUp: the first packet after the joiner's PeerConnection for it (receive or send) was up.
    const up = i > j ? marks[i].recvUp : marks[j].sendUp;
    pairs.push({ sender: j, receiver: i, packet: marks[i].packet[q.user] - from, frame: marks[i].frame[q.user] - from,
      afterUp: marks[i].packet[q.user] - up });
  }));
  // The joiners' own PeerConnections (the first peer's send side has nobody to wait for).
  const up = pages.slice(1).map((p, i) => ({ send: marks[i + 1].sendUp - joinAt[p.user], recv: marks[i + 1].recvUp - joinAt[p.user] }));
  const bytes = async () => mean(await Promise.all(pages.map(async (p) => {
    const s = await p.evaluate((name) => window[name].inbound(), api);
    return s.videoBytes + s.audioBytes;
  })));
  const before = await bytes();
  const cpu = await steadyCpu(janus) / PEERS;
  const kbps = ((await bytes()) - before) * 8 / 1000 / (WINDOW_S + 3);   // the window and its ramp-up
  return { pairs, up, steps, cpu, kbps };
}

async function oicallGroup(browser, janus, round) {
  const pages = await Promise.all(Array.from({ length: PEERS }, (_, i) => msUserPage(browser, janus, `bench-${round}-${i}`)));
  for (const p of pages) {
    await p.evaluate((camera) => {
      window.msc.video = camera;
      // Notes when each request is answered, as the VideoRoom page does.
      const request = window.msc.request.bind(window.msc);
      window.msc.timeline = [];
      window.msc.request = async (event, payload) => {
        const ack = await request(event, payload);
        window.msc.timeline.push([event, Date.now()]);
        return ack;
      };
    }, CAMERA);
  }
  const incoming = pages.slice(1).map((p) => p.nextEvent('incoming-call'));
  const result = await run(janus, pages, 'msc', async (p, i) => {
    const ack = i === 0
      ? await p.msc((to) => window.msc.roomCall(to, 'video'), pages.slice(1).map((q) => q.user))
      : (await incoming[i - 1], await p.msc(() => window.msc.roomAccept()));
    if (ack.error) throw new Error(`${p.user}: ${ack.error}`);
  });
  for (const p of pages) await p.msc(() => window.msc.leave());
  return { pages, result };
}

async function videoroomGroup(browser, site, janus, round) {
  const room = 4200 + round;
  const admin = await httpPluginClient(janus, 'janus.plugin.videoroom');
  // No bitrate cap (oicall sets none) and no periodic keyframe requests.
  const created = await admin.message({ request: 'create', room, publishers: PEERS, bitrate: 0, fir_freq: 0, audiocodec: 'opus', videocodec: 'vp8' });
  if (created.videoroom !== 'created') throw new Error(JSON.stringify(created));
  const pages = await Promise.all(Array.from({ length: PEERS }, async (_, i) => {
    const page = await browser.newPage(`${site.url}/vr.html`);
    page.user = `vr-${round}-${i}`;
    return page;
  }));
  const result = await run(janus, pages, 'vr', async (p) => {
    await p.evaluate(([url, r, user, camera]) => window.vr.join(url, r, user, camera), [janus.httpUrl, room, p.user, CAMERA]);
  });
  for (const p of pages) await p.evaluate(() => window.vr.leave());
  await admin.message({ request: 'destroy', room });
  await admin.destroy();
  return { pages, result };
}

const folder = await msPageFolder();
const janus = await startJanus({ demoFolder: folder.dir, plugins: ['videoroom'], debugLevel: 3 });
const site = await serveStatic({ '/vr.html': VIDEOROOM_PAGE });
const browser = await launchBrowser({ secureOrigins: [janus.sioUrl] });
let results;
try {
  results = await alternateRounds(['oicall', 'videoroom'], (name, round) => (name === 'oicall'
    ? oicallGroup(browser, janus, round) : videoroomGroup(browser, site, janus, round)));
} finally {
  await browser.close();
  await site.close();
  await janus.stop();
  folder.remove();
}

const spread = (xs) => `${Math.min(...xs)} / ${median(xs)} / ${Math.max(...xs)} ms`;
console.log(`\nA group of ${PEERS}, ${ROUNDS} rounds, ${WINDOW_S} s windows, ${CAMERA.width}x${CAMERA.height}@${CAMERA.frameRate} VP8 + Opus from Chromium's fake devices`);
for (const name of ['oicall', 'videoroom']) {
  const rs = results[name];
  const pairs = rs.flatMap((r) => r.pairs);
  const up = rs.flatMap((r) => r.up);
  console.log(`${name.padEnd(9)}: Janus CPU per peer ${(mean(rs.map((r) => r.cpu)) * 100).toFixed(2)} % of a core `
    + `(${rs.map((r) => (r.cpu * 100).toFixed(2)).join(', ')}), received ${mean(rs.map((r) => r.kbps)).toFixed(0)} kbit/s per peer`);
  console.log(`           join → first decoded frame, each pair (min / median / max): ${spread(pairs.map((p) => p.frame))}; `
    + `first video packet ${spread(pairs.map((p) => p.packet))}`);
  const seen = pairs.filter((p) => p.receiver > p.sender), seeing = pairs.filter((p) => p.receiver < p.sender);
  console.log(`           the joiner's first frame from each one there: ${spread(seen.map((p) => p.frame))}; theirs from the joiner: ${spread(seeing.map((p) => p.frame))}`);
  console.log(`           first packet after the joiner's receive PeerConnection was up: ${spread(seen.map((p) => p.afterUp))}; `
    + `after its send PeerConnection was up: ${spread(seeing.map((p) => p.afterUp))}`);
  console.log(`           from the caller (the first to join): ${spread(pairs.filter((p) => p.sender === 0).map((p) => p.frame))}; `
    + `first frame 40 ms or more after the first packet in ${pairs.filter((p) => p.frame - p.packet >= 40).length} of ${pairs.length} pairs`);
  console.log(`           a joiner's send / receive PeerConnection connected after its join (median): ${median(up.map((u) => u.send))} / ${median(up.map((u) => u.recv))} ms`);
  const steps = rs.flatMap((r) => r.steps);
  const names = [...new Set(steps.flatMap(Object.keys))];
  const at = names.map((n) => [n, median(steps.map((s) => s[n]).filter((x) => x !== undefined))]).sort((a, b) => a[1] - b[1]);
  console.log(`           a joiner's requests, the last of each kind answered (median ms after its join): ${at.map(([n, t]) => `${n} ${t}`).join(', ')}`);
}
console.log(`ratio oicall / VideoRoom CPU per peer: ${(mean(results.oicall.map((r) => r.cpu)) / mean(results.videoroom.map((r) => r.cpu))).toFixed(3)}`);
console.log(JSON.stringify(results));
process.exit(0);
