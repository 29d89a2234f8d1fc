import { useState } from 'react';
import type { Campaign } from '../../../../shared/contract/notices.js';
import type { Audience, Window } from '../../../../shared/contract/windows.js';
import { useApi } from '../../api/context.js';
import { ErrorLine } from '../../components/Bits.js';
import { ConfirmButtons, Dialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { useApiQuery } from '../../api/queries.js';
import { useAction } from '../../lib/hooks.js';
import { KIND_LABEL, STATE_LABEL, type TransitionSpec } from './meta.js';
import { unresolvedOf } from './rules.js';
import { fmtDateTime, fmtRelative, fromLocalInput, toLocalInput } from './time.js';

function who(a: Audience | undefined): string {
  if (!a) return 'the audience (still being computed)';
  // one message per address: a mailbox shared by two customers counts once
  return `${a.messages} recipient${a.messages === 1 ? '' : 's'} at ${a.customers.length} customer${a.customers.length === 1 ? '' : 's'}`;
}

/**
 * What is unresolved (conflicts, a start far from the date), named, with the question: the action
 * stays disabled until the operator says to go ahead anyway. `null` while the conflicts load.
 */
function useUnresolved(w: Window, action: 'announce' | 'start', zone: string, enabled: boolean) {
  const q = useApiQuery('windows.conflicts', { id: w.id }, { enabled });
  const [ack, setAck] = useState(false);
  const items = !enabled ? [] : q.data ? unresolvedOf(w, q.data.items, action, Date.now(), (iso) => fmtDateTime(iso, zone)) : q.error ? [] : null;
  const blocked = items === null || (items.length > 0 && !ack);
  const box =
    items && items.length > 0 ? (
      <div className="callout callout-warn unresolved" role="alert" data-testid="unresolved">
        <Icon name="warn" />
        <div>
          <strong>Not resolved yet:</strong>
          <ul>
            {items.map((m, i) => (
              <li key={i}>{m}</li>
            ))}
          </ul>
          <label className="check">
            <input type="checkbox" checked={ack} onChange={(e) => setAck(e.target.checked)} data-testid="unresolved-ack" />
            <span>{action === 'announce' ? 'Announce' : 'Start'} anyway</span>
          </label>
        </div>
      </div>
    ) : null;
  return { blocked, box };
}

/**
 * Announce / schedule: says exactly what will go out, to how many, and when, before anything is
 * queued. Reminders already past are listed as skipped.
 */
export function ScheduleDialog({
  w,
  audience,
  zone,
  existing,
  onClose,
  onDone,
}: {
  w: Window;
  audience: Audience | undefined;
  zone: string;
  existing: Campaign[];
  onClose: () => void;
  onDone: () => void;
}) {
  const api = useApi();
  const toast = useToast();
  const alreadyAnnounced = existing.some((c) => c.kind === 'announce' && c.state !== 'cancelled');
  const [announce, setAnnounce] = useState(!alreadyAnnounced);
  const [announceNow, setAnnounceNow] = useState(true);
  const [announceAt, setAnnounceAt] = useState(() => toLocalInput(new Date(Date.now() + 3_600_000).toISOString(), zone));
  const [reminders, setReminders] = useState<number[]>(() => {
    const r = existing.filter((c) => c.kind === 'reminder' && c.offsetHours != null && c.state !== 'cancelled').map((c) => c.offsetHours!);
    return r.length ? [...new Set(r)].sort((a, b) => b - a) : [72, 24, 1];
  });
  const [newReminder, setNewReminder] = useState('');
  const { busy, error, run } = useAction();
  const start = Date.parse(w.start);
  const now = Date.now();
  const pendingToReplace = existing.filter((c) => c.state === 'scheduled');
  const n = audience?.messages ?? 0;
  const announceIso = announceNow ? null : fromLocalInput(announceAt, zone)?.iso ?? null;
  const live = reminders.filter((h) => start - h * 3_600_000 > now);
  const skipped = reminders.filter((h) => start - h * 3_600_000 <= now);
  const messages = n * ((announce ? 1 : 0) + live.length);
  const unresolved = useUnresolved(w, 'announce', zone, announce);

  const add = () => {
    const h = Number(newReminder);
    if (!Number.isFinite(h) || h <= 0 || h > 24 * 60) return;
    setReminders((r) => [...new Set([...r, h])].sort((a, b) => b - a));
    setNewReminder('');
  };

  const go = () =>
    run(async () => {
      const r = await api.call('notices.schedule', { windowId: w.id, reminders, announce, announceAt: announce ? announceIso : null });
      toast.success(`${r.items.length} notice${r.items.length === 1 ? '' : 's'} scheduled for “${w.title}”.`);
      onDone();
    });

  return (
    <Dialog
      wide
      title={w.state === 'draft' ? `Announce “${w.title}”` : `Schedule the notices of “${w.title}”`}
      onClose={onClose}
      footer={
        <ConfirmButtons onCancel={onClose} disabled={busy || (!announce && live.length === 0) || unresolved.blocked} onConfirm={() => void go()} testId="schedule-confirm">
          {busy ? 'Working…' : announce && announceNow ? `Announce to ${n} recipient${n === 1 ? '' : 's'} now` : `Schedule ${messages} message${messages === 1 ? '' : 's'}`}
        </ConfirmButtons>
      }
    >
      {unresolved.box}
      <div className="schedule-form">
        <label className="check">
          <input type="checkbox" checked={announce} onChange={(e) => setAnnounce(e.target.checked)} data-testid="schedule-announce" />
          <span>Send the announcement{alreadyAnnounced ? ' again' : ''} (with the calendar invitation)</span>
        </label>
        {announce && (
          <div className="schedule-when">
            <label className="check">
              <input type="radio" name="announce-when" checked={announceNow} onChange={() => setAnnounceNow(true)} />
              <span>now</span>
            </label>
            <label className="check">
              <input type="radio" name="announce-when" checked={!announceNow} onChange={() => setAnnounceNow(false)} />
              <span>at</span>
            </label>
            <input type="datetime-local" disabled={announceNow} value={announceAt} onChange={(e) => setAnnounceAt(e.target.value)} aria-label="Announce at" />
            <span className="muted small">{zone}</span>
          </div>
        )}
        <div className="field">
          <label>Reminders before the start</label>
          <div className="chips-input">
            {reminders.map((h) => (
              <span key={h} className={'chip' + (skipped.includes(h) ? ' chip-bad' : '')} data-testid="reminder-chip">
                {h} h
                <button type="button" aria-label={`Remove the ${h} h reminder`} onClick={() => setReminders((r) => r.filter((x) => x !== h))}>
                  <Icon name="close" size={11} />
                </button>
              </span>
            ))}
            <input
              type="number"
              min={1}
              placeholder="hours"
              value={newReminder}
              onChange={(e) => setNewReminder(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  add();
                }
              }}
              onBlur={add}
              aria-label="Add a reminder (hours before)"
              data-testid="reminder-add"
            />
          </div>
        </div>
      </div>
      <div className="what-happens" data-testid="schedule-summary">
        <h3>What will happen</h3>
        <ul>
          {announce && (
            <li>
              The <strong>announcement</strong> goes to <strong>{who(audience)}</strong> {announceNow ? 'now' : announceIso ? `at ${fmtDateTime(announceIso, zone)}` : '(choose a time)'}, each
              in their own zone and language, with an invitation (invite.ics).
            </li>
          )}
          {live.map((h) => (
            <li key={h}>
              A <strong>reminder</strong> {h} h before: {fmtDateTime(new Date(start - h * 3_600_000).toISOString(), zone)} ({fmtRelative(new Date(start - h * 3_600_000).toISOString())}), to the audience
              as it stands then.
            </li>
          ))}
          {skipped.length > 0 && (
            <li className="muted">
              Skipped (already past): {skipped.map((h) => `${h} h`).join(', ')} before.
            </li>
          )}
          {pendingToReplace.length > 0 && <li>It replaces the {pendingToReplace.length} notice{pendingToReplace.length === 1 ? '' : 's'} still scheduled.</li>}
          {w.state === 'draft' && <li>The window becomes <strong>{STATE_LABEL.announced}</strong>.</li>}
          <li className="muted">
            Offline or SMTP down? Messages wait in the outbox and go out once each when the server answers. The “started”, “completed” and “extended” notices go out when you move the window to those
            states.
          </li>
        </ul>
      </div>
      <ErrorLine error={error} testId="dialog-error" />
    </Dialog>
  );
}

