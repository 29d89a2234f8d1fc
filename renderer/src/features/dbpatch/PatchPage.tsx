import { useState } from 'react';
import type { DryRun, Patch, PatchDryRun } from '../../../../shared/contract/dbpatch.js';
import { useApi } from '../../api/context.js';
import { useApiQuery, useInvalidate } from '../../api/queries.js';
import { Badge, ErrorBox, ErrorLine, PageHeader, Section, type Tone } from '../../components/Bits.js';
import { formatBytes } from '../../lib/format.js';
import { useAction } from '../../lib/hooks.js';
import { href } from '../../lib/router.js';
import { BackupAge } from './BackupAge.js';
import { STATE_TONE } from './PatchesPanel.js';

export const VERDICT: Record<PatchDryRun['verdict'], { tone: Tone; label: string }> = {
  safe: { tone: 'green', label: 'safe' },
  window: { tone: 'amber', label: 'needs a maintenance window' },
  refused: { tone: 'red', label: 'refused until acknowledged' },
};
const SEVERITY: Record<string, Tone> = { info: 'blue', warning: 'amber', danger: 'red' };

/** One patch: its metadata and SQL with the lint findings, where it is applied, and a dry run against each database. */
export function PatchPage({ applicationId, patchId }: { applicationId: number; patchId: string }) {
  const list = useApiQuery('dbpatch.list', { applicationId });
  const app = useApiQuery('applications.get', { id: applicationId });
  const patch = list.data?.patches.find((p) => p.patchId === patchId);
  return (
    <div className="page dbpatch-page" data-testid="patch-page">
      <PageHeader title={<code>{patchId}</code>} subtitle={patch?.meta.description || 'Database patch'} back={{ to: `/applications/${applicationId}`, label: app.data?.name ?? 'Application' }} />
      {list.error && <ErrorBox error={list.error} />}
      {list.data && !patch && <p className="muted">This patch is not (or no longer) among the application’s patches.</p>}
      {patch && list.data && (
        <>
          <Section title="Patch">
            <dl className="dbpatch-meta">
              <dt>Compatibility</dt>
              <dd>{patch.meta.compat}</dd>
              <dt>Way back</dt>
              <dd>{patch.meta.reversible === 'yes' ? 'down.sql undoes it' : patch.meta.reversible === 'lossy' ? 'down.sql loses data' : 'none (irreversible)'}</dd>
              <dt>Transaction</dt>
              <dd>{patch.meta.transactional ? 'one transaction' : 'each statement alone (continues where it stopped)'}</dd>
              <dt>Timeouts</dt>
              <dd>
                lock {patch.meta.lockTimeoutMs} ms · statement {patch.meta.statementTimeoutMs ? `${patch.meta.statementTimeoutMs} ms` : 'none'} · {patch.meta.retries} retries
              </dd>
              {patch.meta.requires.length > 0 && (
                <>
                  <dt>Requires</dt>
                  <dd>{patch.meta.requires.join(', ')}</dd>
                </>
              )}
              {patch.meta.guard && (
                <>
                  <dt>Guard</dt>
                  <dd>
                    <code>{patch.meta.guard}</code>
                  </dd>
                </>
              )}
              <dt>Applied</dt>
              <dd>
                {list.data.databases.map((d) => {
                  const s = list.data.states.find((x) => x.databaseId === d.id && x.patchId === patchId);
                  return (
                    <span key={d.id} className="dbpatch-where">
                      {d.name} <Badge tone={STATE_TONE[s?.state ?? 'pending']}>{s?.state ?? 'pending'}</Badge>
                    </span>
                  );
                })}
              </dd>
            </dl>
          </Section>
          <Section title="Lint" count={patch.lint.length}>
            {patch.lint.length === 0 ? (
              <p className="muted small">No finding.</p>
            ) : (
              <ul className="dbpatch-lint" data-testid="patch-lint">
                {patch.lint.map((f, i) => (
                  <li key={i}>
                    <Badge tone={SEVERITY[f.severity] ?? 'neutral'}>{f.severity}</Badge>{' '}
                    <code>
                      {f.file}:{f.line}
                    </code>{' '}
                    {f.message}
                  </li>
                ))}
              </ul>
            )}
          </Section>
          <SqlFiles patch={patch} />
          {list.data.databases.map((d) => (
            <DryRunSection key={d.id} databaseId={d.id} databaseName={d.name} maxAgeHours={d.backupMaxAgeHours} patchId={patchId} />
          ))}
        </>
      )}
    </div>
  );
}

function SqlFiles({ patch }: { patch: Patch }) {
  const files: [string, string | null][] = [
    ['up.sql', patch.up],
    ['down.sql', patch.down],
    ['verify.sql', patch.verify],
  ];
  return (
    <Section title="SQL">
      {files.map(([name, text]) => (
        <details key={name} open={name === 'up.sql'} className="dbpatch-sql">
          <summary>
            <code>{name}</code> {text == null && <span className="muted small">(none)</span>}
          </summary>
          {text != null && <pre className="mono">{text}</pre>}
        </details>
      ))}
    </Section>
  );
}

