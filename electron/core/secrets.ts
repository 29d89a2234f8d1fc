import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { PuestaError } from '../../shared/errors.js';

/** Turns secrets into bytes only this machine/user can turn back. Provided by each shell. */
export interface SecretCipher {
  kind: string;
  /** true only when the OS keeps the key (Keychain, DPAPI, libsecret/kwallet). */
  secure: boolean;
  warning: string | null;
  encrypt(plain: string): Buffer;
  decrypt(data: Buffer): string;
}

/**
 * Browser shell / tests: AES-256-GCM with a 32-byte key read from an explicit key file
 * (created with mode 0600 when missing). Honest about what it is: not an OS keychain.
 */
export class KeyFileCipher implements SecretCipher {
  readonly kind = 'key-file';
  readonly secure = false;
  readonly warning: string;
  private readonly key: Buffer;

  constructor(readonly keyFile: string) {
    if (!existsSync(keyFile)) {
      writeFileSync(keyFile, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
    }
    chmodSync(keyFile, 0o600);
    const key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new PuestaError('SECRET_STORE_UNAVAILABLE', `The key file ${keyFile} does not hold a 32-byte base64 key.`);
    this.key = key;
    this.warning = `Secrets are encrypted with the key in ${keyFile}. Anyone who can read that file can read them: keep it private, and prefer the desktop app, which uses the OS keychain.`;
  }

  encrypt(plain: string): Buffer {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return Buffer.concat([Buffer.from('PK1'), iv, c.getAuthTag(), body]);
  }

  decrypt(data: Buffer): string {
    if (data.subarray(0, 3).toString() !== 'PK1') throw new PuestaError('SECRET_STORE_UNAVAILABLE', 'This secret was not written by the key-file store.');
    const iv = data.subarray(3, 15);
    const tag = data.subarray(15, 31);
    const d = createDecipheriv('aes-256-gcm', this.key, iv);
    d.setAuthTag(tag);
    try {
      return Buffer.concat([d.update(data.subarray(31)), d.final()]).toString('utf8');
    } catch {
      throw new PuestaError('SECRET_STORE_UNAVAILABLE', 'A secret could not be decrypted: the key file has changed since it was stored.');
    }
  }
}
