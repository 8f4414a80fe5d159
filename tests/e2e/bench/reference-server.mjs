// The reference: Node's socket.io 4.8 server with the equivalent echo
// handler (every acked event is answered like Janus's EchoTest answers) and
// oicall's register.
// Usage: node reference-server.mjs HOST PORT
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const [host, port] = [process.argv[2] || '127.0.0.1', Number(process.argv[3] || 8601)];
const http = createServer();
const io = new Server(http, { path: '/calls', cors: { origin: '*' }, serveClient: false });
// register: what a Node signalling server does for it (OIChat's kept a map of
// users to sockets): the user's previous socket hears "replaced" and goes.
const users = new Map();
io.on('connection', (socket) => {
  socket.on('register', (userId, cb) => {
    if (typeof cb !== 'function') return;
    if (typeof userId !== 'string' && typeof userId !== 'number') {
      cb({ error: 'userId: a string or a number is expected' });
      return;
    }
    const id = String(userId);
    const previous = users.get(id);
    if (previous && previous !== socket) {
      previous.emit('replaced', { reason: 'registered-elsewhere' });
      previous.disconnect(true);
    }
    users.set(id, socket);
    socket.data.userId = id;
    cb({ success: true, userId: id });
  });
  socket.on('disconnect', () => {
    if (users.get(socket.data.userId) === socket) users.delete(socket.data.userId);
  });
  socket.onAny((event, ...args) => {
    const cb = args[args.length - 1];
    if (event !== 'register' && typeof cb === 'function') cb({ echotest: 'event', result: 'ok' });
  });
});
// The benchmark asks for a collection before each memory reading (node --expose-gc).
process.on('message', (m) => { if (m === 'gc') { globalThis.gc?.(); process.send('collected'); } });
http.listen(port, host, () => process.send?.('ready'));
