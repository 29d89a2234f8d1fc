/** Which Today card a contract belongs on (pure, so it is unit-tested). */
import type { Contract } from '../../../../shared/contract/inventory.js';

export interface ContractCards {
  /** Still running and ending within the horizon (today included). */
  expiring: Contract[];
  /** Past its end date but neither suspended nor terminated: someone has to act. */
  expired: Contract[];
  suspended: Contract[];
}

/** `today` and `horizon` are YYYY-MM-DD; contracts keep the order they come in (by end date). */
export function contractCards(all: readonly Contract[], today: string, horizon: string): ContractCards {
  const running = (c: Contract) => c.state === 'active' || c.state === 'grace';
  return {
    expiring: all.filter((c) => running(c) && c.endDate >= today && c.endDate <= horizon),
    expired: all.filter((c) => running(c) && c.endDate < today),
    suspended: all.filter((c) => c.state === 'suspended'),
  };
}
