// Debian's Prometheus server, started by a test inside its namespace with a
// config of its own in a temp dir (scraping one target every second), and
// its HTTP query API; and promtool's check of a metrics page.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './sio.js';

export async function startPrometheus(target, metricsPath = '/metrics') {
  const dir = mkdtempSync(join(tmpdir(), 'oicall-prometheus-'));
  writeFileSync(join(dir, 'prometheus.yml'), `global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: oicall
    metrics_path: ${metricsPath}
    static_configs:
      - targets: ['${target}']
`);
  const port = 9090 + (process.pid % 500);
  const proc = spawn('/usr/bin/prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => proc.on('exit', r));
  const url = `http://127.0.0.1:${port}`;
  const prom = {
    url,
    // The value of an instant query with one series, a number (null if no series).
    async value(query) {
      const res = await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`)).json();
      if (res.status !== 'success') throw new Error(`${query}: ${JSON.stringify(res)}`);
      if (res.data.result.length > 1) throw new Error(`${query}: ${res.data.result.length} series`);
      return res.data.result.length ? Number(res.data.result[0].value[1]) : null;
    },
    // Waits until the query's value satisfies check (Prometheus scrapes every second).
    async until(query, check, what) {
      let last;
      try {
        await waitFor(async () => check(last = await prom.value(query)), { timeoutMs: 20000, intervalMs: 250, what });
      } catch (e) {
        throw new Error(`${what}: ${query} is ${last}`);
      }
      return last;
    },
    async stop() {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, { timeoutMs: 30000, what: 'prometheus ready' });
  } catch (e) {
    await prom.stop();
    throw new Error(`${e.message}\n${stderr}`);
  }
  return prom;
}

// promtool's verdict on a metrics page: { status, output }.
export function promtoolCheck(text) {
  const r = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
