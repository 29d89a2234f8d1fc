/** A contract's suspensions: per host what was recorded, stopped and verified; reinstate or resume. */
import { Fragment, useEffect, useRef, useState } from 'react';
import { SUSPENSION_IN_FORCE, type Suspension, type SuspensionHost } from '../../../../shared/contract/suspension.js';
import { useApi } from '../../api/context.js';
import { Badge, Section } from '../../components/Bits.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { useToast } from '../../components/Toasts.js';
import { formatDateTime } from '../../lib/format.js';
import { AnsiText } from '../runs/AnsiText.js';
import { REASON_LABEL, retryAfterText } from './lifecycle.js';
import { SUSPENSION_TONE } from './tones.js';
import { ReinstateDialog } from './SuspendDialog.js';

const MOVING = ['suspending', 'reinstating'];

/**
 * A host's output as it arrives (each `suspension.changed` refetches the suspension): open while
 * the run moves or when the host failed, kept at its newest line.
 */
function HostLog({ h, moving }: { h: SuspensionHost; moving: boolean }) {
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [h.log]);
  const lines = h.log.replace(/\n$/, '').split('\n');
  if (!h.log) return <span className="small muted">{moving ? 'Waiting for the host…' : 'No output.'}</span>;
  return (
    <details className="suspension-log" open={moving || h.state === 'failed'}>
      <summary className="small muted">
        Log of {h.serverName} ({lines.length} line{lines.length === 1 ? '' : 's'})
      </summary>
      <pre ref={pre} className="suspension-log-text" data-testid={`suspension-log-${h.serverName}`} aria-live={moving ? 'polite' : 'off'}>
        {lines.map((l, i) => (
          <div key={i}>
            <AnsiText text={l} />
          </div>
        ))}
      </pre>
    </details>
  );
}

function Hosts({ s }: { s: Suspension }) {
  const moving = MOVING.includes(s.state);
  return (
    <table className="table table-inner suspension-hosts">
      <thead>
        <tr>
          <th>Host</th>
          <th>Step</th>
          <th>Was serving</th>
          <th>Workers stopped</th>
          <th>Verified</th>
        </tr>
      </thead>
      <tbody>
        {s.hosts.map((h) => (
          <Fragment key={h.serverId}>
            <tr data-testid={`suspension-host-${h.serverName}`}>
              <td>
                <strong>{h.serverName}</strong>
              </td>
              <td>
                <Badge tone={h.state === 'failed' ? 'red' : h.state === 'interrupted' ? 'amber' : h.state === 'done' ? 'green' : 'blue'}>{h.state}</Badge>{' '}
                <span className="small muted">{h.step ?? ''}</span>
                {h.error && <div className="small field-error">{h.error}</div>}
              </td>
              <td className="mono small">{h.previousTarget ?? '—'}</td>
              <td className="small">{h.stoppedWorkers.join(', ') || <span className="muted">none</span>}</td>
              <td className="small nowrap">
                {h.verification
                  ? `${h.verification.status}${h.verification.retryAfter ? ` · Retry-After ${h.verification.retryAfter}` : ''}${h.verification.marker ? ' · page' : ''}${h.verification.acme ? ' · ACME ok' : ' · ACME failed'}`
                  : '—'}
              </td>
            </tr>
            <tr className="suspension-log-row">
              <td colSpan={5}>
                <HostLog h={h} moving={moving} />
              </td>
            </tr>
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}

export function SuspensionsSection({ items }: { items: readonly Suspension[] }) {
  const api = useApi();
  const toast = useToast();
  const [reinstating, setReinstating] = useState<Suspension | null>(null);
  const [resuming, setResuming] = useState<Suspension | null>(null);
  return (
    <Section title="Suspensions" count={items.length}>
      {items.length === 0 ? (
        <p className="muted">Never suspended.</p>
      ) : (
        <div className="suspensions" data-testid="lifecycle-suspensions">
          {items.map((s) => {
            const inForce = SUSPENSION_IN_FORCE.includes(s.state);
            const stuck = s.state === 'interrupted' || s.state === 'failed';
            return (
              <article key={s.id} className="suspension" data-testid={`suspension-${s.id}`} aria-label={`Suspension of ${s.applicationName} in ${s.environmentName}`}>
                <header className="suspension-head">
                  <Badge tone={SUSPENSION_TONE[s.state]}>
                    <span data-testid="suspension-state">{s.state}</span>
                  </Badge>
                  <strong>{s.applicationName}</strong>
                  <span className="muted small">
                    {s.environmentName} · {REASON_LABEL[s.reason]} · Retry-After {retryAfterText(s.retryAfterSeconds)}
                  </span>
                  <span className="spacer" />
                  {stuck && (
                    <button className="btn btn-small" onClick={() => setResuming(s)} data-testid="resume-suspension">
                      Resume the {s.phase}…
                    </button>
                  )}
                  {inForce && !MOVING.includes(s.state) && (
                    <button className="btn btn-small btn-primary" onClick={() => setReinstating(s)} data-testid="reinstate">
                      Reinstate…
                    </button>
                  )}
                </header>
                <div className="small muted">
                  {s.suspendRun && `Suspended by ${s.suspendRun.operator} ${formatDateTime(s.suspendRun.startedAt)}`}
                  {s.reinstateRun && ` · reinstated by ${s.reinstateRun.operator} ${formatDateTime(s.reinstateRun.startedAt)}`}
                  {s.suspendNoticeId !== null && ' · customer told'}
                  {stuck && ` · stopped during the ${s.phase}: resume it, or reinstate to put everything back`}
                </div>
                <Hosts s={s} />
              </article>
            );
          })}
        </div>
      )}
      {reinstating && <ReinstateDialog s={reinstating} onClose={() => setReinstating(null)} />}
      {resuming && (
        <ConfirmDialog
          title={`Resume the ${resuming.phase} of ${resuming.applicationName}?`}
          confirmLabel="Resume"
          testId="confirm-resume"
          onClose={() => setResuming(null)}
          onConfirm={async () => {
            await api.call('suspension.resume', { id: resuming.id });
            toast.success('Resumed from where it stopped.');
          }}
          body={
            <p>
              Each host continues from the step it stopped at ({resuming.hosts.map((h) => `${h.serverName}: ${h.step ?? 'not started'}`).join(', ')}). Every
              step is safe to run again.
            </p>
          }
        />
      )}
    </Section>
  );
}
