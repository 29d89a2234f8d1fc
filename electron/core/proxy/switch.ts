/**
 * The operator's direct proxy actions over SSH, outside a run: read the live slot back from each
 * server (the server wins over the local record, and the operator is told), switch (or switch back
 * while the old slot is warm: no start, no release work — under a second), and A/B weights.
 */
import { randomUUID } from 'node:crypto';
import { DRIVER_GUARANTEES, type HostSlots, type Slot, type SlotInfo, type SlotsOutput, type SwitchOutput, type UnsafePatch } from '../../../shared/contract/proxy.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { getLock } from '../runs/lock-store.js';
import { lockHeldError, lockInfo } from '../runs/locks.js';
import { targetsOf } from '../runs/planner.js';
import { serverTarget } from '../ssh/target.js';
import { directSwitchScript, markers, readScript, weightsScript, type DirectLock } from './commands.js';
import { addEvent, addWeightStep, endExperiment, getSettings, openExperiment, putSlots, slotRecords, startExperiment, type SlotRecord } from './proxy-store.js';
import { namesEvery, refusalText, unsafeSince } from './switch-back.js';

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

/** The patches that make a switch to that release unsafe (see switch-back.ts), for an application × environment. */
type Unsafe = (release: string | null) => UnsafePatch[];
const unsafeOf =
  (core: Core, p: AppEnv): Unsafe =>
  (release) =>
    unsafeSince(core, p.applicationId, p.environmentId, release);

/** Both slots of a host, from its record. */
function hostSlots(serverId: number, serverName: string, r: SlotRecord | undefined, unsafe: Unsafe, now = new Date().toISOString()): HostSlots {
  const live = r?.live ?? null;
  const weight = r?.greenWeight ?? null;
  const slots: SlotInfo[] = (['blue', 'green'] as const).map((slot) => {
    const both = weight !== null && weight > 0 && weight < 100;
    const state: SlotInfo['state'] = slot === live || both ? 'live' : r?.draining ? 'draining' : r?.warmUntil && r.warmUntil > now ? 'warm' : 'idle';
    const release = (slot === 'blue' ? r?.blueRelease : r?.greenRelease) ?? null;
    return {
      slot,
      state,
      release,
      since: slot === live ? (r?.since ?? null) : null,
      weight: weight === null ? null : slot === 'green' ? weight : 100 - weight,
      unsafePatches: state === 'live' ? [] : unsafe(release),
    };
  });
  return { serverId, serverName, live, since: r?.since ?? null, slots, notice: null, error: null };
}

export function recordedSlots(core: Core, p: AppEnv): SlotsOutput {
  appOf(core, p.applicationId);
  const records = slotRecords(core, p.applicationId);
  const { hosts } = targetsOf(core, p.applicationId, p.environmentId);
  return { driver: getSettings(core, p.applicationId).driver, hosts: hosts.map((h) => hostSlots(h.serverId, h.serverName, records.get(h.serverId), unsafeOf(core, p))) };
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
        return { ...hostSlots(h.serverId, h.serverName, slotRecords(core, p.applicationId).get(h.serverId), unsafeOf(core, p)), notice };
      } catch (e) {
        return { ...hostSlots(h.serverId, h.serverName, before, unsafeOf(core, p)), error: (e as Error).message };
      }
    }),
  );
  return { driver: settings.driver, hosts: out };
}

function refuseWhileLocked(core: Core, p: AppEnv): void {
  const l = getLock(core, p.applicationId, p.environmentId);
  if (l && !l.expired) throw lockHeldError(l);
}

/**
 * A direct action holds the hosts' run lock file while it runs: a lease of a minute (it lasts
 * seconds). A connection cut mid-action leaves the file behind (the script's trap may never run):
 * its token is kept, per server, and the next direct action there removes that lock first.
 */
const cutOff = new WeakMap<Core, Map<number, Set<string>>>();

