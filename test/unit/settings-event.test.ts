import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, fails } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';

let t: TestCore;
beforeEach(() => {
  t = makeCore();
});
afterEach(async () => {
  await t.cleanup();
});

describe('settings.changed', () => {
  it('is emitted when the operator name is saved, so every open window refreshes it', async () => {
    const seen: { event: string; payload: unknown }[] = [];
    t.core.events.subscribe((event, payload) => seen.push({ event, payload }));
    await call(t.core, 'settings.setOperator', { name: 'maria' });
    expect(seen).toEqual([{ event: 'settings.changed', payload: { key: 'operator' } }]);
  });

  it('is not emitted when the name is refused', async () => {
    const seen: string[] = [];
    t.core.events.subscribe((event) => seen.push(event));
    await fails(t.core, 'settings.setOperator', { name: '   ' });
    expect(seen).toEqual([]);
  });
});
