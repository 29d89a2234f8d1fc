/**
 * The built-in checklists of a blue-green / A/B application: the release goes into the idle slot,
 * which is started and checked directly; then the proxy switches, the guard (the application's
 * health check, switching back on failure) watches, the old slot drains, stays warm, and stops.
 */
import type { ChecklistKind, ChecklistStep } from '../../../shared/contract/runs.js';
import { ChecklistStep as StepSchema } from '../../../shared/contract/runs.js';
import type { ProxySettingsFields } from '../../../shared/contract/proxy.js';
import { assignScript, drainScript, slotHealthScript, startScript, stopScript, switchStepScript } from './commands.js';
import { installScript, slotApp, type ProxyApp } from './install.js';
import { slotServiceFunction } from './slot-units.js';

/** The keys of the steps this area writes (the built-in `switch` is replaced by the proxy's). */
export const PROXY_STEP_KEYS = ['proxy-install', 'slot-assign', 'slot-start', 'slot-health', 'switch', 'drain', 'slot-stop'] as const;

const step = (s: Partial<ChecklistStep> & Pick<ChecklistStep, 'key' | 'title'>): ChecklistStep => StepSchema.parse(s);

/** The shell that starts / stops `$slot`: its service (slotCommand) or the operator's commands. */
function slotControl(s: ProxySettingsFields, app: ProxyApp): { start: string; stop: string } {
  if (!s.slotCommand.trim()) return { start: s.startCommand, stop: s.stopCommand };
  const fn = slotServiceFunction(slotApp(s, app));
  return { start: `${fn}
slot_service restart "$slot"`, stop: `${fn}
slot_service stop "$slot"` };
}

/** The proxy's steps for these settings, by key. */
export function proxySteps(s: ProxySettingsFields, kind: ChecklistKind, app: ProxyApp): Record<(typeof PROXY_STEP_KEYS)[number], ChecklistStep> {
  const rollback = kind === 'rollback';
  const ctl = slotControl(s, app);
  return {
    'proxy-install': step({
      key: 'proxy-install',
      title: `Prepare the slots${s.slotCommand.trim() ? ', their services' : ''} and the proxy (${s.driver}${s.writeProxyConfig && s.driver !== 'nginx-reload' ? ', config written and checked' : ''})`,
      command: installScript(s, app),
      timeoutSeconds: 120,
    }),
    'slot-assign': step({
      key: 'slot-assign',
      title: rollback ? 'Find the slot holding the release (or put it into the idle slot)' : 'Put the release into the idle slot',
      command: assignScript(s, { reuse: rollback }),
      timeoutSeconds: 60,
    }),
    'slot-start': step({
      key: 'slot-start',
      title: rollback ? 'Start that slot unless it is still warm' : 'Start the idle slot',
      command: startScript(s, { ifDown: rollback, start: ctl.start }),
      timeoutSeconds: 300,
    }),
    'slot-health': step({
      key: 'slot-health',
      title: `Check the idle slot directly (${s.healthSuccesses} answers in a row, ${s.healthDeadlineSeconds} s)`,
      command: slotHealthScript(s),
      timeoutSeconds: s.healthDeadlineSeconds + 30,
    }),
    switch: step({ key: 'switch', title: `Switch the proxy to that slot (${s.driver})`, command: switchStepScript(s), timeoutSeconds: 60 }),
    drain: step({ key: 'drain', title: `Drain the old slot (in-flight requests to 0, at most ${s.drainSeconds} s)`, command: drainScript(s), timeoutSeconds: s.drainSeconds + 60 }),
    'slot-stop': step({
      key: 'slot-stop',
      title: s.warmSeconds ? `Keep the old slot warm ${s.warmSeconds} s, then stop it` : 'Stop the old slot',
      command: stopScript(s, ctl.stop),
      timeoutSeconds: 300,
    }),
  };
}

/** Rebuilds a built-in symlink checklist (by its step keys) into the blue-green flow. */
export function blueGreenChecklist(s: ProxySettingsFields, kind: ChecklistKind, builtin: ChecklistStep[], app: ProxyApp): ChecklistStep[] {
  const p = proxySteps(s, kind, app);
  const own = (key: string): ChecklistStep[] => builtin.filter((x) => x.key === key);
  // provisioning (user, directories, log rotation…) stays; its services `restart` does not: slots start on their own
  const prov = builtin.filter((x) => x.key.startsWith('provision-'));
  const guard = own('health').map((h) => ({ ...h, title: 'Guard: the health check through the proxy (switches back on failure)', switchBackOnFailure: true }));
  switch (kind) {
    case 'install':
      return [...own('preflight'), ...own('layout'), ...prov, p['proxy-install'], ...own('upload'), ...own('link-shared'), p['slot-assign'], p['slot-start'], p['slot-health'], p.switch, ...guard, ...own('record')];
    case 'upgrade':
      return [...own('preflight'), ...prov, ...own('upload'), ...own('link-shared'), p['slot-assign'], p['slot-start'], p['slot-health'], p.switch, ...guard, p.drain, p['slot-stop'], ...own('cleanup'), ...own('record')];
    case 'rollback':
      return [...own('preflight'), p['slot-assign'], p['slot-start'], p['slot-health'], p.switch, ...guard, p.drain, p['slot-stop'], ...own('record')];
  }
}
