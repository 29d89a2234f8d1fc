import { useState, type ReactNode } from 'react';
import type { Run, RunCell } from '../../../../shared/contract/runs.js';
import { ConfirmButtons, Dialog } from '../../components/Dialog.js';
import { PlanTable, runAsPlan } from './PlanTable.js';

export type DialogKind = null | 'plan' | 'abort' | 'skip' | 'exclude' | 'retry';
export type RunAction = 'confirm' | 'retry' | 'skip' | 'exclude' | 'abort' | 'stop';
export type ActExtra = { note?: string; serverId?: number; command?: string };

/** The run view's dialogs: the plan, and what abort, skip, exclude and retry ask before acting. */
export function RunDialogs({
  run,
  dialog,
  failedCells,
  currentCells,
  busy,
  onClose,
  act,
}: {
  run: Run;
  dialog: DialogKind;
  failedCells: RunCell[];
  currentCells: RunCell[];
  busy: boolean;
  onClose: () => void;
  act: (action: RunAction, extra?: ActExtra) => void;
}) {
  const current = run.steps.find((s) => s.index === run.currentStep);
  if (dialog === 'plan')
    return (
      <Dialog title="Plan of this run" onClose={onClose} wide>
        <p className="muted">The commands as rendered for this run (a corrected retry shows its new command).</p>
        <PlanTable {...runAsPlan(run)} />
      </Dialog>
    );
  if (dialog === 'abort') return <AbortDialog run={run} busy={busy} onClose={onClose} onAbort={(n) => act('abort', { note: n })} />;
  if (dialog === 'skip' && current)
    return (
      <NoteDialog
        title={`Skip “${current.title}”`}
        body={<>The run goes on with the next step as if this one had passed{failedCells.length ? <> on {failedCells.map((c) => c.serverName).join(', ')}</> : null}. Say why: the note is kept with the run and in the audit log.</>}
        label="Why skip it?"
        required
        confirmLabel="Skip this step"
        busy={busy}
        onClose={onClose}
        onDone={(n) => act('skip', { note: n })}
      />
    );
  if (dialog === 'exclude')
    return (
      <ExcludeDialog
        cells={failedCells.length ? failedCells : currentCells.filter((c) => c.serverId != null)}
        busy={busy}
        onClose={onClose}
        onDone={(sid, n) => act('exclude', { serverId: sid, note: n })}
      />
    );
  if (dialog === 'retry' && current)
    return <RetryDialog template={current.command} failed={failedCells} busy={busy} onClose={onClose} onDone={(cmd) => act('retry', cmd === undefined ? {} : { command: cmd })} />;
  return null;
}

function AbortDialog({ run, busy, onClose, onAbort }: { run: Run; busy: boolean; onClose: () => void; onAbort: (note: string) => void }) {
  const [n, setN] = useState('');
  const current = run.steps.find((s) => s.index === run.currentStep);
  const rest = run.steps.filter((s) => s.index > run.currentStep && s.enabled).length;
  return (
    <Dialog
      title="Abort this run?"
      onClose={onClose}
      footer={
        <ConfirmButtons onCancel={onClose} cancelLabel="Keep going" danger disabled={busy} onConfirm={() => onAbort(n)} testId="confirm-abort">
          {busy ? 'Aborting…' : 'Abort the run'}
        </ConfirmButtons>
      }
    >
      <div className="confirm-body">
        <p>
          {current ? <>Step {current.index + 1} (“{current.title}”) stops{run.state === 'running' ? ' — commands still running on the hosts are killed' : ''}</> : 'The run stops'}
          {rest ? <>, and the {rest} step{rest === 1 ? '' : 's'} after it will not run</> : null}. The lock on {run.applicationName} in {run.environmentName} is released.
        </p>
        <p>Nothing is undone on the hosts by aborting.{run.kind !== 'rollback' ? ' You will be offered the rollback checklist to put the previous release back.' : ''}</p>
        <label className="field">
          <span>Why (kept with the run)</span>
          <input value={n} onChange={(e) => setN(e.target.value)} placeholder="e.g. migration takes too long, retry tonight" data-testid="abort-note" />
        </label>
      </div>
    </Dialog>
  );
}

