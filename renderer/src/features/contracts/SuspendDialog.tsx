/**
 * Suspension and reinstatement, confirmed on their plan: the dialog lists the effects the core
 * computed (which sites answer 503, which workers stop, who is told) and, folded, the exact script
 * per host. A proposal is decided through `contracts.decide`; a manual suspension starts directly.
 */
import { useId, useState } from 'react';
import type { Proposal } from '../../../../shared/contract/contracts.js';
import { SUSPENSION_REASONS, type Suspension, type SuspensionReason } from '../../../../shared/contract/suspension.js';
import { useApi } from '../../api/context.js';
import { useApiQuery } from '../../api/queries.js';
import { ErrorBox, Spinner } from '../../components/Bits.js';
import { ConfirmDialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { useToast } from '../../components/Toasts.js';
import { REASON_LABEL, retryAfterText } from './lifecycle.js';

interface PlanHost {
  serverId: number;
  serverName: string;
  site: string;
  steps: { step: string; title: string; command: string }[];
}

function Effects({ effects, warnings, testId }: { effects: readonly string[]; warnings: readonly string[]; testId: string }) {
  return (
    <>
      <ul className="effects" data-testid={testId}>
        {effects.map((e) => (
          <li key={e}>{e}</li>
        ))}
      </ul>
      {warnings.map((w) => (
        <div key={w} className="callout callout-warn" role="alert">
          <Icon name="warn" />
          <span>{w}</span>
        </div>
      ))}
    </>
  );
}

function HostScripts({ hosts }: { hosts: readonly PlanHost[] }) {
  if (!hosts.length) return null;
  return (
    <details className="plan-scripts">
      <summary>The exact commands, per host</summary>
      {hosts.map((h) => (
        <div key={h.serverId}>
          <h4>
            {h.serverName} <span className="muted small">{h.site}</span>
          </h4>
          <ol>
            {h.steps.map((s) => (
              <li key={s.step}>
                {s.title}
                <pre className="mono small">{s.command}</pre>
              </li>
            ))}
          </ol>
        </div>
      ))}
    </details>
  );
}

export function SuspendDialog({
  contractId,
  reference,
  applicationId,
  applicationName,
  proposal,
  onClose,
}: {
  contractId: number;
  reference: string;
  applicationId: number;
  applicationName: string;
  /** The evaluator's proposal this decides; without, a manual suspension. */
  proposal?: Proposal;
  onClose: () => void;
}) {
  const api = useApi();
  const toast = useToast();
  const reasonId = useId();
  const policy = useApiQuery('contracts.policy', { contractId });
  const eff = policy.data?.effective;
  const [chosen, setChosen] = useState<SuspensionReason | null>(null);
  const reason = proposal?.reason ?? chosen ?? eff?.suspensionReason ?? 'overdue';
  const req = { contractId, applicationId, reason, retryAfterSeconds: eff?.retryAfterSeconds ?? 86_400, stopWorkers: eff?.stopWorkers ?? [] };
  const plan = useApiQuery('suspension.plan', req, { enabled: !!eff, placeholderData: undefined });
  const hosts = plan.data?.environments.flatMap((e) => e.hosts) ?? [];
  const already = plan.data?.environments.length && plan.data.environments.every((e) => e.existingId !== null);
  return (
    <ConfirmDialog
      title={`Suspend ${applicationName} (${reference})?`}
      confirmLabel={already ? 'Already suspended' : 'Suspend now'}
      danger
      testId="confirm-suspend"
      disabled={!plan.data || !!already || hosts.length === 0}
      onClose={onClose}
      onConfirm={async () => {
        if (proposal) await api.call('contracts.decide', { proposalId: proposal.id, decision: 'suspend', why: '' });
        else await api.call('suspension.start', req);
        toast.success(`Suspending ${applicationName}: the run is under way on ${hosts.map((h) => h.serverName).join(', ')}.`);
      }}
      body={
        <>
          <p>
            A guided run over SSH, host by host, with live progress and an audit entry. The site answers <strong>503</strong> (Retry-After{' '}
            {retryAfterText(req.retryAfterSeconds)}); nothing is deleted, and a reinstatement puts everything back.
          </p>
          {proposal ? (
            <p>
              Reason: <strong>{REASON_LABEL[reason]}</strong> — {reason === 'overdue' ? 'a renewal lifts it by itself.' : 'only a reinstatement by an operator lifts it.'}
            </p>
          ) : (
            <div className="field">
              <label htmlFor={reasonId}>Reason</label>
              <select id={reasonId} value={reason} onChange={(e) => setChosen(e.target.value as SuspensionReason)}>
                {SUSPENSION_REASONS.map((r) => (
                  <option key={r} value={r}>
                    {REASON_LABEL[r]}
                    {r === 'overdue' ? ' (lifted by a renewal)' : ' (lifted only by hand)'}
                  </option>
                ))}
              </select>
            </div>
          )}
          {policy.error && <ErrorBox error={policy.error} />}
          {plan.error && <ErrorBox error={plan.error} />}
          {plan.data ? (
            <>
              <h3 className="effects-title">What happens</h3>
              <Effects effects={plan.data.effects} warnings={plan.data.warnings} testId="suspend-effects" />
              {already ? <p className="muted">It is already in force everywhere: starting again would change nothing.</p> : null}
              <HostScripts hosts={hosts} />
            </>
          ) : (
            !plan.error && !policy.error && <Spinner />
          )}
        </>
      }
    />
  );
}

export function ReinstateDialog({ s, onClose }: { s: Suspension; onClose: () => void }) {
  const api = useApi();
  const toast = useToast();
  const plan = useApiQuery('suspension.reinstatePlan', { id: s.id });
  return (
    <ConfirmDialog
      title={`Reinstate ${s.applicationName} (${s.environmentName})?`}
      confirmLabel="Reinstate"
      testId="confirm-reinstate"
      disabled={!plan.data}
      onClose={onClose}
      onConfirm={async () => {
        await api.call('suspension.reinstate', { id: s.id });
        toast.success(`Reinstating ${s.applicationName}: the run is under way.`);
      }}
      body={
        <>
          <p>
            The reverse run: the site is pointed back at what it served before, the workers this suspension stopped start again, the health path is checked
            through the proxy and the customer is told.
            {s.reason !== 'overdue' && ` This ${REASON_LABEL[s.reason]} suspension is lifted only this way.`}
          </p>
          {plan.error && <ErrorBox error={plan.error} />}
          {plan.data ? (
            <>
              <h3 className="effects-title">What happens</h3>
              <Effects effects={plan.data.effects} warnings={[]} testId="reinstate-effects" />
              <HostScripts hosts={plan.data.hosts} />
            </>
          ) : (
            !plan.error && <Spinner />
          )}
        </>
      }
    />
  );
}
