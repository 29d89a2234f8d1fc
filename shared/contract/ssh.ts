/**
 * SSH from the operator's side: test a server's connection (host-key trust flow), manage its
 * pinned keys and stored secrets, and run ad-hoc commands on several servers with live output.
 */
import { z } from 'zod';
import { Id, IdInput, method, Timestamp } from './common.js';

export const HostKeyInfo = z.object({
  host: z.string(),
  port: z.number().int(),
  keyType: z.string(),
  fingerprint: z.string(),
  trustedBy: z.string(),
  trustedAt: Timestamp,
});
export type HostKeyInfo = z.infer<typeof HostKeyInfo>;

export const ConnectionFacts = z.object({
  serverId: Id,
  fingerprint: z.string(),
  keyType: z.string(),
  /** Round trip of one command on the (already open) connection. */
  latencyMs: z.number(),
  /** Connection set-up (TCP + handshake + auth), 0 when the pooled connection was reused. */
  connectMs: z.number(),
  os: z.string(),
  kernel: z.string(),
  hostname: z.string(),
  uptime: z.string(),
  uptimeSeconds: z.number().nullable(),
  disk: z.array(
    z.object({
      mount: z.string(),
      sizeBytes: z.number(),
      usedBytes: z.number(),
      availableBytes: z.number(),
    }),
  ),
  memory: z.object({ totalBytes: z.number(), availableBytes: z.number() }).nullable(),
  sudo: z.boolean(),
});
export type ConnectionFacts = z.infer<typeof ConnectionFacts>;

const SecretKind = z.enum(['password', 'passphrase']);
const Fingerprint = z
  .string()
  .trim()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'a SHA-256 fingerprint as ssh-keygen -lf prints it (SHA256:…)');

export const sshMethods = {
  'servers.testConnection': method(IdInput, ConnectionFacts, 'Connect to a server and read its host key, latency, OS, disk and memory'),
  'servers.trustHostKey': method(
    z.object({ id: Id, fingerprint: Fingerprint, replace: z.boolean().default(false) }).strict(),
    z.object({ pinned: HostKeyInfo, replaced: HostKeyInfo.nullable() }),
    "Pin the host key a server presents now (after comparing it with the server's own ssh-keygen -lf)",
  ),
  'servers.hostKeys': method(IdInput, z.object({ items: z.array(HostKeyInfo) }), "A server's pinned host keys"),
  'servers.setSecret': method(
    z.object({ id: Id, kind: SecretKind, value: z.string().min(1).max(10_000) }).strict(),
    z.object({ stored: z.literal(true) }),
    "Store a server's SSH password or key passphrase in the secret store",
  ),
  'servers.clearSecret': method(z.object({ id: Id, kind: SecretKind }).strict(), z.object({ cleared: z.boolean() }), "Remove a server's stored password or passphrase"),
  'servers.secretStatus': method(IdInput, z.object({ password: z.boolean(), passphrase: z.boolean() }), 'Which secrets are stored for a server (never their values)'),
  'ssh.exec': method(
    z
      .object({
        serverIds: z.array(Id).min(1).max(200),
        command: z.string().trim().min(1, 'type a command').max(20_000),
        timeoutSeconds: z.number().int().min(1).max(86_400).default(300),
        /** The names of the environments that ask for a typed confirmation (confirmRuns), as the operator typed them. */
        confirm: z.array(z.string().max(200)).max(100).default([]),
      })
      .strict(),
    z.object({ execId: z.string() }),
    'Run an ad-hoc command on servers; output arrives as ssh.output / ssh.exit events',
  ),
  'ssh.cancel': method(z.object({ execId: z.string().min(1).max(100) }).strict(), z.object({ cancelled: z.boolean() }), 'Stop an ad-hoc command on every server still running it'),
} as const;

export const SshErrorShape = z.object({ code: z.string(), message: z.string() });

export const sshEvents = {
  'ssh.output': z.object({
    execId: z.string(),
    serverId: Id,
    stream: z.enum(['stdout', 'stderr']),
    seq: z.number().int().min(0),
    ts: Timestamp,
    text: z.string(),
  }),
  'ssh.exit': z.object({
    execId: z.string(),
    serverId: Id,
    exitCode: z.number().int().nullable(),
    signal: z.string().nullable(),
    durationMs: z.number().min(0),
    error: SshErrorShape.optional(),
  }),
} as const;
