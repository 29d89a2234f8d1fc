/**
 * The operator's direct proxy actions over SSH, outside a run: read the live slot back from each
 * server (the server wins over the local record, and the operator is told), switch (or switch back
 * while the old slot is warm: no start, no release work — under a second), and A/B weights.
 */
import { DRIVER_GUARANTEES, type HostSlots, type Slot, type SlotInfo, type SlotsOutput, type SwitchOutput } from '../../../shared/contract/proxy.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { getLock } from '../runs/lock-store.js';
import { lockHeldError } from '../runs/locks.js';
import { targetsOf } from '../runs/planner.js';
import { serverTarget } from '../ssh/target.js';
import { directSwitchScript, markers, readScript, weightsScript } from './commands.js';
import { addEvent, getSettings, putSlots, slotRecords, type SlotRecord } from './proxy-store.js';

interface AppEnv {
  applicationId: number;
  environmentId: number;
}

function appOf(core: Core, applicationId: number): { name: string; basePath: string } {
  const app = core.inventory.applications.get(applicationId);
  if (app.strategy === 'symlink') throw new PuestaError('PRECONDITION_FAILED', `${app.name} uses the symlink strategy: it has no slots. Set it to blue-green or A/B first.`);
  return { name: app.name, basePath: app.basePath.replace(/\/+$/, '') };
}

const slotName = (s: string | undefined): Slot | null => (s === 'blue' || s === 'green' ? s : null);
const releaseOf = (link: string | undefined): string | null => (link ? link.split('/').pop() || null : null);

/** Both slots of a host, from its record. */
function hostSlots(serverId: number, serverName: string, r: SlotRecord | undefined, now = new Date().toISOString()): HostSlots {
  const live = r?.live ?? null;
  const weight = r?.greenWeight ?? null;
  const slots: SlotInfo[] = (['blue', 'green'] as const).map((slot) => {
    const both = weight !== null && weight > 0 && weight < 100;
    const state: SlotInfo['state'] = slot === live || both ? 'live' : r?.draining ? 'draining' : r?.warmUntil && r.warmUntil > now ? 'warm' : 'idle';
    return {
      slot,
      state,
      release: (slot === 'blue' ? r?.blueRelease : r?.greenRelease) ?? null,
      since: slot === live ? (r?.since ?? null) : null,
      weight: weight === null ? null : slot === 'green' ? weight : 100 - weight,
    };
  });
  return { serverId, serverName, live, since: r?.since ?? null, slots, notice: null, error: null };
}

export function recordedSlots(core: Core, p: AppEnv): SlotsOutput {
  appOf(core, p.applicationId);
  const records = slotRecords(core, p.applicationId);
  const { hosts } = targetsOf(core, p.applicationId, p.environmentId);
  return { driver: getSettings(core, p.applicationId).driver, hosts: hosts.map((h) => hostSlots(h.serverId, h.serverName, records.get(h.serverId))) };
}

/** Reads each server; where it disagrees with the record, the record follows the server and the host says so. */
export async function readSlots(core: Core, p: AppEnv, signal?: AbortSignal): Promise<SlotsOutput> {
  const app = appOf(core, p.applicationId);
  const settings = getSettings(core, p.applicationId);
  const { hosts } = targetsOf(core, p.applicationId, p.environmentId);
  const out = await Promise.all(
    hosts.map(async (h): Promise<HostSlots> => {
      const before = slotRecords(core, p.applicationId).get(h.serverId);
      try {
        const r = await core.services.ssh.exec(serverTarget(core, h.serverId), readScript(settings, app.basePath), { timeoutMs: 15_000, ...(signal ? { signal } : {}) });
        if (r.exitCode !== 0) throw new PuestaError('COMMAND_FAILED', r.stderr.trim() || `exit code ${r.exitCode}`);
        const m = markers(r.stdout);
        const live = slotName(m.LIVE);
        const gw = m.GREEN_WEIGHT !== undefined && m.LIVE === 'both' ? Math.round((100 * Number(m.GREEN_WEIGHT)) / Math.max(1, Number(m.GREEN_WEIGHT) + Number(m.BLUE_WEIGHT ?? 0))) : null;
        const read = { live, blueRelease: releaseOf(m.BLUE), greenRelease: releaseOf(m.GREEN), greenWeight: gw };
        let notice: string | null = null;
        if ((before?.live ?? null) !== live || (before?.greenWeight ?? null) !== gw) {
          const said = m.LIVE === 'both' ? `both slots take traffic (green ${gw ?? '?'} %)` : live ? `slot ${live} is live` : 'no slot is live';
          notice = `${h.serverName} says ${said}; Puesta had ${before?.live ? `slot ${before.live}` : 'nothing'} recorded. The record now follows the server.`;
          core.tx(() => {
            putSlots(core, p.applicationId, h.serverId, read);
            addEvent(core, { applicationId: p.applicationId, serverId: h.serverId, kind: 'read', live, greenWeight: gw, operator: core.operator(), note: notice! });
          });
        } else putSlots(core, p.applicationId, h.serverId, read);
        return { ...hostSlots(h.serverId, h.serverName, slotRecords(core, p.applicationId).get(h.serverId)), notice };
      } catch (e) {
        return { ...hostSlots(h.serverId, h.serverName, before), error: (e as Error).message };
      }
    }),
  );
  return { driver: settings.driver, hosts: out };
}

