import type { NoticeKind, OutboxState } from '../../../../shared/contract/notices.js';
import type { WindowState } from '../../../../shared/contract/windows.js';
import type { Tone } from '../../components/Bits.js';

export const STATE_LABEL: Record<WindowState, string> = {
  draft: 'Draft',
  announced: 'Announced',
  in_progress: 'In progress',
  done: 'Done',
  cancelled: 'Cancelled',
  extended: 'Extended',
};

export const STATE_TONE: Record<WindowState, Tone> = {
  draft: 'neutral',
  announced: 'blue',
  in_progress: 'amber',
  done: 'green',
  cancelled: 'red',
  extended: 'violet',
};

export const KIND_LABEL: Record<NoticeKind, string> = {
  announce: 'Announcement',
  reminder: 'Reminder',
  updated: 'Updated',
  started: 'Started',
  completed: 'Completed',
  extended: 'Extended',
  cancelled: 'Cancelled',
};

export const OUTBOX_LABEL: Record<OutboxState, string> = {
  queued: 'Queued',
  sending: 'Sending',
  sent: 'Sent',
  failed: 'Failed',
  unknown: 'Unknown',
};

export const OUTBOX_TONE: Record<OutboxState, Tone> = {
  queued: 'neutral',
  sending: 'blue',
  sent: 'green',
  failed: 'red',
  unknown: 'amber',
};

/**
 * The transitions offered from each state, with what they do (the contract's life cycle:
 * draft → announced → in_progress → done, or cancelled; in_progress/extended → extended → done).
 */
export interface TransitionSpec {
  to: 'announced' | 'in_progress' | 'done' | 'cancelled' | 'extended';
  label: string;
  /** The notice queued by the move (none for announced: the announcement is scheduled). */
  notice: NoticeKind | null;
  danger?: boolean;
}

export function transitionsFrom(state: WindowState): TransitionSpec[] {
  switch (state) {
    case 'draft':
      // Announcing goes through the schedule dialog (announcement + reminders).
      return [
        { to: 'in_progress', label: 'Start', notice: 'started' },
        { to: 'cancelled', label: 'Cancel window', notice: null, danger: true },
      ];
    case 'announced':
      return [
        { to: 'in_progress', label: 'Start', notice: 'started' },
        { to: 'cancelled', label: 'Cancel window', notice: 'cancelled', danger: true },
      ];
    case 'in_progress':
      return [
        { to: 'done', label: 'Complete', notice: 'completed' },
        { to: 'extended', label: 'Extend…', notice: 'extended' },
        { to: 'cancelled', label: 'Cancel window', notice: 'cancelled', danger: true },
      ];
    case 'extended':
      return [
        { to: 'done', label: 'Complete', notice: 'completed' },
        { to: 'extended', label: 'Extend again…', notice: 'extended' },
        { to: 'cancelled', label: 'Cancel window', notice: 'cancelled', danger: true },
      ];
    default:
      return [];
  }
}
