/**
 * The contract lifecycle on a real core and a real SMTP server on loopback: the evaluator's catch-up
 * (a clock jumped 40 days), reminders exactly once through the outbox ledger, holds, coverage by
 * another contract (killbill#1997), renewals that keep terms suspensions, imports all-or-nothing,
 * termination. The clock is passed to the evaluator; the sender runs on real time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../electron/core/core.js';
import { evaluateContracts, startEvaluator } from '../../electron/core/contracts/evaluator.js';
import { contractStatus } from '../../electron/core/contracts/views.js';
import { settledSuspension, startReinstatement, startSuspension } from '../../electron/core/suspension/index.js';
import { insertSuspension } from '../../electron/core/suspension/suspension-store.js';
import { call, fails } from '../helpers/api.js';
import { createApplication, makeCore, type TestCore } from '../helpers/core.js';
import { FAST, pointSmtp, waitFor } from '../helpers/mail-fixture.js';
import { answer } from '../helpers/proxy-world.js';
import { startSmtp, type TestSmtp } from '../helpers/smtp.js';
import { prepareWorld, stopWorld, type SuspensionWorld } from '../helpers/suspension-world.js';
import { startHosts, type TestHosts } from '../hosts/index.js';

let t: TestCore | null = null;
let smtp: TestSmtp | null = null;
afterEach(async () => {
  await t?.cleanup();
  await smtp?.close();
  t = null;
  smtp = null;
});

const DAY = 86_400_000;
const NOW = Date.now();
const at = (days: number, hours = 0) => new Date(NOW + days * DAY + hours * 3_600_000);
/** A calendar date `days` from today (UTC calendar: the customers below are in UTC unless said). */
const date = (days: number) => new Date(NOW + days * DAY).toISOString().slice(0, 10);

function customer(core: Core, name: string, opts: { timezone?: string; language?: string; contacts?: number } = {}): number {
  const id = core.inventory.customers.create({ name, timezone: opts.timezone ?? 'UTC', language: opts.language ?? 'en', notes: '' }, 'test').id as number;
  for (let i = 0; i < (opts.contacts ?? 1); i++) {
    core.inventory.contacts.create({ customerId: id, name: `${name} contact ${i}`, email: `c${i}@${name.toLowerCase().replace(/\W+/g, '')}.test`, role: '', optedOut: false }, 'test');
  }
  return id;
}

function contract(core: Core, customerId: number, reference: string, endDate: string, applicationIds: number[], graceDays = 15): number {
  return core.inventory.contracts.create(
    { customerId, reference, applicationIds, startDate: '2020-01-01', endDate, graceDays, state: 'active', suspensionAction: '', allowedHours: null, notes: '' },
    'test',
  ).id as number;
}

