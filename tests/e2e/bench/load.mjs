// Load generator: raw Engine.IO/Socket.IO over WebSocket (cheaper than
// socket.io-client, so that the client is not what is measured).
//   node load.mjs URL CLIENTS SECONDS [EVENT PAYLOAD]
//       → "measuring" when the measured window starts, then JSON { acks, seconds, rate, p50, p99 }
//         (events are EVENT with PAYLOAD, default "echo" with { n }; %ID% in PAYLOAD: the client's number)
//   node load.mjs URL CLIENTS idle      → connects, prints "connected", waits for stdin to close
//   node load.mjs URL CLIENTS idle-eio  → the same with Engine.IO connections only (no Socket.IO CONNECT)
import WebSocket from 'ws';

const [url, clientsArg, mode, eventName = 'echo', payloadText] = process.argv.slice(2);
const clients = Number(clientsArg);
const engineOnly = mode === 'idle-eio';

function open(id) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/calls/?EIO=4&transport=websocket`);
    ws.on('error', reject);
    ws.on('message', (data) => {
      const text = data.toString();
      if (text[0] === '0') {
        if (engineOnly) resolve(ws);
        else ws.send('40');
      }
      else if (text === '2') ws.send('3');
      else if (text.startsWith('40')) resolve(ws);
      else ws.emit('sio', text);
    });
    ws.id = id;
  });
}

async function connectAll() {
  const sockets = [];
  for (let i = 0; i < clients; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, clients - i) }, (_, j) => open(i + j)));
    sockets.push(...batch);
  }
  return sockets;
}

const sockets = await connectAll();
if (mode === 'idle' || engineOnly) {
  process.stdout.write('connected\n');
  process.stdin.resume();
  process.stdin.on('end', () => { for (const s of sockets) s.terminate(); process.exit(0); });
} else {
  const seconds = Number(mode);
  const latencies = [];
  let running = true;
  let acks = 0;
  for (const ws of sockets) {
    let seq = 0;
    let sentAt = 0n;
    const fire = () => {
      if (!running) return;
      seq++;
      sentAt = process.hrtime.bigint();
      ws.send(`42${seq}["${eventName}",${payloadText?.replaceAll('%ID%', ws.id) ?? `{"n":${seq}}`}]`);
    };
    ws.on('sio', (text) => {
      if (!text.startsWith(`43${seq}[`)) return;
      acks++;
      latencies.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
      fire();
    });
    fire();
  }
  await new Promise((r) => setTimeout(r, 500));     // warm-up, not counted
  process.stdout.write('measuring\n');
  const start = process.hrtime.bigint();
  acks = 0;
  latencies.length = 0;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  running = false;
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
  process.stdout.write(`${JSON.stringify({ acks, seconds: elapsed, rate: acks / elapsed, p50: pct(0.5), p99: pct(0.99) })}\n`);
  for (const s of sockets) s.terminate();
  process.exit(0);
}
