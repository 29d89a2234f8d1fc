import type { Plan, Run } from '../../../../shared/contract/runs.js';
import { Badge } from '../../components/Bits.js';

type PlanSteps = Plan['steps'];
type PlanHosts = Plan['hosts'];

const KIND_TONE = { auto: 'blue', manual: 'amber', check: 'violet' } as const;

/**
 * The dry-run: every step × host with the exact command that will run. When a step's command is
 * the same on every host it shows once ("on all 3 hosts").
 */
export function PlanTable({ steps, hosts }: { steps: PlanSteps; hosts: PlanHosts }) {
  const name = new Map(hosts.map((h) => [h.serverId, h.serverName]));
  return (
    <div className="table-wrap">
      <table className="table plan-table" data-testid="plan-table">
        <thead>
          <tr>
            <th style={{ width: '2.5rem' }}>#</th>
            <th style={{ width: '26%' }}>Step</th>
            <th style={{ width: '16%' }}>Host</th>
            <th>Command / what happens</th>
          </tr>
        </thead>
        <tbody>
          {steps.map((s) => {
            const cells = s.cells.length ? s.cells : [{ serverId: null, command: null, detail: '' }];
            const same = cells.length > 1 && cells.every((c) => c.command === cells[0]!.command && c.detail === cells[0]!.detail);
            const rows = same ? [cells[0]!] : cells;
            return rows.map((c, i) => (
              <tr key={`${s.index}-${i}`} className={(s.enabled ? '' : 'is-disabled ') + (i === 0 ? 'plan-first' : 'plan-cont')} data-step={s.key}>
                {i === 0 && (
                  <>
                    <td rowSpan={rows.length} className="muted">
                      {s.index + 1}
                    </td>
                    <td rowSpan={rows.length}>
                      <div className="plan-step-title">{s.title}</div>
                      <div className="plan-step-tags">
                        <Badge tone={KIND_TONE[s.kind]}>{s.kind}</Badge>
                        {s.action !== 'shell' && <Badge>{s.action}</Badge>}
                        {s.sudo && <Badge tone="amber">sudo</Badge>}
                        {!s.enabled && <Badge>disabled — skipped</Badge>}
                      </div>
                    </td>
                  </>
                )}
                <td>{same ? `all ${cells.length} hosts` : c.serverId == null ? (s.kind === 'manual' ? 'you' : 'laptop') : (name.get(c.serverId) ?? `#${c.serverId}`)}</td>
                <td>
                  {c.command ? <pre className="cmd">{c.command}</pre> : null}
                  {c.detail ? <div className="plan-detail">{c.detail}</div> : null}
                  {!c.command && !c.detail && <span className="muted">—</span>}
                </td>
              </tr>
            ));
          })}
        </tbody>
      </table>
    </div>
  );
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