describe('contract lifecycle', () => {
  it('a clock jumped 40 days sends each reminder stage exactly once, in the customer’s language; a second evaluation sends none', async () => {
    smtp = await startSmtp();
    t = makeCore();
    const core = t.core;
    core.services.configure({ notices: FAST });
    pointSmtp(core, smtp.port);
    const app = createApplication(core, { name: 'tienda' });
    const cu = customer(core, 'Acme Madrid', { timezone: 'Europe/Madrid', language: 'es', contacts: 2 });
    const id = contract(core, cu, 'C-MAD', date(35), [app]);

    // First evaluation: the baseline (nothing due in the last day).
    expect(evaluateContracts(core, at(0))).toMatchObject({ reminders: 0, since: null });
    expect((await call(core, 'contracts.status', { contractId: id })).stage).toBe('active');

    // Laptop asleep 40 days: 30, 14, 7, 1 days before, the expiry, 1 day overdue — each once.
    const woke = evaluateContracts(core, at(40));
    expect(woke.reminders).toBe(6);
    await waitFor(() => smtp!.received.length >= 12, 20_000, '12 messages (6 notices × 2 contacts)');
    await core.services.notices.idle();

    const history = await call(core, 'contracts.history', { contractId: id });
    expect(history.reminders.map((r) => [r.kind, r.days]).sort()).toEqual(
      [
        ['reminder', 30],
        ['reminder', 14],
        ['reminder', 7],
        ['reminder', 1],
        ['expired', null],
        ['overdue_reminder', 1],
      ]
        .flatMap((x) => [x, x])
        .sort(),
    );
    expect(history.reminders.every((r) => r.state === 'sent' && r.period === date(35))).toBe(true);
    for (const n of smtp.countByMessageId().values()) expect(n).toBe(1);
    // Spanish templates (the customer's language), no invitation attached.
    const reminders = history.reminders.filter((r) => r.kind === 'reminder');
    expect(reminders.every((r) => r.subject.startsWith('Su contrato de alojamiento C-MAD vence dentro de'))).toBe(true);
    expect(history.reminders.find((r) => r.kind === 'expired')!.subject).toBe('Su contrato de alojamiento C-MAD ha vencido');
    expect(smtp.received.every((r) => !r.raw.includes('invite.ics'))).toBe(true);

    // The stage moved through the ladder and the stored label follows it (status read at the same clock).
    const status = contractStatus(core, id, at(40));
    expect(status).toMatchObject({ stage: 'grace', state: 'grace', next: { kind: 'overdue_reminder', days: 7 } });
    expect(history.stages.filter((s) => s.applicationId === null).map((s) => s.stage)).toEqual(['grace', 'active']);

    // A second evaluation (an hour later) and one at the same instant: nothing new.
    expect(evaluateContracts(core, at(40, 1)).reminders).toBe(0);
    expect(evaluateContracts(core, at(40, 1)).reminders).toBe(0);
    await core.services.notices.idle();
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.received).toHaveLength(12);
    expect((await call(core, 'contracts.history', { contractId: id })).reminders).toHaveLength(12);
    const tl = await call(core, 'contracts.timeline', { from: date(0), to: date(60), contractId: id });
    expect(tl.items.map((i) => [i.kind, i.days, i.status])).toEqual([
      ['reminder', 30, 'done'],
      ['reminder', 14, 'done'],
      ['reminder', 7, 'done'],
      ['reminder', 1, 'done'],
      ['expired', null, 'done'],
      ['overdue_reminder', 1, 'done'],
      ['overdue_reminder', 7, 'upcoming'],
      ['suspension_due', null, 'upcoming'],
    ]);
  });

  it('a hold blocks the suspension (proposal and automatic); released, the suspension is proposed for a decision', async () => {
    t = makeCore();
    const core = t.core;
    const app = createApplication(core, { name: 'shop' });
    const cu = customer(core, 'Held Ltd');
    const id = contract(core, cu, 'C-HOLD', date(-30), [app], 10);

    const hold = await call(core, 'contracts.hold', { contractId: id, reason: 'paying in instalments', until: date(5) });
    expect(hold.inForce).toBe(true);
    expect((await fails(core, 'contracts.hold', { contractId: id, reason: 'x', until: date(-2) })).code).toBe('INVALID_INPUT');

    // Automatic policy: still nothing is suspended while held.
    await call(core, 'contracts.setPolicy', { contractId: id, overrides: { suspensionMode: 'automatic' } });
    const held = evaluateContracts(core, at(0));
    expect(held).toMatchObject({ proposals: 0, suspensionsStarted: 0 });
    expect((await call(core, 'contracts.due', {})).items).toEqual([]);
    const status = await call(core, 'contracts.status', { contractId: id });
    expect(status).toMatchObject({ stage: 'suspension_due', hold: { id: hold.id } });
    const tl = await call(core, 'contracts.timeline', { from: date(-60), to: date(10), contractId: id });
    expect(tl.items.find((i) => i.kind === 'suspension_due')).toMatchObject({ applicationId: app, status: 'held' });
    // the reminders were already past when the contract was first evaluated: never sent, and said so
    expect(tl.items.filter((i) => i.kind === 'reminder').map((i) => i.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);

    // Released (proposal mode back): the next evaluation proposes it; Today lists it once.
    await call(core, 'contracts.setPolicy', { contractId: id, overrides: { suspensionMode: null } });
    const released = await call(core, 'contracts.releaseHold', { holdId: hold.id, why: 'instalment missed' });
    expect(released).toMatchObject({ inForce: false, releasedBy: expect.any(String) });
    expect(evaluateContracts(core, at(0, 1)).proposals).toBe(1);
    expect(evaluateContracts(core, at(0, 2)).proposals).toBe(0);
    const due = (await call(core, 'contracts.due', {})).items;
    expect(due).toEqual([expect.objectContaining({ contractId: id, applicationId: app, reason: 'overdue', state: 'open', reference: 'C-HOLD' })]);

    // A new hold hides it again, and it cannot be confirmed while held.
    await call(core, 'contracts.hold', { contractId: id, reason: 'promised payment', until: date(3) });
    expect((await call(core, 'contracts.due', {})).items).toEqual([]);
    expect((await fails(core, 'contracts.decide', { proposalId: due[0]!.id, decision: 'suspend', why: '' })).code).toBe('PRECONDITION_FAILED');
    const dismissed = await call(core, 'contracts.decide', { proposalId: due[0]!.id, decision: 'dismiss', why: 'paid by phone' });
    expect(dismissed).toMatchObject({ state: 'dismissed', why: 'paid by phone' });
    const audit = await call(core, 'audit.list', { entity: 'contracts', entityId: id });
    expect(audit.items.map((a) => a.action)).toEqual(expect.arrayContaining(['hold', 'release', 'propose:suspend', 'dismiss:suspend']));
  });

  it('two contracts of one customer: the unpaid one proposes suspending its application only; an application the paid one covers stays served', async () => {
    t = makeCore();
    const core = t.core;
    const [a1, a2, shared] = ['unpaid-app', 'paid-app', 'shared-app'].map((name) => createApplication(core, { name }));
    const cu = customer(core, 'Two Contracts');
    const unpaid = contract(core, cu, 'C-UNPAID', date(-40), [a1!, shared!], 5);
    const paid = contract(core, cu, 'C-PAID', date(200), [a2!, shared!], 5);
    const out = evaluateContracts(core, at(0));
    expect(out.proposals).toBe(1);
    expect((await call(core, 'contracts.due', {})).items.map((p) => [p.contractId, p.applicationId])).toEqual([[unpaid, a1]]);
    const s = await call(core, 'contracts.status', { contractId: unpaid });
    expect(s.stage).toBe('suspension_due');
    expect(s.applications.find((a) => a.applicationId === shared)!.coveredBy).toEqual([{ contractId: paid, reference: 'C-PAID' }]);
    expect(s.applications.find((a) => a.applicationId === a1)!.coveredBy).toEqual([]);
    expect((await call(core, 'contracts.status', { contractId: paid })).stage).toBe('active');
    const tl = await call(core, 'contracts.timeline', { from: date(-60), to: date(0), customerId: cu });
    expect(tl.items.filter((i) => i.kind === 'suspension_due').map((i) => [i.applicationId, i.status])).toEqual([
      [a1, 'done'],
      [shared, 'covered'],
    ]);
  });

  it('a renewal makes the contract active; a terms suspension is not lifted, an overdue one is reinstated', async () => {
    t = makeCore();
    const core = t.core;
    const env = core.inventory.environments.create({ name: 'production', colour: '#ff0000', confirmRuns: false, notes: '' }, 'test').id as number;
    const [web, api] = ['web', 'api'].map((name) => createApplication(core, { name }));
    const cu = customer(core, 'Renewing');
    const id = contract(core, cu, 'C-REN', date(-60), [web!, api!], 5);
    const base = { contractId: id, environmentId: env, retryAfterSeconds: 3600, message: '', stopWorkers: [], notify: false, note: '', hosts: [] };
    const terms = insertSuspension(core, { ...base, applicationId: web!, reason: 'terms' });
    const overdue = insertSuspension(core, { ...base, applicationId: api!, reason: 'overdue' });
    core.db.prepare("UPDATE suspensions SET state = 'suspended' WHERE id IN (?, ?)").run(terms, overdue);
    evaluateContracts(core, at(0));
    expect((await call(core, 'contracts.status', { contractId: id })).stage).toBe('suspended');

    expect((await fails(core, 'contracts.renew', { contractId: id, newEndDate: date(-90), why: '' })).code).toBe('INVALID_INPUT');
    const r = await call(core, 'contracts.renew', { contractId: id, newEndDate: date(300), why: 'invoice 42 paid' });
    expect(r.kept).toEqual([expect.objectContaining({ suspensionId: terms, applicationId: web, reason: 'terms' })]);
    expect(r.reinstated.map((x) => x.suspensionId)).toEqual([overdue]);
    expect(r.status).toMatchObject({ endDate: date(300), state: 'active' });
    const inForce = (await call(core, 'suspension.list', { contractId: id, inForce: true })).items;
    expect(inForce.map((s) => s.id)).toContain(terms);
    const web1 = r.status.applications.find((a) => a.applicationId === web)!;
    expect(web1.suspensions).toEqual([expect.objectContaining({ id: terms, reason: 'terms' })]);
    const stages = (await call(core, 'contracts.history', { contractId: id })).stages;
    expect(stages[0]).toMatchObject({ applicationId: null, stage: 'active', why: expect.stringContaining('invoice 42 paid') });
  });

  it('imports renewals all or nothing, with the row of each error', async () => {
    t = makeCore();
    const core = t.core;
    const cu = customer(core, 'Importer');
    const a = contract(core, cu, 'C-A', date(10), []);
    const b = contract(core, cu, 'C-B', date(20), []);
    const bad = 'reference,newEndDate\nC-A,' + date(400) + '\nC-B,' + date(5) + '\nC-NOPE,' + date(400) + '\nc-a,' + date(500) + '\n';
    const r1 = await call(core, 'contracts.importRenewals', { format: 'csv', content: bad });
    expect(r1).toMatchObject({ ok: false, renewed: 0 });
    expect(r1.errors.map((e) => [e.row, e.field])).toEqual([
      [3, 'newEndDate'],
      [4, 'reference'],
      [5, 'reference'],
    ]);
    expect((await call(core, 'contracts.get', { id: a })).endDate).toBe(date(10));

    const good = JSON.stringify({ renewals: [{ reference: 'C-A', newEndDate: date(400) }, { reference: 'c-b', newEndDate: date(420) }] });
    expect(await call(core, 'contracts.importRenewals', { format: 'json', content: good, dryRun: true })).toMatchObject({ ok: true, renewed: 2 });
    expect((await call(core, 'contracts.get', { id: b })).endDate).toBe(date(20));
    expect(await call(core, 'contracts.importRenewals', { format: 'json', content: good })).toMatchObject({ ok: true, renewed: 2, errors: [] });
    expect([(await call(core, 'contracts.get', { id: a })).endDate, (await call(core, 'contracts.get', { id: b })).endDate]).toEqual([date(400), date(420)]);
  });

  it('the scheduler evaluates at start and on every tick; after a jump of its clock it catches up once; stopped, it does nothing', async () => {
    t = makeCore();
    const core = t.core;
    const app = createApplication(core, { name: 'ticking' });
    const id = contract(core, customer(core, 'Ticks'), 'C-TICK', date(35), [app]);
    let clock = at(0);
    const stop = startEvaluator(core, { intervalMs: 60, clock: () => clock });
    await waitFor(() => (core.db.prepare('SELECT count(*) AS n FROM contract_stages').get() as { n: number }).n > 0, 5_000, 'the evaluation at start');
    clock = at(40);
    await waitFor(() => (contractStatus(core, id, at(40)).lastEvaluatedAt ?? '') === at(40).toISOString(), 5_000, 'a tick after the jump');
    await new Promise((r) => setTimeout(r, 200)); // a few more ticks at the same clock
    const history = await call(core, 'contracts.history', { contractId: id });
    expect(history.reminders.map((r) => r.kind).sort()).toEqual(['expired', 'overdue_reminder', 'reminder', 'reminder', 'reminder', 'reminder']);
    stop();
    clock = at(80);
    await new Promise((r) => setTimeout(r, 200));
    expect(contractStatus(core, id, at(80)).lastEvaluatedAt).toBe(at(40).toISOString());
  });

  it('an automatic suspension that cannot start (no placement) comes back to the operator as an open proposal', async () => {
    t = makeCore();
    const core = t.core;
    const app = createApplication(core, { name: 'nowhere' });
    const id = contract(core, customer(core, 'Unplaced'), 'C-NOWHERE', date(-40), [app], 5);
    await call(core, 'contracts.setPolicy', { contractId: id, overrides: { suspensionMode: 'automatic' } });
    expect(evaluateContracts(core, at(0))).toMatchObject({ proposals: 1, suspensionsStarted: 0 });
    const [p] = (await call(core, 'contracts.due', {})).items;
    expect(p).toMatchObject({ contractId: id, applicationId: app, state: 'open', decidedBy: null, why: expect.stringContaining('could not start') });
    expect((await call(core, 'audit.list', { entity: 'contracts', entityId: id, action: 'suspend:failed' })).items).toHaveLength(1);
  });

  it('notice templates: en and es built in, an edit is checked, used for the next reminder, and reset', async () => {
    t = makeCore();
    const core = t.core;
    const list = await call(core, 'contracts.templates', {});
    expect(list.items.filter((i) => i.builtIn)).toHaveLength(10);
    expect(list.variables.map((v) => v.name)).toContain('graceEndDate');
    expect((await fails(core, 'contracts.saveTemplate', { kind: 'contract_reminder', language: 'en', subject: '{{nope}}', html: 'x', text: 'x' })).code).toBe('INVALID_INPUT');
    await call(core, 'contracts.saveTemplate', { kind: 'contract_reminder', language: 'en', subject: 'Renew {{reference}} within {{days}} days', html: '<p>{{contactName}}</p>', text: '{{contactName}}' });
    const id = contract(core, customer(core, 'Templated'), 'C-TPL', date(20), []);
    evaluateContracts(core, at(0));
    evaluateContracts(core, at(7));
    const [r] = (await call(core, 'contracts.history', { contractId: id })).reminders;
    expect(r).toMatchObject({ kind: 'reminder', days: 14, subject: 'Renew C-TPL within 14 days', contactName: 'Templated contact 0' });
    const reset = await call(core, 'contracts.resetTemplate', { kind: 'contract_reminder', language: 'en' });
    expect(reset).toMatchObject({ builtIn: true, subject: 'Your hosting contract {{reference}} ends in {{days}} days' });
  });

  it('terminates only with the typed reference, keeps everything, and the evaluator leaves it alone', async () => {
    t = makeCore();
    const core = t.core;
    const app = createApplication(core, { name: 'old' });
    const cu = customer(core, 'Leaving');
    const id = contract(core, cu, 'C-END', date(-100), [app], 0);
    evaluateContracts(core, at(-1));
    expect((await fails(core, 'contracts.terminate', { contractId: id, confirmReference: 'C-EN', why: 'moved away' })).code).toBe('INVALID_INPUT');
    const s = await call(core, 'contracts.terminate', { contractId: id, confirmReference: 'c-end', why: 'moved away' });
    expect(s).toMatchObject({ stage: 'terminated', state: 'terminated', next: null });
    expect(evaluateContracts(core, at(30))).toMatchObject({ reminders: 0, proposals: 0 });
    expect((await call(core, 'contracts.get', { id })).state).toBe('terminated');
    expect((await call(core, 'applications.get', { id: app })).name).toBe('old');
    expect((await call(core, 'contracts.due', {})).items).toEqual([]);
  });
});

