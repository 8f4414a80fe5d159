// The reference: Node's socket.io 4.8 server with the equivalent echo
// handler (every acked event is answered like Janus's EchoTest answers).
// Usage: node reference-server.mjs HOST PORT
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const [host, port] = [process.argv[2] || '127.0.0.1', Number(process.argv[3] || 8601)];
const http = createServer();
const io = new Server(http, { path: '/calls', cors: { origin: '*' }, serveClient: false });
io.on('connection', (socket) => {
  socket.onAny((event, ...args) => {
    const cb = args[args.length - 1];
    if (typeof cb === 'function') cb({ echotest: 'event', result: 'ok' });
  });
});
// The benchmark asks for a collection before each memory reading (node --expose-gc).
process.on('message', (m) => { if (m === 'gc') { globalThis.gc?.(); process.send('collected'); } });
http.listen(port, host, () => process.send?.('ready'));
