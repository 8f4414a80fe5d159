// A tiny static file server for test pages, on 127.0.0.1 (a secure context
// for getUserMedia without any browser flag).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, extname, normalize } from 'node:path';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css' };

// serveStatic({ '/x.html': 'text', ... }, dir?) -> { url, close() }
export async function serveStatic(files = {}, dir = null) {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    let body = files[path];
    if (body === undefined && dir) {
      const file = normalize(join(dir, path));
      if (file.startsWith(dir)) body = await readFile(file).catch(() => undefined);
    }
    if (body === undefined) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': TYPES[extname(path)] || 'application/octet-stream' }).end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}
