/** The lifecycle policy: Settings defaults (settings key `contracts.policy`), a contract's own settings over them. */
import { DEFAULT_LIFECYCLE_POLICY, LifecyclePolicy, type ContractPolicyView, type PolicyOverrides } from '../../../shared/contract/contracts.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import { contractById, ownPolicy, saveOwnPolicy, setGraceDays } from './lifecycle-store.js';
import { effectivePolicy } from './stages.js';

const KEY = 'contracts.policy';

export function policyDefaults(core: Core): LifecyclePolicy {
  // Stored defaults are re-read through the schema: a field added later gets its built-in default.
  const parsed = LifecyclePolicy.safeParse({ ...DEFAULT_LIFECYCLE_POLICY, ...core.settings.getJson<Partial<LifecyclePolicy>>(KEY, {}) });
  return parsed.success ? parsed.data : DEFAULT_LIFECYCLE_POLICY;
}

export function setPolicyDefaults(core: Core, p: LifecyclePolicy): LifecyclePolicy {
  return core.tx(() => {
    const before = policyDefaults(core);
    core.settings.setJson(KEY, p);
    core.audit.write(core.operator(), 'update', 'settings.contractPolicy', null, before, p);
    core.events.emit('contracts.lifecycle', { contractId: null, action: 'policy' });
    return policyDefaults(core);
  });
}

/** What the evaluator uses for one contract: its own settings over the defaults, its own grace days. */
export function policyOf(core: Core, contract: { id: number; graceDays: number }, defaults = policyDefaults(core)): LifecyclePolicy {
  return { ...effectivePolicy(defaults, ownPolicy(core, contract.id)), graceDays: contract.graceDays };
}

export function policyView(core: Core, contractId: number): ContractPolicyView {
  const c = contractById(core, contractId);
  if (!c) throw new PuestaError('NOT_FOUND', `There is no contract with id ${contractId}.`);
  const defaults = policyDefaults(core);
  return { contractId, overrides: { ...ownPolicy(core, contractId), graceDays: c.graceDays }, defaults, effective: policyOf(core, c, defaults) };
}

/** Changes the fields given (null: back to the default); audited. */
export function setContractPolicy(core: Core, contractId: number, overrides: PolicyOverrides): ContractPolicyView {
  return core.tx(() => {
    const before = policyView(core, contractId);
    const { graceDays, ...own } = overrides;
    const ts = new Date().toISOString();
    saveOwnPolicy(core, contractId, { ...before.overrides, ...own }, ts);
    if (graceDays !== undefined) setGraceDays(core, contractId, graceDays, ts);
    const after = policyView(core, contractId);
    core.audit.write(core.operator(), 'update', 'contracts.policy', contractId, before.overrides, after.overrides);
    core.events.emit('contracts.lifecycle', { contractId, action: 'policy' });
    return after;
  });
}
