/** SMTP settings (password in the secret store) and SMTP error classification; the transport is transport.ts. */
import type { z } from 'zod';
import type { SmtpSaveInput, SmtpSettings } from '../../../shared/contract/notices.js';
import type { Core } from '../core.js';

const KEY = 'smtp';
export const PASSWORD_KEY = 'smtp.password';

export type SmtpConfig = Omit<SmtpSettings, 'hasPassword' | 'configured'>;

const DEFAULTS: SmtpConfig = { host: '', port: 587, secure: false, user: '', from: '', ratePerSecond: 5, maxConnections: 2, senderName: '', signature: '' };

export function getSmtp(core: Core): SmtpSettings {
  const c = { ...DEFAULTS, ...core.settings.getJson<Partial<SmtpConfig>>(KEY, {}) };
  return { ...c, hasPassword: core.secrets.has(PASSWORD_KEY), configured: !!(c.host && c.from) };
}

export function saveSmtp(core: Core, input: z.output<typeof SmtpSaveInput>): SmtpSettings {
  return core.tx(() => {
    const before = getSmtp(core);
    const { password, ...rest } = input;
    core.settings.setJson(KEY, rest);
    if (password === null || password === '') core.secrets.delete(PASSWORD_KEY);
    else if (password !== undefined) core.secrets.set(PASSWORD_KEY, password);
    const after = getSmtp(core);
    core.audit.write(core.operator(), 'update', 'settings.smtp', null, before, after);
    return after;
  });
}

export type Failure = 'temporary' | 'permanent' | 'offline';

/**
 * How an SMTP error is treated:
 * - offline: the server could not be reached or refused us as a whole (connection, TLS, greeting,
 *   auth) → the message waits, the sender backs off and says "SMTP unreachable";
 * - temporary: a 4xx reply for this message → retried with back-off;
 * - permanent: a 5xx reply for this message → failed, error recorded.
 */
export function classify(e: unknown): { kind: Failure; message: string } {
  const err = e as { code?: string; responseCode?: number; response?: string; message?: string; command?: string };
  const message = (err.response || err.message || String(e)).slice(0, 1000);
  const rc = typeof err.responseCode === 'number' ? err.responseCode : 0;
  if (err.code === 'EAUTH' || err.command === 'AUTH PLAIN' || err.command === 'AUTH LOGIN') return { kind: 'offline', message: `SMTP login refused: ${message}` };
  if (err.command === 'CONN' || err.command === 'GREETING') return { kind: 'offline', message };
  if (rc >= 500) return { kind: 'permanent', message };
  if (rc >= 400) {
    // A 421 closes the whole session: the server is (temporarily) not serving us.
    if (rc === 421) return { kind: 'offline', message };
    return { kind: 'temporary', message };
  }
  if (err.code === 'EMESSAGE' || err.code === 'EENVELOPE') return { kind: 'permanent', message };
  return { kind: 'offline', message };
}
