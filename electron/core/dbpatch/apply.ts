/**
 * Applying and undoing patches on one database, under the advisory lock: statement by statement
 * with lock_timeout and statement_timeout, a lock timeout retried with back-off (every attempt
 * logged), then verify; a failed verify runs that patch's down only. A transactional patch writes
 * its ledger entry in its own transaction (a crash leaves neither); a non-transactional one
 * records each statement done, so a re-run continues where it stopped.
 */
import type { Database, Patch, PatchState } from '../../../shared/contract/dbpatch.js';
import { PuestaError } from '../../../shared/errors.js';
import type { Core } from '../core.js';
import type { LogFn } from '../runs/step-kinds.js';
import { sleep } from '../util/concurrency.js';
import { batchedUpdate, batchLimit } from './batch.js';
import { classify, lintPatch } from './classify.js';
import { estimateMs, formatMs } from './estimate.js';
import { calibrationOf, isAcknowledged, mirrorLedger, statesOf } from './ledger-store.js';
import { splitStatements } from './sql-text.js';
import type { PatchTarget } from './target.js';

export interface PatchRunContext {
  core: Core;
  db: Database;
  operator: string;
  runId: number | null;
  releaseKey: string | null;
  log: LogFn;
  signal?: AbortSignal;
  /** How long to poll for the advisory lock before giving up. */
  lockWaitMs?: number;
  /** Runs under the lock when some patch is pending, before the first one (the pre-patch backup); throws to refuse. */
  beforeApply?: (pending: readonly Patch[]) => Promise<void>;
}

const say = (ctx: PatchRunContext, text: string) => ctx.log('system', text.endsWith('\n') ? text : text + '\n');

/** Reads the target's ledger into the local mirror; the states per patch. */
export async function syncLedger(ctx: Pick<PatchRunContext, 'core' | 'db'>, target: PatchTarget, patches: readonly Patch[]) {
  const entries = (await target.readLedger()).map((e) => ({ ...e, databaseId: ctx.db.id }));
  mirrorLedger(ctx.core, ctx.db.id, entries);
  ctx.core.events.emit('dbpatch.changed', { applicationId: ctx.db.applicationId });
  return statesOf(entries, new Map(patches.map((p) => [p.patchId, p.checksum])));
}

/** Runs fn holding the advisory lock: the non-blocking call, polled until the deadline. */
export async function withPatchLock<T>(ctx: PatchRunContext, target: PatchTarget, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + (ctx.lockWaitMs ?? 120_000);
  let told = 0;
  while (!(await target.tryLock())) {
    if (Date.now() - told > 5_000) {
      const h = await target.lockHolder();
      say(ctx, `Waiting for the patch lock on ${ctx.db.name}: held by ${h ? `"${h.application}" since ${h.since}` : 'another session'}.`);
      told = Date.now();
    }
    if (Date.now() > deadline) throw new PuestaError('LOCKED', `The patch lock on ${ctx.db.name} is still held by another session; nothing was applied.`);
    await sleep(250, ctx.signal);
  }
  try {
    return await fn();
  } finally {
    await target.unlock().catch(() => undefined);
  }
}

const backoff = (attempt: number) => Math.min(500 * 2 ** attempt, 8_000) + Math.floor(Math.random() * 250);

/** Runs `once` until it does not fail on a lock timeout, up to `retries` more times. */
async function retrying<T>(ctx: PatchRunContext, target: PatchTarget, what: string, retries: number, once: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const t0 = Date.now();
    try {
      return await once();
    } catch (e) {
      if (!target.isLockTimeout(e) || attempt >= retries) throw e;
      const wait = backoff(attempt);
      say(ctx, `${what}: lock not granted within lock_timeout (attempt ${attempt + 1}, ${Date.now() - t0} ms); retrying in ${wait} ms.`);
      await sleep(wait, ctx.signal);
    }
  }
}

