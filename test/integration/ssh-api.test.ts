/**
 * The SSH API through `dispatch` (as the UI calls it): the host-key trust flow, connection facts,
 * secrets that are never returned, and ad-hoc commands streamed as events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName } from '../../shared/contract/index.js';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { startHosts, type TestHosts } from '../hosts/index.js';

let hs: TestHosts;
let tc: TestCore;
const ids: number[] = [];

beforeAll(async () => {
  hs = await startHosts({ count: 2 });
  tc = makeCore();
  for (const h of hs.hosts) {
    const s = await call(tc.core, 'servers.create', { name: h.name, host: h.host, port: h.port, user: h.user, auth: 'key', keyPath: h.keyPath });
    ids.push(s.id);
  }
});

afterAll(async () => {
  await tc?.cleanup();
  await hs?.stop();
});

describe('trust flow', () => {
  it('testConnection on an unknown key answers HOST_KEY_UNKNOWN with the fingerprint; trusting it pins it (audited)', async () => {
    const h = hs.hosts[0]!;
    const e = await fails(tc.core, 'servers.testConnection', { id: ids[0]! });
    expect(e.code).toBe('HOST_KEY_UNKNOWN');
    expect(e.details).toMatchObject({ fingerprint: h.fingerprint, keyType: 'ssh-ed25519', host: h.host, port: h.port });
    expect(e.message).toContain('ssh-keygen -lf');

    // a fingerprint the server does not present is refused
    const wrong = await fails(tc.core, 'servers.trustHostKey', { id: ids[0]!, fingerprint: 'SHA256:' + 'A'.repeat(43) });
    expect(wrong.code).toBe('PRECONDITION_FAILED');
    expect((await call(tc.core, 'servers.hostKeys', { id: ids[0]! })).items).toEqual([]);

    const t = await call(tc.core, 'servers.trustHostKey', { id: ids[0]!, fingerprint: h.fingerprint });
    expect(t.pinned.fingerprint).toBe(h.fingerprint);
    expect(t.replaced).toBeNull();
    const audit = tc.core.audit.list({ entity: 'servers', entityId: ids[0], limit: 10, offset: 0 }).items;
    expect(audit.some((a) => a.action === 'hostkey.trust')).toBe(true);

    const facts = await call(tc.core, 'servers.testConnection', { id: ids[0]! });
    expect(facts.fingerprint).toBe(h.fingerprint);
    // a measured round trip (its size is the ssh bench's business)
    expect(facts.latencyMs).toBeGreaterThan(0);
    expect(facts.kernel).toMatch(/^Linux /);
    expect(facts.os).toMatch(/Debian|Linux/);
    expect(facts.sudo).toBe(true);
    expect((facts.memory as { totalBytes: number }).totalBytes).toBeGreaterThan(1024 * 1024);
    const disk = facts.disk as { mount: string; sizeBytes: number }[];
    expect(disk.find((d) => d.mount === '/')?.sizeBytes).toBeGreaterThan(0);
  });

  it('a changed key is refused until the pin is deliberately replaced (replace:true, audited before/after)', async () => {
    const h = hs.hosts[1]!;
    await call(tc.core, 'servers.trustHostKey', { id: ids[1]!, fingerprint: h.fingerprint });
    const old = h.fingerprint;
    await h.regenerateHostKey();
    const e = await fails(tc.core, 'servers.testConnection', { id: ids[1]! });
    expect(e.code).toBe('HOST_KEY_CHANGED');
    expect(e.details).toMatchObject({ fingerprint: h.fingerprint });
    const noReplace = await fails(tc.core, 'servers.trustHostKey', { id: ids[1]!, fingerprint: h.fingerprint });
    expect(noReplace.code).toBe('HOST_KEY_CHANGED');
    const r = await call(tc.core, 'servers.trustHostKey', { id: ids[1]!, fingerprint: h.fingerprint, replace: true });
    expect(r.replaced?.fingerprint).toBe(old);
    const a = tc.core.audit.list({ entity: 'servers', entityId: ids[1], limit: 10, offset: 0 }).items.find((x) => x.action === 'hostkey.replace')!;
    expect(a.before).toMatchObject({ fingerprint: old });
    expect(a.after).toMatchObject({ fingerprint: h.fingerprint });
    expect((await call(tc.core, 'servers.testConnection', { id: ids[1]! })).fingerprint).toBe(h.fingerprint);
  });
});

describe('secrets', () => {
  it('are stored, reported as present, never returned, and cleared', async () => {
    await call(tc.core, 'servers.setSecret', { id: ids[0]!, kind: 'passphrase', value: 'hunter2 secret' });
    const st = await call(tc.core, 'servers.secretStatus', { id: ids[0]! });
    expect(st).toEqual({ password: false, passphrase: true });
    expect(JSON.stringify(st)).not.toContain('hunter2');
    const audit = tc.core.audit.list({ entity: 'servers', entityId: ids[0], limit: 50, offset: 0 }).items;
    expect(JSON.stringify(audit)).not.toContain('hunter2');
    expect(audit.some((a) => a.action === 'secret.set')).toBe(true);
    expect(await call(tc.core, 'servers.clearSecret', { id: ids[0]!, kind: 'passphrase' })).toEqual({ cleared: true });
    expect(await call(tc.core, 'servers.secretStatus', { id: ids[0]! })).toEqual({ password: false, passphrase: false });
  });
});

describe('ssh.exec', () => {
  function collect() {
    const got: { event: EventName; payload: Record<string, unknown> }[] = [];
    const off = tc.core.events.subscribe((event, payload) => got.push({ event, payload: payload as Record<string, unknown> }));
    return { got, off };
  }
  const until = async (fn: () => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!fn() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return fn();
  };

  it('streams per-host output and exit events for several servers', async () => {
    const { got, off } = collect();
    const { execId } = await call(tc.core, 'ssh.exec', { serverIds: ids, command: 'hostname -I 2>/dev/null; echo "from $(id -un)"; echo warn >&2; exit 4' });
    expect(await until(() => got.filter((g) => g.event === 'ssh.exit' && g.payload.execId === execId).length === 2)).toBe(true);
    off();
    for (const id of ids) {
      const out = got.filter((g) => g.event === 'ssh.output' && g.payload.serverId === id && g.payload.execId === execId);
      expect(out.map((o) => o.payload.seq)).toEqual(out.map((_, i) => i));
      expect(out.filter((o) => o.payload.stream === 'stdout').map((o) => o.payload.text).join('')).toContain(`from ${hs.hosts[0]!.user}`);
      expect(out.filter((o) => o.payload.stream === 'stderr').map((o) => o.payload.text).join('')).toBe('warn\n');
      const exit = got.find((g) => g.event === 'ssh.exit' && g.payload.serverId === id)!;
      expect(exit.payload).toMatchObject({ exitCode: 4, signal: null });
      expect(exit.payload.error).toBeUndefined();
    }
    expect(tc.core.audit.list({ limit: 20, offset: 0 }).items.some((a) => a.action === 'ssh.exec')).toBe(true);
  });

  it('ssh.cancel stops the command on every server; failures arrive as exit errors', async () => {
    const { got, off } = collect();
    const { execId } = await call(tc.core, 'ssh.exec', { serverIds: ids, command: 'echo started; sleep 30' });
    expect(await until(() => got.filter((g) => g.event === 'ssh.output' && g.payload.execId === execId).length === 2)).toBe(true);
    expect(await call(tc.core, 'ssh.cancel', { execId })).toEqual({ cancelled: true });
    expect(await until(() => got.filter((g) => g.event === 'ssh.exit' && g.payload.execId === execId).length === 2, 8000)).toBe(true);
    off();
    for (const g of got.filter((x) => x.event === 'ssh.exit')) expect((g.payload.error as { code: string }).code).toBe('CANCELLED');
    expect(await call(tc.core, 'ssh.cancel', { execId })).toEqual({ cancelled: false });

    // an unreachable server reports its error in ssh.exit (the others still run)
    await hs.hosts[1]!.stop();
    const c2 = collect();
    const r2 = await call(tc.core, 'ssh.exec', { serverIds: ids, command: 'echo ok' });
    expect(await until(() => c2.got.filter((g) => g.event === 'ssh.exit' && g.payload.execId === r2.execId).length === 2)).toBe(true);
    c2.off();
    const e1 = c2.got.find((g) => g.event === 'ssh.exit' && g.payload.serverId === ids[1])!;
    expect(['SSH_ERROR', 'SSH_CONNECTION_LOST']).toContain((e1.payload.error as { code: string }).code);
    expect((e1.payload.error as { message: string }).message).toContain(hs.hosts[1]!.name);
    const e0 = c2.got.find((g) => g.event === 'ssh.exit' && g.payload.serverId === ids[0])!;
    expect(e0.payload).toMatchObject({ exitCode: 0 });
    await hs.hosts[1]!.start();
  });

  it('rejects bad input through the contract', async () => {
    expect((await fails(tc.core, 'ssh.exec', { serverIds: [], command: 'true' })).code).toBe('INVALID_INPUT');
    expect((await fails(tc.core, 'ssh.exec', { serverIds: [ids[0]], command: '   ' })).code).toBe('INVALID_INPUT');
    expect((await fails(tc.core, 'ssh.exec', { serverIds: [99999], command: 'true' })).code).toBe('NOT_FOUND');
    expect((await fails(tc.core, 'servers.trustHostKey', { id: ids[0]!, fingerprint: 'md5:aa' })).code).toBe('INVALID_INPUT');
  });
});
