// The media harness itself: a headless Chromium with fake devices inside the
// test namespace reaches a real Janus over ICE (veth, not loopback), here
// through Janus's stock EchoTest plugin. Later media tests rely on this.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useJanus } from './lib/janus.js';
import { launchBrowser, waitForMedia } from './lib/browser.js';
import { serveStatic } from './lib/static.js';

const PAGE = `<!doctype html><script>
async function api(url, body) {
  const r = await fetch(url, { method: 'POST', body: JSON.stringify({ transaction: String(Math.random()), ...body }) });
  return r.json();
}
window.echo = async (janusUrl) => {
  const session = (await api(janusUrl, { janus: 'create' })).data.id;
  const handle = (await api(janusUrl + '/' + session, { janus: 'attach', plugin: 'janus.plugin.echotest' })).data.id;
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
  const pc = new RTCPeerConnection();
  window.pc = pc;
  stream.getTracks().forEach((t) => pc.addTrack(t, stream));
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => { if (pc.iceGatheringState === 'complete') r(); pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); });
  await api(janusUrl + '/' + session + '/' + handle, { janus: 'message', body: { audio: true, video: true }, jsep: pc.localDescription });
  for (;;) {
    const ev = await (await fetch(janusUrl + '/' + session + '?maxev=1')).json();
    if (ev.jsep) { await pc.setRemoteDescription(ev.jsep); break; }
  }
  return true;
};
</script>`;

describe('media harness', () => {
  const ctx = useJanus({ plugins: ['echotest'] });
  let browser; let site;
  before(async () => {
    site = await serveStatic({ '/echo.html': PAGE });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await site?.close();
  });

  test('Chromium in the namespace gets its media echoed by Janus (video decoded, audio received)', async () => {
    const page = await browser.newPage(`${site.url}/echo.html`);
    assert.equal(await page.evaluate((url) => window.echo(url), ctx.janus.httpUrl), true);
    const stats = await waitForMedia(page, 'window.pc', { timeoutMs: 10000 });
    assert.ok(stats.framesDecoded > 0 && stats.audioPackets > 0);
  });

  ctx.cleanExitTest();
});
