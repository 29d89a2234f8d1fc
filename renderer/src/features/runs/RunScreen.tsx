import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { EventPayload } from '../../../../shared/contract/index.js';
import type { Run, RunCell } from '../../../../shared/contract/runs.js';
import { useApi, useEvent } from '../../api/context.js';
import { Badge, EnvTag, ErrorBox, Kbd, PageHeader, Spinner } from '../../components/Bits.js';
import { ConfirmButtons, Dialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { errorMessage } from '../../lib/form.js';
import { formatDateTime } from '../../lib/format.js';
import { navigate } from '../../lib/router.js';
import { useEnvironments } from '../inventory/lookups.js';
import { LogPanes } from './LogPanes.js';
import { PlanTable, runAsPlan } from './PlanTable.js';
import { cellsOf, formatDuration, isFinal, isOverdue, KIND_LABEL, progressOf, runStateText, runTone, stepElapsed, stepState } from './util.js';
import './runs.css';

type DialogKind = null | 'plan' | 'abort' | 'skip' | 'exclude' | 'retry';

function mergeCell(run: Run, cell: RunCell): Run {
  const i = run.cells.findIndex((c) => c.stepIndex === cell.stepIndex && c.serverId === cell.serverId);
  const cells = run.cells.slice();
  if (i >= 0) cells[i] = cell;
  else cells.push(cell);
  return { ...run, cells };
}

/** Rollback wizard link for an offer (or for this run's targets). */
export function rollbackHref(o: { applicationId: number; environmentId: number; rollbackTo: string | null; serverIds: number[] }): string {
  const q = new URLSearchParams({ kind: 'rollback', app: String(o.applicationId), env: String(o.environmentId) });
  if (o.rollbackTo) q.set('rollbackTo', o.rollbackTo);
  if (o.serverIds.length) q.set('servers', o.serverIds.join(','));
  return `/runs/new?${q.toString()}`;
}

/**
 * The run view: the controls of the current step on top, a step rail on the left (state, elapsed
 * time, "longer than usual"), per-host log panes on the right, the plan one click away.
 * Keys: C confirm · R retry · S skip · X exclude · A abort · P plan · F follow · / search.
 */
export function RunScreen({ id }: { id: number }) {
  const api = useApi();
  const toast = useToast();
  const envs = useEnvironments();
  const [run, setRun] = useState<Run | null>(null);
  const [loadError, setLoadError] = useState<Error | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [selected, setSelected] = useState<number | null>(null);
  const [follow, setFollow] = useState(true);
  const [dialog, setDialog] = useState<DialogKind>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');
  const searchRef = useRef<HTMLInputElement>(null);

  // A snapshot (runs.get) may be older than cell events that arrived while it was in flight, and
  // two loads may answer out of order: only the latest load is applied, and the cell events
  // received since it started are merged on top of it again.
  const loadSeq = useRef(0);
  const cellEvents = useRef<{ no: number; cell: Omit<EventPayload<'runs.step'>, 'runId'> }[]>([]);
  const cellNo = useRef(0);
  const load = useCallback(async () => {
    const seq = ++loadSeq.current;
    const from = cellNo.current;
    try {
      const snapshot = await api.call('runs.get', { id });
      if (seq !== loadSeq.current) return;
      const later = cellEvents.current.filter((e) => e.no > from);
      cellEvents.current = later;
      setRun(later.reduce((r, e) => mergeCell(r, e.cell), snapshot));
      setLoadError(null);
    } catch (e) {
      if (seq === loadSeq.current) setLoadError(e as Error);
    }
  }, [api, id]);
  useEffect(() => void load(), [load]);

  // live: cells as they change; a run-level change reloads the whole run (steps, exclusions, offer)
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEvent(
    'runs.step',
    useCallback(
      (p: EventPayload<'runs.step'>) => {
        if (p.runId !== id) return;
        const { runId: _r, ...cell } = p;
        cellEvents.current.push({ no: ++cellNo.current, cell });
        if (cellEvents.current.length > 2000) cellEvents.current.splice(0, cellEvents.current.length - 2000);
        setRun((r) => (r ? mergeCell(r, cell) : r));
      },
      [id],
    ),
  );
  useEvent(
    'runs.state',
    useCallback(
      (p: EventPayload<'runs.state'>) => {
        if (p.id !== id) return;
        setRun((r) => (r ? { ...r, ...p } : r));
        if (reloadTimer.current) clearTimeout(reloadTimer.current);
        reloadTimer.current = setTimeout(() => void load(), 120);
      },
      [id, load],
    ),
  );
  useEffect(() => () => void (reloadTimer.current && clearTimeout(reloadTimer.current)), []);

  const live = run ? !isFinal(run.state) : false;
  useEffect(() => {
    if (!live) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [live]);

  const act = useCallback(
    async (action: 'confirm' | 'retry' | 'skip' | 'exclude' | 'abort', extra: { note?: string; serverId?: number; command?: string } = {}) => {
      setBusy(true);
      try {
        const r = await api.call('runs.act', { id, action, note: extra.note ?? '', ...(extra.serverId ? { serverId: extra.serverId } : {}), ...(extra.command !== undefined ? { command: extra.command } : {}) });
        setRun(r);
        setDialog(null);
        setNote('');
        return true;
      } catch (e) {
        toast.error(errorMessage(e));
        return false;
      } finally {
        setBusy(false);
      }
    },
    [api, id, toast],
  );

  const resume = useCallback(async () => {
    setBusy(true);
    try {
      setRun(await api.call('runs.resume', { id }));
    } catch (e) {
      toast.error(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }, [api, id, toast]);

  const current = run ? run.steps.find((s) => s.index === run.currentStep) : undefined;
  const currentCells = run && current ? cellsOf(run, current.index) : [];
  const failedCells = currentCells.filter((c) => c.state === 'failed');
  const canDecide = run?.state === 'waiting' && run.waitingFor === 'decision';
  const canConfirm = run?.state === 'waiting' && run.waitingFor === 'confirm';

  // keyboard shortcuts for the run controls (not while typing, not with a dialog open)
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || dialog) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
      const k = e.key.toLowerCase();
      const actions: Record<string, (() => void) | false> = {
        p: () => setDialog('plan'),
        f: () => setFollow((f) => !f),
        '/': () => searchRef.current?.focus(),
        c: canConfirm && (() => void act('confirm', { note })),
        r: canDecide && (() => setDialog('retry')),
        s: canDecide && (() => setDialog('skip')),
        x: canDecide && (() => setDialog('exclude')),
        a: Boolean(run && !isFinal(run.state)) && (() => setDialog('abort')),
      };
      const fn = actions[k];
      if (fn) {
        e.preventDefault();
        fn();
      }
    };
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, [dialog, canConfirm, canDecide, act, note, run]);

  const hostStates = useMemo(() => {
    const m = new Map<number, string>();
    if (run) for (const c of currentCells) if (c.serverId != null) m.set(c.serverId, c.state);
    return m;
  }, [run, currentCells]);

  if (loadError && !run) return <div className="page"><ErrorBox error={loadError} onRetry={() => void load()} /></div>;
  if (!run) return <div className="page"><Spinner /></div>;

  const env = envs.byId.get(run.environmentId);
  const pct = Math.round(progressOf(run) * 100);
  const enabledSteps = run.steps.filter((s) => s.enabled);
  const doneSteps = enabledSteps.filter((s) => ['succeeded', 'skipped', 'excluded'].includes(stepState(cellsOf(run, s.index)))).length;
  const totalMs = (run.finishedAt ? Date.parse(run.finishedAt) : now) - Date.parse(run.startedAt);

  return (
    <div className="page run-page" data-testid="run-view" data-state={run.state} data-waiting={run.waitingFor ?? ''}>
      <PageHeader
        back={{ to: '/runs', label: 'Runs' }}
        icon="runs"
        title={
          <>
            {KIND_LABEL[run.kind]} {run.applicationName} <span className="muted">→</span>{' '}
            {env ? <EnvTag name={env.name} colour={env.colour} /> : run.environmentName}
          </>
        }
        subtitle={
          <>
            <Badge tone={runTone(run.state, run.waitingFor)}>
              <span data-testid="run-state">{runStateText(run)}</span>
            </Badge>
            <span>
              release <code>{run.releaseKey}</code>
              {run.label && <> ({run.label})</>} · by {run.operator} · started {formatDateTime(run.startedAt)} · {formatDuration(totalMs)}
              {run.reason && <> · “{run.reason}”</>}
            </span>
          </>
        }
        actions={
          <>
            <button className="btn" onClick={() => setDialog('plan')} data-testid="show-plan">
              Plan <Kbd>P</Kbd>
            </button>
            {!isFinal(run.state) && (
              <button className="btn btn-danger" onClick={() => setDialog('abort')} data-testid="act-abort" disabled={busy}>
                Abort <Kbd>A</Kbd>
              </button>
            )}
          </>
        }
      />

      <div className="run-progress" aria-label="Progress">
        <div className={`run-progress-bar tone-${runTone(run.state, run.waitingFor)}`} role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} data-testid="run-progress">
          <div style={{ width: `${pct}%` }} />
        </div>
        <span className="muted small">
          {doneSteps} of {enabledSteps.length} steps · {pct}%
        </span>
      </div>

      <ControlBar
        run={run}
        current={current}
        currentCells={currentCells}
        failedCells={failedCells}
        busy={busy}
        note={note}
        setNote={setNote}
        onConfirm={() => void act('confirm', { note })}
        onDialog={setDialog}
        onResume={() => void resume()}
        now={now}
      />

      <div className="run-body">
        <ol className="step-rail" aria-label="Steps" data-testid="step-rail">
          {run.steps.map((s) => {
            const cells = cellsOf(run, s.index);
            const st = s.enabled ? stepState(cells) : 'skipped';
            const elapsed = stepElapsed(cells, now);
            const overdue = st === 'running' && isOverdue(elapsed, s.usualMs);
            const isCurrent = s.index === run.currentStep && !isFinal(run.state);
            return (
              <li key={s.index} data-step={s.key} data-state={st} className={'rail-step' + (isCurrent ? ' current' : '') + (selected === s.index ? ' selected' : '') + (s.enabled ? '' : ' is-disabled')}>
                <button type="button" onClick={() => setSelected(selected === s.index ? null : s.index)} aria-pressed={selected === s.index} title="Show this step's logs only">
                  <StepIcon state={st} />
                  <span className="rail-main">
                    <span className="rail-title" title={s.title}>
                      {s.index + 1}. {s.title}
                    </span>
                    <span className="rail-meta">
                      <span className="rail-kind">{s.kind}</span>
                      {cells.length > 1 && (
                        <span className="rail-cells" aria-hidden="true">
                          {cells.slice(0, 24).map((c) => (
                            <span key={String(c.serverId)} className={`cell-dot cell-${c.state}`} title={`${c.serverName}: ${c.state}`} />
                          ))}
                          {cells.length > 24 && <span className="small">+{cells.length - 24}</span>}
                        </span>
                      )}
                      <span className="rail-time" data-testid={`elapsed-${s.key}`}>
                        {elapsed != null ? formatDuration(elapsed) : s.usualMs != null ? `usually ${formatDuration(s.usualMs)}` : ''}
                      </span>
                    </span>
                    {overdue && (
                      <span className="rail-warn" role="status" data-testid="overdue">
                        <Icon name="warn" size={12} /> Longer than usual (usually {formatDuration(s.usualMs)})
                      </span>
                    )}
                  </span>
                </button>
              </li>
            );
          })}
        </ol>
        <LogPanes
          runId={id}
          hosts={run.hosts}
          hostStates={hostStates}
          stepFilter={selected}
          stepLabel={selected !== null ? `Step ${selected + 1} only` : null}
          onClearStep={() => setSelected(null)}
          follow={follow}
          setFollow={setFollow}
          searchRef={searchRef}
        />
      </div>

      {dialog === 'plan' && (
        <Dialog title="Plan of this run" onClose={() => setDialog(null)} wide>
          <p className="muted">The commands as rendered for this run (a corrected retry shows its new command).</p>
          <PlanTable {...runAsPlan(run)} />
        </Dialog>
      )}
      {dialog === 'abort' && <AbortDialog run={run} busy={busy} onClose={() => setDialog(null)} onAbort={(n) => void act('abort', { note: n })} />}
      {dialog === 'skip' && current && (
        <NoteDialog
          title={`Skip “${current.title}”`}
          body={<>The run goes on with the next step as if this one had passed{failedCells.length ? <> on {failedCells.map((c) => c.serverName).join(', ')}</> : null}. Say why: the note is kept with the run and in the audit log.</>}
          label="Why skip it?"
          required
          confirmLabel="Skip this step"
          busy={busy}
          onClose={() => setDialog(null)}
          onDone={(n) => void act('skip', { note: n })}
        />
      )}
      {dialog === 'exclude' && (
        <ExcludeDialog cells={failedCells.length ? failedCells : currentCells.filter((c) => c.serverId != null)} busy={busy} onClose={() => setDialog(null)} onDone={(sid, n) => void act('exclude', { serverId: sid, note: n })} />
      )}
      {dialog === 'retry' && current && (
        <RetryDialog template={current.command} failed={failedCells} busy={busy} onClose={() => setDialog(null)} onDone={(cmd) => void act('retry', cmd === undefined ? {} : { command: cmd })} />
      )}
    </div>
  );
}