function tablesOf(sql: string | null): string[] {
  return sql ? splitStatements(sql).flatMap((s) => classify(s.sql).table ?? []) : [];
}

async function estimateOf(ctx: PatchRunContext, target: PatchTarget, p: Patch): Promise<number> {
  const stats = await target.tableStats(tablesOf(p.up));
  const k = calibrationOf(ctx.core, ctx.db.id);
  return splitStatements(p.up).reduce((sum, s) => {
    const c = classify(s.sql);
    return sum + estimateMs(c.cost, stats.find((x) => x.table === c.table), k);
  }, 0);
}

/** Why a patch may not run unattended: danger-level lint findings not acknowledged for this database. */
export function refusal(core: Core, db: Database, p: Patch): string | null {
  const danger = lintPatch(p.meta, p).filter((f) => f.severity === 'danger');
  if (!danger.length || isAcknowledged(core, db.id, p.patchId, p.checksum)) return null;
  return `${p.patchId} is refused until acknowledged: ${danger.map((f) => `${f.file}:${f.line} ${f.message}`).join(' ')}`;
}

export interface ApplyResult {
  applied: string[];
  skipped: string[];
}

/** Applies the pending patches in order. Throws (after the ledger says what happened) on the first failure. */
export async function applyPending(ctx: PatchRunContext, target: PatchTarget, patches: readonly Patch[]): Promise<ApplyResult> {
  const out: ApplyResult = { applied: [], skipped: [] };
  await withPatchLock(ctx, target, async () => {
    await target.ensureLedger();
    const states = new Map((await syncLedger(ctx, target, patches)).map((s) => [s.patchId, s]));
    const applied = new Set([...states.values()].filter((s) => s.state === 'applied').map((s) => s.patchId));
    const edited = patches.find((p) => states.get(p.patchId)?.mismatch);
    if (edited)
      throw new PuestaError(
        'PRECONDITION_FAILED',
        `${edited.patchId} was edited after it was applied on ${ctx.db.name} (checksum differs${ctx.releaseKey ? ` in release ${ctx.releaseKey}` : ''}): accept the edit or restore the file. Nothing was applied.`,
      );
    const pending = patches.filter((p) => !applied.has(p.patchId));
    if (pending.length && ctx.beforeApply) await ctx.beforeApply(pending);
    try {
      await applyInOrder(ctx, target, patches, states, applied, out);
    } finally {
      // the mirror says what the ledger says, also after a failure (a half-applied patch, a failed verify)
      await syncLedger(ctx, target, patches).catch(() => undefined);
    }
  });
  return out;
}

async function applyInOrder(ctx: PatchRunContext, target: PatchTarget, patches: readonly Patch[], states: ReadonlyMap<string, PatchState>, applied: Set<string>, out: ApplyResult): Promise<void> {
  for (const p of patches) {
    const st = states.get(p.patchId);
    if (st?.state === 'applied') continue;
    const missing = p.meta.requires.filter((r) => !applied.has(r));
    if (missing.length) throw new PuestaError('PRECONDITION_FAILED', `${p.patchId} requires ${missing.join(', ')}, not applied on ${ctx.db.name}.`);
    const refused = refusal(ctx.core, ctx.db, p);
    if (refused) throw new PuestaError('PRECONDITION_FAILED', refused);
    const done = await applyOne(ctx, target, p, st?.state === 'applying' ? await resumeOf(target, p) : null);
    (done === 'skipped' ? out.skipped : out.applied).push(p.patchId);
    applied.add(p.patchId);
  }
}

async function resumeOf(target: PatchTarget, p: Patch): Promise<{ id: number; from: number }> {
  const last = (await target.readLedger()).filter((e) => e.patchId === p.patchId && e.direction === 'up').pop()!;
  return { id: last.remoteId, from: last.statementsDone };
}

