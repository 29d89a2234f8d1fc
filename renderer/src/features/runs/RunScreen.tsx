import { useMemo, useRef, useState } from 'react';
import { isTerminalRunState } from '../../../../shared/contract/runs.js';
import { useApiMutation } from '../../api/queries.js';
import { Badge, EnvTag, ErrorBox, Kbd, PageHeader, Spinner } from '../../components/Bits.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { href } from '../../lib/router.js';
import { errorMessage } from '../../lib/form.js';
import { formatDateTime } from '../../lib/format.js';
import { useEnvironments } from '../inventory/lookups.js';
import { ExportLogButton } from './ExportLogButton.js';
import { LogPanes } from './LogPanes.js';
import { RunControlBar } from './RunControlBar.js';
import { RunDialogs, type ActExtra, type DialogKind, type RunAction } from './RunDialogs.js';
import { StepRail } from './StepRail.js';
import { useRunHotkeys } from './useRunHotkeys.js';
import { isLive, useNow, useRunLive } from './useRunLive.js';
import { progressOf } from './outcome.js';
import { cellsOf, formatDuration, KIND_LABEL, runStateText, runTone, stepState } from './util.js';
import './runs.css';

/**
 * The run view: the controls of the current step on top, a step rail on the left (state, elapsed
 * time, "longer than usual"), per-host log panes on the right, the plan one click away.
 * Keys: C confirm · R retry · S skip · X exclude · A abort · P plan · F follow · / search.
 */
export function RunScreen({ id }: { id: number }) {
  const toast = useToast();
  const envs = useEnvironments();
  const { run, error: loadError, reload, put } = useRunLive(id);
  const live = isLive(run);
  const now = useNow(live);
  const [selected, setSelected] = useState<number | null>(null);
  const [follow, setFollow] = useState(true);
  const [dialog, setDialog] = useState<DialogKind>(null);
  const [note, setNote] = useState('');
  const searchRef = useRef<HTMLInputElement>(null);

  const onError = (e: Error) => toast.error(errorMessage(e));
  const acting = useApiMutation('runs.act', { onSuccess: put, onError });
  const resuming = useApiMutation('runs.resume', { onSuccess: put, onError });
  const busy = acting.isPending || resuming.isPending;
  const act = (action: RunAction, extra: ActExtra = {}) =>
    acting.mutate(
      { id, action, note: extra.note ?? '', ...(extra.serverId ? { serverId: extra.serverId } : {}), ...(extra.command !== undefined ? { command: extra.command } : {}) },
      {
        onSuccess: () => {
          setDialog(null);
          setNote('');
        },
      },
    );

  const current = run ? run.steps.find((s) => s.index === run.currentStep) : undefined;
  const currentCells = useMemo(() => (run && current ? cellsOf(run, current.index) : []), [run, current]);
  const failedCells = currentCells.filter((c) => c.state === 'failed');
  const canDecide = run?.state === 'waiting' && run.waitingFor === 'decision';
  const canConfirm = run?.state === 'waiting' && run.waitingFor === 'confirm';

  useRunHotkeys(
    {
      p: () => setDialog('plan'),
      f: () => setFollow((f) => !f),
      '/': () => searchRef.current?.focus(),
      c: canConfirm && (() => act('confirm', { note })),
      r: canDecide && (() => setDialog('retry')),
      s: canDecide && (() => setDialog('skip')),
      x: canDecide && (() => setDialog('exclude')),
      a: live && (() => setDialog('abort')),
    },
    dialog !== null,
  );

  const hostStates = useMemo(() => {
    const m = new Map<number, string>();
    for (const c of currentCells) if (c.serverId != null) m.set(c.serverId, c.state);
    return m;
  }, [currentCells]);

  if (loadError && !run) return <div className="page"><ErrorBox error={loadError} onRetry={() => void reload()} /></div>;
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
            <ExportLogButton runId={id} />
            <button className="btn" onClick={() => setDialog('plan')} data-testid="show-plan">
              Plan <Kbd>P</Kbd>
            </button>
            {!isTerminalRunState(run.state) && (
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

      <RunControlBar
        run={run}
        current={current}
        currentCells={currentCells}
        failedCells={failedCells}
        busy={busy}
        note={note}
        setNote={setNote}
        onConfirm={() => act('confirm', { note })}
        onDialog={setDialog}
        onResume={(hosts) => resuming.mutate({ id, hosts })}
        onStop={(serverId) => act('stop', { serverId })}
        now={now}
      />

      {run.logPrunedAt && (
        <div className="callout" data-testid="log-pruned">
          <Icon name="audit" />
          <span>
            The log of this run was pruned on {formatDateTime(run.logPrunedAt)} by the retention policy (<a href={href('/settings')}>Settings → Run history</a>). Its
            step results, times and audit are kept.
          </span>
        </div>
      )}

      <div className="run-body">
        <StepRail run={run} now={now} selected={selected} onSelect={setSelected} />
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
          prunedAt={run.logPrunedAt}
        />
      </div>

      <RunDialogs run={run} dialog={dialog} failedCells={failedCells} currentCells={currentCells} busy={busy} onClose={() => setDialog(null)} act={act} />
    </div>
  );
}
