import { listBackups } from './db/migrate.js';
import type { Handlers } from './handlers.js';

export const systemHandlers: Handlers<'system.info' | 'settings.setOperator'> = {
  'system.info': (core) => ({
    version: core.opts.version ?? '0.0.0',
    shell: core.opts.shell,
    dataDir: core.opts.dataDir,
    dbPath: core.dbPath,
    schemaVersion: core.schemaVersion,
    backups: listBackups(core.backupDir),
    secretStore: { kind: core.secrets.cipher.kind, secure: core.secrets.cipher.secure, warning: core.secrets.cipher.warning },
    operator: core.operator(),
  }),
  'settings.setOperator': (core, input) => {
    const before = core.operator();
    core.settings.set('operator', input.name);
    core.audit.write(input.name, 'update', 'settings.operator', null, { operator: before }, { operator: input.name });
    return { operator: input.name };
  },
};