function directLock(core: Core, operator: string, reason: string): DirectLock & { token: string } {
  const token = randomUUID();
  const stale = [...new Set([...(cutOff.get(core)?.values() ?? [])].flatMap((s) => [...s]))];
  return { token, stale, info: lockInfo({ token, runId: 0, owner: operator, reason, expiresEpoch: Math.floor(Date.now() / 1000) + 60 }) };
}

/** After an action: the servers whose answer never came keep the token for the next action; the others are clean. */
function noteCutOff(core: Core, lock: DirectLock, hosts: SwitchOutput['hosts'], lost: ReadonlySet<number>): void {
  const m = cutOff.get(core) ?? new Map<number, Set<string>>();
  cutOff.set(core, m);
  for (const h of hosts) {
    if (lost.has(h.serverId)) m.set(h.serverId, new Set([...(m.get(h.serverId) ?? []), lock.token]));
    else m.delete(h.serverId);
  }
}

/** Every host refused because another run holds its lock file: the action fails as a whole, like a run's start. */
function refuseIfAllHeld(hosts: SwitchOutput['hosts']): void {
  if (!hosts.length || !hosts.every((h) => h.held)) return;
  throw new PuestaError('LOCKED', `The lock file on ${hosts.map((h) => h.serverName).join(', ')} is held: ${hosts[0]!.error ?? ''} Wait for that deploy to finish.`, {
    hosts: hosts.map((h) => ({ serverId: h.serverId, serverName: h.serverName, holder: h.error })),
  });
}

/** Runs a direct script on each chosen host at once; each host's answer is timed from the action's start. */
async function onHosts(
  core: Core,
  p: AppEnv & { serverIds?: number[] | undefined },
  script: string,
  signal: AbortSignal | undefined,
  done: (h: { serverId: number; serverName: string }, m: Record<string, string>, before: SlotRecord | undefined) => void,
  lost: Set<number>,
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
      if (r.exitCode === 5) return { ...base, ok: false, held: true, error: `held by ${/owner=(\S+)/.exec(r.stderr)?.[1] ?? '?'} (${r.stderr.trim().replace(/^HELD /, '')}): nothing changed there.` };
      if (r.exitCode === null) lost.add(h.serverId);
      if (r.exitCode !== 0) {
        // a cut connection leaves the host unknown (the swap itself is atomic): the next read says where it is
        const lost = r.exitCode === null ? ' The connection was lost during the switch: read the slots back from the server to see which one is live.' : '';
        return { ...base, ok: false, held: false, error: (r.stderr.trim() || `exit code ${r.exitCode ?? '?'}`) + lost };
      }
      done(h, m, before);
      return { ...base, ok: true, held: false, error: null };
    }),
  );
}

/**
 * Refuses a switch to a slot whose release is older than database patches that may break it
 * (contract / breaking, applied since), unless the confirmation names each of them.
 */
function checkPatches(core: Core, p: AppEnv & { to: Slot; serverIds?: number[] | undefined; confirmPatches?: string | undefined }): void {
  const records = slotRecords(core, p.applicationId);
  const { hosts } = targetsOf(core, p.applicationId, p.environmentId, p.serverIds);
  for (const h of hosts) {
    const r = records.get(h.serverId);
    if (!r || r.live === p.to) continue;
    const release = p.to === 'blue' ? r.blueRelease : r.greenRelease;
    const unsafe = unsafeSince(core, p.applicationId, p.environmentId, release);
    if (unsafe.length && !namesEvery(p.confirmPatches, unsafe)) {
      throw new PuestaError('PRECONDITION_FAILED', `${refusalText(release!, unsafe)} To switch ${h.serverName} back anyway, name ${unsafe.length > 1 ? 'each patch' : 'the patch'} in the confirmation.`, {
        serverId: h.serverId,
        release,
        patches: unsafe,
      });
    }
  }
}

