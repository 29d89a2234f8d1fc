/** Issue 11, item 9: Today keeps expired contracts apart from the ones expiring within 30 days. */
import { describe, expect, it } from 'vitest';
import type { Contract } from '../../shared/contract/inventory.js';
import { contractCards } from '../../renderer/src/features/today/contractCards.js';

const T = '2026-01-01T00:00:00.000Z';
const contract = (reference: string, endDate: string, state: Contract['state']): Contract => ({
  id: reference.length,
  reference,
  endDate,
  state,
  customerId: 1,
  customerName: 'Acme',
  applicationIds: [],
  startDate: '2025-01-01',
  graceDays: 15,
  suspensionAction: '',
  allowedHours: null,
  notes: '',
  createdAt: T,
  updatedAt: T,
});

describe('Today contract cards', () => {
  it('an expired contract that is not suspended has its own card, not "expiring within 30 days"', () => {
    const all = [
      contract('ended-active', '2026-03-01', 'active'),
      contract('ended-grace', '2026-03-09', 'grace'),
      contract('ends-today', '2026-03-10', 'active'),
      contract('ends-soon', '2026-03-30', 'grace'),
      contract('ends-later', '2026-06-01', 'active'),
      contract('suspended', '2026-02-01', 'suspended'),
      contract('terminated', '2026-02-01', 'terminated'),
    ];
    const cards = contractCards(all, '2026-03-10', '2026-04-09');
    expect(cards.expired.map((c) => c.reference)).toEqual(['ended-active', 'ended-grace']);
    expect(cards.expiring.map((c) => c.reference)).toEqual(['ends-today', 'ends-soon']);
    expect(cards.suspended.map((c) => c.reference)).toEqual(['suspended']);
  });
});
