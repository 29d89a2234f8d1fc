import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeCore } from '../helpers/core.js';
import { announceNow, pointSmtp, seedAudience, waitFor } from '../helpers/mail-fixture.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'mail-child.ts');
const N = 80;

function startChild(dataDir: string, env: Record<string, string> = {}): { proc: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, out: () => out, exited };
}

let smtp: TestSmtp | null = null;
let dataDir = '';
afterEach(async () => {
  await smtp?.close();
  smtp = null;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('kill -9 of the sending process mid-campaign', () => {
  it('after a restart every recipient got exactly one message, or is listed unknown with no duplicate', async () => {
    // A server that accepts slowly, so the kill lands with messages on the wire.
    smtp = await startSmtp({ behaviour: { delayMs: 40 } });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-crash-'));
    const seed = makeCore(dataDir);
    const { windowId, emails } = seedAudience(seed.core, N);
    pointSmtp(seed.core, smtp.port, { ratePerSecond: 500, maxConnections: 2 });
    announceNow(seed.core, windowId);
    await seed.core.close();

    const first = startChild(dataDir);
    await waitFor(() => smtp!.received.length >= 20, 30_000, '20 messages from the first process');
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const atKill = smtp.received.length;
    expect(atKill).toBeLessThan(N);
    // Let the server finish accepting whatever was already on the wire.
    await new Promise((r) => setTimeout(r, 300));

    const second = startChild(dataDir);
    await waitFor(() => second.out().includes('DONE'), 60_000, 'the second process to finish');
    expect(await second.exited).toBe(0);

    const check = makeCore(dataDir);
    try {
      const rows = check.core.db.prepare('SELECT email, state, message_id FROM outbox ORDER BY id').all() as { email: string; state: string; message_id: string }[];
      expect(rows).toHaveLength(N);
      expect(new Set(rows.map((r) => r.email))).toEqual(new Set(emails));
      const counts = smtp.countByMessageId();
      // No message ever reached the server twice.
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      expect(smtp.received.length).toBe(counts.size);
      const unknown = rows.filter((r) => r.state === 'unknown');
      for (const r of rows) {
        expect(['sent', 'unknown']).toContain(r.state);
        if (r.state === 'sent') expect(counts.get(r.message_id)).toBe(1);
        else expect(counts.get(r.message_id) ?? 0).toBeLessThanOrEqual(1);
      }
      // The kill caught some messages in flight (at most maxConnections × 8), now waiting for the operator.
      expect(unknown.length).toBeGreaterThanOrEqual(1);
      expect(unknown.length).toBeLessThanOrEqual(16);
      const delivered = unknown.filter((r) => counts.get(r.message_id) === 1).length;
      console.log(`crash test: ${atKill} delivered before the kill; ${unknown.length} unknown (${delivered} of them had reached the server, ${unknown.length - delivered} had not)`);
    } finally {
      await check.core.close();
    }
  });

  it('a message the server accepted whose "sent" was not yet written becomes unknown after the kill, and is not sent again', async () => {
    smtp = await startSmtp();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'puesta-crash-'));
    const seed = makeCore(dataDir);
    const { windowId } = seedAudience(seed.core, 60);
    pointSmtp(seed.core, smtp.port, { ratePerSecond: 1000, maxConnections: 2 });
    announceNow(seed.core, windowId);
    await seed.core.close();

    // The child kills itself right after the server's 250 for its 25th message, before recording it.
    const first = startChild(dataDir, { KILL_AFTER_ACCEPTED: '25' });
    expect(await first.exited).toBeNull();
    const killedAt = readFileSync(path.join(dataDir, 'killed-at'), 'utf8');
    await new Promise((r) => setTimeout(r, 200));
    const counts = () => smtp!.countByMessageId();
    expect(counts().get(killedAt)).toBe(1);

    const second = startChild(dataDir);
    await waitFor(() => second.out().includes('DONE'), 60_000, 'the second process to finish');
    expect(await second.exited).toBe(0);

    const check = makeCore(dataDir);
    try {
      const rows = check.core.db.prepare('SELECT state, message_id, last_error FROM outbox ORDER BY id').all() as { state: string; message_id: string; last_error: string | null }[];
      expect(rows).toHaveLength(60);
      const byId = new Map(rows.map((r) => [r.message_id, r]));
      // The accepted-but-unrecorded message waits for the operator: unknown, delivered once, not resent.
      expect(byId.get(killedAt)!.state).toBe('unknown');
      expect(byId.get(killedAt)!.last_error).toMatch(/may or may not have been delivered/);
      expect(counts().get(killedAt)).toBe(1);
      expect([...counts().values()].every((n) => n === 1)).toBe(true);
      for (const r of rows) expect(['sent', 'unknown']).toContain(r.state);
      const unknown = rows.filter((r) => r.state === 'unknown');
      expect(unknown.length).toBeLessThanOrEqual(16);
      // Everything else went out exactly once.
      expect(rows.filter((r) => r.state === 'sent').every((r) => counts().get(r.message_id) === 1)).toBe(true);
    } finally {
      await check.core.close();
    }
  });
});
