/** API handlers of database patches (contract: shared/contract/dbpatch.ts). */
import type { dbpatchMethods } from '../../../shared/contract/dbpatch.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Handlers } from '../handlers.js';
import { serverTarget } from '../ssh/target.js';
import { syncLedger } from './apply.js';
import { findBackup } from './backup.js';
import { lintPatch } from './classify.js';
import { withTarget } from './connect.js';
import { dryRun } from './dryrun.js';
import { readPatches } from './format.js';
import { acknowledge, ledgerOf, statesOf } from './ledger-store.js';
import { databaseOf, databasesOf, passwordKey, patchesOf, saveDatabase, upsertPatches } from './patch-store.js';
import { lastBackupOf, releaseSets } from './release-store.js';
import { reviewSource } from './review.js';
import { decideRollback, lossyTable, rollbackPlan } from './rollback.js';

type DbpatchMethod = keyof typeof dbpatchMethods;

export const dbpatchHandlers: Handlers<DbpatchMethod> = {
  'dbpatch.list': (core, { applicationId }) => {
    core.inventory.applications.get(applicationId);
    const patches = patchesOf(core, applicationId);
    const databases = databasesOf(core, applicationId);
    const sums = new Map(patches.map((p) => [p.patchId, p.checksum]));
    return {
      patches: patches.map((p) => ({ ...p, lint: lintPatch(p.meta, p) })),
      databases,
      states: databases.flatMap((d) => statesOf(ledgerOf(core, d.id), sums)),
      releases: releaseSets(core, applicationId),
      backups: databases.flatMap((d) => lastBackupOf(core, d.id) ?? []),
    };
  },

  'dbpatch.import': (core, { applicationId, path }) => {
    core.inventory.applications.get(applicationId);
    const list = readPatches(path);
    const changed = core.tx(() => {
      const c = upsertPatches(core, applicationId, list);
      core.audit.write(core.operator(), 'dbpatch.import', 'applications', applicationId, null, { path, patches: list.map((p) => p.meta.id), changed: c });
      return c;
    });
    core.events.emit('dbpatch.changed', { applicationId });
    return { imported: list.map((p) => p.meta.id), changed };
  },

  'dbpatch.saveDatabase': (core, input) => {
    core.inventory.applications.get(input.applicationId);
    core.inventory.servers.get(input.serverId);
    if (input.backupBeforePatch && !input.backupDir) throw new PuestaError('INVALID_INPUT', 'A dump before patches needs a backup folder on the server.', { field: 'backupDir' });
    const id = core.tx(() => {
      const n = saveDatabase(core, input);
      if (input.password !== undefined) core.secrets.set(passwordKey(n), input.password);
      core.audit.write(core.operator(), input.id ? 'dbpatch.database.update' : 'dbpatch.database.create', 'applications', input.applicationId, null, { database: n, name: input.name, password: input.password !== undefined });
      return n;
    });
    core.events.emit('dbpatch.changed', { applicationId: input.applicationId });
    return databaseOf(core, id);
  },

  'dbpatch.sync': async (core, { databaseId }) => {
    const db = databaseOf(core, databaseId);
    const patches = patchesOf(core, db.applicationId);
    return { states: await withTarget(core, db, `${core.operator()} sync`, (t) => syncLedger({ core, db }, t, patches)) };
  },

  'dbpatch.review': (core, { applicationId, source }) => {
    core.inventory.applications.get(applicationId);
    return reviewSource(core, applicationId, source);
  },

  'dbpatch.dryRun': async (core, { databaseId, patchIds }) => {
    const db = databaseOf(core, databaseId);
    const patches = patchesOf(core, db.applicationId);
    for (const id of patchIds ?? []) if (!patches.some((p) => p.patchId === id)) throw new PuestaError('NOT_FOUND', `Patch ${id} not found.`);
    // the review says how old the last backup is: the newest file of the backup folder, read now
    const where = serverTarget(core, db.serverId);
    await findBackup({ core, executor: core.services.ssh, target: where, runId: null, log: () => undefined }, db);
    return withTarget(core, db, `${core.operator()} dry run`, (t) => dryRun(core, db, t, patches, patchIds));
  },

  'dbpatch.acknowledge': async (core, { databaseId, patchId, what, reason }) => {
    const db = databaseOf(core, databaseId);
    const patches = patchesOf(core, db.applicationId);
    const p = patches.find((x) => x.patchId === patchId);
    if (!p) throw new PuestaError('NOT_FOUND', `Patch ${patchId} not found.`);
    if (what === 'lossy') {
      const table = lossyTable(p);
      if (reason !== table) throw new PuestaError('INVALID_INPUT', `Type the table the down of ${patchId} loses data of (${table}) to allow it.`, { field: 'reason' });
    } else if (reason.length < 3) throw new PuestaError('INVALID_INPUT', 'Say why (at least 3 characters).', { field: 'reason' });
    // an accepted edit is written to the target's ledger (the truth every laptop reads); a risk is this laptop's decision
    if (what === 'checksum')
      await withTarget(core, db, `${core.operator()} accept`, async (t) => {
        await t.ensureLedger();
        await t.insertEntry({ patchId, direction: 'accept', state: 'done', checksum: p.checksum, operator: core.operator(), runId: null, releaseKey: null, estimateMs: null, note: reason });
        await syncLedger({ core, db }, t, patches);
      });
    core.tx(() => {
      if (what !== 'checksum') acknowledge(core, { databaseId, patchId, checksum: p.checksum, kind: what, operator: core.operator(), reason });
      core.audit.write(core.operator(), `dbpatch.acknowledge-${what}`, 'applications', db.applicationId, null, { database: db.name, patchId, checksum: p.checksum, reason });
    });
    core.events.emit('dbpatch.changed', { applicationId: db.applicationId });
    return { ok: true as const };
  },

  'dbpatch.rollbackPlan': (core, { applicationId, environmentId, toReleaseKey }) => rollbackPlan(core, applicationId, environmentId, toReleaseKey ?? null),
  'dbpatch.decideRollback': (core, input) => decideRollback(core, input),
};
