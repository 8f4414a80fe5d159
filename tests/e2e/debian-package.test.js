// The Debian package: dpkg-buildpackage builds oicall_*.deb from a copy of
// the tree, apt-get installs it, Debian's /usr/bin/janus runs with Debian's
// own /etc/janus plus ours (as its systemd unit would, but in the test's
// namespace) and carries a call between two browsers, and remove and purge
// take every file away. Needs root (it installs a package); skipped on the
// sanitizer run, which would only build and install the same package again.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, cpSync, readdirSync, existsSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { ROOT, JANUS_IP } from './lib/janus.js';
import { userPage, mediaFlows } from './lib/demo.js';
import { launchBrowser } from './lib/browser.js';
import { serveStatic } from './lib/static.js';
import { waitFor } from './lib/sio.js';

const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
const installed = () => spawnSync('dpkg-query', ['-W', '-f=${Status}', 'oicall'], { encoding: 'utf8' }).stdout
  .includes('install ok installed');
const known = () => spawnSync('dpkg-query', ['-W', 'oicall'], { encoding: 'utf8' }).status === 0;

const why = process.getuid() !== 0 ? 'needs root: it installs a package'
  : process.env.OICALL_SANITIZERS === '1' ? 'the package is the normal build: tested on the normal run'
  : !process.env.OICALL_NETNS ? 'needs the test namespace (tests/e2e/netns-run.sh)'
  : known() ? 'a package named oicall is on this machine already: this test would replace it'
  : null;

const MULTIARCH = run('dpkg-architecture', ['-qDEB_HOST_MULTIARCH']).trim();
const FILES = [
  `/usr/lib/${MULTIARCH}/janus/plugins/libjanus_oicall.so`,
  `/usr/lib/${MULTIARCH}/janus/transports/libjanus_socketio.so`,
  '/usr/share/oicall/index.html', '/usr/share/oicall/demo.js', '/usr/share/oicall/oicall-mediasoup.js',
  '/usr/share/oicall/vendor/socket.io.min.js',
];
const CONFFILES = ['/etc/janus/janus.plugin.oicall.jcfg', '/etc/janus/janus.transport.socketio.jcfg'];

