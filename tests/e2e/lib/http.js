// Raw HTTP/1.x over a TCP socket, for what fetch hides: the exact bytes of
// an answer, Connection headers, pipelining, half-closed and aborted requests.
import net from 'node:net';

// Splits "HTTP/1.1 200 OK\r\nh: v\r\n\r\nbody" into its parts (the first answer only).
export function parseResponse(buffer) {
  const text = buffer.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  if (text.length < end + 4 + length) return null;
  return {
    status: Number(statusLine.split(' ')[1]), statusLine, headers,
    body: text.slice(end + 4, end + 4 + length), rest: buffer.subarray(end + 4 + length),
  };
}

/**
 * Opens a connection, writes the given chunks (strings or Buffers, each
 * after the previous was flushed), optionally half-closes, and collects
 * everything until the server closes, timeoutMs passes or, with
 * untilAnswers, that many complete answers arrived.
 * Resolves { data, closed, reset, answers } where answers are the parsed
 * responses in order.
 */
// sequential: each chunk goes once every earlier one was answered (keep-alive
// as browsers use it), instead of all at once (pipelined).
export function rawExchange(host, port, chunks, { halfClose = false, timeoutMs = 5000, abortAfterMs = null, untilAnswers = 0, localAddress,
  sequential = false } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, localAddress });
    const parts = [];
    let reset = false;
    let settled = false;
    const parse = () => {
      const answers = [];
      let rest = Buffer.concat(parts);
      for (let r = parseResponse(rest); r; r = parseResponse(rest)) { answers.push(r); rest = r.rest; }
      return answers;
    };
    const finish = (closed) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(parts), closed, reset, answers: parse() });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    let answered = () => {};
    socket.on('data', (d) => {
      parts.push(d);
      answered();
      if (untilAnswers && parse().length >= untilAnswers) finish(false);
    });
    socket.on('error', (e) => { reset = e.code === 'ECONNRESET' || e.code === 'EPIPE'; });
    socket.on('close', () => finish(true));
    socket.on('connect', async () => {
      const list = [].concat(chunks);
      for (let i = 0; i < list.length && !settled; i++) {
        if (sequential && i > 0 && parse().length < i) await new Promise((r) => { answered = () => { if (parse().length >= i) r(); }; });
        await new Promise((r) => socket.write(list[i], r));
      }
      if (halfClose) socket.end();
      if (abortAfterMs !== null) setTimeout(() => { socket.resetAndDestroy?.() ?? socket.destroy(); finish(false); }, abortAfterMs);
    });
  });
}

// A request's text: method, path, headers ({ name: value }), body.
export function request(method, path, { headers = {}, body = '', version = 'HTTP/1.1' } = {}) {
  const lines = [`${method} ${path} ${version}`, 'Host: oicall-test'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body && !Object.keys(headers).some((h) => /^(content-length|transfer-encoding)$/i.test(h))) {
    lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
