/**
 * Secrets in the desktop shell: Electron's `safeStorage` (Keychain on macOS, DPAPI on Windows,
 * libsecret/kwallet on Linux) behind core's `SecretCipher` interface.
 *
 * On Linux, when no keyring is reachable Chromium falls back to the `basic_text` backend: the
 * key is a constant baked into Chromium, i.e. obfuscation, not protection. We still use it
 * (secrets stay out of plain sight) but report `secure: false` with a plain warning instead of
 * pretending. Only a type is imported from electron, so this file is unit-tested under Node.
 */
import type { SafeStorage } from 'electron';
import { PuestaError } from '../../shared/errors.js';
import type { SecretCipher } from '../core/secrets.js';

/** The part of Electron's safeStorage we use. */
export type SafeStorageLike = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'> &
  Partial<Pick<SafeStorage, 'getSelectedStorageBackend'>>;

export interface SafeStorageStatus {
  /** safeStorage can encrypt at all (false → the shell falls back to a key file). */
  usable: boolean;
  secure: boolean;
  backend: string;
  warning: string | null;
}

const INSECURE_LINUX_BACKENDS = new Set(['basic_text', 'unknown']);

/** What the OS offers, decided from safeStorage's answers (call after app 'ready'). */
export function describeSafeStorage(available: boolean, platform: NodeJS.Platform, backend: string | undefined): SafeStorageStatus {
  if (!available) {
    return {
      usable: false,
      secure: false,
      backend: backend ?? 'none',
      warning: 'The operating system offers no secret storage to this app, so secrets are kept with a key file in the data folder instead. Anyone who can read that folder can read them.',
    };
  }
  if (platform === 'linux') {
    const b = backend ?? 'unknown';
    if (INSECURE_LINUX_BACKENDS.has(b)) {
      return {
        usable: true,
        secure: false,
        backend: b,
        warning:
          'No desktop keyring (GNOME Keyring / KWallet) is available, so secrets are only obfuscated with a fixed key, not protected. Start a keyring (or log in to a desktop session that has one) and store the secrets again.',
      };
    }
    return { usable: true, secure: true, backend: b, warning: null };
  }
  return { usable: true, secure: true, backend: platform === 'darwin' ? 'keychain' : platform === 'win32' ? 'dpapi' : (backend ?? 'os'), warning: null };
}

const MAGIC = Buffer.from('SS1');

export class SafeStorageCipher implements SecretCipher {
  readonly kind: string;
  readonly secure: boolean;
  readonly warning: string | null;

  constructor(
    private readonly storage: SafeStorageLike,
    status: SafeStorageStatus,
  ) {
    if (!status.usable) throw new PuestaError('SECRET_STORE_UNAVAILABLE', status.warning ?? 'The OS secret storage is not available.');
    this.kind = `safeStorage:${status.backend}`;
    this.secure = status.secure;
    this.warning = status.warning;
  }

  encrypt(plain: string): Buffer {
    return Buffer.concat([MAGIC, this.storage.encryptString(plain)]);
  }

  decrypt(data: Buffer): string {
    if (data.length < MAGIC.length || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new PuestaError('SECRET_STORE_UNAVAILABLE', 'This secret was stored by another secret store (e.g. the browser shell\u2019s key file). Enter it again in the desktop app.');
    }
    try {
      return this.storage.decryptString(data.subarray(MAGIC.length));
    } catch (e) {
      throw new PuestaError('SECRET_STORE_UNAVAILABLE', `The OS secret storage could not decrypt a secret (${(e as Error).message}). If the keyring was reset, enter the secret again.`);
    }
  }
}