function DryRunSection({ databaseId, databaseName, maxAgeHours, patchId }: { databaseId: number; databaseName: string; maxAgeHours: number | null; patchId: string }) {
  const api = useApi();
  const invalidate = useInvalidate();
  const [result, setResult] = useState<DryRun | null>(null);
  const [reason, setReason] = useState('');
  const dry = useAction();
  const ack = useAction();
  const run = () => dry.run(async () => setResult(await api.call('dbpatch.dryRun', { databaseId, patchIds: [patchId] })));
  const acknowledge = (what: 'risk' | 'checksum') =>
    ack.run(async () => {
      await api.call('dbpatch.acknowledge', { databaseId, patchId, what, reason });
      await invalidate('dbpatch.*');
      setResult(await api.call('dbpatch.dryRun', { databaseId, patchIds: [patchId] }));
    });
  const p = result?.patches[0];
  return (
    <Section
      title={`Dry run on ${databaseName}`}
      actions={
        <button className="btn btn-small btn-primary" disabled={dry.busy} onClick={() => void run()} data-testid={`dryrun-${databaseName}`}>
          {dry.busy ? 'Tracing…' : result ? 'Run again' : 'Dry run'}
        </button>
      }
    >
      <ErrorLine error={dry.error} testId="dryrun-error" />
      {!result && !dry.busy && <p className="muted small">Reads the live sizes over the tunnel and traces the patch on a schema-only copy; nothing is written to the application’s schema.</p>}
      {result && p && (
        <div data-testid="dryrun-result">
          <p>
            <Badge tone={VERDICT[p.verdict].tone}>{VERDICT[p.verdict].label}</Badge> <span className="small">estimate {fmt(p.estimateMs)}</span>
            {result.calibration !== 1 && <span className="small muted"> (× {result.calibration.toFixed(2)} from this server’s ledger)</span>}
          </p>
          {p.verdict === 'window' && (
            <p className="small">
              <a href={href('/windows/new')} data-testid="plan-window">
                Plan a maintenance window…
              </a>
            </p>
          )}
          {p.reasons.length > 0 && (
            <ul className="small">
              {p.reasons.map((r, i) => (
                <li key={i}>{r}</li>
              ))}
            </ul>
          )}
          <table className="table dbpatch-trace" data-testid="dryrun-statements">
            <thead>
              <tr>
                <th>Line</th>
                <th>Statement</th>
                <th>Lock</th>
                <th>Rewrite</th>
                <th>Cost</th>
              </tr>
            </thead>
            <tbody>
              {p.statements.map((s) => (
                <tr key={s.index}>
                  <td>{s.line}</td>
                  <td>
                    <code className="small">{s.sql}</code>
                    <div className="muted small">{s.operation}</div>
                  </td>
                  <td className="small">{s.lockMode.replace(/Lock$/, '')}</td>
                  <td>{s.rewrite == null ? '—' : s.rewrite ? <Badge tone="amber">rewrite</Badge> : 'no'}</td>
                  <td className="small">{s.summary}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="small">
            Trace: {p.traceError ?? 'ran on a schema-only copy'}
            {p.downRestores !== null && <> · down {p.downRestores ? 'restores the schema' : <strong>does not restore the schema</strong>}</>}
            {p.guardSkipsSecondUp !== null && <> · a second up is {p.guardSkipsSecondUp ? 'skipped by its guard' : <strong>not skipped by its guard</strong>}</>}
          </p>
          {result.tables.length > 0 && (
            <p className="small muted">
              {result.tables.map((t) => `${t.table}: ${Math.round(t.rows).toLocaleString()} rows, ${formatBytes(t.tableBytes)} + ${formatBytes(t.indexBytes)} indexes`).join(' · ')}
            </p>
          )}
          <p className="small" data-testid="dryrun-backup">
            {databaseName}: <BackupAge backup={result.lastBackup} maxAgeHours={maxAgeHours} />
          </p>
          {result.longTransactions.length > 0 && (
            <p className="proxy-warning small">
              {result.longTransactions.length} transaction(s) open for more than 5 s would make the patch wait: {result.longTransactions.map((t) => `pid ${t.pid} (${t.seconds} s, ${t.state})`).join(', ')}
            </p>
          )}
          {result.lockHolder && <p className="small">Patch lock held by “{result.lockHolder.application}” since {result.lockHolder.since}.</p>}
          {p.verdict === 'refused' && (
            <div className="dbpatch-ack">
              <input placeholder="Why it is acceptable (audited)" value={reason} onChange={(e) => setReason(e.target.value)} data-testid="ack-reason" />
              <button className="btn btn-small btn-danger" disabled={reason.trim().length < 3 || ack.busy} onClick={() => void acknowledge(p.reasons.some((r) => r.includes('checksum')) ? 'checksum' : 'risk')} data-testid="ack">
                Acknowledge
              </button>
              <ErrorLine error={ack.error} />
            </div>
          )}
        </div>
      )}
    </Section>
  );
}

const fmt = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
