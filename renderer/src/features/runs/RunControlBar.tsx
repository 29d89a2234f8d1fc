import { useState } from 'react';
import type { ResumeHosts, Run, RunCell } from '../../../../shared/contract/runs.js';
import { Kbd } from '../../components/Bits.js';
import { Icon } from '../../components/Icon.js';
import { formatDateTime } from '../../lib/format.js';
import { navigate } from '../../lib/router.js';
import type { DialogKind } from './RunDialogs.js';
import { abortOutcome } from './outcome.js';
import { formatDuration, stepElapsed } from './util.js';

/** Rollback wizard link for an offer (or for this run's targets). */
function rollbackHref(o: { applicationId: number; environmentId: number; rollbackTo: string | null; serverIds: number[] }): string {
  const q = new URLSearchParams({ kind: 'rollback', app: String(o.applicationId), env: String(o.environmentId) });
  if (o.rollbackTo) q.set('rollbackTo', o.rollbackTo);
  if (o.serverIds.length) q.set('servers', o.serverIds.join(','));
  return `/runs/new?${q.toString()}`;
}

/** What the run needs now, in words, with the controls for it: confirm, stop one host, retry / skip / exclude, resume, roll back. */
export function RunControlBar({
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
  onStop,
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
  onResume: (hosts: ResumeHosts) => void;
  onStop: (serverId: number) => void;
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
  if (run.state === 'aborted') {
    const left = abortOutcome(run);
    const offer = run.rollbackOffer && left.rollback.length ? { ...run.rollbackOffer, serverIds: run.hosts.filter((h) => left.rollback.includes(h.serverName)).map((h) => h.serverId) } : null;
    return (
      <div className="control-bar tone-red" data-testid="control-bar">
        <Icon name="warn" />
        <div className="control-text">
          <strong>Aborted</strong>
          {current && <> at step {current.index + 1} ({current.title})</>}
          {run.error && <> — {run.error}</>}.
          {left.back.names.length > 0 && (
            <span data-testid="abort-switched-back">
              {' '}
              {left.back.names.join(', ')} {left.back.names.length === 1 ? 'was' : 'were'} switched back to <code>{left.back.to}</code> automatically.
            </span>
          )}
          {offer &&
            (left.back.names.length ? (
              <> {left.rollback.join(', ')} may still be on <code>{run.releaseKey}</code>: roll back to put the previous release back there.</>
            ) : (
              <> The hosts may hold a half-installed release: roll back to put the previous one back.</>
            ))}
        </div>
        {offer && (
          <button className="btn btn-primary" data-testid="offer-rollback" onClick={() => navigate(rollbackHref(offer))}>
            Plan the rollback…
          </button>
        )}
      </div>
    );
  }
  if (run.state === 'interrupted') return <ResumeBar stepName={stepName} cut={currentCells.filter((c) => c.serverId !== null && (c.state === 'interrupted' || c.state === 'running'))} busy={busy} onResume={onResume} />;
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
          {failedCells.some((c) => c.switchedBack?.ok) && (
            <div className="fail-line" data-testid="switch-back">
              switched back to the previous release there automatically. Hosts whose check passed stay on {run.releaseKey}. Retry switches forward again before
              checking; or skip, exclude the host, or abort.
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
        {current &&
          current.kind !== 'manual' &&
          running.map((c) => {
            // the step's timeout counts from this host's start: what is left before the engine stops it
            const left = c.startedAt ? current.timeoutSeconds * 1000 - (now - Date.parse(c.startedAt)) : null;
            return (
              <div key={String(c.serverId)} className="fail-line running-host" data-testid={`running-${c.serverName}`}>
                <strong>{c.serverName}</strong>
                {left != null && (
                  <span className="muted" data-testid="time-left">
                    {' '}
                    · {left > 0 ? `${formatDuration(left)} left before the step's timeout` : 'timing out…'}
                  </span>
                )}{' '}
                <button className="btn btn-small" disabled={busy} onClick={() => onStop(c.serverId!)} data-testid={`act-stop-${c.serverName}`} title="Stop the command on this host only; then retry, skip or exclude it">
                  Stop on this host
                </button>
              </div>
            );
          })}
      </div>
    </div>
  );
}

const RESUME_LABEL = { rerun: 'Run it again', check: 'Check first (wait for my decision)', done: 'Mark it done (with a note)' } as const;

/**
 * Interrupted: Puesta stopped while the step ran. For each host whose command was cut off, whether
 * it finished is unknown: run it again (the default), check first, or mark it done with a note — a
 * migration that finished must not run twice.
 */
function ResumeBar({ stepName, cut, busy, onResume }: { stepName: string; cut: RunCell[]; busy: boolean; onResume: (hosts: ResumeHosts) => void }) {
  const [choices, setChoices] = useState<Record<number, { choice: keyof typeof RESUME_LABEL; note: string }>>({});
  const hosts: ResumeHosts = Object.entries(choices).map(([sid, c]) => ({ serverId: Number(sid), choice: c.choice, note: c.note }));
  const missingNote = hosts.some((h) => h.choice === 'done' && !h.note?.trim());
  return (
    <div className="control-bar tone-amber" data-testid="control-bar">
      <Icon name="warn" />
      <div className="control-text">
        <div>
          <strong>Interrupted.</strong> Puesta stopped while {stepName || 'this run'} was going. Its state and logs are saved (the log marks where it stopped).
          {cut.length > 0 ? ' Whether the command finished on these hosts is unknown: choose, per host, what resume does.' : ' Resume to go on where it stopped.'}
        </div>
        {cut.map((c) => {
          const cur = choices[c.serverId!] ?? { choice: 'rerun' as const, note: '' };
          const set = (p: Partial<typeof cur>) => setChoices((m) => ({ ...m, [c.serverId!]: { ...cur, ...p } }));
          return (
            <div key={String(c.serverId)} className="fail-line resume-host" data-testid={`resume-${c.serverName}`}>
              <strong>{c.serverName}</strong>{' '}
              <select className="toolbar-select" aria-label={`On resume, ${c.serverName}`} value={cur.choice} onChange={(e) => set({ choice: e.target.value as typeof cur.choice })}>
                {Object.entries(RESUME_LABEL).map(([k, label]) => (
                  <option key={k} value={k}>
                    {label}
                  </option>
                ))}
              </select>
              {cur.choice !== 'rerun' && (
                <input
                  className="control-note"
                  placeholder={cur.choice === 'done' ? 'Why it counts as done (required)' : 'Note (optional)'}
                  value={cur.note}
                  onChange={(e) => set({ note: e.target.value })}
                  aria-label={`Note for ${c.serverName}`}
                />
              )}
            </div>
          );
        })}
      </div>
      <button className="btn btn-primary" disabled={busy || missingNote} onClick={() => onResume(hosts)} data-testid="act-resume">
        Resume
      </button>
    </div>
  );
}