function StepIcon({ state }: { state: string }) {
  if (state === 'succeeded') return <span className="step-icon ok"><Icon name="check" size={12} /></span>;
  if (state === 'failed') return <span className="step-icon bad"><Icon name="close" size={12} /></span>;
  if (state === 'running') return <span className="step-icon run" aria-label="running" />;
  if (state === 'waiting' || state === 'interrupted') return <span className="step-icon wait"><Icon name="dot" size={12} /></span>;
  if (state === 'skipped' || state === 'excluded') return <span className="step-icon skip">–</span>;
  return <span className="step-icon pending" />;
}

function ControlBar({
  run,
  current,
  currentCells,
  failedCells,
  busy,
  note,
  setNote,
  onConfirm,
  onDialog,
  onResume,
  now,
}: {
  run: Run;
  current: Run['steps'][number] | undefined;
  currentCells: RunCell[];
  failedCells: RunCell[];
  busy: boolean;
  note: string;
  setNote: (s: string) => void;
  onConfirm: () => void;
  onDialog: (d: DialogKind) => void;
  onResume: () => void;
  now: number;
}) {
  const stepName = current ? `Step ${current.index + 1} of ${run.stepCount}: ${current.title}` : '';
  if (run.state === 'succeeded')
    return (
      <div className="control-bar tone-green" data-testid="control-bar">
        <Icon name="check" />
        <div className="control-text">
          <strong>Done.</strong> Release <code>{run.releaseKey}</code> is in place on {run.hosts.length - run.excludedServerIds.length} of {run.hosts.length} hosts
          {run.finishedAt && <> · finished {formatDateTime(run.finishedAt)}</>}.
        </div>
      </div>
    );
  if (run.state === 'aborted')
    return (
      <div className="control-bar tone-red" data-testid="control-bar">
        <Icon name="warn" />
        <div className="control-text">
          <strong>Aborted</strong>
          {current && <> at step {current.index + 1} ({current.title})</>}
          {run.error && <> — {run.error.replace(/^Aborted:\s*/i, '')}</>}.
          {run.rollbackOffer ? <> The hosts may hold a half-installed release: roll back to put the previous one back.</> : null}
        </div>
        {run.rollbackOffer && (
          <button className="btn btn-primary" data-testid="offer-rollback" onClick={() => navigate(rollbackHref(run.rollbackOffer!))}>
            Plan the rollback…
          </button>
        )}
      </div>
    );
  if (run.state === 'interrupted')
    return (
      <div className="control-bar tone-amber" data-testid="control-bar">
        <Icon name="warn" />
        <div className="control-text">
          <strong>Interrupted.</strong> Puesta stopped while {stepName || 'this run'} was going. Its state and logs are saved: resume to run the step again where it stopped.
        </div>
        <button className="btn btn-primary" disabled={busy} onClick={onResume} data-testid="act-resume">
          Resume
        </button>
      </div>
    );
  if (run.state === 'waiting' && run.waitingFor === 'confirm' && current)
    return (
      <div className="control-bar tone-amber" data-testid="control-bar">
        <Icon name="edit" />
        <div className="control-text">
          <div>
            <strong>{stepName}</strong> — a manual step: do it, then confirm.
          </div>
          {current.instructions && <div className="instructions">{current.instructions}</div>}
          <input
            className="control-note"
            placeholder="Note (optional): what you did, ticket number… — Enter confirms"
            value={note}
            onChange={(e) => setNote(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !busy) onConfirm();
            }}
            aria-label="Note"
            data-testid="confirm-note"
          />
        </div>
        <button className="btn btn-primary" disabled={busy} onClick={onConfirm} data-testid="act-confirm">
          <Icon name="check" /> Confirm done <Kbd>C</Kbd>
        </button>
      </div>
    );
  if (run.state === 'waiting' && run.waitingFor === 'decision' && current)
    return (
      <div className="control-bar tone-red" data-testid="control-bar">
        <Icon name="warn" />
        <div className="control-text">
          <div>
            <strong>{stepName}</strong> failed{failedCells.length ? ` on ${failedCells.map((c) => c.serverName).join(', ')}` : ''}.
          </div>
          {failedCells.map((c) => (
            <div key={String(c.serverId)} className="fail-line">
              <strong>{c.serverName}</strong>: {c.error ?? (c.exitCode != null ? `exit code ${c.exitCode}` : 'failed')}
            </div>
          ))}
          {run.error && /switched back/.test(run.error) && (
            <div className="fail-line" data-testid="switch-back">
              {run.error.replace(/^Step \d+ \([^)]*\) failed on [^:]*: /, '')}
            </div>
          )}
        </div>
        <div className="control-actions">
          <button className="btn btn-primary" disabled={busy} onClick={() => onDialog('retry')} data-testid="act-retry">
            Retry <Kbd>R</Kbd>
          </button>
          <button className="btn" disabled={busy} onClick={() => onDialog('skip')} data-testid="act-skip">
            Skip… <Kbd>S</Kbd>
          </button>
          <button className="btn" disabled={busy} onClick={() => onDialog('exclude')} data-testid="act-exclude">
            Exclude host… <Kbd>X</Kbd>
          </button>
        </div>
      </div>
    );
  const running = currentCells.filter((c) => c.state === 'running');
  const el = current ? stepElapsed(currentCells, now) : null;
  return (
    <div className="control-bar tone-blue" data-testid="control-bar">
      <span className="step-icon run" aria-hidden="true" />
      <div className="control-text">
        <div>
          <strong>{stepName || 'Starting…'}</strong>
          {running.length > 0 && <> — running on {running.map((c) => c.serverName).join(', ')}</>}
          {el != null && <> · {formatDuration(el)}</>}
        </div>
      </div>
    </div>
  );
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

function NoteDialog({ title, body, label, required, confirmLabel, busy, onClose, onDone }: { title: string; body: React.ReactNode; label: string; required?: boolean; confirmLabel: string; busy: boolean; onClose: () => void; onDone: (note: string) => void }) {
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
