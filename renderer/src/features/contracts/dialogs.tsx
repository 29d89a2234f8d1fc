/** The lifecycle's decisions, each in an accessible dialog that says what it will do. */
import { useId, useState, type ReactNode } from 'react';
import type { ContractStatus, Proposal } from '../../../../shared/contract/contracts.js';
import { useApi } from '../../api/context.js';
import { useApiQuery } from '../../api/queries.js';
import { ErrorLine } from '../../components/Bits.js';
import { ConfirmButtons, ConfirmDialog, Dialog } from '../../components/Dialog.js';
import { useToast } from '../../components/Toasts.js';
import { addDays, formatDate, plural, todayIso } from '../../lib/format.js';
import { useAction } from '../../lib/hooks.js';
import { renewEffects } from './lifecycle.js';

type Ref = Pick<ContractStatus, 'contractId' | 'reference' | 'endDate'>;

function Labelled({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
    </div>
  );
}

/** No suspension (proposed or automatic) for this contract until the end of the date. */
export function HoldDialog({ c, onClose }: { c: Ref; onClose: () => void }) {
  const api = useApi();
  const toast = useToast();
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState(addDays(todayIso(), 14));
  return (
    <ConfirmDialog
      title={`Put ${c.reference} on hold`}
      confirmLabel="Put on hold"
      testId="confirm-hold"
      disabled={!reason.trim() || !until}
      onClose={onClose}
      onConfirm={async () => {
        await api.call('contracts.hold', { contractId: c.contractId, reason: reason.trim(), until });
        toast.success(`${c.reference} is on hold until ${formatDate(until)}.`);
      }}
      body={
        <>
          <p>Until the end of that day, Puesta neither proposes nor carries out a suspension of this contract’s applications.</p>
          <Labelled label="Why">{(id) => <textarea id={id} rows={2} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. payment promised by the 15th" />}</Labelled>
          <Labelled label="Until (inclusive)">{(id) => <input id={id} type="date" value={until} min={todayIso()} onChange={(e) => setUntil(e.target.value)} />}</Labelled>
        </>
      }
    />
  );
}

/** A renewal: the new end date, and what it does to the suspensions in force (named before it happens). */
export function RenewDialog({ c, onClose }: { c: Ref; onClose: () => void }) {
  const api = useApi();
  const toast = useToast();
  const base = c.endDate > todayIso() ? c.endDate : todayIso();
  const [end, setEnd] = useState(addDays(base, 365));
  const [why, setWhy] = useState('');
  const sq = useApiQuery('suspension.list', { contractId: c.contractId, inForce: true });
  const fx = renewEffects(sq.data?.items ?? []);
  return (
    <ConfirmDialog
      title={`Renew ${c.reference}`}
      confirmLabel={fx.reinstates.length ? 'Renew and reinstate' : 'Renew'}
      testId="confirm-renew"
      disabled={!end || end <= c.endDate || !sq.data}
      onClose={onClose}
      onConfirm={async () => {
        const r = await api.call('contracts.renew', { contractId: c.contractId, newEndDate: end, why: why.trim() });
        const failed = r.reinstated.filter((x) => x.error);
        toast.success(`${c.reference} now ends ${formatDate(end)}${r.reinstated.length ? `; ${plural(r.reinstated.length, 'reinstatement')} started` : ''}.`);
        for (const f of failed) toast.error(`${f.applicationName}: ${f.error}`);
      }}
      body={
        <>
          <p>
            It currently ends {formatDate(c.endDate)}. The new end date makes it active again; reminders start over for the new period.
          </p>
          <Labelled label="New end date">{(id) => <input id={id} type="date" value={end} min={addDays(c.endDate, 1)} onChange={(e) => setEnd(e.target.value)} />}</Labelled>
          <Labelled label="Note (audit log)">{(id) => <input id={id} value={why} onChange={(e) => setWhy(e.target.value)} placeholder="e.g. invoice 2026-118 paid" />}</Labelled>
          <ul className="effects" data-testid="renew-effects">
            {fx.reinstates.map((t) => (
              <li key={t} className="effect-do">
                {t}
              </li>
            ))}
            {fx.keeps.map((t) => (
              <li key={t} className="effect-keep">
                {t}
              </li>
            ))}
            {sq.data && !fx.reinstates.length && !fx.keeps.length && <li>No suspension is in force: nothing changes on the servers.</li>}
          </ul>
        </>
      }
    />
  );
}

/** Termination: manual, typed confirmation, and nothing is deleted. */
export function TerminateDialog({ c, onClose }: { c: Ref; onClose: () => void }) {
  const api = useApi();
  const toast = useToast();
  const [typed, setTyped] = useState('');
  const [why, setWhy] = useState('');
  return (
    <ConfirmDialog
      title={`Terminate ${c.reference}?`}
      confirmLabel="Terminate the contract"
      danger
      testId="confirm-terminate"
      disabled={typed !== c.reference || !why.trim()}
      onClose={onClose}
      onConfirm={async () => {
        await api.call('contracts.terminate', { contractId: c.contractId, confirmReference: typed, why: why.trim() });
        toast.success(`${c.reference} is terminated. Its data is kept.`);
      }}
      body={
        <>
          <p>
            Puesta stops following it: no more reminders, no suspension. <strong>Nothing is deleted</strong> — the applications, their data on the servers, the
            sites (as they are now), the history and the notices ledger are kept. Only you can terminate a contract; Puesta never does it by itself.
          </p>
          <Labelled label="Why">{(id) => <textarea id={id} rows={2} value={why} onChange={(e) => setWhy(e.target.value)} />}</Labelled>
          <Labelled label={`Type the reference (${c.reference}) to confirm`}>{(id) => <input id={id} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />}</Labelled>
        </>
      }
    />
  );
}

/** Leave a proposed suspension undone (the reason goes to the audit log). */
export function DismissDialog({ p, onClose }: { p: Proposal; onClose: () => void }) {
  const api = useApi();
  const toast = useToast();
  const [why, setWhy] = useState('');
  return (
    <ConfirmDialog
      title={`Do not suspend ${p.applicationName}?`}
      confirmLabel="Dismiss the proposal"
      testId="confirm-dismiss"
      onClose={onClose}
      onConfirm={async () => {
        await api.call('contracts.decide', { proposalId: p.id, decision: 'dismiss', why: why.trim() });
        toast.success(`${p.reference}: the suspension of ${p.applicationName} is dismissed.`);
      }}
      body={
        <>
          <p>
            Nothing changes on the servers. The contract stays past its end date; a hold says until when it may, and a renewal ends it.
          </p>
          <Labelled label="Why (audit log)">{(id) => <input id={id} value={why} onChange={(e) => setWhy(e.target.value)} />}</Labelled>
        </>
      }
    />
  );
}

/** Renewals from a spreadsheet or JSON (reference, newEndDate): a bad row writes nothing. */
export function ImportRenewalsDialog({ onClose }: { onClose: () => void }) {
  const api = useApi();
  const toast = useToast();
  const { busy, error, run } = useAction();
  const [format, setFormat] = useState<'csv' | 'json'>('csv');
  const [content, setContent] = useState('reference,newEndDate\n');
  const [report, setReport] = useState<{ ok: boolean; renewed: number; errors: { row: number; reference?: string | undefined; field?: string | undefined; message: string }[] } | null>(null);
  const go = (dryRun: boolean) =>
    run(async () => {
      const r = await api.call('contracts.importRenewals', { format, content, dryRun });
      setReport(r);
      if (r.ok && !dryRun) {
        toast.success(`${plural(r.renewed, 'contract')} renewed${r.reinstated.length ? `; ${plural(r.reinstated.length, 'reinstatement')} started` : ''}.`);
        onClose();
      }
    });
  return (
    <Dialog
      title="Import renewals"
      wide
      onClose={onClose}
      footer={
        <>
          <button className="btn" onClick={() => void go(true)} disabled={busy} data-testid="check-renewals">
            Check
          </button>
          <ConfirmButtons onCancel={onClose} onConfirm={() => void go(false)} disabled={busy || !content.trim()} testId="import-renewals-go">
            Import
          </ConfirmButtons>
        </>
      }
    >
      <p>
        One row per contract: its reference and the new end date (YYYY-MM-DD). Every row is checked first; if one is wrong, nothing is written. Overdue
        suspensions of the renewed contracts are reinstated.
      </p>
      <div className="grid-2">
        <Labelled label="Format">
          {(id) => (
            <select id={id} value={format} onChange={(e) => setFormat(e.target.value as 'csv' | 'json')}>
              <option value="csv">CSV (reference,newEndDate)</option>
              <option value="json">JSON ([{'{'}reference, newEndDate{'}'}])</option>
            </select>
          )}
        </Labelled>
        <Labelled label="From a file">
          {(id) => (
            <input
              id={id}
              type="file"
              accept=".csv,.json,text/csv,application/json"
              onChange={(e) => {
                const f = e.target.files?.[0];
                if (!f) return;
                if (f.name.endsWith('.json')) setFormat('json');
                void f.text().then(setContent);
              }}
            />
          )}
        </Labelled>
      </div>
      <Labelled label="Renewals">{(id) => <textarea id={id} className="mono" rows={8} value={content} onChange={(e) => setContent(e.target.value)} />}</Labelled>
      {report && (
        <div data-testid="renewals-report" role="status">
          {report.ok ? (
            <p className="ok-text">{plural(report.renewed, 'contract')} would be renewed.</p>
          ) : (
            <>
              <p className="field-error">Nothing was written: {plural(report.errors.length, 'row')} to fix.</p>
              <table className="table table-inner">
                <tbody>
                  {report.errors.map((e, i) => (
                    <tr key={i}>
                      <td className="nowrap">Row {e.row}</td>
                      <td className="mono small">{e.reference ?? ''}</td>
                      <td>
                        {e.field ? <span className="mono small">{e.field}: </span> : null}
                        {e.message}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </div>
      )}
      <ErrorLine error={error} />
    </Dialog>
  );
}
