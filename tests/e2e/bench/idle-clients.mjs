// Idle registered sockets for tests/e2e/bench/idle.mjs: raw Engine.IO/Socket.IO
// over WebSocket (socket.io-client would cost more than the server measured).
//   node idle-clients.mjs URL FIRST COUNT
// Opens COUNT sockets, registers each as its own user (idle-FIRST, ...), prints "registered", then
// answers every ping; "report" on stdin prints a JSON summary and exits.
import WebSocket from 'ws';
import { createInterface } from 'node:readline';

const [url, firstArg, countArg] = process.argv.slice(2);
const first = Number(firstArg);
const count = Number(countArg);
const pings = new Uint32Array(count);
let closed = 0;
let errors = 0;
const sockets = [];

function open(i) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/calls/?EIO=4&transport=websocket`);
    let registered = false;
    ws.on('error', (e) => { errors++; if (!registered) reject(e); });
    ws.on('close', () => { if (registered) closed++; });
    ws.on('message', (data) => {
      const text = data.toString();
      if (text === '2') { pings[i]++; ws.send('3'); }
      else if (text[0] === '0') ws.send('40');
      else if (text.startsWith('40')) ws.send(`421["register","idle-${first + i}"]`);
      else if (text.startsWith('431')) {
        if (!text.includes('"success":true')) reject(new Error(`register ${i}: ${text}`));
        registered = true;
        resolve(ws);
      }
    });
  });
}

const started = Date.now();
for (let i = 0; i < count; i += 100)
  sockets.push(...await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => open(i + j))));
process.stdout.write(`registered ${JSON.stringify({ seconds: (Date.now() - started) / 1000 })}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'progress') {
    let min = Infinity, total = 0;
    for (const p of pings) { min = Math.min(min, p); total += p; }
    process.stdout.write(`progress ${JSON.stringify({ minPings: min, maxPings: 0, totalPings: total, closed, errors })}\n`);
  } else if (line === 'report') {
    let min = Infinity, max = 0, total = 0;
    for (const p of pings) { min = Math.min(min, p); max = Math.max(max, p); total += p; }
    process.stdout.write(`report ${JSON.stringify({ minPings: min, maxPings: max, totalPings: total, closed, errors })}\n`);
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});
