/**
 * THE quoting function against a real sshd: ≥ 200 hostile strings travel as one word each
 * (as a command argument, as an environment value and inside the `sh` template) and arrive
 * byte-identical; none of their embedded commands runs (canary files stay absent).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh, shq, type SshTarget } from '../../electron/core/ssh/index.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { CANARY, CANARY_TMP, hostileStrings } from '../hosts/hostile.js';
import { startHosts, trustAll, type TestHosts } from '../hosts/index.js';

let hs: TestHosts;
let tc: TestCore;
let t: SshTarget;
const list = hostileStrings();
const sha = (s: string) => createHash('sha256').update(Buffer.from(s, 'utf8')).digest('hex');

beforeAll(async () => {
  hs = await startHosts({ count: 1 });
  tc = makeCore();
  const [row] = await trustAll(tc.core, hs.hosts);
  t = tc.core.inventory.servers.get(row!.serverId) as unknown as SshTarget;
  await hs.hosts[0]!.rootExec(`rm -f ${CANARY} ${CANARY_TMP}`);
});

afterAll(async () => {
  await tc?.cleanup();
  await hs?.stop();
});

async function inBatches<T>(items: T[], fn: (x: T, i: number) => Promise<void>, width = 8): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

describe('quoting through a real sshd', () => {
  it(`${list.length} hostile strings arrive byte-identical as one argument each`, async () => {
    expect(list.length).toBeGreaterThanOrEqual(200);
    const pool = tc.core.services.ssh;
    const bad: string[] = [];
    await inBatches(list, async (s) => {
      const r = await pool.exec(t, sh`set -- ${s}; printf '%s:' "$#"; printf '%s' "$1" | sha256sum; printf '%s' "$1" | wc -c`);
      const [count, rest] = r.stdout.split(':');
      const [digest, , bytes] = (rest ?? '').split(/\s+/);
      if (r.exitCode !== 0 || count !== '1' || digest !== sha(s) || Number(bytes) !== Buffer.byteLength(s)) bad.push(JSON.stringify([s, r.stdout, r.stderr, r.exitCode]));
    });
    expect(bad).toEqual([]);
  });

  it('they also arrive intact as environment values, working directories and via od', async () => {
    const pool = tc.core.services.ssh;
    const bad: string[] = [];
    await inBatches(list, async (s) => {
      const r = await pool.exec(t, 'printf %s "$PUESTA_HOSTILE" | sha256sum', { env: { PUESTA_HOSTILE: s } });
      if (r.stdout.split(' ')[0] !== sha(s)) bad.push(JSON.stringify(s));
    });
    expect(bad).toEqual([]);
    // exact bytes of a few, checked with od
    for (const s of list.slice(0, 40)) {
      const r = await pool.exec(t, `printf %s ${shq(s)} | od -An -v -tx1`);
      const hex = r.stdout.replace(/\s+/g, '');
      expect(hex).toBe(Buffer.from(s, 'utf8').toString('hex'));
    }
    // hostile directory names as cwd
    const dirs = list.filter((s) => s && !s.includes('/') && Buffer.byteLength(s) < 200 && s !== '.' && s !== '..').slice(0, 30);
    for (const d of dirs) {
      await pool.exec(t, sh`mkdir -p -- /srv/q/${d}`);
      const r = await pool.exec(t, 'pwd | sha256sum', { cwd: `/srv/q/${d}` });
      expect(r.stdout.split(' ')[0], JSON.stringify(d)).toBe(sha(`/srv/q/${d}\n`));
    }
  });

  it('nothing embedded in them ran', async () => {
    const h = hs.hosts[0]!;
    expect((await h.rootExec(`test -e ${CANARY}`)).code).not.toBe(0);
    expect((await h.rootExec(`test -e ${CANARY_TMP}`)).code).not.toBe(0);
    // the canary is creatable, so its absence means something
    await tc.core.services.ssh.exec(t, sh`touch -- ${CANARY}`);
    expect((await h.rootExec(`test -e ${CANARY}`)).code).toBe(0);
    await h.rootExec(`rm -f ${CANARY}`);
  });

  it('a NUL byte is refused before anything is sent', async () => {
    await expect(tc.core.services.ssh.exec(t, 'true', { env: { V: 'a\0b' } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(() => sh`echo ${'x\0y'}`).toThrow(RangeError);
  });
});
