/** The sections of a contract's lifecycle page: applications, stage history, reminders, holds, decisions. */
import type { ContractStatus, Hold, Proposal, ReminderSent, StageEntry } from '../../../../shared/contract/contracts.js';
import { Badge, Section } from '../../components/Bits.js';
import { formatDate, formatDateTime } from '../../lib/format.js';
import { href } from '../../lib/router.js';
import { OUTBOX_LABEL, OUTBOX_TONE } from '../windows/meta.js';
import { dueLabel, REASON_LABEL, STAGE_LABEL } from './lifecycle.js';
import { STAGE_TONE, SUSPENSION_TONE } from './tones.js';

export function StageBadge({ stage }: { stage: ContractStatus['stage'] }) {
  return <Badge tone={STAGE_TONE[stage]}>{STAGE_LABEL[stage]}</Badge>;
}

/** Each application the contract covers: its stage, who else covers it, what is in force on its servers. */
export function ApplicationsSection({ status, onSuspend }: { status: ContractStatus; onSuspend: (a: ContractStatus['applications'][number]) => void }) {
  const open = status.stage !== 'terminated';
  return (
    <Section title="Applications covered" count={status.applications.length}>
      {status.applications.length === 0 ? (
        <p className="muted">This contract covers no application: nothing can be suspended.</p>
      ) : (
        <table className="table table-inner" data-testid="lifecycle-apps">
          <thead>
            <tr>
              <th>Application</th>
              <th>Stage</th>
              <th>On the servers</th>
              <th className="right">
                <span className="label-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {status.applications.map((a) => (
              <tr key={a.applicationId} data-testid={`lifecycle-app-${a.applicationName}`}>
                <td>
                  <a href={href(`/applications/${a.applicationId}`)}>{a.applicationName}</a>
                  {a.coveredBy.length > 0 && (
                    <div className="small muted">
                      also covered by{' '}
                      {a.coveredBy.map((c, i) => (
                        <span key={c.contractId}>
                          {i > 0 && ', '}
                          <a href={href(`/contracts/${c.contractId}/lifecycle`)}>{c.reference}</a>
                        </span>
                      ))}{' '}
                      — it stays served
                    </div>
                  )}
                </td>
                <td>
                  <StageBadge stage={a.stage} />
                </td>
                <td>
                  {a.suspensions.length === 0 ? (
                    <span className="muted">served</span>
                  ) : (
                    a.suspensions.map((s) => (
                      <Badge key={s.id} tone={SUSPENSION_TONE[s.state]}>
                        {s.state} · {REASON_LABEL[s.reason]}
                      </Badge>
                    ))
                  )}
                </td>
                <td className="right">
                  {open && a.suspensions.length === 0 && (
                    <button className="btn btn-small btn-ghost-danger" onClick={() => onSuspend(a)} data-testid={`suspend-${a.applicationName}`}>
                      Suspend…
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

/** Open proposals first (with their decision), then what was decided. */
export function DecisionsSection({ proposals, onSuspend, onDismiss }: { proposals: readonly Proposal[]; onSuspend: (p: Proposal) => void; onDismiss: (p: Proposal) => void }) {
  if (!proposals.length) return null;
  const sorted = [...proposals].sort((a, b) => Number(b.state === 'open') - Number(a.state === 'open') || b.dueAt.localeCompare(a.dueAt));
  return (
    <Section title="Suspension decisions" count={proposals.length}>
      <ul className="link-list decisions" data-testid="lifecycle-decisions">
        {sorted.map((p) => (
          <li key={p.id}>
            <span>
              <strong>{p.applicationName}</strong> <span className="muted small">due {formatDateTime(p.dueAt)} · {REASON_LABEL[p.reason]}</span>
              {p.state !== 'open' && (
                <div className="small muted">
                  {p.state} {p.decidedAt && `${formatDateTime(p.decidedAt)} by ${p.decidedBy ?? '?'}`}
                  {p.why && ` — ${p.why}`}
                </div>
              )}
            </span>
            <span className="spacer" />
            {p.state === 'open' ? (
              <>
                <button className="btn btn-small" onClick={() => onDismiss(p)}>
                  Dismiss…
                </button>
                <button className="btn btn-small btn-danger" onClick={() => onSuspend(p)} data-testid={`decide-${p.id}`}>
                  Suspend…
                </button>
              </>
            ) : (
              <Badge tone={p.state === 'accepted' ? 'red' : 'neutral'}>{p.state}</Badge>
            )}
          </li>
        ))}
      </ul>
    </Section>
  );
}

export function StageHistorySection({ stages }: { stages: readonly StageEntry[] }) {
  return (
    <Section title="Stage history" count={stages.length}>
      {stages.length === 0 ? (
        <p className="muted">No stage change recorded yet: the evaluator writes one each time the contract moves.</p>
      ) : (
        <table className="table table-inner" data-testid="lifecycle-stages">
          <thead>
            <tr>
              <th>When</th>
              <th>Stage</th>
              <th>Application</th>
              <th>Why</th>
            </tr>
          </thead>
          <tbody>
            {stages.map((s) => (
              <tr key={s.id}>
                <td className="nowrap">{formatDateTime(s.at)}</td>
                <td>
                  <StageBadge stage={s.stage} />
                </td>
                <td>{s.applicationName ?? <span className="muted">all</span>}</td>
                <td>
                  {s.why} <span className="muted small">— {s.actor}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

/** The reminders and stage notices of this contract, from the notices ledger (one row per recipient). */
export function RemindersSection({ reminders }: { reminders: readonly ReminderSent[] }) {
  return (
    <Section title="Reminders sent" count={reminders.length}>
      {reminders.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <table className="table table-inner" data-testid="lifecycle-reminders">
          <tbody>
            {reminders.map((r) => (
              <tr key={r.outboxId}>
                <td>
                  {dueLabel(r.kind, r.days)}
                  <div className="small muted">
                    {r.contactName} &lt;{r.email}&gt; · period ending {formatDate(r.period)}
                  </div>
                </td>
                <td className="nowrap small">{formatDateTime(r.sentAt ?? r.createdAt)}</td>
                <td className="right">
                  <a href={href('/notices?tab=ledger')} title={r.subject}>
                    <Badge tone={OUTBOX_TONE[r.state]}>{OUTBOX_LABEL[r.state]}</Badge>
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

export function HoldsSection({ holds, onRelease }: { holds: readonly Hold[]; onRelease: (h: Hold) => void }) {
  return (
    <Section title="Holds" count={holds.length}>
      {holds.length === 0 ? (
        <p className="muted">Never on hold. A hold stops suspension (proposed or automatic) until its date.</p>
      ) : (
        <ul className="link-list" data-testid="lifecycle-holds">
          {holds.map((h) => (
            <li key={h.id}>
              <span>
                until <strong>{formatDate(h.until)}</strong> — {h.reason}
                <div className="small muted">
                  by {h.createdBy} {formatDateTime(h.createdAt)}
                  {h.releasedAt && ` · released ${formatDateTime(h.releasedAt)} by ${h.releasedBy ?? '?'}`}
                </div>
              </span>
              <span className="spacer" />
              {h.inForce ? (
                <button className="btn btn-small" onClick={() => onRelease(h)} data-testid="release-hold">
                  Release…
                </button>
              ) : (
                <Badge>{h.releasedAt ? 'released' : 'ended'}</Badge>
              )}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