describe('the Debian package', { skip: why ?? false }, () => {
  const work = why ? null : mkdtempSync(join(tmpdir(), 'oicall-deb-'));
  let deb; let janus; let routeAdded = false;
  after(() => {
    janus?.kill('SIGKILL');
    if (installed() || known()) spawnSync('apt-get', ['purge', '-y', '-q', 'oicall'], { stdio: 'ignore' });
    if (routeAdded) spawnSync('ip', ['route', 'del', 'default', 'dev', 'veth0'], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  });

  test('dpkg-buildpackage -b builds oicall_*.deb from a copy of the tree, nothing written outside it', () => {
    // The tree as git knows it, plus the demo page's bundle that tools/setup made.
    const src = join(work, 'src');
    mkdirSync(src);
    const files = run('git', ['-C', ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'])
      .split('\0').filter((f) => f && existsSync(join(ROOT, f)));
    for (const f of [...files, 'html/vendor/socket.io.min.js']) {
      mkdirSync(dirname(join(src, f)), { recursive: true });
      cpSync(join(ROOT, f), join(src, f));
    }
    const before = run('git', ['-C', ROOT, 'status', '--porcelain', '--ignored']);
    run('dpkg-buildpackage', ['-b', '-us', '-uc'], { cwd: src, env: { ...process.env, DEB_BUILD_OPTIONS: 'nocheck parallel=2' } });
    deb = readdirSync(work).find((f) => /^oicall_.*\.deb$/.test(f));
    assert.ok(deb, readdirSync(work).join(' '));
    assert.equal(run('git', ['-C', ROOT, 'status', '--porcelain', '--ignored']), before, 'the build tree is as it was');
    const depends = run('dpkg-deb', ['-f', join(work, deb), 'Depends']);
    assert.match(depends, /janus \(>= 1\.1\.0~\), janus \(<< 1\.2~\)/);
    const contents = run('dpkg-deb', ['-c', join(work, deb)]);
    for (const f of [...FILES, ...CONFFILES]) assert.ok(contents.includes(`.${f}\n`), `${f} in the package`);
    assert.doesNotMatch(contents, /\.la\n|\.sample\n/);
  });

  test('apt-get install ./oicall_*.deb: the modules in Janus\'s folders, the configuration as conffiles', () => {
    run('apt-get', ['install', '-y', '-q', `./${deb}`], { cwd: work, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    assert.ok(installed());
    for (const f of [...FILES, ...CONFFILES]) assert.ok(existsSync(f), f);
    const conffiles = run('dpkg-query', ['-W', '-f=${Conffiles}', 'oicall']);
    for (const f of CONFFILES) assert.match(conffiles, new RegExp(` ${f} [0-9a-f]{32}`));
  });

  test('/usr/bin/janus with /etc/janus carries a call between two browsers and serves its metrics', async () => {
    // What the unit runs (janus.service: janus --disable-colors --daemon --log-stdout), in the foreground.
    // Janus finds its address from the default route, as on a real host.
    if (run('ip', ['route', 'show', 'default']).trim() === '') {
      run('ip', ['route', 'add', 'default', 'dev', 'veth0']);
      routeAdded = true;
    }
    let log = '';
    janus = spawn('/usr/bin/janus', ['--disable-colors', '--log-stdout'], { stdio: ['ignore', 'pipe', 'pipe'] });
    janus.stdout.on('data', (d) => { log += d; });
    janus.stderr.on('data', (d) => { log += d; });
    const exited = new Promise((r) => janus.on('exit', (code, signal) => r({ code, signal })));
    const sioUrl = `http://${JANUS_IP}:8501`;
    await waitFor(async () => (await fetch(`${sioUrl}/healthz`)).status === 200, { timeoutMs: 30000, what: `healthz\n${log}` });
    assert.match(log, /janus\.plugin\.oicall/);
    // Debian's janus.jcfg leaves media.min_nack_queue at the core's 200 ms: the plugin says what to set.
    assert.match(log, /set media\.min_nack_queue = 500 in janus\.jcfg/);
    // The demo page as installed, from a page server of its own (a secure origin).
    const site = await serveStatic({}, '/usr/share/oicall');
    const browser = await launchBrowser();
    try {
      const server = { sioUrl, pageUrl: `${site.url}/index.html`, log: () => log };
      const alice = await userPage(browser, server, 'deb-alice');
      const bob = await userPage(browser, server, 'deb-bob');
      const incoming = bob.nextEvent('incoming-call');
      const { error } = await alice.demo(([to]) => window.demo.call(to, 'video'), ['deb-bob']);
      assert.equal(error, undefined);
      await incoming;
      assert.deepEqual(await bob.demo(() => window.demo.accept()), { success: true });
      await Promise.all([mediaFlows(alice, { timeoutMs: 10000 }), mediaFlows(bob, { timeoutMs: 10000 })]);
      const metrics = await (await fetch(`${sioUrl}/metrics`)).text();
      assert.match(metrics, /\noicall_calls\{state="active",dialect="jsep"\} 1\n/);
      assert.match(metrics, /\noicall_relayed_packets_total\{kind="video"\} [1-9]/);
      assert.deepEqual(await alice.demo(() => window.demo.hangup()), { success: true });
    } finally {
      await browser.close();
      await site.close();
    }
    janus.kill('SIGTERM');
    const { code, signal } = await exited;
    janus = null;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, log.slice(-3000));
  });

  test('apt-get remove takes the modules and the demo page, purge the configuration', () => {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['remove', '-y', '-q', 'oicall'], { env });
    for (const f of FILES) assert.ok(!existsSync(f), `${f} left after remove`);
    assert.ok(!existsSync('/usr/share/oicall'));
    for (const f of CONFFILES) assert.ok(existsSync(f), `${f} kept by remove (a conffile)`);
    run('apt-get', ['purge', '-y', '-q', 'oicall'], { env });
    for (const f of CONFFILES) assert.ok(!existsSync(f), `${f} left after purge`);
    assert.ok(!known(), 'dpkg still knows oicall');
    // Janus's own files are untouched.
    assert.ok(readFileSync('/etc/janus/janus.jcfg', 'utf8').includes('plugins_folder'));
  });
});
