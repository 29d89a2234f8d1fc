import { useEffect, useMemo, useState } from 'react';
import type { ChecklistKind, Plan, RunRequest } from '../../../../shared/contract/runs.js';
import { PuestaError } from '../../../../shared/errors.js';
import { useApi } from '../../api/context.js';
import { useApiQuery } from '../../api/queries.js';
import { Badge, EnvTag, ErrorLine, PageHeader } from '../../components/Bits.js';
import { ConfirmButtons, Dialog } from '../../components/Dialog.js';
import { Icon } from '../../components/Icon.js';
import { errorMessage } from '../../lib/form.js';
import { plural } from '../../lib/format.js';
import { useAction } from '../../lib/hooks.js';
import { href, navigate, useLocation } from '../../lib/router.js';
import { useApplications, useEnvironments, useServers } from '../inventory/lookups.js';
import { ReleasePatchesReview } from '../dbpatch/ReleasePatchesReview.js';
import { UpgradeReview } from '../provision/UpgradeReview.js';
import { PlanTable } from './PlanTable.js';
import { defaultKind, rollbackChoices } from './outcome.js';
import { KIND_LABEL } from './util.js';
import './runs.css';

const KINDS: { value: ChecklistKind; label: string; hint: string }[] = [
  { value: 'install', label: 'Install', hint: 'First deployment on hosts with no release yet' },
  { value: 'upgrade', label: 'Upgrade', hint: 'A new release next to the current one, then switch' },
  { value: 'rollback', label: 'Rollback', hint: 'Switch back to a previous release' },
];

/**
 * "New run": application → kind → release (source or rollback target) → targets → parallelism →
 * the plan (dry-run, exact commands) → start, with a typed confirmation where the environment asks.
 * Query: ?app=&env=&kind=&rollbackTo=&servers=1,2 prefill it (the rollback offer, the app page).
 */
