// socket.io-client helpers and a raw Engine.IO client for protocol tests.
import { io } from 'socket.io-client';

// Connects and resolves once the Socket.IO CONNECT is acknowledged.
export function connect(url, opts = {}) {
  const socket = io(url, { path: '/calls', transports: ['polling', 'websocket'], reconnection: false,
    forceNew: true, timeout: 10000, ...opts });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => { socket.close(); reject(err); });
  });
}

export function emitAck(socket, event, payload, timeoutMs = 10000) {
  return socket.timeout(timeoutMs).emitWithAck(event, payload);
}

export function nextEvent(socket, event, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { socket.off(event, on); reject(new Error(`no ${event} within ${timeoutMs} ms`)); }, timeoutMs);
    const on = (payload) => { clearTimeout(timer); resolve(payload); };
    socket.once(event, on);
  });
}

export function waitFor(predicate, { timeoutMs = 10000, intervalMs = 50, what = 'condition' } = {}) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const check = async () => {
      let value;
      try { value = await predicate(); } catch (e) { value = undefined; }
      if (value) return resolve(value);
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(check, intervalMs);
    };
    check();
  });
}

// A bare Engine.IO v4 long-polling client: every request and answer is visible.
export class RawPolling {
  constructor(baseUrl, path = '/calls') { this.base = `${baseUrl}${path}/`; this.sid = null; }

  url(extra = '') {
    return `${this.base}?EIO=4&transport=polling${this.sid ? `&sid=${this.sid}` : ''}${extra}`;
  }

  async open() {
    const res = await fetch(this.url());
    const text = await res.text();
    if (res.status !== 200 || text[0] !== '0') throw new Error(`handshake failed: ${res.status} ${text}`);
    this.handshake = JSON.parse(text.slice(1));
    this.sid = this.handshake.sid;
    return this.handshake;
  }

  async post(body, headers = {}) {
    const res = await fetch(this.url(), { method: 'POST', body, headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers } });
    return { status: res.status, text: await res.text() };
  }

  async get(signal) {
    const res = await fetch(this.url(), { signal });
    return { status: res.status, text: await res.text() };
  }

  // Socket.IO CONNECT on "/" and wait for its answer.
  async connectSocketIO() {
    await this.post('40');
    for (;;) {
      const { text } = await this.get();
      const packets = text.split('\x1e');
      const answer = packets.find((p) => p.startsWith('40') || p.startsWith('44'));
      if (answer) return answer;
    }
  }
}
