import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyFileCipher } from '../../electron/core/secrets.js';
import { describeSafeStorage, SafeStorageCipher, type SafeStorageLike } from '../../electron/main/safe-storage.js';
import { PuestaError } from '../../shared/errors.js';

/** A reversible stand-in for the OS store (the real one needs Electron). */
const xorStore: SafeStorageLike = {
  isEncryptionAvailable: () => true,
  encryptString: (s) => Buffer.from(Buffer.from(s, 'utf8').map((b) => b ^ 0x5a)),
  decryptString: (b) => {
    if (b.length === 0) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return Buffer.from(b.map((x) => x ^ 0x5a)).toString('utf8');
  },
};

describe('describeSafeStorage', () => {
  it('does not call the basic_text fallback secure', () => {
    const s = describeSafeStorage(true, 'linux', 'basic_text');
    expect(s).toMatchObject({ usable: true, secure: false, backend: 'basic_text' });
    expect(s.warning).toMatch(/keyring/i);
    expect(describeSafeStorage(true, 'linux', 'unknown').secure).toBe(false);
  });

  it('trusts libsecret and kwallet, Keychain and DPAPI', () => {
    for (const b of ['gnome_libsecret', 'kwallet', 'kwallet5', 'kwallet6']) expect(describeSafeStorage(true, 'linux', b)).toMatchObject({ secure: true, warning: null });
    expect(describeSafeStorage(true, 'darwin', undefined)).toMatchObject({ secure: true, backend: 'keychain' });
    expect(describeSafeStorage(true, 'win32', undefined)).toMatchObject({ secure: true, backend: 'dpapi' });
  });

  it('reports an unavailable store as unusable, with a warning', () => {
    const s = describeSafeStorage(false, 'linux', undefined);
    expect(s.usable).toBe(false);
    expect(s.secure).toBe(false);
    expect(s.warning).toMatch(/key file/);
  });
});

describe('SafeStorageCipher', () => {
  it('round-trips through the store and never keeps plaintext', () => {
    const c = new SafeStorageCipher(xorStore, describeSafeStorage(true, 'linux', 'gnome_libsecret'));
    expect(c).toMatchObject({ kind: 'safeStorage:gnome_libsecret', secure: true, warning: null });
    const data = c.encrypt('hunter2 — ñ');
    expect(data.includes(Buffer.from('hunter2'))).toBe(false);
    expect(c.decrypt(data)).toBe('hunter2 — ñ');
  });

  it('carries the insecure status through', () => {
    const c = new SafeStorageCipher(xorStore, describeSafeStorage(true, 'linux', 'basic_text'));
    expect(c.secure).toBe(false);
    expect(c.warning).toBeTruthy();
  });

  it('refuses to be built on an unusable store', () => {
    expect(() => new SafeStorageCipher(xorStore, describeSafeStorage(false, 'linux', undefined))).toThrow(PuestaError);
  });

  it('says plainly when a secret came from another store or cannot be decrypted', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'puesta-ss-'));
    try {
      const c = new SafeStorageCipher(xorStore, describeSafeStorage(true, 'darwin', undefined));
      const fromKeyFile = new KeyFileCipher(path.join(dir, 'k')).encrypt('x');
      expect(() => c.decrypt(fromKeyFile)).toThrow(/another secret store/);
      expect(() => c.decrypt(Buffer.from('SS1'))).toThrow(/could not decrypt/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
