/**
 * Raw HTTP requests for the browser-shell fuzz: bytes a well-behaved client library refuses to send
 * (NUL, invalid UTF-8, bad percent-escapes, overlong lines) written straight to a loopback socket.
 */
import net from 'node:net';

export interface RawAnswer {
  /** The HTTP status, or null when the connection ended without a status line (or timed out). */
  status: number | null;
  head: string;
  body: string;
}

/** Sends one request (already serialised) and reads the answer until the server closes. */
export function rawRequest(port: number, request: Buffer, timeoutMs = 5_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const sock = net.connect(port, '127.0.0.1');
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      const split = text.indexOf('\r\n\r\n');
      resolve({ status: m ? Number(m[1]) : null, head: split < 0 ? text : text.slice(0, split), body: split < 0 ? '' : text.slice(split + 4) });
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.on('data', (d) => {
      chunks.push(d);
      // An event stream stays open by design: its head is the answer.
      if (/^content-type: text\/event-stream/im.test(Buffer.concat(chunks).toString('latin1').split('\r\n\r\n')[0]!)) finish();
    });
    sock.on('end', finish);
    sock.on('close', finish);
    sock.on('error', finish);
    sock.write(request);
  });
}

/** A request line plus headers (values are latin1 bytes, so any byte can be sent) and a body. */
export function serialise(method: string, target: string, headers: [string, string][], body = ''): Buffer {
  const bodyBytes = Buffer.from(body, 'latin1');
  const lines = [`${method} ${target} HTTP/1.1`, ...headers.map(([k, v]) => `${k}: ${v}`), 'Connection: close'];
  if (body) lines.push(`Content-Length: ${bodyBytes.length}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), bodyBytes]);
}

/** A small seeded PRNG (mulberry32): a failing fuzz case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pieces of paths, cookies and header values: bad escapes, traversal, separators, non-ASCII. */
const ATOMS = [
  '/', '//', '..', '.', '%', '%E0%A4%A', '%ZZ', '%00', '%C0%AF', '%2e%2e', '%2F', '%25', '%FF%FE', '%u0041', '%%', '%E2%82',
  'api', 'api/', 'events', 'system.info', 'servers.list', 'index.html', 'assets', '?token=', '?', '&', '=', '#', ';', ',',
  '\\', '"', "'", '<', '>', '{', '|', '`', 'A'.repeat(300),
] as const;
/** Invalid UTF-8 and latin1 bytes: fine in header values, refused by Node's parser in a path. */
const HIGH = ['é', '\xff\xfe', '\xc3\x28', '\xe2\x82', '\xf0\x9f\x98'] as const;
/** Bytes HTTP forbids there (NUL, controls, spaces): mostly refused by Node's parser, so used in a few requests only. */
const RAW = ['\x00', '\x01', '\x7f', ' ', '\t', '\r', '\n'] as const;

/** One malformed request: random path, cookie and headers, with a valid Host most of the time (to get past the first check). */
export function fuzzRequest(rand: () => number, port: number, token: string): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const raw = rand() < 0.1;
  const atom = (inPath: boolean) => {
    const r = rand();
    if (raw && r < 0.3) return pick(RAW);
    if (r > 0.85 && (raw || !inPath)) return pick(HIGH);
    return pick(ATOMS);
  };
  const junk = (max: number, inPath = false) => Array.from({ length: 1 + Math.floor(rand() * max) }, () => atom(inPath)).join('');
  const overlong = rand() < 0.02 ? '/' + 'x%'.repeat(4000 + Math.floor(rand() * 8000)) : null;
  const path = overlong ?? (rand() < 0.5 ? '/api/' : '/') + junk(8, true);
  const headers: [string, string][] = [];
  const r = rand();
  headers.push(['Host', r < 0.85 ? `127.0.0.1:${port}` : r < 0.92 ? `localhost:${port}` : junk(3)]);
  if (rand() < 0.7) headers.push(['Cookie', pick([`puesta_token=${junk(4)}`, `a=${junk(2)}; puesta_token=${junk(4)}`, 'puesta_token', `puesta_token=${token}${junk(1)}`, junk(5), `puesta_token=${encodeURIComponent(token)}`])]);
  if (rand() < 0.4) headers.push(['Authorization', pick([`Bearer ${junk(3)}`, `Bearer ${token}`, junk(3)])]);
  if (rand() < 0.2) headers.push(['Origin', pick([`http://127.0.0.1:${port}`, 'http://evil.example', junk(2), 'null'])]);
  if (rand() < 0.3) headers.push([pick(['X-Junk', 'Referer', 'Accept', 'Content-Type', 'If-None-Match']), junk(4)]);
  const method = pick(['GET', 'GET', 'POST', 'POST', 'HEAD', 'PUT', 'OPTIONS', 'DELETE', 'BREW']);
  return serialise(method, path, headers, method === 'POST' ? pick(['{}', '{nope', junk(3), '', '[]', 'null']) : '');
}
