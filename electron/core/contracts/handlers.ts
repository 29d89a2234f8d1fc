/** The `contracts.*` lifecycle methods (the contract records' CRUD is in inventory). */
import type { contractsMethods } from '../../../shared/contract/contracts.js';
import type { Core } from '../core.js';
import type { Handlers } from '../handlers.js';
import { decide, importRenewals, putOnHold, releaseHold, renew, terminate } from './actions.js';
import { evaluateContracts } from './evaluator.js';
import { holdsOf, openProposals, contractById } from './lifecycle-store.js';
import { policyDefaults, policyView, setContractPolicy, setPolicyDefaults } from './policy.js';
import { localDate } from './stages.js';
import { CONTRACT_VARIABLES, listContractTemplates, resetContractTemplate, saveContractTemplate } from './templates.js';
import { contractHistory, contractStatus, timeline } from './views.js';

/** Open proposals, less those of a contract on hold (they come back when the hold ends). */
function dueForDecision(core: Core) {
  const now = new Date();
  return openProposals(core).filter((p) => {
    const c = contractById(core, p.contractId);
    return !!c && !holdsOf(core, c.id, localDate(now, c.timezone)).some((h) => h.inForce);
  });
}

export const contractsHandlers: Handlers<keyof typeof contractsMethods> = {
  'contracts.policyDefaults': (core) => policyDefaults(core),
  'contracts.setPolicyDefaults': (core, input) => setPolicyDefaults(core, input),
  'contracts.policy': (core, { contractId }) => policyView(core, contractId),
  'contracts.setPolicy': (core, { contractId, overrides }) => setContractPolicy(core, contractId, overrides),
  'contracts.status': (core, { contractId }) => contractStatus(core, contractId),
  'contracts.timeline': (core, input) => ({ items: timeline(core, input) }),
  'contracts.history': (core, { contractId }) => contractHistory(core, contractId),
  'contracts.hold': (core, input) => putOnHold(core, input),
  'contracts.releaseHold': (core, input) => releaseHold(core, input),
  'contracts.renew': (core, input) => renew(core, input),
  'contracts.importRenewals': (core, input) => importRenewals(core, input),
  'contracts.terminate': (core, input) => terminate(core, input),
  'contracts.evaluate': (core) => evaluateContracts(core),
  'contracts.due': (core) => ({ items: dueForDecision(core) }),
  'contracts.decide': (core, input) => decide(core, input),
  'contracts.templates': (core) => ({ items: listContractTemplates(core), variables: CONTRACT_VARIABLES }),
  'contracts.saveTemplate': (core, input) => saveContractTemplate(core, input),
  'contracts.resetTemplate': (core, { kind, language }) => resetContractTemplate(core, kind, language),
};