/** A state change, with the notice it queues and to whom; "extended" asks for the new end. */
export function TransitionDialog({
  w,
  spec,
  audience,
  zone,
  onClose,
  onDone,
}: {
  w: Window;
  spec: TransitionSpec;
  audience: Audience | undefined;
  zone: string;
  onClose: () => void;
  onDone: () => void;
}) {
  const api = useApi();
  const toast = useToast();
  const [notify, setNotify] = useState(spec.notice !== null);
  const [newEnd, setNewEnd] = useState(() => toLocalInput(new Date(Date.parse(w.end) + 3_600_000).toISOString(), zone));
  const { busy, error, run } = useAction();
  const newEndIso = spec.to === 'extended' ? fromLocalInput(newEnd, zone)?.iso : undefined;
  const badEnd = spec.to === 'extended' && (!newEndIso || Date.parse(newEndIso) <= Date.parse(w.end));
  const unresolved = useUnresolved(w, 'start', zone, spec.to === 'in_progress');

  const go = () =>
    run(async () => {
      await api.call('windows.transition', { id: w.id, to: spec.to, notify, ...(newEndIso ? { newEnd: newEndIso } : {}) });
      toast.success(`“${w.title}” is now ${STATE_LABEL[spec.to].toLowerCase()}.`);
      onDone();
    });

  const target = STATE_LABEL[spec.to];
  return (
    <Dialog
      title={`${spec.label.replace('…', '')}: “${w.title}”`}
      onClose={onClose}
      footer={
        <ConfirmButtons onCancel={onClose} cancelLabel="Back" danger={spec.danger} disabled={busy || badEnd || unresolved.blocked} onConfirm={() => void go()} testId="transition-confirm">
          {busy ? 'Working…' : notify && spec.notice ? `${spec.label.replace('…', '')} and tell ${audience?.messages ?? '…'}` : spec.label.replace('…', '')}
        </ConfirmButtons>
      }
    >
      <div className="confirm-body">
        {unresolved.box}
        <p>
          The window moves from <strong>{STATE_LABEL[w.state]}</strong> to <strong>{target}</strong>.
        </p>
        {spec.to === 'extended' && (
          <div className="field">
            <label htmlFor="new-end">New end ({zone})</label>
            <input id="new-end" type="datetime-local" value={newEnd} onChange={(e) => setNewEnd(e.target.value)} data-testid="new-end" />
            <div className={badEnd ? 'field-error' : 'field-hint'}>
              {badEnd ? `Must be later than the current end, ${fmtDateTime(w.end, zone)}.` : `Currently ends ${fmtDateTime(w.end, zone)}.`}
            </div>
          </div>
        )}
        {spec.notice ? (
          <>
            <label className="check">
              <input type="checkbox" checked={notify} onChange={(e) => setNotify(e.target.checked)} data-testid="transition-notify" />
              <span>
                Send the “{KIND_LABEL[spec.notice].toLowerCase()}” notice to <strong>{who(audience)}</strong>
                {spec.to === 'cancelled' ? ', withdrawing the calendar invitation' : spec.to === 'extended' ? ', with the updated invitation' : ''}
              </span>
            </label>
            <p className="muted small">{notify ? 'It goes out as soon as the SMTP server answers (it waits in the outbox while offline).' : 'Nobody is told of this change.'}</p>
          </>
        ) : (
          <p className="muted">{w.state === 'draft' ? 'Nobody was told about this draft, so nothing is sent.' : 'Nothing is sent by this step.'}</p>
        )}
        {spec.to === 'cancelled' && <p>Notices of this window still waiting (announcement, reminders) will not go out.</p>}
        {spec.to === 'in_progress' && <p className="muted small">Announcement and reminders not sent yet are dropped: the window has started.</p>}
        {spec.to === 'extended' && <p className="muted small">Reminders still to come move with the window.</p>}
      </div>
      <ErrorLine error={error} testId="dialog-error" />
    </Dialog>
  );
}
