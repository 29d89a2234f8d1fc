import { BlackoutFields } from '../../../../shared/contract/windows.js';
import { useApi } from '../../api/context.js';
import { useApiQuery, useInvalidate } from '../../api/queries.js';
import { ErrorBox } from '../../components/Bits.js';
import { Dialog } from '../../components/Dialog.js';
import { TextField } from '../../components/Fields.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { errorMessage, useForm, type Form } from '../../lib/form.js';
import { useFormSubmit } from '../../lib/hooks.js';
import { formatDate } from '../../lib/format.js';
import { operatorZone } from './zone.js';

/** Blackout date ranges (freezes): listed, added, removed. Windows on those days are flagged. */
export function BlackoutsDialog({ onClose }: { onClose: () => void }) {
  const api = useApi();
  const toast = useToast();
  const q = useApiQuery('blackouts.list', {});
  const invalidate = useInvalidate();
  // No event announces blackouts; they change the calendar's flags and every window's clashes.
  const changed = () => invalidate('blackouts.*', 'windows.conflicts', 'windows.conflictCounts');
  const form = useForm<{ startDate: string; endDate: string; reason: string; timezone: string }>(BlackoutFields, {
    startDate: '',
    endDate: '',
    reason: '',
    timezone: operatorZone(),
  });
  const f = form as unknown as Form<Record<string, unknown>>;
  const { busy, submit } = useFormSubmit(form);
  const add = () =>
    submit(async (v) => {
      await api.call('blackouts.create', v as never);
      form.reset({ startDate: '', endDate: '', reason: '', timezone: form.draft.timezone });
      await changed();
    });
  const del = async (id: number) => {
    try {
      await api.call('blackouts.delete', { id });
      await changed();
    } catch (e) {
      toast.error(errorMessage(e));
    }
  };
  return (
    <Dialog title="Blackout dates" onClose={onClose} wide>
      <p className="muted">Days when no maintenance should happen (a year-end freeze, a customer's sales peak). Windows touching them are flagged as conflicts.</p>
      {q.error && <ErrorBox error={q.error} onRetry={() => void q.refetch()} />}
      <table className="table compact" data-testid="blackouts">
        <thead>
          <tr>
            <th>From</th>
            <th>To</th>
            <th>Reason</th>
            <th>Zone</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {q.data?.items.map((b) => (
            <tr key={b.id}>
              <td>{formatDate(b.startDate)}</td>
              <td>{formatDate(b.endDate)}</td>
              <td>{b.reason}</td>
              <td className="muted">{b.timezone}</td>
              <td style={{ textAlign: 'right' }}>
                <button className="icon-btn" aria-label={`Remove blackout ${b.reason}`} onClick={() => void del(b.id)}>
                  <Icon name="trash" size={14} />
                </button>
              </td>
            </tr>
          ))}
          {q.data && q.data.items.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No blackout dates.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <form
        className="form blackout-form"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <div className="w-row four">
          <TextField form={f} name="startDate" label="From" type="date" />
          <TextField form={f} name="endDate" label="To (inclusive)" type="date" />
          <TextField form={f} name="reason" label="Reason" placeholder="Year-end freeze" />
          <TextField form={f} name="timezone" label="Zone of the dates" />
        </div>
        <button className="btn btn-primary" type="submit" disabled={busy}>
          <Icon name="plus" /> Add blackout
        </button>
      </form>
    </Dialog>
  );
}
