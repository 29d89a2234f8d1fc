/**
 * Low-level SSH failures → the codes and messages the operator sees. Every message names the host
 * and says what to check next; `details` carry host, port and server id for the UI.
 */
import { PuestaError, type ErrorCode } from '../../../shared/errors.js';
import type { SshTarget } from './types.js';

export interface HostKeyInfo {
  fingerprint: string;
  keyType: string;
}

export const hostLabel = (t: SshTarget): string => `${t.name} (${t.user}@${t.host}:${t.port})`;

/** Maps a failure of TCP connect, handshake or login. */
export function connectError(t: SshTarget, e: unknown, timeoutMs: number): PuestaError {
  if (e instanceof PuestaError) return e;
  const err = e as { code?: string; level?: string; message?: string };
  const h = hostLabel(t);
  if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT' || err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') {
    return new PuestaError(
      'SSH_TIMEOUT',
      `${h} did not answer within ${Math.round(timeoutMs / 100) / 10} s. Check that the server is up, that its address and port are right and that no firewall or VPN is in the way, then try again.`,
      { host: t.host, port: t.port, serverId: t.id, reason: err.code ?? 'TIMEOUT' },
    );
  }
  if (err.level === 'client-authentication') {
    return new PuestaError('SSH_AUTH_FAILED', `${h} refused the login for ${t.user}. Check the user name and that the key (or password) is authorised on the server.`, {
      host: t.host,
      port: t.port,
      serverId: t.id,
      reason: 'REJECTED',
    });
  }
  if (err.code === 'ECONNREFUSED') {
    return new PuestaError('SSH_ERROR', `Nothing accepts connections on ${t.host}:${t.port} (${t.name}). Check that sshd runs on the server and that the port is right.`, {
      host: t.host,
      port: t.port,
      serverId: t.id,
      reason: 'CONNECTION_REFUSED',
    });
  }
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    return new PuestaError('SSH_ERROR', `The host name ${t.host} (${t.name}) cannot be resolved. Check the server's address.`, { host: t.host, port: t.port, serverId: t.id, reason: err.code });
  }
  return new PuestaError('SSH_ERROR', `The SSH connection to ${h} failed: ${err.message ?? String(e)}. Check the server and try again.`, {
    host: t.host,
    port: t.port,
    serverId: t.id,
    reason: err.code ?? err.level ?? 'ERROR',
  });
}

export function authError(t: SshTarget, reason: string, message: string): PuestaError {
  return new PuestaError('SSH_AUTH_FAILED', message, { host: t.host, port: t.port, serverId: t.id, reason });
}

/** The server refused every login method offered (`tried` names them in order). */
export function loginRejectedError(t: SshTarget, tried: readonly string[]): PuestaError {
  return authError(
    t,
    'REJECTED',
    `${hostLabel(t)} refused the login for ${t.user} (tried: ${tried.join(', ') || 'nothing'}). Check the user name and that the key or password is authorised on the server.`,
  );
}

type Pinned = readonly { keyType: string; fingerprint: string }[];
const pinnedList = (pins: Pinned) => pins.map((p) => ({ keyType: p.keyType, fingerprint: p.fingerprint }));

export function hostKeyChangedError(t: SshTarget, presented: HostKeyInfo, pins: Pinned): PuestaError {
  return new PuestaError(
    'HOST_KEY_CHANGED',
    `The host key of ${hostLabel(t)} has CHANGED: it now presents ${presented.keyType} ${presented.fingerprint}, not the pinned ${pins.map((p) => `${p.keyType} ${p.fingerprint}`).join(', ')}. Nothing was run. This can mean someone is intercepting the connection; confirm the new key with the server's administrator before replacing the pin.`,
    { host: t.host, port: t.port, serverId: t.id, fingerprint: presented.fingerprint, keyType: presented.keyType, pinned: pinnedList(pins) },
  );
}

export function hostKeyUnknownError(t: SshTarget, presented: HostKeyInfo): PuestaError {
  return new PuestaError(
    'HOST_KEY_UNKNOWN',
    `${hostLabel(t)} presents a host key Puesta has not seen: ${presented.keyType} ${presented.fingerprint}. Compare it with the output of "ssh-keygen -lf" for the server's key (ask its administrator), then trust it in the server view.`,
    { host: t.host, port: t.port, serverId: t.id, fingerprint: presented.fingerprint, keyType: presented.keyType },
  );
}

/** The handshake found no host-key algorithm in common with the pins: the server dropped that key type. */
export function hostKeyTypeGoneError(t: SshTarget, pins: Pinned): PuestaError {
  return new PuestaError(
    'HOST_KEY_CHANGED',
    `${hostLabel(t)} no longer offers the pinned host key type (${pins.map((p) => p.keyType).join(', ')}). Nothing was run. Confirm the server's new key with its administrator before replacing the pin.`,
    { host: t.host, port: t.port, serverId: t.id, fingerprint: null, keyType: null, pinned: pinnedList(pins) },
  );
}

/** The pooled connection dropped while nothing was running on it. */
export function connectionLostError(t: SshTarget): PuestaError {
  return new PuestaError('SSH_CONNECTION_LOST', `The connection to ${hostLabel(t)} was lost.`, { host: t.host, port: t.port, serverId: t.id });
}

/** The connection dropped while a command ran: its outcome on the server is unknown. */
export function commandLostError(t: SshTarget, step: string | undefined): PuestaError {
  return new PuestaError(
    'SSH_CONNECTION_LOST',
    `The connection to ${hostLabel(t)} was lost${stepText(step)}. The command may or may not have finished on the server: check its state there, then retry the step.`,
    { host: t.host, port: t.port, serverId: t.id, step: step ?? null },
  );
}

/** " while running <step>" for messages about a named step, else nothing. */
export const stepText = (step: string | undefined): string => (step ? ` while running ${step}` : '');

export function sessionRefusedError(t: SshTarget, message: string): PuestaError {
  return new PuestaError('SSH_ERROR', `${hostLabel(t)} refused to open a session: ${message}. Check MaxSessions in its sshd_config.`, { host: t.host, port: t.port, serverId: t.id });
}

export function sftpRefusedError(t: SshTarget, message: string): PuestaError {
  return new PuestaError('SSH_ERROR', `${hostLabel(t)} refused an SFTP session: ${message}. Check that its sshd has "Subsystem sftp".`, { host: t.host, serverId: t.id });
}

/** An SFTP transfer failed; with the connection gone it is SSH_CONNECTION_LOST. */
export function fileError(t: SshTarget, what: 'upload' | 'download', remotePath: string, e: unknown, connected: boolean): PuestaError {
  const code: ErrorCode = connected ? 'SSH_ERROR' : 'SSH_CONNECTION_LOST';
  return new PuestaError(code, `The ${what} of ${remotePath} on ${hostLabel(t)} failed: ${(e as Error).message}. Check the path and permissions on the server, then retry.`, {
    host: t.host,
    serverId: t.id,
  });
}
