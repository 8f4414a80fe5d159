// Network conditions inside the test's namespace (tests/e2e/netns-run.sh,
// as root): random loss of RTP/RTCP with iptables, and a real delay with
// tools/nfq-delay.c behind an NFQUEUE rule, since this kernel has no netem.
// Everything between Chromium and Janus goes over local addresses, so it
// crosses OUTPUT and INPUT once per direction: a delay on OUTPUT adds twice
// its value to every round trip, and a drop on INPUT hits both directions.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './janus.js';

const IPTABLES = ['/usr/sbin/iptables', '/sbin/iptables'].find((p) => existsSync(p)) ?? 'iptables';
// RTP and RTCP only (version bits 2 in the first byte of the UDP payload), not STUN or DTLS.
const RTP_OR_RTCP = ['-m', 'u32', '--u32', '0>>22&0x3C@8>>30=2'];

function iptables(...args) {
  execFileSync(IPTABLES, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

// Whether this process can change the namespace's netfilter rules (root in netns-run.sh's namespace).
export function canShapeTraffic() {
  if (!process.env.OICALL_NETNS) return false;
  try {
    iptables('-S', 'INPUT');
    return true;
  } catch {
    return false;
  }
}

// Adds an INPUT rule; returns remove().
function inputRule(rule) {
  iptables('-A', 'INPUT', ...rule);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    iptables('-D', 'INPUT', ...rule);
  };
}

// Drops RTP/RTCP packets at random with that probability (both directions); returns remove().
export function addLoss(probability) {
  return inputRule(['-p', 'udp', ...RTP_OR_RTCP, '-m', 'statistic', '--mode', 'random',
    '--probability', String(probability), '-j', 'DROP']);
}

// Drops the RTP packets of one SSRC (either direction) with that probability; returns remove().
export function addSsrcLoss(ssrc, probability) {
  return inputRule(['-p', 'udp', '-m', 'u32', '--u32', `0>>22&0x3C@8>>30=2&&0>>22&0x3C@16=${ssrc >>> 0}`,
    ...(probability < 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', String(probability)] : []), '-j', 'DROP']);
}

// Holds every UDP packet delayMs once per direction (round trips grow by 2 x delayMs);
// resolves with stop() once the delay is in place.
export async function addDelay(delayMs, queue = 7) {
  const dir = mkdtempSync(join(tmpdir(), 'oicall-nfq-'));
  const tool = join(dir, 'nfq-delay');
  execFileSync('gcc', ['-O2', '-Wall', '-o', tool, join(ROOT, 'tests/e2e/tools/nfq-delay.c')]);
  // --queue-bypass: packets pass undelayed whenever no program holds the queue.
  const rule = ['OUTPUT', '-p', 'udp', '-j', 'NFQUEUE', '--queue-num', String(queue), '--queue-bypass'];
  const proc = spawn(tool, [String(queue), String(delayMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((r) => proc.on('exit', r));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nfq-delay did not start: ${output}`)), 5000);
    proc.stdout.on('data', () => { if (output.includes('ready')) { clearTimeout(timer); resolve(); } });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`nfq-delay exited (${code}): ${output}`)); });
  });
  iptables('-A', ...rule);
  let stopped = null;
  return () => (stopped ??= (async () => {
    iptables('-D', ...rule);
    proc.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    return output;
  })());
}