export async function switchSlots(
  core: Core,
  p: AppEnv & { to: Slot; serverIds?: number[] | undefined; reason: string; confirmPatches?: string | undefined },
  signal?: AbortSignal,
): Promise<SwitchOutput> {
  const app = appOf(core, p.applicationId);
  refuseWhileLocked(core, p);
  checkPatches(core, p);
  const settings = getSettings(core, p.applicationId);
  const operator = core.operator();
  const lock = directLock(core, operator, `proxy.switch to ${p.to}${p.reason ? `: ${p.reason}` : ''}`);
  const lost = new Set<number>();
  const hosts = await onHosts(core, p, directSwitchScript(settings, app.basePath, p.to, lock), signal, (h, m, before) => {
    const release = m.RELEASE ?? null;
    const back = before?.live != null && before.live !== p.to && (p.to === 'blue' ? before.blueRelease : before.greenRelease) === release && !!before.warmUntil;
    core.tx(() => {
      putSlots(core, p.applicationId, h.serverId, { live: p.to, greenWeight: null, draining: false, ...(p.to === 'blue' ? { blueRelease: release } : { greenRelease: release }) });
      addEvent(core, { applicationId: p.applicationId, serverId: h.serverId, kind: back ? 'switch-back' : 'switch', live: p.to, release, operator, note: p.reason });
    });
  }, lost);
  noteCutOff(core, lock, hosts, lost);
  refuseIfAllHeld(hosts);
  const exp = hosts.some((h) => h.ok) ? openExperiment(core, p.applicationId, p.environmentId) : null;
  if (exp) endExperiment(core, exp, operator, `a switch sent every client to ${p.to}`);
  core.audit.write(operator, 'proxy.switch', 'applications', p.applicationId, null, { environmentId: p.environmentId, to: p.to, reason: p.reason, confirmPatches: p.confirmPatches ?? null, hosts });
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
  const lock = directLock(core, operator, `proxy.weights green ${p.green} %${p.reason ? `: ${p.reason}` : ''}`);
  const lost = new Set<number>();
  const hosts = await onHosts(core, p, weightsScript(settings, app.basePath, p.green, lock), signal, (h, m) => {
    const live = p.green === 0 ? 'blue' : p.green === 100 ? 'green' : slotName(m.LIVE) ?? null;
    core.tx(() => {
      putSlots(core, p.applicationId, h.serverId, { live, greenWeight: p.green });
      addEvent(core, { applicationId: p.applicationId, serverId: h.serverId, kind: 'weights', live, greenWeight: p.green, operator, note: p.reason });
    });
  }, lost);
  noteCutOff(core, lock, hosts, lost);
  refuseIfAllHeld(hosts);
  if (hosts.some((h) => h.ok)) recordExperiment(core, p, operator);
  core.audit.write(operator, 'proxy.weights', 'applications', p.applicationId, null, { environmentId: p.environmentId, green: p.green, reason: p.reason, hosts });
  return { hosts, green: p.green };
}

/** A weight step joins the running experiment (or starts one when it splits the clients); 100/0 ends it. */
function recordExperiment(core: Core, p: AppEnv & { green: number; reason: string }, operator: string): void {
  core.tx(() => {
    let exp = openExperiment(core, p.applicationId, p.environmentId);
    const split = p.green > 0 && p.green < 100;
    if (!exp && !split) return;
    if (!exp) {
      const { hosts } = targetsOf(core, p.applicationId, p.environmentId);
      const r = slotRecords(core, p.applicationId).get(hosts[0]?.serverId ?? -1);
      exp = startExperiment(core, { applicationId: p.applicationId, environmentId: p.environmentId, blueRelease: r?.blueRelease ?? null, greenRelease: r?.greenRelease ?? null, operator });
    }
    addWeightStep(core, exp, { green: p.green, operator, reason: p.reason });
    if (!split) endExperiment(core, exp, operator, `weights back to ${p.green === 100 ? 'green' : 'blue'} only`);
  });
}
