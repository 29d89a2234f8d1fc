/**
 * A lifecycle policy as typed in a form (pure, unit-tested): every field is text, so the per-contract
 * form can leave one empty to mean "the Settings default". Retry-After is typed in hours.
 */
import type { LifecyclePolicy, PolicyOverrides } from '../../../../shared/contract/contracts.js';
import { daysText, parseDays } from './lifecycle.js';

export interface PolicyDraft {
  reminderDaysBefore: string;
  overdueReminderDaysAfter: string;
  graceDays: string;
  suspensionMode: string;
  suspensionReason: string;
  retryAfterHours: string;
  stopWorkers: string;
}
export type PolicyErrors = Partial<Record<keyof PolicyDraft, string>>;

type Loose = { [K in keyof LifecyclePolicy]?: LifecyclePolicy[K] | null };

/** The draft of a complete policy, or of a contract's overrides (null → empty: the default). */
export function draftOf(p: Loose): PolicyDraft {
  return {
    reminderDaysBefore: p.reminderDaysBefore ? daysText(p.reminderDaysBefore) : '',
    overdueReminderDaysAfter: p.overdueReminderDaysAfter ? daysText(p.overdueReminderDaysAfter) : '',
    graceDays: p.graceDays == null ? '' : String(p.graceDays),
    suspensionMode: p.suspensionMode ?? '',
    suspensionReason: p.suspensionReason ?? '',
    retryAfterHours: p.retryAfterSeconds == null ? '' : String(Math.round((p.retryAfterSeconds / 3600) * 100) / 100),
    stopWorkers: p.stopWorkers ? p.stopWorkers.join(', ') : '',
  };
}

const SERVICE = /^[a-z][a-z0-9-]{0,40}$/;

/**
 * Reads a draft back. `partial`: an empty field is null (the default), except grace days, which a
 * contract always has; else every field is required. Errors are per field, in words.
 */
export function readDraft(d: PolicyDraft, partial: boolean): { value: Loose; errors: PolicyErrors } {
  const errors: PolicyErrors = {};
  const value: Loose = {};
  const empty = (k: keyof PolicyDraft) => d[k].trim() === '';
  const need = (k: keyof PolicyDraft) => {
    if (!empty(k)) return true;
    if (partial && k !== 'graceDays') return false;
    errors[k] = 'required';
    return false;
  };
  for (const k of ['reminderDaysBefore', 'overdueReminderDaysAfter'] as const) {
    if (!need(k)) {
      if (partial) value[k] = null;
      continue;
    }
    const days = parseDays(d[k], k === 'overdueReminderDaysAfter');
    if (!days) errors[k] = 'whole days from 1 to 365, separated by commas';
    else if (days.length > 12) errors[k] = 'at most 12 days';
    else value[k] = days;
  }
  if (need('graceDays')) {
    const n = Number(d.graceDays);
    if (!Number.isInteger(n) || n < 0 || n > 365) errors.graceDays = 'a whole number of days from 0 to 365';
    else value.graceDays = n;
  }
  if (need('suspensionMode')) value.suspensionMode = d.suspensionMode as LifecyclePolicy['suspensionMode'];
  else if (partial) value.suspensionMode = null;
  if (need('suspensionReason')) value.suspensionReason = d.suspensionReason as LifecyclePolicy['suspensionReason'];
  else if (partial) value.suspensionReason = null;
  if (need('retryAfterHours')) {
    const s = Math.round(Number(d.retryAfterHours) * 3600);
    if (!Number.isFinite(s) || s < 60 || s > 2_592_000) errors.retryAfterHours = 'from one minute (0.02) to 720 hours';
    else value.retryAfterSeconds = s;
  } else if (partial) value.retryAfterSeconds = null;
  // "none" is how a contract says "stop no worker" while the default stops some
  const names = d.stopWorkers.trim() === 'none' ? [] : d.stopWorkers.split(/[\s,]+/).filter(Boolean);
  if (empty('stopWorkers')) value.stopWorkers = partial ? null : [];
  else if (names.some((n) => !SERVICE.test(n))) errors.stopWorkers = 'service names: lowercase letters, digits and dashes';
  else value.stopWorkers = names;
  return { value, errors };
}

export const asPolicy = (v: Loose): LifecyclePolicy => v as LifecyclePolicy;
export const asOverrides = (v: Loose): PolicyOverrides => v as PolicyOverrides;