export function NewRunScreen() {
  const api = useApi();
  const loc = useLocation();
  const q = loc.query;
  const apps = useApplications();
  const envs = useEnvironments();
  const servers = useServers();
  const [appId, setAppId] = useState<number | null>(q.get('app') ? Number(q.get('app')) : null);
  const [envId, setEnvId] = useState<number | null>(q.get('env') ? Number(q.get('env')) : null);
  const [kind, setKind] = useState<ChecklistKind>((['install', 'upgrade', 'rollback'].includes(q.get('kind') ?? '') ? q.get('kind') : 'upgrade') as ChecklistKind);
  const [sourceKind, setSourceKind] = useState<'tarball' | 'directory' | 'git'>('tarball');
  const [sourcePath, setSourcePath] = useState('');
  const [gitRef, setGitRef] = useState('');
  const [label, setLabel] = useState('');
  const [rollbackTo, setRollbackTo] = useState(q.get('rollbackTo') ?? '');
  const [serverIds, setServerIds] = useState<number[] | null>(q.get('servers') ? q.get('servers')!.split(',').map(Number) : null);
  const [parallelism, setParallelism] = useState(8);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [planError, setPlanError] = useState<string | null>(null);
  const [planning, setPlanning] = useState(false);
  const [starting, setStarting] = useState(false);

  const app = appId ? apps.byId.get(appId) : undefined;
  // While another application's answer is still shown (placeholder), its rows are filtered out here.
  const placements = useApiQuery('placements.list', { applicationId: appId ?? 0, limit: 10_000 }, { enabled: appId != null });
  const appPlacements = appId ? (placements.data?.items ?? []).filter((p) => p.applicationId === appId) : [];
  const envIdsOfApp = new Set(appPlacements.map((p) => servers.byId.get(p.serverId)?.environmentId).filter((x): x is number => x != null));
  const envChoices = envs.items.filter((e) => envIdsOfApp.has(e.id));
  const targets = appPlacements.filter((p) => envId != null && servers.byId.get(p.serverId)?.environmentId === envId);
  const env = envId ? envs.byId.get(envId) : undefined;
  const releases = useApiQuery('releases.list', { applicationId: appId ?? 0 }, { enabled: appId != null });
  const rollbackKeys = useMemo(
    () => rollbackChoices((releases.data?.items ?? []).filter((r) => r.applicationId === appId), targets.map((t) => t.serverId)),
    [releases.data, targets, appId],
  );
  // Without a kind in the address, an application never installed starts on Install, others on
  // Upgrade — chosen once its releases are known; the operator's own choice stays.
  const [kindFor, setKindFor] = useState<number | null>(null);
  const releasesOfApp = releases.data && appId != null && !releases.isPlaceholderData ? releases.data.items : null;
  if (!q.get('kind') && appId != null && kindFor !== appId && releasesOfApp) {
    setKindFor(appId);
    setKind(defaultKind(releasesOfApp, appId));
  }

  // Defaults that follow the choices, set when the application (or its environments) change,
  // not on every render: a field the operator cleared stays clear.
  const [defaultsFor, setDefaultsFor] = useState<{ app: typeof app; envKey: string }>({ app: undefined, envKey: '' });
  const envKey = `${appId}:${envChoices.length}`;
  if (defaultsFor.app !== app || defaultsFor.envKey !== envKey) {
    setDefaultsFor({ app, envKey });
    if (app && defaultsFor.app !== app && app.sourceKind !== 'build' && !sourcePath) {
      setSourceKind(app.sourceKind);
      const [url = '', ref = ''] = app.sourceKind === 'git' ? app.source.split('#') : [app.source];
      setSourcePath(url);
      setGitRef(ref);
    }
    if (defaultsFor.envKey !== envKey && appId && envId == null && envChoices.length === 1) setEnvId(envChoices[0]!.id);
  }

  const chosen = serverIds ?? targets.map((t) => t.serverId);
  const request = (): RunRequest | null => {
    if (!appId || !envId) return null;
    const r: RunRequest = { applicationId: appId, environmentId: envId, kind, label, parallelism };
    if (kind !== 'rollback' && sourcePath.trim()) r.source = { kind: sourceKind, path: sourcePath.trim(), ...(sourceKind === 'git' && gitRef.trim() ? { ref: gitRef.trim() } : {}) };
    if (kind === 'rollback' && rollbackTo) r.rollbackTo = rollbackTo;
    if (serverIds && targets.length && chosen.length !== targets.length) r.serverIds = chosen;
    return r;
  };
  const reqKey = JSON.stringify(request());
  useEffect(() => setPlan(null), [reqKey]);

  const preview = async () => {
    const r = request();
    if (!r) return;
    setPlanning(true);
    setPlanError(null);
    try {
      setPlan(await api.call('runs.plan', r));
    } catch (e) {
      setPlan(null);
      setPlanError(errorMessage(e));
    } finally {
      setPlanning(false);
    }
  };

  const step = !appId ? 1 : !envId ? 2 : 3;
  return (
    <div className="page new-run" data-testid="new-run">
      <PageHeader back={{ to: '/runs', label: 'Runs' }} icon="runs" title="New run" subtitle="Nothing runs until you start it: preview the plan first, every command is shown." />
      <div className="wizard">
        <section className={'wizard-step' + (step >= 1 ? ' on' : '')}>
          <h2>
            <span className="wizard-no">1</span> Application and environment
          </h2>
          <div className="wizard-row">
            <div className="field">
              <label htmlFor="run-app">Application</label>
              <select
                id="run-app"
                value={appId ?? ''}
                onChange={(e) => {
                  setAppId(e.target.value ? Number(e.target.value) : null);
                  setEnvId(null);
                  setServerIds(null);
                  setSourcePath('');
                  setRollbackTo('');
                }}
              >
                <option value="">Choose…</option>
                {apps.options.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="run-env">Environment</label>
              <select
                id="run-env"
                value={envId ?? ''}
                disabled={!appId}
                onChange={(e) => {
                  setEnvId(e.target.value ? Number(e.target.value) : null);
                  setServerIds(null);
                }}
              >
                <option value="">{appId && !envChoices.length ? 'No placement yet' : 'Choose…'}</option>
                {envChoices.map((e) => (
                  <option key={e.id} value={e.id}>
                    {e.name}
                    {e.confirmRuns ? ' (asks for confirmation)' : ''}
                  </option>
                ))}
              </select>
              {appId && !envChoices.length && !placements.isFetching && (
                <div className="field-hint">
                  {app?.name ?? 'This application'} is placed on no server with an environment yet. <a href={href('/placements/new')}>Add a placement</a>.
                </div>
              )}
            </div>
          </div>
        </section>

        <section className={'wizard-step' + (step >= 2 ? ' on' : '')}>
          <h2>
            <span className="wizard-no">2</span> What to do
          </h2>
          <div className="segmented kind-choice" role="radiogroup" aria-label="Kind of run">
            {KINDS.map((k) => (
              <button key={k.value} type="button" role="radio" aria-checked={kind === k.value} className={kind === k.value ? 'on' : ''} onClick={() => {
                  setKind(k.value);
                  setKindFor(appId);
                }}
                title={k.hint}
              >
                {k.label}
              </button>
            ))}
          </div>
          <div className="field-hint">{KINDS.find((k) => k.value === kind)!.hint}.</div>
          {kind !== 'rollback' ? (
            <div className="wizard-row">
              <div className="field" style={{ flex: '0 0 10rem' }}>
                <label htmlFor="run-srckind">Release source</label>
                <select id="run-srckind" value={sourceKind} onChange={(e) => setSourceKind(e.target.value as 'tarball' | 'directory' | 'git')}>
                  <option value="tarball">.tar.gz file</option>
                  <option value="directory">Folder</option>
                  <option value="git">Git repository</option>
                </select>
              </div>
              <div className="field grow">
                <label htmlFor="run-src">{sourceKind === 'git' ? 'Repository URL' : 'Path on this computer'}</label>
                <input
                  id="run-src"
                  className="mono"
                  value={sourcePath}
                  onChange={(e) => setSourcePath(e.target.value)}
                  placeholder={sourceKind === 'tarball' ? '/home/me/builds/shop-2.3.1.tar.gz' : sourceKind === 'git' ? 'https://git.example.net/shop.git' : '/home/me/builds/shop/'}
                />
                <div className="field-hint">
                  {sourceKind === 'git' ? 'Fetched on each host (git must be installed there) and packed into the release.' : 'Uploaded to each host over SFTP and checked (sha256) before it is unpacked.'}
                </div>
              </div>
              {sourceKind === 'git' && (
                <div className="field" style={{ flex: '0 0 10rem' }}>
                  <label htmlFor="run-ref">Branch, tag or commit</label>
                  <input id="run-ref" className="mono" value={gitRef} onChange={(e) => setGitRef(e.target.value)} placeholder="main" />
                </div>
              )}
              <div className="field" style={{ flex: '0 0 11rem' }}>
                <label htmlFor="run-label">Label</label>
                <input id="run-label" value={label} onChange={(e) => setLabel(e.target.value)} placeholder="v2.3.1" />
              </div>
            </div>
          ) : (
            <div className="wizard-row">
              <div className="field grow">
                <label htmlFor="run-rollback">Go back to</label>
                <select id="run-rollback" value={rollbackTo} onChange={(e) => setRollbackTo(e.target.value)}>
                  <option value="">Each host’s previous release</option>
                  {rollbackKeys.map(([k, l]) => (
                    <option key={k} value={k}>
                      {k}
                      {l ? ` (${l})` : ''}
                    </option>
                  ))}
                </select>
              </div>
            </div>
          )}
        </section>

        <section className={'wizard-step' + (step >= 3 ? ' on' : '')}>
          <h2>
            <span className="wizard-no">3</span> Targets
          </h2>
          {!envId ? (
            <p className="muted">Choose the application and the environment first.</p>
          ) : (
            <>
              <div className="target-list" role="group" aria-label="Target hosts">
                {targets.map((t) => {
                  const s = servers.byId.get(t.serverId);
                  return (
                    <label key={t.id} className="check target">
                      <input
                        type="checkbox"
                        checked={chosen.includes(t.serverId)}
                        onChange={(e) => setServerIds(e.target.checked ? [...chosen, t.serverId] : chosen.filter((x) => x !== t.serverId))}
                      />
                      <span>
                        <strong>{t.serverName}</strong> <span className="muted">{s ? `${s.user}@${s.host}:${s.port}` : ''}</span> <Badge>{t.role}</Badge>
                      </span>
                    </label>
                  );
                })}
              </div>
              <div className="wizard-row">
                <div className="field" style={{ flex: '0 0 12rem' }}>
                  <label htmlFor="run-par">Hosts at the same time</label>
                  <input id="run-par" type="number" min={1} max={256} value={parallelism} onChange={(e) => setParallelism(Math.max(1, Math.min(256, Number(e.target.value) || 1)))} />
                </div>
                <div className="field-hint" style={{ alignSelf: 'center' }}>
                  {plural(chosen.length, 'host')} chosen; each step runs on at most {Math.min(parallelism, Math.max(chosen.length, 1))} at once.
                </div>
              </div>
            </>
          )}
        </section>

        <section className={'wizard-step' + (step >= 3 ? ' on' : '')}>
          <h2>
            <span className="wizard-no">4</span> Plan
            <div className="spacer" />
            <button className="btn btn-primary" disabled={!appId || !envId || !chosen.length || planning} onClick={() => void preview()} data-testid="preview-plan">
              {planning ? 'Planning…' : plan ? 'Plan again' : 'Preview the plan'}
            </button>
          </h2>
          <ErrorLine error={planError} testId="plan-error" />
          {kind === 'upgrade' && appId ? <UpgradeReview applicationId={appId} /> : null}
          {plan && appId && kind !== 'rollback' && sourceKind !== 'git' && sourcePath.trim() ? <ReleasePatchesReview applicationId={appId} source={{ kind: sourceKind, path: sourcePath.trim() }} /> : null}
          {plan ? (
            <>
              <p className="muted">
                {KIND_LABEL[plan.kind]} of <strong>{plan.applicationName}</strong> to release <code>{plan.releaseKey}</code> on {plural(plan.hosts.length, 'host')} in {env ? <EnvTag name={env.name} colour={env.colour} /> : plan.environmentName}: {plural(plan.steps.filter((s) => s.enabled).length, 'step')}, nothing has run yet.
              </p>
              {plan.warnings.map((w, i) => (
                <div key={i} className="callout callout-warn" role="note">
                  <Icon name="warn" />
                  <span>{w}</span>
                </div>
              ))}
              <PlanTable steps={plan.steps} hosts={plan.hosts} />
              <div className="wizard-foot">
                <button className="btn btn-primary btn-big" onClick={() => setStarting(true)} data-testid="start-run">
                  <Icon name="runs" /> Start the {plan.kind}…
                </button>
              </div>
            </>
          ) : (
            !planError && <p className="muted">The plan lists every step on every host with the exact command, before anything runs.</p>
          )}
        </section>
      </div>
      {starting && plan && request() && <StartDialog plan={plan} request={request()!} onClose={() => setStarting(false)} />}
    </div>
  );
}

function StartDialog({ plan, request, onClose }: { plan: Plan; request: RunRequest; onClose: () => void }) {
  const api = useApi();
  const [typed, setTyped] = useState('');
  const [reason, setReason] = useState('');
  const { busy, error, run } = useAction();
  const [lockedBy, setLockedBy] = useState<string | null>(null);
  const [override, setOverride] = useState(false);
  const okName = !plan.confirmRequired || typed === plan.environmentName;
  const steps = plan.steps.filter((s) => s.enabled);
  const go = () =>
    run(async () => {
      try {
        // the plan shown is the one that runs: its release key, and nothing else than its digest says
        const previewed = { ...(plan.kind !== 'rollback' ? { releaseKey: plan.releaseKey } : {}), planDigest: plan.digest };
        const started = await api.call('runs.start', { ...request, ...previewed, reason, overrideLock: override, ...(plan.confirmRequired ? { confirmName: typed } : {}) });
        navigate(`/runs/${started.id}`);
      } catch (e) {
        if (e instanceof PuestaError && e.code === 'LOCKED') {
          const d = e.details as { owner?: string } | undefined;
          setLockedBy(d?.owner ?? 'someone else');
        }
        throw e;
      }
    });
  return (
    <Dialog
      title={`Start the ${plan.kind} of ${plan.applicationName} in ${plan.environmentName}?`}
      onClose={onClose}
      footer={
        <ConfirmButtons onCancel={onClose} danger={plan.confirmRequired} disabled={busy || !okName || (lockedBy !== null && !override)} onConfirm={() => void go()} testId="confirm-start">
          {busy ? 'Starting…' : `Start on ${plural(plan.hosts.length, 'host')}`}
        </ConfirmButtons>
      }
    >
      <div className="confirm-body">
        <p>
          The {steps.length} steps of the plan run in order on {plan.hosts.map((h) => h.serverName).join(', ')}, {plan.hosts.length > 1 ? `at most ${Math.min(request.parallelism ?? 8, plan.hosts.length)} at a time` : 'one host'}. Manual steps wait for you; a failed step stops the run and asks what to do.
          {plan.kind !== 'rollback' ? <> Release <code>{plan.releaseKey}</code> becomes current when its switch step passes.</> : <> The current symlink goes back to the earlier release.</>}
        </p>
        <p>
          {plan.applicationName} in {plan.environmentName} is locked for this run: nobody else can start one until it ends.
        </p>
        <div className="field">
          <label htmlFor="start-reason">Reason (optional, kept with the run)</label>
          <input id="start-reason" value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. ticket OPS-123, monthly upgrade" />
        </div>
        {plan.confirmRequired && (
          <div className={'field typed-confirm' + (typed && !okName ? ' has-error' : '')}>
            <label htmlFor="start-typed">
              {plan.environmentName} asks for a confirmation: type <strong>{plan.environmentName}</strong> to start
            </label>
            <input id="start-typed" autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} data-testid="typed-confirm" />
          </div>
        )}
        {lockedBy !== null && (
          <label className="check">
            <input type="checkbox" checked={override} onChange={(e) => setOverride(e.target.checked)} data-testid="override-lock" />
            <span>Take the lock from {lockedBy} (written to the audit log)</span>
          </label>
        )}
      </div>
      <ErrorLine error={error} testId="start-error" />
    </Dialog>
  );
}
