// Pages that run OIChat's mediasoup-client flow (ms-page.js, bundled here
// with esbuild for the browser) against the Socket.IO transport, which
// serves them as its demo folder, beside the plain-WebRTC demo page.
import { build } from 'esbuild';
import { mkdtempSync, writeFileSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { DEMO_FOLDER } from './demo.js';

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
