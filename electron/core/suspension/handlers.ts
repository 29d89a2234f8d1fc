/** The `suspension.*` handler group, spread into electron/core/api.ts. */
import type { suspensionMethods } from '../../../shared/contract/suspension.js';
import type { Handlers } from '../handlers.js';
import { getSuspension, listSuspensions, planSuspension, resumeSuspension, startReinstatement, startSuspension } from './index.js';
import { planReinstatement } from './plan.js';

type SuspensionMethod = keyof typeof suspensionMethods;

export const suspensionHandlers: Handlers<SuspensionMethod> = {
  'suspension.plan': (core, p) => planSuspension(core, p),
  'suspension.start': (core, p) => ({ items: startSuspension(core, p) }),
  'suspension.reinstatePlan': (core, p) => planReinstatement(core, getSuspension(core, p.id)),
  'suspension.reinstate': (core, p) => startReinstatement(core, p.id, { notify: p.notify, note: p.note }),
  'suspension.resume': (core, p) => resumeSuspension(core, p.id),
  'suspension.get': (core, p) => getSuspension(core, p.id),
  'suspension.list': (core, p) => ({ items: listSuspensions(core, p) }),
};