async function applyOne(ctx: PatchRunContext, target: PatchTarget, p: Patch, resume: { id: number; from: number } | null): Promise<'applied' | 'skipped'> {
  const m = p.meta;
  const entry = { patchId: p.patchId, checksum: p.checksum, operator: ctx.operator, runId: ctx.runId, releaseKey: ctx.releaseKey };
  if (!resume && m.guard && (await target.bool(m.guard)) === false) {
    await target.insertEntry({ ...entry, direction: 'up', state: 'done', estimateMs: 0, note: 'already in place (guard): not run' });
    say(ctx, `${p.patchId}: already in place (its guard says there is nothing to do).`);
    return 'skipped';
  }
  const est = await estimateOf(ctx, target, p);
  const stmts = splitStatements(p.up);
  say(ctx, `${p.patchId}: ${stmts.length} statement(s), estimate ${formatMs(est)}, lock_timeout ${m.lockTimeoutMs} ms${m.transactional ? ', in one transaction' : ', each statement alone'}${resume ? `, continuing at statement ${resume.from + 1}` : ''}.`);
  const t0 = Date.now();
  const onAbort = () => void target.cancel();
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  let id: number;
  try {
    if (m.transactional) {
      id = await retrying(ctx, target, p.patchId, m.retries, async () => {
        await target.begin();
        try {
          await target.setTimeouts(m.lockTimeoutMs, m.statementTimeoutMs, true);
          for (const [i, s] of stmts.entries()) {
            say(ctx, `${p.patchId} [${i + 1}/${stmts.length}] ${s.sql.slice(0, 300)}`);
            await target.exec(s.sql);
          }
          const n = await target.insertEntry({ ...entry, direction: 'up', state: 'done', estimateMs: est, note: '' });
          await target.updateEntry(n, { statementsDone: stmts.length, actualMs: Date.now() - t0 });
          await target.commit();
          return n;
        } catch (e) {
          await target.rollback().catch(() => undefined);
          throw e;
        }
      });
    } else {
      id = resume?.id ?? (await target.insertEntry({ ...entry, direction: 'up', state: 'applying', estimateMs: est, note: '' }));
      await target.setTimeouts(m.lockTimeoutMs, m.statementTimeoutMs, false);
      for (let i = resume?.from ?? 0; i < stmts.length; i++) {
        say(ctx, `${p.patchId} [${i + 1}/${stmts.length}] ${stmts[i]!.sql.slice(0, 300)}`);
        const batched = m.batchSize ? batchedUpdate(stmts[i]!.sql, m.batchSize) : null;
        if (batched) await inBatches(ctx, target, p, i, batched);
        else await retrying(ctx, target, `${p.patchId} statement ${i + 1}`, m.retries, () => target.exec(stmts[i]!.sql));
        await target.updateEntry(id, { statementsDone: i + 1 });
      }
      await target.setTimeouts(0, 0, false);
      await target.updateEntry(id, { state: 'done', actualMs: Date.now() - t0, finished: true });
    }
  } catch (e) {
    say(ctx, `${p.patchId}: failed: ${(e as Error).message}`);
    throw new PuestaError('COMMAND_FAILED', `${p.patchId} failed on ${ctx.db.name}: ${(e as Error).message}${m.transactional ? ' (rolled back, nothing changed)' : ' (the statements done stay recorded; a re-run continues)'}`);
  } finally {
    ctx.signal?.removeEventListener('abort', onAbort);
  }
  say(ctx, `${p.patchId}: applied in ${formatMs(Date.now() - t0)}.`);
  if (p.verify != null) await verifyOrUndo(ctx, target, p, id);
  return 'applied';
}

