import { isTerminalRunState, type Run } from '../../../../shared/contract/runs.js';
import { Icon } from '../../components/Icon.js';
import { cellsOf, formatDuration, isOverdue, stepElapsed, stepState } from './util.js';

/**
 * The run's steps down the left: state, per-host dots, elapsed time (or the usual one) and
 * "longer than usual". A click shows only that step's logs; a second click shows all again.
 */
export function StepRail({ run, now, selected, onSelect }: { run: Run; now: number; selected: number | null; onSelect: (index: number | null) => void }) {
  return (
    <ol className="step-rail" aria-label="Steps" data-testid="step-rail">
      {run.steps.map((s) => {
        const cells = cellsOf(run, s.index);
        const st = s.enabled ? stepState(cells) : 'skipped';
        const elapsed = stepElapsed(cells, now);
        const overdue = st === 'running' && isOverdue(elapsed, s.usualMs);
        const isCurrent = s.index === run.currentStep && !isTerminalRunState(run.state);
        return (
          <li key={s.index} data-step={s.key} data-state={st} className={'rail-step' + (isCurrent ? ' current' : '') + (selected === s.index ? ' selected' : '') + (s.enabled ? '' : ' is-disabled')}>
            <button type="button" onClick={() => onSelect(selected === s.index ? null : s.index)} aria-pressed={selected === s.index} title="Show this step's logs only">
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
