import { describe, expect, it } from 'vitest';
import { parseFacts } from '../../electron/core/ssh/facts.js';
import { algorithmsForKeyType, fingerprintOfBlob, keyTypeOfBlob } from '../../electron/core/ssh/connection.js';
import { buildRemoteCommand, killGroupCommand, sha256Command } from '../../electron/core/ssh/remote-command.js';

describe('buildRemoteCommand', () => {
  it('sends a plain command as is, like ssh host cmd', () => {
    expect(buildRemoteCommand('ls -l /srv', {})).toBe('ls -l /srv');
  });
  it('quotes cwd and env and evals the quoted command', () => {
    expect(buildRemoteCommand('echo "$A"', { cwd: "/srv/a b", env: { A: "x'y" } })).toBe(`cd -- '/srv/a b' && export 'A=x'\\''y' && eval 'echo "$A"'`);
  });
  it('under sudo prints the session pid first and runs /bin/sh -c through sudo -n', () => {
    expect(buildRemoteCommand('id -u', { sudo: true, env: { B: '1' } })).toBe(`printf '%s\\n' "$$" && exec sudo -n -- env -- 'B=1' /bin/sh -c 'id -u'`);
    expect(buildRemoteCommand('id', { sudo: { user: 'www-data' } })).toBe(`printf '%s\\n' "$$" && exec sudo -n -u www-data -- /bin/sh -c id`);
  });
  it('refuses invalid env names and NUL', () => {
    expect(() => buildRemoteCommand('true', { env: { 'A B': 'x' } })).toThrow(/not a valid environment variable/);
    expect(() => buildRemoteCommand('true', { cwd: 'a\0b' })).toThrow(RangeError);
  });
});

describe('the engine\'s own command lines', () => {
  it('kills a sudo process group as root, the pgid as a negative operand after --', () => {
    expect(killGroupCommand('TERM', 4242)).toBe('sudo -n kill -TERM -- -4242 2>/dev/null; true');
    expect(killGroupCommand('KILL', 7)).toBe('sudo -n kill -KILL -- -7 2>/dev/null; true');
  });
  it('quotes the path of a remote checksum', () => {
    expect(sha256Command("/srv/a b/it's.tgz")).toBe(`sha256sum -- '/srv/a b/it'\\''s.tgz'`);
    expect(sha256Command('/srv/-x')).toBe('sha256sum -- /srv/-x');
  });
});

describe('host key helpers', () => {
  it('reads the key type and the OpenSSH SHA-256 fingerprint of a key blob', () => {
    // ssh-ed25519 public key blob: string "ssh-ed25519" + string(32 bytes)
    const blob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 7)]);
    expect(keyTypeOfBlob(blob)).toBe('ssh-ed25519');
    expect(fingerprintOfBlob(blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(keyTypeOfBlob(Buffer.from([0, 0]))).toBe('unknown');
    expect(algorithmsForKeyType('ssh-rsa')).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
  });
});

describe('parseFacts', () => {
  it('parses the facts script output', () => {
    const out = [
      '@@kernel',
      'Linux 6.1.0-18-amd64',
      '@@hostname',
      'web-1',
      '@@os',
      'Debian GNU/Linux 12 (bookworm)',
      '@@uptime',
      '93784.12 180000.00',
      ' 10:00:00 up 1 day,  2:03,  0 users,  load average: 0.00, 0.01, 0.05',
      '@@disk',
      'Filesystem 1-blocks Used Available Capacity Mounted on',
      '/dev/sda1 100000 40000 60000 40% /',
      '/dev/sda1 100000 40000 60000 40% /',
      '/dev/sdb1 500 100 400 20% /srv',
      '@@mem',
      'MemTotal:        2048 kB',
      'MemAvailable:    1024 kB',
      '@@sudo',
      'yes',
    ].join('\n');
    const f = parseFacts(out);
    expect(f).toMatchObject({ kernel: 'Linux 6.1.0-18-amd64', hostname: 'web-1', os: 'Debian GNU/Linux 12 (bookworm)', uptimeSeconds: 93784, sudo: true });
    expect(f.uptime).toContain('up 1 day');
    expect(f.disk).toEqual([
      { mount: '/', sizeBytes: 100000, usedBytes: 40000, availableBytes: 60000 },
      { mount: '/srv', sizeBytes: 500, usedBytes: 100, availableBytes: 400 },
    ]);
    expect(f.memory).toEqual({ totalBytes: 2048 * 1024, availableBytes: 1024 * 1024 });
  });
});
