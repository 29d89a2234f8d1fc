/**
 * Which login methods to offer a server, in which order, with their credentials. Missing or
 * unusable credentials become SSH_AUTH_FAILED errors that say what to fix — raised only when no
 * method at all is left to try.
 */
import { readFileSync } from 'node:fs';
import ssh2, { type AuthenticationType } from 'ssh2';
import { PuestaError } from '../../../shared/errors.js';
import { authError, hostLabel } from './errors.js';
import type { SshTarget } from './types.js';

export type SecretKind = 'password' | 'passphrase';

export interface AuthStep {
  label: 'agent' | 'key' | 'password';
  method: AuthenticationType | Record<string, unknown>;
}

export interface Credentials {
  /** The agent socket, if an agent runs. */
  agentSocket: string | undefined;
  secret: (serverId: number, kind: SecretKind) => string | null;
}

function agentStep(t: SshTarget, agentSocket: string | undefined): AuthStep | PuestaError {
  return agentSocket
    ? { label: 'agent', method: { type: 'agent', username: t.user, agent: agentSocket } }
    : authError(t, 'AGENT_UNAVAILABLE', `No SSH agent is running for Puesta (SSH_AUTH_SOCK is not set), so it cannot log in to ${hostLabel(t)}. Start ssh-agent and add your key (ssh-add), or give the server a key file.`);
}

function keyStep(t: SshTarget, passphrase: string | undefined): AuthStep | PuestaError {
  const h = hostLabel(t);
  if (!t.keyPath) return authError(t, 'KEY_MISSING', `${h} is set to log in with a key file but none is configured. Set the key file path on the server.`);
  let data: Buffer;
  try {
    data = readFileSync(t.keyPath);
  } catch (e) {
    return authError(t, 'KEY_UNREADABLE', `The key file ${t.keyPath} for ${h} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}). Check the path and its permissions.`);
  }
  const parsed = ssh2.utils.parseKey(data, passphrase);
  if (parsed instanceof Error) {
    if (/encrypted/i.test(parsed.message) && !passphrase) {
      return authError(t, 'PASSPHRASE_REQUIRED', `The key file ${t.keyPath} for ${h} is protected by a passphrase that Puesta does not have. Store it with "Set key passphrase" on the server.`);
    }
    if (passphrase) return authError(t, 'PASSPHRASE_WRONG', `The stored passphrase does not open the key file ${t.keyPath} for ${h}. Store the right passphrase on the server.`);
    return authError(t, 'KEY_INVALID', `The key file ${t.keyPath} for ${h} is not a private key Puesta can read (${parsed.message}).`);
  }
  return { label: 'key', method: { type: 'publickey', username: t.user, key: data, passphrase } };
}

function passwordStep(t: SshTarget, password: string | null): AuthStep | PuestaError {
  return password
    ? { label: 'password', method: { type: 'password', username: t.user, password } }
    : authError(t, 'PASSWORD_MISSING', `${hostLabel(t)} logs in with a password but none is stored. Store it with "Set password" on the server.`);
}

/** The login methods to offer, in order; throws the first problem when none is usable. */
export function authSteps(t: SshTarget, creds: Credentials): AuthStep[] {
  const agent = creds.agentSocket;
  const key = () => keyStep(t, creds.secret(t.id, 'passphrase') ?? undefined);
  // Explicit order: the configured method first; then the agent (when one runs) and the key file
  // (when one is set) as fallbacks. A password is only ever used when it is the configured method.
  const order: (() => AuthStep | PuestaError)[] =
    t.auth === 'password'
      ? [() => passwordStep(t, creds.secret(t.id, 'password'))]
      : t.auth === 'key'
        ? [key, ...(agent ? [() => agentStep(t, agent)] : [])]
        : [() => agentStep(t, agent), ...(t.keyPath ? [key] : [])];
  const steps: AuthStep[] = [];
  let firstError: PuestaError | null = null;
  for (const step of order) {
    const s = step();
    if (s instanceof PuestaError) firstError ??= s;
    else steps.push(s);
  }
  if (!steps.length && firstError) throw firstError;
  return steps;
}
