import { useId, useState, type ReactNode } from 'react';
import { SUSPENSION_MODES, type LifecyclePolicy } from '../../../../shared/contract/contracts.js';
import { SUSPENSION_REASONS } from '../../../../shared/contract/suspension.js';
import { useApiMutation, useApiQuery } from '../../api/queries.js';
import { ErrorBox, ErrorLine, Spinner } from '../../components/Bits.js';
import { ConfirmButtons, Dialog } from '../../components/Dialog.js';
import { FieldShell } from '../../components/Fields.js';
import { useToast } from '../../components/Toasts.js';
import { errorMessage } from '../../lib/form.js';
import { daysText, REASON_LABEL, retryAfterText } from './lifecycle.js';
import { asOverrides, asPolicy, draftOf, readDraft, type PolicyDraft, type PolicyErrors } from './policyDraft.js';

const MODE_LABEL: Record<LifecyclePolicy['suspensionMode'], string> = {
  propose: 'Propose it (a decision on Today)',
  automatic: 'Carry it out when due, while Puesta is open',
};

function Field({ label, error, hint, children }: { label: string; error?: string | undefined; hint?: ReactNode; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <FieldShell id={id} label={label} hint={hint} error={error}>
      {children(id)}
    </FieldShell>
  );
}

/**
 * The policy fields. With `defaults` (a contract's own settings) an empty field means the default,
 * which the placeholder and the hint show; without, every field is required (the Settings defaults).
 */
