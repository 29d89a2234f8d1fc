import { useState } from 'react';
import type { ContractStatus, Hold, Proposal } from '../../../../shared/contract/contracts.js';
import { useApi } from '../../api/context.js';
import { useApiQuery } from '../../api/queries.js';
import { Badge, ErrorBox, PageHeader, Section, Spinner } from '../../components/Bits.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { addDays, formatDate, formatDateTime, todayIso } from '../../lib/format.js';
import { href } from '../../lib/router.js';
import { DismissDialog, HoldDialog, RenewDialog, TerminateDialog } from './dialogs.js';
import { dueLabel, REASON_LABEL, retryAfterText } from './lifecycle.js';
import { ContractPolicyDialog } from './PolicyForm.js';
import { ApplicationsSection, DecisionsSection, HoldsSection, RemindersSection, StageBadge, StageHistorySection } from './sections.js';
import { SuspendDialog } from './SuspendDialog.js';
import { SuspensionsSection } from './SuspensionsSection.js';
import { TimelineTable } from './TimelineTable.js';
import './contracts.css';

type Open =
  | { kind: 'hold' | 'renew' | 'terminate' | 'policy' }
  | { kind: 'release'; hold: Hold }
  | { kind: 'suspend'; app: { applicationId: number; applicationName: string }; proposal?: Proposal }
  | { kind: 'dismiss'; proposal: Proposal };

/** Where the next year of this contract stands: its own timeline. */
function NextSection({ contractId }: { contractId: number }) {
  const from = addDays(todayIso(), -7);
  const q = useApiQuery('contracts.timeline', { from, to: addDays(todayIso(), 400), contractId });
  const items = q.data?.items ?? [];
  return (
    <Section title="What comes next" count={items.length}>
      {q.error && <ErrorBox error={q.error} />}
      {items.length ? <TimelineTable items={items} contract={false} testId="lifecycle-timeline" /> : q.data && <p className="muted">Nothing due in the coming year.</p>}
    </Section>
  );
}

function PolicySummary({ contractId, onEdit }: { contractId: number; /** Absent: terminated, nothing left to follow. */ onEdit?: (() => void) | undefined }) {
  const q = useApiQuery('contracts.policy', { contractId });
  const p = q.data?.effective;
  const own = q.data ? Object.entries(q.data.overrides).filter(([k, v]) => v !== null && k !== 'graceDays').length : 0;
  return (
    <Section
      title="Policy"
      actions={
        onEdit && (
          <button className="btn btn-small" onClick={onEdit} data-testid="edit-policy">
            Change…
          </button>
        )
      }
    >
      {q.error && <ErrorBox error={q.error} />}
      {p && (
        <dl className="kv" data-testid="lifecycle-policy">
          <dt>Reminders</dt>
          <dd>
            {p.reminderDaysBefore.join(', ') || 'none'} days before; {p.overdueReminderDaysAfter.join(', ') || 'none'} after
          </dd>
          <dt>Grace</dt>
          <dd>{p.graceDays} days</dd>
          <dt>Suspension</dt>
          <dd>
            {p.suspensionMode === 'propose' ? 'proposed on Today' : 'carried out when due'} · {REASON_LABEL[p.suspensionReason]} · Retry-After {retryAfterText(p.retryAfterSeconds)}
          </dd>
          <dt>Workers</dt>
          <dd>{p.stopWorkers.join(', ') || 'none stopped'}</dd>
          <dt>Source</dt>
          <dd className="muted">{own ? `${own} setting(s) of its own, the rest from Settings` : 'the Settings defaults'}</dd>
        </dl>
      )}
    </Section>
  );
}

