import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXTEND_BY_MS, followRun, linkRunsToWindows } from '../../electron/core/windows/run-link.js';
import type { RunSummary } from '../../shared/contract/runs.js';
import { call } from '../helpers/api.js';
import { makeCore, type TestCore } from '../helpers/core.js';
import { seedSmallInventory, type SmallInventory } from '../helpers/windows-fixture.js';

let t: TestCore;
let inv: SmallInventory;
beforeEach(() => {
  t = makeCore();
  inv = seedSmallInventory(t.core);
});
afterEach(async () => {
  await t.cleanup();
});


const HOUR = 3600_000;
function run(over: Partial<RunSummary>): RunSummary {
  return {
    id: 1,
    applicationId: inv.appBilling,
    applicationName: 'billing',
    environmentId: 1,
    environmentName: 'production',
    kind: 'upgrade',
    releaseKey: 'r2',
    label: 'v2',
    state: 'running',
    waitingFor: null,
    currentStep: 0,
    stepCount: 5,
    parallelism: 4,
    operator: 'maria',
    reason: '',
    startedAt: new Date().toISOString(),
    finishedAt: null,
    error: null,
    logPrunedAt: null,
    ...over,
  };
}

async function announcedWindow(startInMs: number, lengthMs: number, applicationIds = [inv.appBilling]) {
  const now = Date.now();
  const w = await call(t.core, 'windows.create', {
    title: 'Billing upgrade',
    start: new Date(now + startInMs).toISOString(),
    end: new Date(now + startInMs + lengthMs).toISOString(),
    applicationIds,
  });
  // announce without mail so the test sees only the run-driven notices
  await call(t.core, 'windows.transition', { id: w.id, to: 'announced', notify: false });
  return w.id;
}

const windowOf = (id: number) => call(t.core, 'windows.get', { id });
const campaignKinds = async (windowId: number) =>
  (await call(t.core, 'notices.campaigns', { windowId })).items.map((c) => c.kind).sort();

describe('windows follow their runs', () => {
  it('a run starting inside an announced window links it and starts it; success completes it, with notices', async () => {
    const id = await announcedWindow(-10 * 60_000, 2 * HOUR);
    followRun(t.core, run({ id: 7, state: 'running' }));
    expect(await windowOf(id)).toMatchObject({ state: 'in_progress', linkedRunId: 7 });
    followRun(t.core, run({ id: 7, state: 'succeeded' }));
    expect((await windowOf(id)).state).toBe('done');
    expect(await campaignKinds(id)).toEqual(['completed', 'started']);
    const audit = await call(t.core, 'audit.list', { entity: 'windows', entityId: id });
    expect(audit.items.map((a) => a.action)).toContain('link-run');
  });

  it('does not link a run to a window of another application, nor to one far in the future', async () => {
    const other = await announcedWindow(-10 * 60_000, HOUR, [inv.appPortal]);
    const later = await announcedWindow(5 * HOUR, HOUR);
    followRun(t.core, run({ id: 8 }));
    expect(await windowOf(other)).toMatchObject({ state: 'announced', linkedRunId: null });
    expect(await windowOf(later)).toMatchObject({ state: 'announced', linkedRunId: null });
  });

  it('a run still going past the window end extends it by 30 minutes and tells the audience', async () => {
    const id = await announcedWindow(-2 * HOUR, HOUR); // ended an hour ago
    await call(t.core, 'windows.update', { id, linkedRunId: 9 });
    followRun(t.core, run({ id: 9, state: 'running' }));
    expect((await windowOf(id)).state).toBe('in_progress');
    const now = new Date();
    followRun(t.core, run({ id: 9, state: 'waiting' }), now);
    const w = await windowOf(id);
    expect(w.state).toBe('extended');
    expect(Date.parse(w.end)).toBe(now.getTime() + EXTEND_BY_MS);
    expect(await campaignKinds(id)).toEqual(['extended', 'started']);
  });

  it('an aborted run leaves the window to the operator', async () => {
    const id = await announcedWindow(-10 * 60_000, HOUR);
    followRun(t.core, run({ id: 10, state: 'running' }));
    followRun(t.core, run({ id: 10, state: 'aborted' }));
    expect((await windowOf(id)).state).toBe('in_progress');
  });

  it('is driven by the runs.state events once linked', async () => {
    const id = await announcedWindow(-10 * 60_000, HOUR);
    const unsubscribe = linkRunsToWindows(t.core);
    t.core.events.emit('runs.state', run({ id: 11, state: 'running' }));
    await new Promise((r) => setTimeout(r, 20));
    expect(await windowOf(id)).toMatchObject({ state: 'in_progress', linkedRunId: 11 });
    unsubscribe();
  });
});
