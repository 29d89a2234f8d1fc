// Regenerates build/icon.png (512×512) from the same shapes as build/icon.svg.
// node build/make-icon.mjs — no dependencies (PNG written with zlib).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const S = 512;
const dir = path.dirname(fileURLToPath(import.meta.url));

function segDist(px, py, ax, ay, bx, by) {
  const dx = bx - ax, dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}
function roundRectDist(px, py, x, y, w, h, r) {
  const qx = Math.abs(px - (x + w / 2)) - (w / 2 - r);
  const qy = Math.abs(py - (y + h / 2)) - (h / 2 - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}
function sample(x, y) {
  // [r,g,b,a]
  if (roundRectDist(x, y, 32, 32, 448, 448, 96) > 0) return [0, 0, 0, 0];
  const t = (x + y) / (2 * S);
  const bg = [Math.round(15 + t * 2), Math.round(118 - t * 40), Math.round(110 - t * 30), 255];
  const chevron = Math.min(segDist(x, y, 156, 280, 256, 180), segDist(x, y, 256, 180, 356, 280)) - 24;
  const bar = segDist(x, y, 150, 352, 362, 352) - 22;
  if (chevron <= 0 || bar <= 0) return [255, 255, 255, 255];
  return bg;
}

const raw = Buffer.alloc(S * (S * 4 + 1));
const N = 4;
for (let y = 0; y < S; y++) {
  raw[y * (S * 4 + 1)] = 0;
  for (let x = 0; x < S; x++) {
    const acc = [0, 0, 0, 0];
    for (let i = 0; i < N; i++)
      for (let j = 0; j < N; j++) {
        const c = sample(x + (i + 0.5) / N, y + (j + 0.5) / N);
        const a = c[3] / 255;
        acc[0] += c[0] * a; acc[1] += c[1] * a; acc[2] += c[2] * a; acc[3] += c[3];
      }
    const o = y * (S * 4 + 1) + 1 + x * 4;
    const alpha = acc[3] / (N * N);
    const w = acc[3] / 255 || 1;
    raw[o] = Math.round(acc[0] / w); raw[o + 1] = Math.round(acc[1] / w); raw[o + 2] = Math.round(acc[2] / w); raw[o + 3] = Math.round(alpha);
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
  return Buffer.concat([len, td, c]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(S, 0); ihdr.writeUInt32BE(S, 4); ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
writeFileSync(path.join(dir, 'icon.png'), png);
console.log(`build/icon.png: ${png.length} bytes`);