function refuseWhileLocked(core: Core, p: AppEnv): void {
  const l = getLock(core, p.applicationId, p.environmentId);
  if (l && !l.expired) throw lockHeldError(l);
}

/** Runs a direct script on each chosen host at once; each host's answer is timed from the action's start. */
async function onHosts(
  core: Core,
  p: AppEnv & { serverIds?: number[] | undefined },
  script: string,
  signal: AbortSignal | undefined,
  done: (h: { serverId: number; serverName: string }, m: Record<string, string>, before: SlotRecord | undefined) => void,
): Promise<SwitchOutput['hosts']> {
  const { hosts } = targetsOf(core, p.applicationId, p.environmentId, p.serverIds);
  if (!hosts.length) throw new PuestaError('PRECONDITION_FAILED', 'No placement of this application on the chosen servers of that environment.');
  const t0 = Date.now();
  return Promise.all(
    hosts.map(async (h) => {
      const before = slotRecords(core, p.applicationId).get(h.serverId);
      const r = await core.services.ssh
        .exec(serverTarget(core, h.serverId), script, { timeoutMs: 30_000, ...(signal ? { signal } : {}) })
        .catch((e: Error) => ({ exitCode: null, stdout: '', stderr: e.message }));
      const ms = Date.now() - t0;
      const m = markers(r.stdout);
      const [live, from] = (m.LIVE ?? '').split(' from=');
      const base = { serverId: h.serverId, serverName: h.serverName, from: slotName(from) ?? before?.live ?? null, to: slotName(live) ?? 'blue', ms };
      if (r.exitCode !== 0) {
        // a cut connection leaves the host unknown (the swap itself is atomic): the next read says where it is
        const lost = r.exitCode === null ? ' The connection was lost during the switch: read the slots back from the server to see which one is live.' : '';
        return { ...base, ok: false, error: (r.stderr.trim() || `exit code ${r.exitCode ?? '?'}`) + lost };
      }
      done(h, m, before);
      return { ...base, ok: true, error: null };
    }),
  );
}

export async function switchSlots(core: Core, p: AppEnv & { to: Slot; serverIds?: number[] | undefined; reason: string }, signal?: AbortSignal): Promise<SwitchOutput> {
  const app = appOf(core, p.applicationId);
  refuseWhileLocked(core, p);
  const settings = getSettings(core, p.applicationId);
  const operator = core.operator();
  const hosts = await onHosts(core, p, directSwitchScript(settings, app.basePath, p.to), signal, (h, m, before) => {
    const release = m.RELEASE ?? null;
    const back = before?.live != null && before.live !== p.to && (p.to === 'blue' ? before.blueRelease : before.greenRelease) === release && !!before.warmUntil;
    core.tx(() => {
      putSlots(core, p.applicationId, h.serverId, { live: p.to, greenWeight: null, draining: false, ...(p.to === 'blue' ? { blueRelease: release } : { greenRelease: release }) });
      addEvent(core, { applicationId: p.applicationId, serverId: h.serverId, kind: back ? 'switch-back' : 'switch', live: p.to, release, operator, note: p.reason });
    });
  });
  core.audit.write(operator, 'proxy.switch', 'applications', p.applicationId, null, { environmentId: p.environmentId, to: p.to, reason: p.reason, hosts });
  return { hosts: hosts.map((h) => ({ ...h, to: h.ok ? p.to : h.to })) };
}

export async function setWeights(core: Core, p: AppEnv & { green: number; reason: string }, signal?: AbortSignal): Promise<SwitchOutput & { green: number }> {
  const app = appOf(core, p.applicationId);
  const settings = getSettings(core, p.applicationId);
  if (!DRIVER_GUARANTEES[settings.driver].ab) {
    throw new PuestaError('PRECONDITION_FAILED', `A/B weights need the haproxy-runtime driver: ${app.name} uses ${settings.driver}, which sends all traffic to one slot (100/0 only).`);
  }
  refuseWhileLocked(core, p);
  const operator = core.operator();
  const hosts = await onHosts(core, p, weightsScript(settings, app.basePath, p.green), signal, (h, m) => {
    const live = p.green === 0 ? 'blue' : p.green === 100 ? 'green' : slotName(m.LIVE) ?? null;
    core.tx(() => {
      putSlots(core, p.applicationId, h.serverId, { live, greenWeight: p.green });
      addEvent(core, { applicationId: p.applicationId, serverId: h.serverId, kind: 'weights', live, greenWeight: p.green, operator, note: p.reason });
    });
  });
  core.audit.write(operator, 'proxy.weights', 'applications', p.applicationId, null, { environmentId: p.environmentId, green: p.green, reason: p.reason, hosts });
  return { hosts, green: p.green };
}
