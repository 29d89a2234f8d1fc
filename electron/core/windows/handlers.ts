import type { NoticeKind } from '../../../shared/contract/notices.js';
import type { Window, windowsMethods } from '../../../shared/contract/windows.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import type { Handlers } from '../handlers.js';
import { hasMaterialised, stopPending } from '../notices/campaign-store.js';
import { addCampaign, rescheduleReminders, scheduleNotices } from '../notices/campaigns.js';
import { computeAudience, scopeOf } from './audience.js';
import { conflictCounts } from './conflict-counts.js';
import { findConflicts } from './conflicts.js';
import {
  createBlackout,
  createWindow,
  deleteBlackout,
  deleteWindow,
  getWindow,
  listBlackouts,
  listWindows,
  setWindowState,
  toUtc,
  updateWindow,
} from './repo.js';

/** The windows' own methods; the notices, outbox and SMTP ones of the group are served by the notices handlers. */
type WindowsMethod = Extract<keyof typeof windowsMethods, `windows.${string}` | `blackouts.${string}`>;

const changed = (core: Core, id: number, action: 'create' | 'update' | 'delete' | 'transition') => core.events.emit('windows.changed', { id, action });

/** Which state may follow which. */
const NEXT: Record<Window['state'], readonly string[]> = {
  draft: ['announced', 'in_progress', 'cancelled'],
  announced: ['in_progress', 'cancelled'],
  in_progress: ['done', 'extended', 'cancelled'],
  extended: ['done', 'extended', 'cancelled'],
  done: [],
  cancelled: [],
};

const STATE_NOTICE: Partial<Record<string, NoticeKind>> = { in_progress: 'started', done: 'completed', extended: 'extended', cancelled: 'cancelled' };

/**
 * Moves a window along its life cycle and queues the notice tied to the new state (due now).
 * `announced` schedules the announcement and the default reminders (72 h, 24 h, 1 h).
 */
export function transitionWindow(core: Core, input: { id: number; to: Window['state']; newEnd?: string | undefined; notify: boolean }): Window {
  const w = core.tx(() => {
    const before = getWindow(core, input.id);
    if (!NEXT[before.state].includes(input.to)) {
      const allowed = NEXT[before.state];
      throw new PuestaError(
        'PRECONDITION_FAILED',
        `Window "${before.title}" is ${before.state}; it cannot become ${input.to}.${allowed.length ? ` From ${before.state} it can become: ${allowed.join(', ')}.` : ''}`,
      );
    }
    if (input.to === 'extended') {
      if (!input.newEnd) throw new PuestaError('INVALID_INPUT', 'Give the new end (newEnd) to extend a window.', { field: 'newEnd' });
      if (Date.parse(input.newEnd) <= Date.parse(before.end)) throw new PuestaError('INVALID_INPUT', `The new end must be later than the current end (${before.end}).`, { field: 'newEnd' });
    }
    const toldBefore = hasMaterialised(core, before.id);
    if (input.to === 'announced') {
      if (!input.notify) return setWindowState(core, before.id, 'announced');
      scheduleNotices(core, before.id, [72, 24, 1], null, true);
      return getWindow(core, before.id);
    }
    const after = setWindowState(core, before.id, input.to, input.to === 'extended' ? toUtc(input.newEnd!) : undefined);
    if (input.to === 'in_progress' || input.to === 'done') stopPending(core, before.id, 'not sent: the window had already started', ['announce', 'reminder']);
    if (input.to === 'cancelled') stopPending(core, before.id, 'not sent: the window was cancelled');
    if (input.to === 'extended') rescheduleReminders(core, before.id, after.start);
    const kind = STATE_NOTICE[input.to];
    if (input.notify && kind && (kind !== 'cancelled' || toldBefore)) {
      addCampaign(core, before.id, kind, new Date().toISOString(), null, input.to === 'extended' ? { previousEnd: before.end } : {});
    }
    return after;
  });
  core.services.notices.kick();
  changed(core, w.id, 'transition');
  return w;
}

export const windowsHandlers: Handlers<WindowsMethod> = {
  'windows.list': (core, input) => listWindows(core, input),
  'windows.get': (core, input) => getWindow(core, input.id),
  'windows.create': (core, input) => {
    const w = createWindow(core, input);
    changed(core, w.id, 'create');
    return w;
  },
  'windows.update': (core, input) => {
    const { id, ...patch } = input;
    const after = core.tx(() => {
      const r = updateWindow(core, id, patch);
      if (r.after.start !== r.before.start) rescheduleReminders(core, id, r.after.start);
      if (r.timesChanged && r.after.state !== 'draft' && hasMaterialised(core, id)) addCampaign(core, id, 'updated', new Date().toISOString());
      return r.after;
    });
    core.services.notices.kick();
    changed(core, id, 'update');
    return after;
  },
  'windows.delete': (core, input) => {
    const r = deleteWindow(core, input.id);
    changed(core, input.id, 'delete');
    return r;
  },
  'windows.transition': (core, input) => transitionWindow(core, input),
  'windows.conflicts': (core, input) => {
    if ('id' in input) {
      const w = getWindow(core, input.id);
      return { items: findConflicts(core, scopeOf(core, w.id), w.id) };
    }
    if (Date.parse(input.end) <= Date.parse(input.start)) throw new PuestaError('INVALID_INPUT', 'The end of the window is not after its start.', { field: 'end' });
    const { start, end, applicationIds, serverIds, environmentId } = input;
    return { items: findConflicts(core, { start, end, applicationIds, serverIds, environmentId }, input.excludeId ?? null) };
  },
  'windows.conflictCounts': (core, input) => ({ items: conflictCounts(core, input.ids) }),
  'windows.audience': (core, input) => {
    getWindow(core, input.id);
    return computeAudience(core, input.id, input.includeContacts);
  },
  'blackouts.list': (core, input) => ({ items: listBlackouts(core, input) }),
  'blackouts.create': (core, input) => createBlackout(core, input),
  'blackouts.delete': (core, input) => deleteBlackout(core, input.id),
};