function Header({ s, onOpen }: { s: ContractStatus; onOpen: (o: Open) => void }) {
  const ended = s.stage === 'terminated';
  return (
    <PageHeader
      icon="contract"
      back={{ to: '/contracts/timeline', label: 'Expiry timeline' }}
      title={<span data-testid="lifecycle-title">{s.reference}</span>}
      subtitle={
        <span className="lifecycle-sub">
          <a href={href(`/customers/${s.customerId}`)}>{s.customerName}</a> · ends {formatDate(s.endDate)} <StageBadge stage={s.stage} />
          {s.hold && <Badge tone="violet">on hold until {formatDate(s.hold.until)}</Badge>}
          {s.next && (
            <span className="muted">
              · next: {dueLabel(s.next.kind, s.next.days).toLowerCase()} — {formatDateTime(s.next.at)}
            </span>
          )}
        </span>
      }
      actions={
        <>
          <a className="btn" href={href(`/contracts/${s.contractId}`)}>
            <Icon name="edit" /> Details
          </a>
          {!ended && !s.hold && (
            <button className="btn" onClick={() => onOpen({ kind: 'hold' })} data-testid="hold">
              Hold…
            </button>
          )}
          {!ended && (
            <button className="btn btn-ghost-danger" onClick={() => onOpen({ kind: 'terminate' })} data-testid="terminate">
              Terminate…
            </button>
          )}
          {!ended && (
            <button className="btn btn-primary" onClick={() => onOpen({ kind: 'renew' })} data-testid="renew">
              Renew…
            </button>
          )}
        </>
      }
    />
  );
}

/** A contract's lifecycle: where each application stands, what comes next, what happened, and the decisions. */
export function ContractLifecyclePage({ id }: { id: number }) {
  const api = useApi();
  const toast = useToast();
  const status = useApiQuery('contracts.status', { contractId: id });
  const history = useApiQuery('contracts.history', { contractId: id });
  const suspensions = useApiQuery('suspension.list', { contractId: id });
  const [open, setOpen] = useState<Open | null>(null);
  const close = () => setOpen(null);
  const s = status.data;
  if (status.error && !s) {
    return (
      <div className="page">
        <PageHeader title={`Contract #${id}`} back={{ to: '/contracts', label: 'Contracts' }} />
        <ErrorBox error={status.error} onRetry={() => void status.refetch()} />
      </div>
    );
  }
  if (!s) {
    return (
      <div className="page">
        <Spinner />
      </div>
    );
  }
  const h = history.data;
  return (
    <div className="page lifecycle-page" data-testid="lifecycle-page">
      <Header s={s} onOpen={setOpen} />
      {s.lastEvaluatedAt === null && <p className="muted small">Not evaluated yet.</p>}
      <div className="lifecycle-grid">
        <div className="lifecycle-col">
          <ApplicationsSection status={s} onSuspend={(a) => setOpen({ kind: 'suspend', app: a })} />
          {h && (
            <DecisionsSection
              proposals={h.proposals}
              onSuspend={(p) => setOpen({ kind: 'suspend', app: p, proposal: p })}
              onDismiss={(p) => setOpen({ kind: 'dismiss', proposal: p })}
            />
          )}
          <SuspensionsSection items={suspensions.data?.items ?? []} />
          <NextSection contractId={id} />
          {h && <StageHistorySection stages={h.stages} />}
        </div>
        <div className="lifecycle-col">
          <PolicySummary contractId={id} onEdit={s.stage === 'terminated' ? undefined : () => setOpen({ kind: 'policy' })} />
          {history.error && <ErrorBox error={history.error} onRetry={() => void history.refetch()} />}
          {h && <HoldsSection holds={h.holds} onRelease={(hold) => setOpen({ kind: 'release', hold })} />}
          {h && <RemindersSection reminders={h.reminders} />}
        </div>
      </div>
      {open?.kind === 'hold' && <HoldDialog c={s} onClose={close} />}
      {open?.kind === 'renew' && <RenewDialog c={s} onClose={close} />}
      {open?.kind === 'terminate' && <TerminateDialog c={s} onClose={close} />}
      {open?.kind === 'policy' && <ContractPolicyDialog contractId={id} onClose={close} />}
      {open?.kind === 'dismiss' && <DismissDialog p={open.proposal} onClose={close} />}
      {open?.kind === 'suspend' && (
        <SuspendDialog
          contractId={id}
          reference={s.reference}
          applicationId={open.app.applicationId}
          applicationName={open.app.applicationName}
          {...(open.proposal ? { proposal: open.proposal } : {})}
          onClose={close}
        />
      )}
      {open?.kind === 'release' && (
        <ConfirmDialog
          title="Release the hold?"
          confirmLabel="Release"
          testId="confirm-release"
          onClose={close}
          onConfirm={async () => {
            await api.call('contracts.releaseHold', { holdId: open.hold.id, why: '' });
            toast.success(`${s.reference} is no longer on hold: a suspension due is proposed again.`);
          }}
          body={<p>It was to last until {formatDate(open.hold.until)} ({open.hold.reason}). From now on, a suspension that is due is proposed or carried out again.</p>}
        />
      )}
    </div>
  );
}