describe('contract lifecycle on the servers (real sshd + nginx)', () => {
  let hs: TestHosts;
  let tc: TestCore;
  let w: SuspensionWorld;
  beforeAll(async () => {
    hs = await startHosts({ count: 1, withNginx: true });
    tc = makeCore();
    w = await prepareWorld(tc.core, hs, { count: 1, prefix: 'life' });
  }, 120_000);
  afterAll(async () => {
    await stopWorld(hs, w ?? null);
    await tc?.cleanup();
    await hs?.stop();
  }, 60_000);

  it('automatic policy: the unpaid contract’s application is suspended when due, the paid one stays served; a renewal reinstates it', async () => {
    const core = tc.core;
    const [site] = w.sites;
    await call(core, 'contracts.setPolicy', { contractId: w.unpaidId, overrides: { suspensionMode: 'automatic', retryAfterSeconds: 600 } });
    const out = evaluateContracts(core, new Date());
    expect(out).toMatchObject({ proposals: 1, suspensionsStarted: 1 });
    const [proposal] = (await call(core, 'contracts.history', { contractId: w.unpaidId })).proposals;
    expect(proposal).toMatchObject({ applicationId: site!.appId, state: 'accepted', decidedBy: 'puesta', suspensionIds: [expect.any(Number)] });
    const s = await settledSuspension(core, proposal!.suspensionIds[0]!);
    expect(s).toMatchObject({ state: 'suspended', reason: 'overdue', retryAfterSeconds: 600 });
    expect((await answer(w.host.host, site!.port, '/')).status).toBe(503);
    expect(await answer(w.host.host, w.other.port, '/')).toMatchObject({ status: 200, body: `${w.other.name} ok` });
    // evaluated again: the suspension is not started twice, the stage is suspended
    expect(evaluateContracts(core, new Date())).toMatchObject({ proposals: 0, suspensionsStarted: 0 });
    expect((await call(core, 'contracts.status', { contractId: w.unpaidId })).stage).toBe('suspended');
    expect((await call(core, 'contracts.status', { contractId: w.paidId })).stage).toBe('active');

    const r = await call(core, 'contracts.renew', { contractId: w.unpaidId, newEndDate: date(365), why: 'paid' });
    expect(r.reinstated).toEqual([expect.objectContaining({ applicationId: site!.appId, suspensionId: s.id, runId: expect.any(Number) })]);
    expect(await settledSuspension(core, s.id)).toMatchObject({ state: 'reinstated' });
    expect((await answer(w.host.host, site!.port, '/')).status).toBe(200);
    expect((await call(core, 'contracts.status', { contractId: w.unpaidId })).stage).toBe('active');
  }, 60_000);

  it('a suspension that finished is a stage at once (the running evaluator does not wait for its hour); so is its reinstatement', async () => {
    const core = tc.core;
    const [site] = w.sites;
    const stop = startEvaluator(core, { intervalMs: 3_600_000 });
    try {
      const stagesOf = async (stage: string) => (await call(core, 'contracts.history', { contractId: w.unpaidId })).stages.filter((x) => x.applicationId === site!.appId && x.stage === stage).length;
      evaluateContracts(core, new Date()); // the history is current before the suspension
      const suspendedBefore = await stagesOf('suspended');
      const [s] = startSuspension(core, { contractId: w.unpaidId, applicationId: site!.appId, reason: 'manual' });
      expect(await settledSuspension(core, s!.id)).toMatchObject({ state: 'suspended' });
      await expect.poll(() => stagesOf('suspended'), { timeout: 5_000 }).toBe(suspendedBefore + 1);
      startReinstatement(core, s!.id);
      expect(await settledSuspension(core, s!.id)).toMatchObject({ state: 'reinstated' });
      await expect.poll(async () => (await call(core, 'contracts.history', { contractId: w.unpaidId })).stages.find((x) => x.applicationId === site!.appId)?.stage, { timeout: 5_000 }).not.toBe('suspended'); // newest first
    } finally {
      stop();
    }
  }, 60_000);
});