/** A backfill in batches, each committed alone (and retried alone on a lock timeout), until one changes nothing. */
async function inBatches(ctx: PatchRunContext, target: PatchTarget, p: Patch, i: number, sql: string): Promise<void> {
  const n = p.meta.batchSize!;
  const table = classify(sql).table!;
  const limit = batchLimit((await target.tableStats([table]))[0]?.rows ?? 0, n);
  const what = `${p.patchId} statement ${i + 1}`;
  let rows = 0;
  let told = Date.now();
  for (let b = 1; ; b++) {
    if (b > limit) throw new PuestaError('COMMAND_FAILED', `${what}: ${b - 1} batches of ${n} and rows still match: its WHERE must leave out the rows already changed.`);
    const done = await retrying(ctx, target, `${what} batch ${b}`, p.meta.retries, () => target.execCount(sql));
    rows += done;
    if (done === 0) return say(ctx, `${what}: ${rows} rows in ${b - 1} batch(es) of at most ${n}.`);
    if (Date.now() - told > 5_000) {
      say(ctx, `${what}: ${rows} rows so far (batch ${b}).`);
      told = Date.now();
    }
  }
}

async function verifyOrUndo(ctx: PatchRunContext, target: PatchTarget, p: Patch, id: number): Promise<void> {
  let why: string | null = null;
  try {
    if ((await target.bool(p.verify!)) === false) why = 'verify.sql answered false';
  } catch (e) {
    why = `verify.sql failed: ${(e as Error).message}`;
  }
  if (!why) return say(ctx, `${p.patchId}: verified.`);
  say(ctx, `${p.patchId}: ${why}.`);
  let undone = 'no down.sql: the patch stays applied';
  if (p.down != null && p.meta.reversible !== 'no') {
    await runDown(ctx, target, p);
    undone = 'its down.sql ran';
  }
  await target.updateEntry(id, { state: 'failed', note: `${why}; ${undone}` });
  throw new PuestaError('COMMAND_FAILED', `${p.patchId} failed verification on ${ctx.db.name} (${why}); ${undone}.`);
}

async function runDown(ctx: PatchRunContext, target: PatchTarget, p: Patch): Promise<void> {
  const stmts = splitStatements(p.down ?? '');
  await retrying(ctx, target, `${p.patchId} down`, p.meta.retries, async () => {
    if (p.meta.transactional) await target.begin();
    try {
      await target.setTimeouts(p.meta.lockTimeoutMs, p.meta.statementTimeoutMs, p.meta.transactional);
      for (const s of stmts) {
        say(ctx, `${p.patchId} down: ${s.sql.slice(0, 300)}`);
        await target.exec(s.sql);
      }
      if (p.meta.transactional) await target.commit();
    } catch (e) {
      if (p.meta.transactional) await target.rollback().catch(() => undefined);
      throw e;
    }
  });
  if (!p.meta.transactional) await target.setTimeouts(0, 0, false);
}

/** Undoes applied patches, newest first (the caller decided they are reversible). */
export async function revertPatches(ctx: PatchRunContext, target: PatchTarget, patches: readonly Patch[], all: readonly Patch[]): Promise<string[]> {
  const done: string[] = [];
  await withPatchLock(ctx, target, async () => {
    await target.ensureLedger();
    const states = new Map((await syncLedger(ctx, target, all)).map((s) => [s.patchId, s]));
    for (const p of patches) {
      if (states.get(p.patchId)?.state !== 'applied') continue;
      if (p.meta.reversible === 'no' || p.down == null) throw new PuestaError('PRECONDITION_FAILED', `${p.patchId} cannot be undone (no down.sql).`);
      const t0 = Date.now();
      await runDown(ctx, target, p);
      const id = await target.insertEntry({ patchId: p.patchId, direction: 'down', state: 'done', checksum: p.checksum, operator: ctx.operator, runId: ctx.runId, releaseKey: ctx.releaseKey, estimateMs: null, note: '' });
      await target.updateEntry(id, { actualMs: Date.now() - t0 });
      say(ctx, `${p.patchId}: undone in ${formatMs(Date.now() - t0)}.`);
      done.push(p.patchId);
    }
    await syncLedger(ctx, target, all);
  });
  return done;
}