export function PolicyFields({ draft, errors, onChange, defaults }: { draft: PolicyDraft; errors: PolicyErrors; onChange: (d: PolicyDraft) => void; defaults?: LifecyclePolicy }) {
  const set = (k: keyof PolicyDraft) => (e: { target: { value: string } }) => onChange({ ...draft, [k]: e.target.value });
  const dflt = (text: string) => (defaults ? `Empty: the default (${text}).` : undefined);
  const text = (k: keyof PolicyDraft, placeholder?: string) => (id: string) => (
    <input id={id} value={draft[k]} onChange={set(k)} placeholder={placeholder} aria-invalid={errors[k] ? true : undefined} />
  );
  return (
    <div className="grid-2 policy-fields">
      <Field label="Reminders, days before the end" error={errors.reminderDaysBefore} hint={dflt(daysText(defaults?.reminderDaysBefore ?? [])) ?? 'e.g. 30, 14, 7, 1'}>
        {text('reminderDaysBefore', defaults ? daysText(defaults.reminderDaysBefore) : '30, 14, 7, 1')}
      </Field>
      <Field label="Overdue reminders, days after the end" error={errors.overdueReminderDaysAfter} hint={dflt(daysText(defaults?.overdueReminderDaysAfter ?? [])) ?? 'e.g. 1, 7'}>
        {text('overdueReminderDaysAfter', defaults ? daysText(defaults.overdueReminderDaysAfter) : '1, 7')}
      </Field>
      <Field label="Grace days" error={errors.graceDays} hint={defaults ? 'After the end date, before suspension is due (the contract’s own field).' : 'After the end date, before suspension is due. New contracts start with this value; each contract keeps its own (in its details).'}>
        {(id) => <input id={id} type="number" min={0} max={365} value={draft.graceDays} onChange={set('graceDays')} aria-invalid={errors.graceDays ? true : undefined} />}
      </Field>
      <Field label="When suspension is due" error={errors.suspensionMode}>
        {(id) => (
          <select id={id} value={draft.suspensionMode} onChange={set('suspensionMode')}>
            {defaults && <option value="">Default: {MODE_LABEL[defaults.suspensionMode].toLowerCase()}</option>}
            {SUSPENSION_MODES.map((m) => (
              <option key={m} value={m}>
                {MODE_LABEL[m]}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Reason of the suspension" error={errors.suspensionReason} hint="Only an overdue suspension is lifted by a renewal.">
        {(id) => (
          <select id={id} value={draft.suspensionReason} onChange={set('suspensionReason')}>
            {defaults && <option value="">Default: {REASON_LABEL[defaults.suspensionReason]}</option>}
            {SUSPENSION_REASONS.map((r) => (
              <option key={r} value={r}>
                {REASON_LABEL[r]}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Retry-After, hours" error={errors.retryAfterHours} hint={dflt(defaults ? retryAfterText(defaults.retryAfterSeconds) : '') ?? 'What the 503 page tells clients and crawlers.'}>
        {(id) => (
          <input
            id={id}
            type="number"
            min={0.02}
            step="any"
            value={draft.retryAfterHours}
            onChange={set('retryAfterHours')}
            placeholder={defaults ? String(defaults.retryAfterSeconds / 3600) : undefined}
            aria-invalid={errors.retryAfterHours ? true : undefined}
          />
        )}
      </Field>
      <div className="span-2">
        <Field
          label="Workers stopped on suspension"
          error={errors.stopWorkers}
          hint={defaults ? `Service names, comma separated; “none”: stop none. Empty: the default (${defaults.stopWorkers.join(', ') || 'none'}).` : 'Service names of the application, comma separated; empty: none is stopped.'}
        >
          {text('stopWorkers', defaults ? defaults.stopWorkers.join(', ') || 'none' : 'e.g. worker, scheduler')}
        </Field>
      </div>
    </div>
  );
}

/** Settings: the default policy every contract follows unless it sets its own. */
export function PolicyDefaultsSection() {
  const q = useApiQuery('contracts.policyDefaults', {});
  if (q.error) return <ErrorBox error={q.error} onRetry={() => void q.refetch()} />;
  if (!q.data) return <Spinner />;
  return <DefaultsForm key={JSON.stringify(q.data)} current={q.data} />;
}

function DefaultsForm({ current }: { current: LifecyclePolicy }) {
  const toast = useToast();
  const [draft, setDraft] = useState(() => draftOf(current));
  const [errors, setErrors] = useState<PolicyErrors>({});
  const save = useApiMutation('contracts.setPolicyDefaults', { invalidates: ['contracts.*'] });
  const dirty = JSON.stringify(draft) !== JSON.stringify(draftOf(current));
  const submit = () => {
    const r = readDraft(draft, false);
    setErrors(r.errors);
    if (Object.keys(r.errors).length) return;
    save.mutate(asPolicy(r.value), { onSuccess: () => toast.success('Contracts without their own settings follow the new policy from the next evaluation.') });
  };
  return (
    <form
      data-testid="policy-defaults"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <PolicyFields draft={draft} errors={errors} onChange={setDraft} />
      <ErrorLine error={save.error ? errorMessage(save.error) : null} />
      <div className="inline-actions">
        <button className="btn btn-primary" type="submit" disabled={!dirty || save.isPending}>
          Save the defaults
        </button>
      </div>
    </form>
  );
}

/** A contract's own policy: what it overrides (empty fields follow the Settings defaults). */
export function ContractPolicyDialog({ contractId, onClose }: { contractId: number; onClose: () => void }) {
  const toast = useToast();
  const q = useApiQuery('contracts.policy', { contractId });
  const [draft, setDraft] = useState<PolicyDraft | null>(null);
  const [errors, setErrors] = useState<PolicyErrors>({});
  const save = useApiMutation('contracts.setPolicy', { invalidates: ['contracts.*'] });
  const shown = draft ?? (q.data ? draftOf(q.data.overrides) : null);
  const submit = () => {
    if (!shown) return;
    const r = readDraft(shown, true);
    setErrors(r.errors);
    if (Object.keys(r.errors).length) return;
    save.mutate(
      { contractId, overrides: asOverrides(r.value) },
      {
        onSuccess: () => {
          toast.success('The contract’s policy is saved.');
          onClose();
        },
      },
    );
  };
  return (
    <Dialog
      title="Lifecycle policy of this contract"
      onClose={onClose}
      wide
      footer={
        <ConfirmButtons onCancel={onClose} onConfirm={submit} disabled={!shown || save.isPending} testId="save-policy">
          Save
        </ConfirmButtons>
      }
    >
      {q.error && <ErrorBox error={q.error} />}
      {shown && q.data ? <PolicyFields draft={shown} errors={errors} onChange={setDraft} defaults={q.data.defaults} /> : !q.error && <Spinner />}
      <ErrorLine error={save.error ? errorMessage(save.error) : null} />
    </Dialog>
  );
}
