import { CHECKLIST_KINDS, type ChecklistStep, type runsMethods } from '../../../shared/contract/runs.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import type { Handlers } from '../handlers.js';
import { deleteChecklist, saveChecklist } from './checklist-store.js';
import { getChecklist } from './checklists.js';
import { getLock, listLocks } from './lock-store.js';
import { lockHeldError, releaseLocalLock, takeLocalLock } from './locks.js';
import { readLogs } from './log-store.js';
import { buildPlan } from './planner.js';
import { currentReleases, getRelease, listReleases, setCurrent, upsertRelease } from './release-store.js';
import { scanReleases } from './releases.js';
import { listRuns, runState } from './run-store.js';
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
  return core.inventory.applications.get(id);
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
    const items = await scanReleases(core, core.services.runs.executor, applicationId, environmentId);
    core.audit.write(core.operator(), 'scan', 'releases', applicationId, null, { environmentId, hosts: items.map((i) => ({ server: i.serverName, current: i.currentKey, error: i.error })) });
    return { items };
  },
  'runs.plan': async (core, input) => (await buildPlan(core, input)).plan,
  'runs.start': (core, input) => core.services.runs.start(input),
  'runs.get': (core, { id }) => core.services.runs.view(id),
  'runs.list': (core, input) => listRuns(core, input),
  'runs.act': (core, input) => core.services.runs.act(input),
  'runs.resume': (core, input) => core.services.runs.resume(input),
  'runs.logs': (core, input) => {
    core.services.runs.logs.flush();
    return readLogs(core, input);
  },

  'locks.list': (core) => ({ items: listLocks(core) }),
  'locks.release': (core, { applicationId, environmentId }) => {
    const before = getLock(core, applicationId, environmentId);
    if (!before) return { released: false };
    if (before.runId && !before.expired) {
      const state = runState(core, before.runId);
      if (state === 'running' || state === 'waiting') {
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
