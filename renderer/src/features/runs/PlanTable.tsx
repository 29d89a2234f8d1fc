import type { Plan, Run } from '../../../../shared/contract/runs.js';
import { Badge } from '../../components/Bits.js';

type PlanSteps = Plan['steps'];
type PlanHosts = Plan['hosts'];

const KIND_TONE = { auto: 'blue', manual: 'amber', check: 'violet' } as const;

/**
 * The dry-run: one row per step with a one-line summary — what it changes, sudo or not, on which
 * hosts, whether the command is the same on all of them — and its exact script folded under it
 * (shown once when it is the same on every host, else per host).
 */
export function PlanTable({ steps, hosts }: { steps: PlanSteps; hosts: PlanHosts }) {
  const name = new Map(hosts.map((h) => [h.serverId, h.serverName]));
  return (
    <div className="table-wrap">
      <table className="table plan-table" data-testid="plan-table">
        <thead>
          <tr>
            <th style={{ width: '2.5rem' }}>#</th>
            <th style={{ width: '30%' }}>Step</th>
            <th>What changes · where</th>
          </tr>
        </thead>
        <tbody>
          {steps.map((s) => {
            const cells = s.cells.length ? s.cells : [{ serverId: null, command: null, detail: '' }];
            const same = cells.every((c) => c.command === cells[0]!.command && c.detail === cells[0]!.detail);
            const shown = same ? [cells[0]!] : cells;
            const where = cells[0]!.serverId == null ? (s.kind === 'manual' ? 'you, once' : 'this computer') : whereText(cells.map((c) => name.get(c.serverId!) ?? `#${c.serverId}`), same);
            const scripts = shown.filter((c) => c.command || c.detail);
            return (
              <tr key={s.index} className={s.enabled ? '' : 'is-disabled'} data-step={s.key}>
                <td className="muted">{s.index + 1}</td>
                <td>
                  <div className="plan-step-title">{s.title}</div>
                  <div className="plan-step-tags">
                    <Badge tone={KIND_TONE[s.kind]}>{s.kind}</Badge>
                    {s.action !== 'shell' && <Badge>{s.action}</Badge>}
                    {s.kind !== 'manual' && (s.sudo ? <Badge tone="amber">sudo</Badge> : <Badge>no sudo</Badge>)}
                    {!s.enabled && <Badge>disabled — skipped</Badge>}
                  </div>
                </td>
                <td>
                  <div className="plan-summary" data-testid="plan-summary">
                    {s.changes ? <>{s.changes} · </> : null}
                    <span className="muted">{where}</span>
                  </div>
                  {scripts.length > 0 && (
                    <details className="plan-script">
                      <summary>{scripts.some((c) => c.command) ? (same ? 'Script' : `Scripts (${scripts.length} hosts)`) : 'Details'}</summary>
                      {scripts.map((c, i) => (
                        <div key={i}>
                          {!same && <div className="plan-host">{c.serverId == null ? '' : (name.get(c.serverId) ?? `#${c.serverId}`)}</div>}
                          {c.command ? <pre className="cmd">{c.command}</pre> : null}
                          {c.detail ? <div className="plan-detail">{c.detail}</div> : null}
                        </div>
                      ))}
                    </details>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** "on web-01", "same on all 3 hosts", "on 3 hosts, per host: web-01, …". */
function whereText(names: string[], same: boolean): string {
  if (names.length === 1) return `on ${names[0]}`;
  return same ? `same on all ${names.length} hosts` : `on ${names.length} hosts, differs per host (${names.join(', ')})`;
}

/** The plan of a run already started, from its steps and cells (the commands as rendered for it). */
export function runAsPlan(run: Run): { steps: PlanSteps; hosts: PlanHosts } {
  return {
    hosts: run.hosts,
    steps: run.steps.map((s) => ({
      index: s.index,
      key: s.key,
      title: s.title,
      kind: s.kind,
      action: s.action,
      enabled: s.enabled,
      sudo: s.sudo,
      changes: s.changes,
      cells: run.cells
        .filter((c) => c.stepIndex === s.index)
        .map((c) => ({
          serverId: c.serverId,
          command: c.command ?? (s.kind === 'manual' ? null : s.command || null),
          detail: [
            s.kind === 'manual' ? s.instructions : s.kind === 'check' && s.check?.kind === 'http' ? `GET ${s.check.url} → ${s.check.expectStatus}` : '',
            !c.command && s.kind !== 'manual' && s.command ? 'Template: its variables are filled in (and quoted) when the step runs.' : '',
          ]
            .filter(Boolean)
            .join('\n'),
        })),
    })),
  };
}
