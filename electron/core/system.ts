import type { systemMethods } from '../../shared/contract/system.js';
import { listBackups } from './db/migrate.js';
import type { Handlers } from './handlers.js';

export const systemHandlers: Handlers<keyof typeof systemMethods> = {
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
    core.events.emit('settings.changed', { key: 'operator' });
    return { operator: input.name };
  },
  'settings.rotateBrowserToken': (core) => {
    core.browserToken.rotate();
    const rotatedAt = new Date().toISOString();
    core.audit.write(core.operator(), 'rotate', 'settings.browserToken', null, null, { rotatedAt });
    return { rotatedAt };
  },
};
