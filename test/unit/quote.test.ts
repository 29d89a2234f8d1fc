import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { raw, sh, shJoin, shq } from '../../electron/core/ssh/quote.js';
import { hostileStrings } from '../hosts/hostile.js';

describe('shq', () => {
  it('leaves safe words bare and quotes everything else', () => {
    expect(shq('abc')).toBe('abc');
    expect(shq('/srv/app/releases/2024-01-01_1')).toBe('/srv/app/releases/2024-01-01_1');
    expect(shq(42)).toBe('42');
    expect(shq(true)).toBe('true');
    expect(shq('')).toBe("''");
    expect(shq('a b')).toBe("'a b'");
    expect(shq("it's")).toBe("'it'\\''s'");
    expect(shq('$(id)')).toBe("'$(id)'");
    expect(shq('`id`')).toBe("'`id`'");
    expect(shq('*')).toBe("'*'");
    expect(shq('~')).toBe("'~'");
    expect(shq('a\nb')).toBe("'a\nb'");
  });

  it('quotes leading dashes and assignments', () => {
    expect(shq('-rf')).toBe("'-rf'");
    expect(shq('A=b')).toBe("'A=b'");
  });

  it('refuses NUL and lone surrogates instead of altering them', () => {
    expect(() => shq('a\0b')).toThrow(RangeError);
    expect(() => shq('\0')).toThrow(/NUL/);
    expect(() => shq('bad \uD800 surrogate')).toThrow(/surrogate/);
    expect(() => shq('\uDC00')).toThrow(RangeError);
    expect(shq('ok 🚀')).toBe("'ok 🚀'");
  });

  it('shJoin quotes every word; sh quotes every value, arrays as words, raw() verbatim', () => {
    expect(shJoin(['ls', '-l', 'a b'])).toBe("ls '-l' 'a b'");
    expect(sh`mkdir -p -- ${'/srv/a b'}`).toBe("mkdir -p -- '/srv/a b'");
    expect(sh`rm -f -- ${['x', "y'z"]}`).toBe("rm -f -- x 'y'\\''z'");
    expect(sh`${raw('echo $HOME')} && echo ${'$HOME'}`).toBe("echo $HOME && echo '$HOME'");
    expect(sh`n=${3}`).toBe('n=3');
    expect(() => sh`echo ${'a\0'}`).toThrow(RangeError);
  });

  it('round-trips the hostile strings through a local /bin/sh byte-identically', () => {
    const list = hostileStrings();
    expect(list.length).toBeGreaterThanOrEqual(200);
    const script = list.map((s) => `printf '%s\\0' ${shq(s)}`).join('\n');
    const r = spawnSync('/bin/sh', ['-c', script], { maxBuffer: 64 * 1024 * 1024 });
    expect(r.status).toBe(0);
    const got = r.stdout.toString('utf8').split('\0').slice(0, -1);
    expect(got).toEqual(list);
  });
});