function NoteDialog({ title, body, label, required, confirmLabel, busy, onClose, onDone }: { title: string; body: ReactNode; label: string; required?: boolean; confirmLabel: string; busy: boolean; onClose: () => void; onDone: (note: string) => void }) {
  const [n, setN] = useState('');
  const [tried, setTried] = useState(false);
  const missing = required && !n.trim();
  return (
    <Dialog
      title={title}
      onClose={onClose}
      footer={
        <ConfirmButtons
          onCancel={onClose}
          disabled={busy}
          testId="note-done"
          onConfirm={() => {
            setTried(true);
            if (!missing) onDone(n.trim());
          }}
        >
          {confirmLabel}
        </ConfirmButtons>
      }
    >
      <p>{body}</p>
      <div className={'field' + (tried && missing ? ' has-error' : '')}>
        <label htmlFor="run-note">{label}</label>
        <textarea id="run-note" rows={3} value={n} onChange={(e) => setN(e.target.value)} data-testid="note-input" />
        {tried && missing && <div className="field-error">A note is required: say why.</div>}
      </div>
    </Dialog>
  );
}

function ExcludeDialog({ cells, busy, onClose, onDone }: { cells: RunCell[]; busy: boolean; onClose: () => void; onDone: (serverId: number, note: string) => void }) {
  const [sid, setSid] = useState<number | null>(cells[0]?.serverId ?? null);
  const [n, setN] = useState('');
  const name = cells.find((c) => c.serverId === sid)?.serverName ?? '';
  return (
    <Dialog
      title="Exclude a host from this run"
      onClose={onClose}
      footer={
        <ConfirmButtons onCancel={onClose} danger disabled={busy || sid == null} onConfirm={() => sid != null && onDone(sid, n)} testId="confirm-exclude">
          Exclude {name}
        </ConfirmButtons>
      }
    >
      <p>
        {name || 'The host'} is left out for every remaining step of this run: it keeps whatever it has now, and the run goes on with the other hosts. It shows as excluded in the run and in the audit log.
      </p>
      <div className="field">
        <label htmlFor="exclude-host">Host</label>
        <select id="exclude-host" value={sid ?? ''} onChange={(e) => setSid(Number(e.target.value))}>
          {cells.map((c) => (
            <option key={String(c.serverId)} value={c.serverId ?? ''}>
              {c.serverName} ({c.state})
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="exclude-note">Note</label>
        <input id="exclude-note" value={n} onChange={(e) => setN(e.target.value)} placeholder="e.g. disk full, fixing it separately" />
      </div>
    </Dialog>
  );
}

function RetryDialog({ template, failed, busy, onClose, onDone }: { template: string; failed: RunCell[]; busy: boolean; onClose: () => void; onDone: (command: string | undefined) => void }) {
  const [edit, setEdit] = useState(false);
  const [cmd, setCmd] = useState(template);
  return (
    <Dialog
      title="Retry the failed step"
      onClose={onClose}
      wide={edit}
      footer={
        <ConfirmButtons onCancel={onClose} disabled={busy} onConfirm={() => onDone(edit && cmd !== template ? cmd : undefined)} testId="confirm-retry">
          {edit && cmd !== template ? 'Retry with this command' : 'Retry'}
        </ConfirmButtons>
      }
    >
      <p>
        The step runs again on {failed.length ? failed.map((c) => c.serverName).join(', ') : 'its hosts'}
        {failed.length ? ' (the hosts where it passed are not run again)' : ''}.
      </p>
      <label className="check">
        <input type="checkbox" checked={edit} onChange={(e) => setEdit(e.target.checked)} /> <span>Correct the command first (kept in this run only, and audited)</span>
      </label>
      {edit && (
        <div className="field">
          <label htmlFor="retry-cmd">Command template</label>
          <textarea id="retry-cmd" className="mono" rows={6} value={cmd} onChange={(e) => setCmd(e.target.value)} />
          <div className="field-hint">Variables such as {'{{release.path}}'} are quoted for the shell when rendered: do not add quotes around them.</div>
        </div>
      )}
    </Dialog>
  );
}
