import { CHECKLIST_KINDS, type ChecklistStep, type runsMethods } from '../../../shared/contract/runs.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import type { Handlers } from '../handlers.js';
import { runsOf } from './engine.js';
import { getLock, type RunRow } from './store.js';
import { lockHeldError, releaseLocalLock, takeLocalLock } from './locks.js';
import { buildPlan } from './planner.js';
import {
  currentReleases,
  deleteChecklist,
  getChecklist,
  getRelease,
  listLocks,
  listReleases,
  listRuns,
  readLogs,
  saveChecklist,
  setCurrent,
  upsertRelease,
} from './store.js';
import { checkTemplate } from './template.js';

type RunsMethod = keyof typeof runsMethods;

function validateSteps(steps: ChecklistStep[]): void {
  const seen = new Set<string>();
  steps.forEach((s, i) => {
    const where = `Step ${i + 1} (${s.key})`;
    if (seen.has(s.key)) throw new PuestaError('INVALID_INPUT', `${where}: two steps have the key "${s.key}"; keys must be unique.`, { field: `steps.${i}.key` });
    seen.add(s.key);
    checkTemplate(s.command, where);
    checkTemplate(s.instructions, where);
    if (s.check) checkTemplate(s.check.url, where);
    if (s.kind === 'check') {
      if (!s.check) throw new PuestaError('INVALID_INPUT', `${where}: a check step needs its check (http url or command).`, { field: `steps.${i}.check` });
      if (s.check.kind === 'http' && !s.check.url.trim() && s.enabled) throw new PuestaError('INVALID_INPUT', `${where}: give the URL to check.`, { field: `steps.${i}.check.url` });
      if (s.check.kind === 'command' && !s.command.trim() && s.enabled) throw new PuestaError('INVALID_INPUT', `${where}: give the command to check.`, { field: `steps.${i}.command` });
    }
    if (s.kind === 'manual' && s.action !== 'shell') throw new PuestaError('INVALID_INPUT', `${where}: a manual step cannot ${s.action}.`, { field: `steps.${i}.action` });
  });
}

function app(core: Core, id: number): { id: number; name: string; basePath: string } {
  return core.inventory.applications.get(id) as unknown as { id: number; name: string; basePath: string };
}

export const runsHandlers: Handlers<RunsMethod> = {
  'checklists.list': (core, { applicationId }) => ({ items: CHECKLIST_KINDS.map((k) => getChecklist(core, applicationId, k)) }),
  'checklists.get': (core, { applicationId, kind }) => getChecklist(core, applicationId, kind),
  'checklists.save': (core, { applicationId, kind, steps }) => {
    app(core, applicationId);
    validateSteps(steps);
    const before = getChecklist(core, applicationId, kind);
    core.tx(() => {
      saveChecklist(core, applicationId, kind, steps);
      core.audit.write(core.operator(), 'update', 'checklists', applicationId, { kind, steps: before.steps }, { kind, steps });
    });
    return getChecklist(core, applicationId, kind);
  },
  'checklists.reset': (core, { applicationId, kind }) => {
    app(core, applicationId);
    const before = getChecklist(core, applicationId, kind);
    core.tx(() => {
      deleteChecklist(core, applicationId, kind);
      core.audit.write(core.operator(), 'reset', 'checklists', applicationId, { kind, steps: before.steps }, { kind, builtin: true });
    });
    return getChecklist(core, applicationId, kind);
  },

  'releases.list': (core, { applicationId, serverId, includeRemoved }) => ({ items: listReleases(core, applicationId, serverId, includeRemoved) }),
  'releases.current': (core, { applicationId, environmentId }) => ({ items: currentReleases(core, applicationId, environmentId) }),
  'releases.register': (core, { applicationId, serverId, key, label, current }) => {
    const a = app(core, applicationId);
    core.inventory.servers.get(serverId);
    const id = core.tx(() => {
      const rid = upsertRelease(core, applicationId, serverId, key, `${a.basePath.replace(/\/+$/, '')}/releases/${key}`, { label, source: 'registered by hand' });
      if (current) setCurrent(core, applicationId, serverId, rid, null);
      core.audit.write(core.operator(), 'register', 'releases', rid, null, { applicationId, serverId, key, label, current });
      return rid;
    });
    return getRelease(core, id);
  },

  'releases.scan': async (core, { applicationId, environmentId }) => {
    const items = await runsOf(core).scan(applicationId, environmentId);
    core.audit.write(core.operator(), 'scan', 'releases', applicationId, null, { environmentId, hosts: items.map((i) => ({ server: i.serverName, current: i.currentKey, error: i.error })) });
    return { items };
  },
  'runs.plan': async (core, input) => (await buildPlan(core, input, { pack: false })).plan,
  'runs.start': (core, input) => runsOf(core).start(input),
  'runs.get': (core, { id }) => runsOf(core).view(id),
  'runs.list': (core, input) => {
    runsOf(core);
    return listRuns(core, input);
  },
  'runs.act': (core, input) => runsOf(core).act(input),
  'runs.resume': (core, { id }) => runsOf(core).resume(id),
  'runs.logs': (core, input) => {
    runsOf(core).logs.flush();
    return readLogs(core, input);
  },

  'locks.list': (core) => {
    runsOf(core);
    return { items: listLocks(core) };
  },
  'locks.release': (core, { applicationId, environmentId }) => {
    const before = getLock(core, applicationId, environmentId);
    if (!before) return { released: false };
    if (before.runId && !before.expired) {
      const r = core.db.prepare('SELECT state FROM runs WHERE id = ?').get(before.runId) as Pick<RunRow, 'state'> | undefined;
      if (r && (r.state === 'running' || r.state === 'waiting')) {
        throw new PuestaError('PRECONDITION_FAILED', `Run #${before.runId} still holds this lock: abort the run (or let it finish) to release it.`, { runId: before.runId });
      }
    }
    const released = core.tx(() => {
      const ok = releaseLocalLock(core, applicationId, environmentId);
      core.audit.write(core.operator(), 'lock.release', 'locks', applicationId, before, null);
      return ok;
    });
    return { released };
  },
  'locks.override': (core, { applicationId, environmentId, reason }) => {
    core.tx(() => takeLocalLock(core, { applicationId, environmentId, runId: null, owner: core.operator(), reason, override: true }));
    const l = getLock(core, applicationId, environmentId);
    if (!l) throw lockHeldError({ applicationId, environmentId } as never);
    return l;
  },
};
