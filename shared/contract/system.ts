import { z } from 'zod';
import { method } from './common.js';

export const SystemInfo = z.object({
  version: z.string(),
  shell: z.enum(['electron', 'web', 'test']),
  dataDir: z.string(),
  dbPath: z.string(),
  schemaVersion: z.number().int(),
  backups: z.array(z.object({ file: z.string(), bytes: z.number().int(), at: z.string() })),
  secretStore: z.object({ kind: z.string(), secure: z.boolean(), warning: z.string().nullable() }),
  operator: z.string(),
});
export type SystemInfo = z.infer<typeof SystemInfo>;

export const systemMethods = {
  'system.info': method(z.object({}).strict(), SystemInfo, 'Version, data folder, backups and secret store'),
  'settings.setOperator': method(z.object({ name: z.string().trim().min(1).max(100) }).strict(), z.object({ operator: z.string() }), 'Set the operator name written to the audit log'),
  'settings.rotateBrowserToken': method(
    z.object({}).strict(),
    // Never the token itself: it stays in the HttpOnly cookie, out of reach of page scripts.
    z.object({ rotatedAt: z.string() }),
    'Replace the browser shell token: every other tab and link made with the old one stops working at once',
  ),
} as const;

export const systemEvents = {
  /** Sent when any inventory entity changes, so open screens refresh. */
  'inventory.changed': z.object({ entity: z.string(), id: z.number().int().nullable(), action: z.enum(['create', 'update', 'delete', 'import']) }),
  /** A setting was saved (today the operator name), so every open window shows the new value. */
  'settings.changed': z.object({ key: z.enum(['operator']) }),
} as const;
